"""Which raw values the quality report may show. A cell is a place, not a promise: headers get
swapped, rows lose a field and shift, so a value is judged by what it is as well as by its column.

In a person-level file (a SEN2 module, or any file that declares a personal column) a raw value is shown only when it is
a code: a value the column's code list recognised (a case or spelling variant of a code), or a
short code that fails the list (upper-case letters and digits, at most :data:`MAX_CODE` characters),
or in a rank column a number (a rank, right or wrong), or in an id column that is not personal
(a school's URN or LAEstab, a SEN2 table id) up to eight digits.
Everything else is withheld, and so is every value of a (column, rule) batch with more than
:data:`MAX_DISTINCT` different failing values: that many unknown "codes" means the column holds
something else (a swapped header or shifted rows), not a few typing slips.

Wherever they appear, in any file, values that look like a postcode, a UPN, a ULN or a date are
withheld; in person-level files so are values that look like names (a word with lower-case letters).
The key shown beside a row must look like an identifier (eight digits are taken as an id there,
not as a date: SEN2 table ids look like that).
"""
from __future__ import annotations

import re

import pandas as pd

from sendlib import spec

WITHHELD = "<personal data withheld>"
MAX_CODE = 6
MAX_DISTINCT = 20
RECOGNISED = {"whitespace_case", "code_spelling"}  # the code list knew the value, in another form

_MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec"
PERSONAL_PATTERNS = {
    "postcode": re.compile(r"(?<![A-Z0-9])[A-Z]{1,2}[0-9][A-Z0-9]?\s*[0-9][A-Z]{2}(?![A-Z0-9])", re.I),
    "upn": re.compile(r"(?<![A-Z0-9])[A-Z][0-9]{11}[0-9A-Z](?![A-Z0-9])", re.I),
    "uln": re.compile(r"(?<![0-9])[0-9]{10}(?![0-9])"),
    "date": re.compile(rf"[0-9]{{1,4}}\s*[-/.]\s*[0-9]{{1,2}}\s*[-/.]\s*[0-9]{{1,4}}"
                       rf"|[0-9]{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})[a-z]*\.?,?\s+[0-9]{{2,4}}", re.I),
}
COMPACT_DATE = re.compile(r"(?<![0-9])(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])(?![0-9])"
                          r"|(?<![0-9])(?:0[1-9]|[12][0-9]|3[01])(?:0[1-9]|1[0-2])(?:19|20)[0-9]{2}(?![0-9])")
NAME = re.compile(r"[A-Za-z]*[a-z][A-Za-z]*")
SHORT_CODE = re.compile(rf"[A-Z0-9][A-Z0-9 /_.+]{{0,{MAX_CODE - 1}}}")
RANK = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:inf|nan)", re.I)  # a rank, right or wrong
DIGIT_ID = re.compile(r"[0-9]{1,8}")  # a URN, LAEstab or SEN2 table id (a compact date is caught before)
PERSON_ID = re.compile(r"P[0-9a-f]{16}")
IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_./-]{0,39}")


def looks_personal(values: pd.Series, names: bool = False, compact_dates: bool = True) -> pd.Series:
    """True where a value holds something shaped like a postcode, UPN, ULN or date (also as eight
    digits, unless `compact_dates` is false) or, with `names`, a word with lower-case letters."""
    text = values.astype(str)
    hit = pd.Series(False, index=values.index)
    for pattern in (*PERSONAL_PATTERNS.values(), *([COMPACT_DATE] if compact_dates else [])):
        hit |= text.str.contains(pattern, na=False)
    if names:
        hit |= text.str.contains(NAME, na=False)
    return hit


def shown(declared: spec.FileSpec, column: str, rule: str, values: pd.Series) -> pd.Series:
    """`values` (raw cells of `column` logged under `rule`) as the quality report may show them."""
    text = values.astype(str)
    if column in declared.personal:  # blank or not: a personal column's cells are never shown
        return pd.Series(WITHHELD, index=text.index)
    blank = text.str.strip() == ""
    person_level = declared.section == "sen2" or bool(declared.personal)
    safe = ~looks_personal(text, names=person_level)
    if not person_level:
        show = safe
    elif declared.columns.get(column) is not None and declared.columns[column].type in ("code", "rank", "id"):
        if _recognised(declared, column, rule):  # a spelling the code list knows: a code, not a person
            show = pd.Series(True, index=text.index)
        else:
            kind = declared.columns[column].type
            safe = ~looks_personal(text) if kind == "rank" else safe  # a number: "inf" is no name
            shape = text.str.strip().str.fullmatch({"rank": RANK, "id": DIGIT_ID}.get(kind, SHORT_CODE), na=False)
            show = safe & shape & (text.str.len() <= 2 * MAX_CODE)
            if text[~blank].nunique() > MAX_DISTINCT:
                show = pd.Series(False, index=text.index)
    else:
        show = pd.Series(False, index=text.index)
    return text.where(show | blank, WITHHELD)


def _recognised(declared: spec.FileSpec, column: str, rule: str) -> bool:
    return rule in RECOGNISED and declared.columns[column].type == "code"


def shown_keys(keys: pd.Series) -> pd.Series:
    """Row keys as the quality report may show them: identifier-shaped and not personal-looking."""
    text = keys.astype(str)
    pseudonymous = text.str.fullmatch(PERSON_ID, na=False)  # made by sendlib: nothing to withhold
    ok = (text == "") | pseudonymous | (text.str.fullmatch(IDENTIFIER, na=False)
                                                    & ~looks_personal(text, compact_dates=False))
    return text.where(ok, WITHHELD)
