"""Small column helpers shared by the table-building steps."""
from __future__ import annotations

import numpy as np
import pandas as pd


def dates_for(keys: pd.Series, lookup: pd.Series) -> pd.Series:
    """Dates of `lookup` (indexed by a unique id) for each id in `keys`; NaT where absent."""
    lookup = lookup[~lookup.index.duplicated(keep="last")].astype("datetime64[ns]")
    return pd.Series(lookup.reindex(keys.to_numpy()).to_numpy(), index=keys.index, dtype="datetime64[ns]")


def text(values) -> pd.Series:
    """A nullable text column (pandas ``str`` dtype, missing as NA), whatever the input's dtype."""
    s = pd.Series(values).astype(object)
    return s.where(s.notna() & (s != ""), None).astype("str")


def unknown_as(values: pd.Series, unknown: str) -> np.ndarray:
    """Text values with missing ones replaced by `unknown`."""
    return values.fillna(unknown).to_numpy().astype(str)


def when_in(dates: pd.Series, period: tuple[pd.Timestamp, pd.Timestamp]) -> pd.Series:
    """Whether each date falls in `period` (first and last day, inclusive)."""
    return dates.between(*period)
