"""Normalisers of the coded fields of SEN2 and school census extracts, driven by the code lists in
``sendlib/codelists`` (the same files the synthetic generator writes from).

Every normaliser takes a column of raw values and returns a DataFrame on the same index with

- ``code``: the standard code (or the stated unknown value), and
- ``rule``: ``""`` when the raw value was already a standard code, else why it changed:
  ``whitespace_case`` (a standard code with stray spaces or in the wrong case, e.g. ``" asd"``),
  ``code_spelling`` (a label, legacy code, extended code or free-text spelling, e.g. ``Autism``,
  ``BESD``, ``White British``, ``1`` for male), ``missing`` (blank) or ``unknown_code`` (not
  recognised: set to unknown).

Matching is forgiving in one stated way: case, spaces and punctuation are ignored when a value is
looked up among the codes and aliases ("White - British" = "WHITE BRITISH" = "white british").
Nothing is guessed beyond the aliases listed in the code lists. Each distinct value is looked up
once, so the cost does not grow with the number of rows beyond one ``factorize``.

Use :func:`codes` with the name of a code list (:data:`CODE_LISTS`, as ``codes:`` in
``spec/raw_files.yml`` names them). Unknown values: SEN type ``UNKNOWN``; ethnicity ``UNKN``
(blank); ``REFU`` and ``NOBT`` stay as codes, all three in major group ``Unknown``; sex ``U``;
SEN provision ``U``; SEN setting, establishment type, cease reason and indicators ``""``.
"""
from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pandas as pd

from sendlib import codelists

UNKNOWN_NEED = "UNKNOWN"
UNKNOWN_ETHNICITY = "UNKN"
UNKNOWN_SEX = "U"
UNKNOWN_PROVISION = "U"
UNKNOWN_GROUP = "Unknown"

OK, WHITESPACE_CASE, CODE_SPELLING, MISSING, UNKNOWN_CODE = (
    "", "whitespace_case", "code_spelling", "missing", "unknown_code")

_SQUASH = re.compile(r"[^0-9A-Z]+")


def _squash(text: str) -> str:
    return _SQUASH.sub("", text.upper())


class CodeList:
    """A set of standard codes plus aliases, looked up with the rules of this module."""

    def __init__(self, codes, aliases: dict[str, str], unknown: str, blank: str | None = None,
                 extra_valid=()):
        self.codes = list(dict.fromkeys(codes))
        self.valid = set(self.codes) | set(extra_valid)
        self.unknown = unknown
        self.blank = unknown if blank is None else blank
        self.by_upper = {c.upper(): c for c in self.valid}
        self.by_squash: dict[str, str] = {}
        for alias, code in aliases.items():
            self.by_squash.setdefault(_squash(alias), code)
        for c in self.valid:  # codes themselves win over aliases
            self.by_squash[_squash(c)] = c

    def one(self, value) -> tuple[str, str]:
        """(code, rule) for one raw value."""
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return self.blank, MISSING
        raw = str(value)
        if raw in self.valid:
            return raw, OK
        text = " ".join(raw.split())
        if not text:
            return self.blank, MISSING
        if text.upper() in self.by_upper:
            return self.by_upper[text.upper()], WHITESPACE_CASE
        key = _squash(text)
        if key and key in self.by_squash:
            return self.by_squash[key], CODE_SPELLING
        if re.fullmatch(r"\d+\.0+", text) and _squash(text.split(".")[0]) in self.by_squash:
            return self.by_squash[_squash(text.split(".")[0])], CODE_SPELLING  # 1.0 from a spreadsheet
        return self.unknown, UNKNOWN_CODE

    def __call__(self, values) -> pd.DataFrame:
        s = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
        codes, cats = pd.factorize(s.astype(object), use_na_sentinel=True)
        looked = [self.one(c) for c in cats] + [(self.blank, MISSING)]
        idx = np.where(codes < 0, len(cats), codes)
        code_arr = np.array([c for c, _ in looked], dtype=object)[idx]
        rule_arr = np.array([r for _, r in looked], dtype=object)[idx]
        return pd.DataFrame({"code": pd.Series(code_arr, index=s.index, dtype=object),
                             "rule": pd.Series(rule_arr, index=s.index, dtype=object)})


def _aliases(name: str) -> dict[str, str]:
    df = codelists.load(name)
    return dict(zip(df["alias"], df["code"]))


class _SexOrTotal(CodeList):
    """Sex codes, plus the spellings of a total row of population estimates (code ``All``)."""
    TOTALS = {"ALL", "PERSONS", "P", "T", "TOTAL"}

    def one(self, value) -> tuple[str, str]:
        if isinstance(value, str) and value.strip().upper() in self.TOTALS:
            return "All", OK
        return super().one(value)


def _sen_type_list() -> CodeList:
    st = codelists.sen_types()
    aliases = {**dict(zip(st["label"], st["code"])), **_aliases("sen_type_aliases")}
    return CodeList(st["code"], aliases, UNKNOWN_NEED, extra_valid=[UNKNOWN_NEED])


def _ethnicity_list() -> CodeList:
    eth = codelists.ethnicities()
    aliases = {**dict(zip(eth["label"], eth["code"])), **_aliases("ethnicity_aliases")}
    return CodeList(eth["code"], aliases, UNKNOWN_ETHNICITY, extra_valid=[UNKNOWN_ETHNICITY])


def _provision_list() -> CodeList:
    aliases = {"NO SEN": "N", "NONE": "N", "SEN SUPPORT": "K", "EHC PLAN": "E", "EHCP": "E",
               # legacy school census codes before 2015: statement, School Action (Plus)
               "S": "E", "STATEMENT": "E", "A": "K", "P": "K", "SCHOOL ACTION": "K",
               "SCHOOL ACTION PLUS": "K"}
    return CodeList(["N", "K", "E"], aliases, UNKNOWN_PROVISION, extra_valid=[UNKNOWN_PROVISION])


def _setting_list() -> CodeList:
    ss = codelists.sen_settings()
    return CodeList(ss["code"], dict(zip(ss["label"], ss["code"])), "", blank="")


def _cease_reason_list() -> CodeList:
    reasons = codelists.cease_reasons()
    aliases = {f"0{c}": str(c) for c in reasons}
    aliases.update({label: str(c) for c, label in reasons.items()})
    return CodeList([str(c) for c in reasons], aliases, "", blank="")


# Every code list a `code` column of spec/raw_files.yml can name, and what blank or unrecognised
# values become: sen_type ``UNKNOWN``; ethnicity ``UNKN``; sex and sen_provision ``U``; the others "".
_CODE_LISTS = {
    "sen_type": _sen_type_list,
    "ethnicity": _ethnicity_list,
    "sex": lambda: CodeList(["M", "F", "U"], _aliases("sex"), UNKNOWN_SEX),
    "population_sex": lambda: _SexOrTotal(["M", "F", "U"], _aliases("sex"), UNKNOWN_SEX),
    "sen_provision": _provision_list,
    "sen_setting": _setting_list,
    "establishment_type": lambda: CodeList(codelists.establishment_types()["gias_type"], {}, "", blank=""),
    "cease_reason": _cease_reason_list,
    # SEN2 1/0 indicators (also Y/N, True/False)
    "indicator": lambda: CodeList(["1", "0"], {"Y": "1", "YES": "1", "TRUE": "1", "T": "1", "N": "0", "NO": "0",
                                               "FALSE": "0", "F": "0"}, "", blank=""),
}
CODE_LISTS = tuple(_CODE_LISTS)


@lru_cache(maxsize=None)
def code_list(name: str) -> CodeList:
    """The code list `name` (one of :data:`CODE_LISTS`)."""
    return _CODE_LISTS[name]()


def codes(name: str, values) -> pd.DataFrame:
    """Normalise `values` with code list `name`: ``code`` and ``rule`` on the index of `values`.

    sen_type: legacy BESD becomes SEMH and free text such as "Autism" becomes ASD; ethnicity:
    extended codes and labels roll up to the 20 main codes; sex: M/F/U from Male/Female, 1/2/9/0;
    population_sex: the same, and totals (All, Persons, T) become ``All``; sen_provision: N/K/E
    (also legacy statement and School Action codes); sen_setting: the SEN2 non-URN settings;
    establishment_type: GIAS ``TypeOfEstablishment (name)`` in its standard spelling;
    cease_reason: '1'-'9'; indicator: '1' or '0'.
    """
    return code_list(name)(values)


def indicator(values) -> pd.Series:
    """SEN2 1/0 indicator (also Y/N, True/False) as a bool Series; blank or unrecognised is False."""
    s = pd.Series(values, dtype=object) if not isinstance(values, pd.Series) else values
    return codes("indicator", s)["code"] == "1"


# ---- groups -----------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def _ethnic_groups(grouping: str) -> dict[str, str]:
    eth = codelists.ethnicities()
    col = {"dfe": "major_group_dfe", "kingston": "major_group_kingston"}[grouping]
    out = dict(zip(eth["code"], eth[col]))
    out[UNKNOWN_ETHNICITY] = UNKNOWN_GROUP
    return out


def ethnicity_group(codes, grouping: str = "dfe") -> pd.Series:
    """Major ethnic group of normalised codes: ``dfe`` (Chinese within Asian) or ``kingston``
    (Chinese separate). Refused, not obtained and missing are ``Unknown``."""
    s = codes if isinstance(codes, pd.Series) else pd.Series(codes, dtype=object)
    return s.map(_ethnic_groups(grouping)).fillna(UNKNOWN_GROUP).astype(object)


@lru_cache(maxsize=None)
def _need_groups() -> dict[str, str]:
    st = codelists.sen_types()
    out = dict(zip(st["code"], st["need_group"]))
    out[UNKNOWN_NEED] = UNKNOWN_GROUP
    return out


def need_group(codes) -> pd.Series:
    """Broad area of need (cognition and learning, communication and interaction, ...) of SEN type codes."""
    s = codes if isinstance(codes, pd.Series) else pd.Series(codes, dtype=object)
    return s.map(_need_groups()).fillna(UNKNOWN_GROUP).astype(object)


def placement(establishment_types, sen_settings, resourced_provision=None) -> pd.DataFrame:
    """Placement columns from the normalised GIAS establishment type (URN placements) or SEN2
    setting code (non-URN placements).

    Returns ``placement_code`` (the DfE placement column, e.g. ``mainstream_academy``,
    ``other_arrangements_la``; None when unknown), ``placement_group`` (DfE caseload groups) and
    ``placement_group_kingston`` (the Kingston plan's groups: a mainstream placement with
    resourced provision or an SEN unit is "Resourced provision in mainstream"). Unknown is
    ``Unknown`` in both groupings.
    """
    et = establishment_types if isinstance(establishment_types, pd.Series) else pd.Series(establishment_types,
                                                                                          dtype=object)
    ss = sen_settings if isinstance(sen_settings, pd.Series) else pd.Series(sen_settings, dtype=object, index=et.index)
    types = codelists.establishment_types().set_index("gias_type")
    settings = codelists.sen_settings().set_index("code")
    code = et.map(types["dfe_placement"]).combine_first(ss.map(settings["dfe_placement"]))
    dfe = et.map(types["dfe_group"]).combine_first(ss.map(settings["dfe_group"]))
    kingston = et.map(types["kingston_group"]).combine_first(ss.map(settings["kingston_group"]))
    if resourced_provision is not None:
        rp = pd.Series(resourced_provision, index=et.index).fillna(False).astype(bool)
        kingston = kingston.mask(rp & (dfe == "Mainstream"), "Resourced provision in mainstream")
    return pd.DataFrame({"placement_code": code.astype(object).where(code.notna(), None),
                         "placement_group": dfe.fillna(UNKNOWN_GROUP).astype(object),
                         "placement_group_kingston": kingston.fillna(UNKNOWN_GROUP).astype(object)},
                        index=et.index)
