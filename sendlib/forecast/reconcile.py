"""Breakdowns (DfE age band, placement group) that add up to the total forecast.

Top-down reconciliation: the total is forecast by the chosen caseload method, and each breakdown's
share of the total is forecast from its own recent history (log shares, last value plus a damped
trend), then normalised to sum to one. So breakdown points add up to the total exactly, in every
year, by construction. A breakdown's interval combines the total's uncertainty with that of its
share: on the log scale, half-width^2 = total half-width^2 + share half-width^2, the share
half-width being the 80% or 95% quantile of past h-year changes in log share (pooled across LAs,
latest years up to the origin).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from sendlib.forecast.models import BOUNDS, Z

SHARE_TREND_YEARS = 3
SHARE_DAMPING = 0.7
SPREAD_YEARS = 5  # share changes measured over the latest years only (the 2014 reforms moved shares)
# Placement groups are defined consistently only from January 2019 (2025 release); shares before
# then mix definitions (FE not collected before 2015, NEET not separate before 2019). "Unknown"
# placement is published only from January 2023 (x before), so its share is forecast from 2023 on.
CONSISTENT_FROM = {"placement": 2019, "age": 2010}


def shares_history(breakdown: pd.DataFrame, origin: int, topic: str) -> pd.DataFrame:
    """Return shares (index area_code, breakdown; columns years <= origin) from a breakdown series
    (:func:`sendlib.sources.dfe.series`); years where no breakdown is published are dropped."""
    cols = [c for c in breakdown.columns if c <= origin]
    b = breakdown[cols].fillna(0.0)
    start = CONSISTENT_FROM.get(topic, min(cols))
    if origin - start >= 2:  # enough consistent years: use only those
        b = b[[c for c in cols if c >= start]]
    totals = b.groupby(level="area_code").transform("sum")
    shares = b / totals.where(totals > 0)
    return shares.loc[:, shares.notna().any(axis=0)]


def forecast_shares(shares: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """Return forecast shares for `years` (index area_code, breakdown; sums to 1 per area and year).

    Log share = last log share + a damped continuation of its average yearly change over the last
    SHARE_TREND_YEARS years; a breakdown with a zero share stays at zero."""
    last_year = int(shares.columns.max())
    last = shares[last_year]
    k = min(SHARE_TREND_YEARS, shares.shape[1] - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log(shares.where(shares > 0))
        slope = ((logs[last_year] - logs[last_year - k]) / k) if k > 0 else logs[last_year] * 0
    slope = slope.where(np.isfinite(slope), 0.0).clip(-0.5, 0.5)
    out = {}
    for y in years:
        steps = y - last_year
        damp = sum(SHARE_DAMPING ** s for s in range(1, steps + 1))
        raw = np.exp(logs[last_year] + slope * damp).where(last > 0, 0.0).fillna(0.0)
        out[y] = raw / raw.groupby(level="area_code").transform("sum")
    return pd.DataFrame(out)


def share_spread(shares: pd.DataFrame, max_steps: int) -> dict[int, pd.DataFrame]:
    """Return, per number of years ahead, a frame (index breakdown, columns the four bounds) of
    the log-share half-widths seen in the past: the 80% (95%) quantile of the absolute change in log
    share over that many years, across areas and the latest years, per breakdown. Quantiles rather
    than a standard deviation because small groups' shares jump (heavy tails)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log(shares.where(shares > 0))
    years = sorted(shares.columns)
    breakdowns = logs.index.unique("breakdown")
    out: dict[int, pd.DataFrame] = {}
    for s in range(1, max_steps + 1):
        starts = [y for y in years if y + s in years][-SPREAD_YEARS:]
        if not starts:  # too short a history: stretch the longest available
            prev = max(out) if out else None
            out[s] = out[prev] * s / prev if prev else pd.DataFrame(0.5, index=breakdowns, columns=BOUNDS)
            continue
        change = pd.concat([logs[y + s] - logs[y] for y in starts]).dropna()
        dev = (change - change.groupby(level="breakdown").transform("median")).abs()
        q = dev.groupby(level="breakdown").quantile
        frame = pd.DataFrame({"lower80": q(0.80), "upper80": q(0.80), "lower95": q(0.95), "upper95": q(0.95)})
        frame = frame.reindex(breakdowns).fillna(0.5)
        if s - 1 in out:  # uncertainty never shrinks with the horizon
            frame = np.maximum(frame, out[s - 1])
        out[s] = frame
    return out


def top_down(total: pd.DataFrame, breakdown: pd.DataFrame, topic: str) -> pd.DataFrame:
    """Return breakdown forecasts that add up to `total`.

    total: forecasts of the total (area_code, year, horizon, point, bounds, method, origin), one
        origin. breakdown: the published breakdown series (index area_code, breakdown; columns
        years). Returns the rows of `total` repeated per breakdown with `breakdown` set and the
        points and bounds of each breakdown."""
    if total.empty:
        return total.assign(breakdown=pd.Series(dtype="string"))
    origin = int(total["origin"].iloc[0])
    areas = sorted(set(total["area_code"]) & set(breakdown.index.get_level_values("area_code")))
    all_hist = shares_history(breakdown, origin, topic)
    hist = all_hist.loc[all_hist.index.get_level_values("area_code").isin(areas)]
    if hist.empty:
        return total.iloc[0:0].assign(breakdown=pd.Series(dtype="string"))
    years = sorted(total["year"].unique())
    shares = forecast_shares(hist, years)
    last_year = int(hist.columns.max())
    # the spread of shares is pooled over every area (one LA's own history is too short)
    spread = share_spread(all_hist, max(years) - last_year)
    rows = []
    t = total[total["area_code"].isin(areas)].set_index(["area_code", "year"])
    for (area, year), row in t.iterrows():
        s = shares.loc[area, year]
        half_share = spread[year - last_year].reindex(s.index).fillna(0.5)
        for name, share in s.items():
            rec = {"area_code": area, "year": year, "horizon": row["horizon"], "breakdown": name,
                   "point": row["point"] * share, "method": row["method"], "origin": row["origin"],
                   "flag": row.get("flag", "")}
            for b in BOUNDS:
                half = np.log(row[b] / row["point"])
                width = np.sign(Z[b]) * np.sqrt(half ** 2 + half_share.at[name, b] ** 2)
                rec[b] = rec["point"] * np.exp(width)
            rows.append(rec)
    out = pd.DataFrame(rows)
    return out.sort_values(["area_code", "breakdown", "year"]).reset_index(drop=True)


def incoherence(total: pd.DataFrame, parts: pd.DataFrame) -> pd.Series:
    """Return, per area and year, the breakdown points' sum minus the total's point (0 = coherent)."""
    s = parts.groupby(["area_code", "year"])["point"].sum()
    t = total.set_index(["area_code", "year"])["point"]
    return (s - t.reindex(s.index)).rename("difference")
