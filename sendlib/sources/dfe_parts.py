"""What a release's own parts say a published total should be (evidence for the checks).

Each total the loader reads (caseload, new plans) is also published as parts in the same file:
placement columns, placement percentages (`*_pc`), age bands, sex, ethnicity, statements and
plans. Every decomposition gives an interval [low, high] for the total:

- **exact** decompositions (age bands, sex, ethnicity, statements + plans: every record is in
  exactly one part) give low = high = the sum of their parts; a part that is not a number (``c``,
  ``x``) makes the sum a lower bound only (high = infinity);
- **percentages** give the totals that round to every published percentage of its parts
  (``71.8`` means 71.75-71.85), intersected over the parts; exact too;
- **placement columns** are a lower bound: some placement types are not published in some years
  (``x``), so the parts may fall short of the total; low = their sum, high = the sum / 0.9 + 5
  (parts covering less than 90% of the total disagree with it); parts that add up to nothing
  (every one unpublished) give no evidence.

:mod:`sendlib.sources.dfe_checks` compares each published total with these intervals.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

PARTS_COLUMNS = ["measure", "time_period", "area_code", "release", "file", "parts", "low", "high", "exact"]
MIN_COVERAGE = 0.9  # placement columns must account for at least this share of the total
SLACK = 5.0


def empty() -> pd.DataFrame:
    """An empty evidence table."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(
        PARTS_COLUMNS, ["string", "int64", "string", "string", "string", "string", "float64", "float64", "bool"])})


def sums(rows: pd.DataFrame, name: str, *, exact: bool = True) -> pd.DataFrame:
    """Return the evidence of one decomposition from its tidy part rows (columns measure,
    time_period, area_code, release, file, value, symbol): one row per total, named `name`."""
    keys = ["measure", "time_period", "area_code", "release", "file"]
    rows = rows.assign(_number=rows["value"].notna(), _gap=rows["value"].isna())
    g = rows.groupby(keys, sort=False, dropna=False)
    out = g.agg(low=("value", "sum"), _numbers=("_number", "sum"), _gaps=("_gap", "sum")).reset_index()
    # a lower bound of nothing (every part unpublished but one zero) says nothing
    out = out[(out["_numbers"] > 0) & (exact or out["low"] > 0)]
    if exact:
        high = out["low"].where(out["_gaps"] == 0, np.inf)
    else:
        high = out["low"] / MIN_COVERAGE + SLACK
    out = out.assign(parts=name, high=high.astype(float), exact=exact)
    return out[PARTS_COLUMNS].reset_index(drop=True)


def _decimals(text: pd.Series) -> pd.Series:
    frac = text.str.extract(r"\.(\d+)$", expand=False)
    return frac.str.len().fillna(0).astype(int)


def percentage_interval(df: pd.DataFrame, pairs: dict[str, str], key: pd.DataFrame, name: str) -> pd.DataFrame:
    """Return the evidence from published percentages: `pairs` maps a part column of `df` to the
    column of its percentage of the total; `key` holds the evidence keys of each row of `df`
    (measure, time_period, area_code, release, file). Rows whose percentages contradict each other
    or that have no usable part give no evidence."""
    lows, highs = [], []
    for part_col, pc_col in pairs.items():
        part = pd.to_numeric(df[part_col], errors="coerce").to_numpy(dtype=float)
        text = df[pc_col].astype("string").str.strip()
        pc = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
        half = 0.5 * 10.0 ** (-_decimals(text.fillna("")).to_numpy())
        ok = (part >= 1) & (pc - half > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            lows.append(np.where(ok, part * 100 / (pc + half), np.nan))
            highs.append(np.where(ok, part * 100 / (pc - half), np.nan))
    if not lows:
        return empty()
    with warnings.catch_warnings():  # all-NaN rows (no usable part) are expected
        warnings.simplefilter("ignore", RuntimeWarning)
        low = np.nanmax(np.vstack(lows), axis=0)
        high = np.nanmin(np.vstack(highs), axis=0)
    usable = np.isfinite(low) & np.isfinite(high) & (low <= high + 1e-6)
    out = key.loc[usable].copy()
    out["parts"], out["low"], out["high"], out["exact"] = name, low[usable], high[usable], True
    return out[PARTS_COLUMNS].reset_index(drop=True)


def combine(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate evidence tables with stable dtypes and order."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return empty()
    out = pd.concat(frames, ignore_index=True)
    for col in ("measure", "area_code", "release", "file", "parts"):
        out[col] = out[col].astype("string")
    out["time_period"] = out["time_period"].astype("int64")
    out["exact"] = out["exact"].astype(bool)
    return out.sort_values(["measure", "area_code", "time_period", "release", "parts"], kind="stable") \
        .reset_index(drop=True)[PARTS_COLUMNS]
