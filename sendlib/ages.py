"""Ages, national curriculum years and the age bands used in SEND reporting.

Conventions (domain primer, section 3): age is taken at 31 August before the census date; the
national curriculum year is NCY = age - 5 (Reception = 0, Nursery 2 = -1, Nursery 1 = -2), the
convention behind Kingston's published tables, where Reception pupils fall in the 5-10 band.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

NCY_OFFSET = 5  # NCY = age at 31 August - NCY_OFFSET
MAX_AGE = 25  # EHCPs run to the end of the academic year in which the young person turns 25

DFE_AGE_BANDS = ["Under 5", "5 to 10", "11 to 15", "16 to 19", "20 to 25"]
EQIA_AGE_BANDS = ["0-4", "5-10", "11-15", "16+"]


def august_31_before(census_date) -> pd.Timestamp:
    """The 31 August that precedes `census_date` (the start of its academic year)."""
    d = pd.Timestamp(census_date)
    year = d.year if d.month > 8 else d.year - 1
    return pd.Timestamp(year=year, month=8, day=31)


def age_at_31_august(birth_date: pd.Series, census_date) -> pd.Series:
    """Whole years of age on the 31 August before `census_date`; <NA> where the birth date is missing.

    `birth_date` may be full dates or first-of-month dates (month and year of birth): both give the
    same age, because 31 August is the last day of its month.
    """
    ref = august_31_before(census_date)
    b = pd.to_datetime(birth_date)
    had_birthday = (b.dt.month < ref.month) | ((b.dt.month == ref.month) & (b.dt.day <= ref.day))
    age = ref.year - b.dt.year - (~had_birthday).astype(int)
    return age.where(b.notna()).astype("Int64")


def ncy_from_age(age: pd.Series) -> pd.Series:
    """National curriculum year from age at 31 August."""
    return (pd.Series(age).astype("Int64") - NCY_OFFSET).astype("Int64")


def _band(values: pd.Series, edges: list[int], labels: list[str]) -> pd.Series:
    v = pd.Series(values).astype("Float64")
    out = pd.cut(v.astype(float), bins=[-np.inf, *edges, np.inf], right=False, labels=labels)
    return pd.Series(pd.Categorical(out, categories=labels, ordered=True), index=v.index)


def dfe_age_band(age: pd.Series) -> pd.Series:
    """DfE SEN2 age band (under 5, 5-10, 11-15, 16-19, 20-25) as an ordered categorical."""
    return _band(age, [5, 11, 16, 20], DFE_AGE_BANDS)


def eqia_age_band(age: pd.Series) -> pd.Series:
    """Kingston equality-assessment age band (0-4, 5-10, 11-15, 16+) as an ordered categorical."""
    return _band(age, [5, 11, 16], EQIA_AGE_BANDS)


def school_year_label(ncy: int | None) -> str:
    """Description of a national curriculum year: 'Nursery 1', 'Reception', 'Year 7', 'Age 19+', ...

    Years 1-14 are 'Year N'; beyond Year 14 (age 20 and over) the label is Kingston's 'Age N+'
    with N = age - 1, so NCY 15 is 'Age 19+' ... NCY 20 is 'Age 24+'.
    """
    if ncy is None or pd.isna(ncy):
        return "Unknown"
    ncy = int(ncy)
    if ncy <= -2:
        return "Nursery 1"
    if ncy == -1:
        return "Nursery 2"
    if ncy == 0:
        return "Reception"
    if ncy <= 14:
        return f"Year {ncy}"
    return f"Age {ncy + NCY_OFFSET - 1}+"


SCHOOL_YEAR_LABELS = [school_year_label(n) for n in range(-2, 26)] + ["Unknown"]


def school_year(ncy: pd.Series) -> pd.Series:
    """School-year descriptions for a series of NCYs, as an ordered categorical."""
    # NCY below Nursery 1 shares its label; beyond NCY 25 no-one can hold a plan, so the label is
    # 'Unknown' rather than a value outside the categories
    labels = [school_year_label(n) if pd.isna(n) or n <= 25 else "Unknown" for n in pd.Series(ncy).astype("Int64")]
    return pd.Series(pd.Categorical(labels, categories=SCHOOL_YEAR_LABELS, ordered=True),
                     index=pd.Series(ncy).index)
