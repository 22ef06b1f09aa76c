"""Population estimates: area_code, year, sex (M/F, or All for a total row), age, population.

``invalid_number`` (rejected): a row whose year, age or count is blank or not a number (the
number rule of the spec), or whose year or age is not a whole number from 0 to 9999.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from sendlib.cleaning.quality import QualityLog, Work

_WHOLE = ("year", "age")


def build(t: Work, log: QualityLog) -> pd.DataFrame:
    """The population table of the kept rows of work table `t`."""
    for col in _WHOLE:
        num = t.clean(col)
        whole = np.isfinite(num) & (np.floor(num) == num) & num.between(0, 9999)
        t.reject(log, ~whole, col, "invalid_number")
    rows = t.rows
    return pd.DataFrame({"area_code": rows["area_code"].str.strip(), "year": rows["year_clean"].astype("int64"),
                         "sex": rows["sex_clean"].astype(str), "age": rows["age_clean"].astype("int64"),
                         "population": rows["population_clean"].astype(float)}
                        ).sort_values(["year", "sex", "age"]).reset_index(drop=True)
