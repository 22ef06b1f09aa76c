"""Population estimates: area_code, year, sex (M/F, or All for a total row), age, population.

Rows rejected, each logged under its rule:

- ``invalid_number``: the year, age or count is blank or not a number (the number rule of the
  spec), the year is not a whole number from :data:`YEARS`, or the age not a whole number from 0
  to :data:`MAX_AGE`;
- ``implausible_population``: a count below 0 or above :data:`MAX_COUNT` (more people of one
  age and sex than any area of England holds);
- ``duplicate_row``: the same area, year, sex and age again with the same count (the first is
  kept, so the total does not double);
- ``conflicting_rows``: the same area, year, sex and age with different counts (all rejected:
  which one is right cannot be told).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from sendlib.cleaning.quality import QualityLog, Work

YEARS = (1900, 2200)
MAX_AGE = 120
MAX_COUNT = 2_000_000
_KEY = ["area_code", "year_clean", "sex_clean", "age_clean"]


def build(t: Work, log: QualityLog) -> pd.DataFrame:
    """The population table of the kept rows of work table `t`."""
    for col, (low, high) in (("year", YEARS), ("age", (0, MAX_AGE))):
        num = t.clean(col)
        whole = np.isfinite(num) & (np.floor(num) == num) & num.between(low, high)
        t.reject(log, ~whole, col, "invalid_number")
    count = t.clean("population")
    t.reject(log, ~count.between(0, MAX_COUNT), "population", "implausible_population")
    _duplicates(t, log)
    rows = t.rows
    return pd.DataFrame({"area_code": rows["area_code"].str.strip(), "year": rows["year_clean"].astype("int64"),
                         "sex": rows["sex_clean"].astype(str), "age": rows["age_clean"].astype("int64"),
                         "population": rows["population_clean"].astype(float)}
                        ).sort_values(["year", "sex", "age"]).reset_index(drop=True)


def _duplicates(t: Work, log: QualityLog) -> None:
    """Reject repeated rows of one area, year, sex and age (see the module docstring)."""
    rows = t.rows.assign(area_code=t.rows["area_code"].str.strip().str.upper())
    repeated = rows[rows.duplicated(_KEY, keep=False)]
    if repeated.empty:
        return
    counts = repeated.groupby(_KEY, dropna=False)["population_clean"].transform("nunique")
    conflicting = repeated.index[(counts > 1).to_numpy()]
    t.reject(log, t.at(conflicting), "population", "conflicting_rows")
    same = repeated.drop(conflicting)
    t.reject(log, t.at(same.index[same.duplicated(_KEY, keep="first").to_numpy()]), "population", "duplicate_row")
