"""Cell rules: each declared column of a raw file is cleaned by its type in spec/raw_files.yml.

- ``id``: surrounding spaces removed (and upper case where the spec says ``case: upper``);
  Excel's ``123456.0`` becomes ``123456``; logged ``whitespace_case`` (corrected). Cleaned in place.
- ``date``: parsed by :mod:`sendlib.dates`; ``date_format`` / ``whitespace_case`` (corrected),
  ``invalid_date`` (set unknown). A ``role: birth_date`` column also gets the birth-date rules:
  ``missing_dob``, ``future_dob`` and ``dob_over_25`` (set unknown).
- ``code`` with a code list: normalised by :func:`sendlib.normalise.codes`; ``whitespace_case`` /
  ``code_spelling`` (corrected), ``unknown_code`` (set unknown), and with ``blank: report`` a blank
  cell is ``missing_code`` (set unknown).
- ``rank``: a whole number from 1 to :data:`MAX_RANK`; anything else is ``unknown_code`` (set
  unknown), never an error.
- ``number``: a row whose number is blank or not a finite number is rejected (``invalid_number``).
- ``text``: kept as read.

Each normalised value is stored in the work frame as ``<column>_clean``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from sendlib import ages, dates, normalise, spec
from sendlib.cleaning.quality import CORRECTED, SET_UNKNOWN, QualityLog, Work

MAX_RANK = 99  # a plan has a handful of needs and placements; a larger "rank" is not a rank
_CODE_RULES = {"whitespace_case": CORRECTED, "code_spelling": CORRECTED, "unknown_code": SET_UNKNOWN}


def id_text(values: pd.Series, upper: bool = False) -> pd.Series:
    """Ids as compared: stripped (upper case if `upper`), Excel's ``123.0`` read as ``123``."""
    clean = values.str.strip()
    if upper:
        clean = clean.str.upper()
    return clean.where(~clean.str.fullmatch(r"\d+\.0+"), clean.str.split(".").str[0])


def apply(t: Work, log: QualityLog, census: pd.Timestamp) -> None:
    """Clean every declared column of work table `t` by its type, logging what was done."""
    for column in t.declared.columns.values():
        if column.type == "id":
            _ids(t, log, column)
        elif column.type == "date":
            t.df[f"{column.name}_clean"] = _dates(t, log, column, census)
        elif column.type == "code" and column.codes:
            t.df[f"{column.name}_clean"] = _codes(t, log, column)
        elif column.type == "rank":
            t.df[f"{column.name}_clean"] = _ranks(t, log, column.name)
        elif column.type == "number":
            t.df[f"{column.name}_clean"] = _numbers(t, log, column.name)


def _ids(t: Work, log: QualityLog, column: spec.ColumnSpec) -> None:
    raw = t.df[column.name]
    clean = id_text(raw, column.upper_case)
    log.add(t, clean != raw, column.name, "whitespace_case", CORRECTED)
    t.df[column.name] = clean


def _dates(t: Work, log: QualityLog, column: spec.ColumnSpec, census: pd.Timestamp) -> pd.Series:
    parsed, status = dates.parse_dates(t.df[column.name])
    log.add(t, status == dates.CORRECTED, column.name, "date_format", CORRECTED)
    log.add(t, status == dates.WHITESPACE, column.name, "whitespace_case", CORRECTED)
    log.add(t, status == dates.INVALID, column.name, "invalid_date", SET_UNKNOWN)
    return _birth_date_rules(t, log, column.name, parsed, census) if column.role == "birth_date" else parsed


def _birth_date_rules(t: Work, log: QualityLog, col: str, dob: pd.Series, census: pd.Timestamp) -> pd.Series:
    """Birth dates with the DOB rules applied (missing / future / over 25 set unknown)."""
    log.add(t, t.df[col].str.strip() == "", col, "missing_dob", SET_UNKNOWN)
    future = dob > census
    log.add(t, future, col, "future_dob", SET_UNKNOWN)
    age = ages.age_at_31_august(dob, census)
    # A plan ceases at the end of the academic year in which the young person turns 25, so a
    # person in last year's ceased plans can be 26 on the 31 August before this census; older
    # is impossible for anyone in a SEN2 return.
    over = (age > ages.MAX_AGE + 1).fillna(False).astype(bool)
    log.add(t, over, col, "dob_over_25", SET_UNKNOWN)
    return dob.mask(future | over)


def _codes(t: Work, log: QualityLog, column: spec.ColumnSpec) -> pd.Series:
    res = normalise.codes(str(column.codes), t.df[column.name])
    log.add_rules(t, res["rule"], column.name, _CODE_RULES)
    if column.report_blank:
        log.add(t, res["rule"] == normalise.MISSING, column.name, "missing_code", SET_UNKNOWN)
    return res["code"]


def _ranks(t: Work, log: QualityLog, col: str) -> pd.Series:
    raw = t.df[col].str.strip()
    num = pd.to_numeric(raw.where(raw != ""), errors="coerce").astype(float)
    # bounds first: 1e100, inf or nan are not ranks (and do not fit a whole-number column)
    ok = num.between(1, MAX_RANK) & (np.floor(num) == num)
    log.add(t, (raw != "") & ~ok, col, "unknown_code", SET_UNKNOWN)
    log.add(t, ok & (raw != t.df[col]), col, "whitespace_case", CORRECTED)
    return num.where(ok).astype("Int64")


def _numbers(t: Work, log: QualityLog, col: str) -> pd.Series:
    num = pd.to_numeric(t.df[col].str.strip(), errors="coerce").astype(float)
    t.reject(log, ~np.isfinite(num), col, "invalid_number")
    return num
