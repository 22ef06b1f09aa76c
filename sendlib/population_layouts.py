"""ONS mid-year population estimates in their published layouts, made long (one row per area,
mid-year, sex and single year of age) before their columns are matched to the spec:

- long with a year column (sendlib's own layout), kept as it is;
- long for one mid-year without a year column: the year is taken from the file (a heading or
  title such as ``Mid-2023`` or ``population_2023``), else from the cycle (the mid-year before
  the census: census year - 1);
- wide by year, one count column per mid-year (``population_2012``, ``population_2013``, ... as in
  the ONS MYEB files);
- wide by age, one count column per single year of age ``0`` ... ``89``, ``90+`` (as in the ONS
  MYE2 tables); the ``All ages`` total is left out. Without a sex column the counts are persons
  (sex ``All``);
- the age ``90+`` (all ages 90 and over) is read as 90;
- area headers carrying their boundaries' year (``ladcode23``, ``laname21``) are read without it.
"""
from __future__ import annotations

import re

import pandas as pd

from sendlib.spec import header_key

_YEAR_HEADING = re.compile(r"(?:population|mid|mye|estimate)\D{0,3}((?:19|20)\d{2})", re.I)
_MIN_AGE_COLUMNS = 10
_VINTAGE = re.compile(r"^((?:lad|la|utla|ctry|rgn)(?:code|name))\d{2}$")  # ONS's ladcode23: the 2023 boundaries


def _age(header) -> int | None:
    key = str(header).strip().rstrip("+").strip()
    return int(key) if key.isdigit() and int(key) <= 120 else None


def _year(header) -> int | None:
    found = _YEAR_HEADING.search(str(header))
    return int(found.group(1)) if found else None


def _wide_by_age(df: pd.DataFrame) -> pd.DataFrame:
    ages = [c for c in df.columns if _age(c) is not None]
    if len(ages) < _MIN_AGE_COLUMNS:
        return df
    keep = [c for c in df.columns if c not in ages and header_key(c) != "allages"]
    out = df.melt(id_vars=keep, value_vars=ages, var_name="age", value_name="population")
    out["age"] = out["age"].map(lambda c: str(_age(c)))
    if not any(header_key(c) in ("sex", "gender") for c in keep):
        out["sex"] = "All"
    return out


def _wide_by_year(df: pd.DataFrame) -> pd.DataFrame:
    years = [c for c in df.columns if _year(c) is not None]
    if not years or any(header_key(c) in ("population", "count") for c in df.columns) or (
            len(years) == 1 and any(header_key(c) == "year" for c in df.columns)):
        return df
    keep = [c for c in df.columns if c not in years]
    out = df.melt(id_vars=keep, value_vars=years, var_name="year", value_name="population")
    out["year"] = out["year"].map(lambda c: str(_year(c)))
    return out


def long_form(df: pd.DataFrame, census: pd.Timestamp | None = None, title: str = "") -> pd.DataFrame:
    """`df` (cells as text, as read) in the long layout: year, sex, age and population columns."""
    df = df.loc[:, [str(c).strip() != "" for c in df.columns]]
    df = df.rename(columns=lambda c: _VINTAGE.sub(r"\1", header_key(c)) if _VINTAGE.match(header_key(c)) else c)
    df = _wide_by_year(_wide_by_age(df))
    if not any(header_key(c) == "year" for c in df.columns):
        year = _year(title) or (census.year - 1 if census is not None else None)
        if year is not None:
            df = df.assign(year=str(year))
    ages = [c for c in df.columns if header_key(c) == "age"]
    if ages:
        df = df.assign(**{ages[0]: df[ages[0]].astype(str).str.strip().str.rstrip("+").str.strip()})
    return df
