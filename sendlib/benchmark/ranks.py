"""Where an LA stands: its rank among all LAs on each indicator in the latest year it has, beside
England, its region and the comparators' median, and the key points in plain words.

An LA is an **outlier** on a percentage indicator when it is among the highest or the lowest tenth
of the LAs that publish it that year (:data:`TAIL`). Counts (plans, requests) are ranked but
never called outliers: a large LA has more of everything.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sendlib.benchmark import ENGLAND, Benchmark
from sendlib.benchmark.indicators import INDICATORS

TAIL = 0.10
RANK_COLUMNS = ["indicator", "label", "unit", "time_period", "value", "rank", "of", "england", "region",
                "comparator_median", "position", "source"]


def latest(b: Benchmark) -> pd.DataFrame:
    """One row per indicator: the LA's latest value, its rank (1 = highest) among the LAs of that
    year, England, the region, the comparators' median, the `position` ('highest tenth',
    'lowest tenth' or '') and the source of the LA's figure."""
    rows = [_rank(b, name) for name in INDICATORS]
    return pd.DataFrame([r for r in rows if r], columns=RANK_COLUMNS)


def _rank(b: Benchmark, name: str) -> dict | None:
    ind = INDICATORS[name]
    rows = b.indicators[b.indicators["indicator"] == name]
    own = rows[rows["area_code"] == b.area]
    if own.empty:
        return None
    year = int(own["time_period"].max())
    year_rows = rows[rows["time_period"] == year].set_index("area_code")
    las = year_rows[year_rows["geographic_level"] == "Local authority"]["value"]
    value = float(las.loc[b.area])
    rank = int((las > value).sum()) + 1
    tail = max(1, math.ceil(TAIL * len(las)))
    position = ""
    if ind.unit == "%" and len(las) >= 20:
        position = "highest tenth" if rank <= tail else "lowest tenth" if int((las < value).sum()) < tail else ""
    median = b.comparator_median()
    m = median[(median["indicator"] == name) & (median["time_period"] == year)]["median"]
    return {"indicator": name, "label": ind.label, "unit": ind.unit, "time_period": year, "value": value,
            "rank": rank, "of": len(las), "england": year_rows["value"].get(ENGLAND, np.nan),
            "region": year_rows["value"].get(b.region, np.nan),
            "comparator_median": float(m.iloc[0]) if len(m) else np.nan, "position": position,
            "source": own.loc[own["time_period"] == year, "source"].iloc[0]}


def fmt(value: float, unit: str) -> str:
    """A figure as the report prints it: counts with thousands separators, percentages to 1 dp."""
    if pd.isna(value):
        return "not published"
    return f"{value:,.1f}%" if unit == "%" else f"{value:,.0f}"


def key_points(b: Benchmark, ranks: pd.DataFrame | None = None) -> list[str]:
    """The key points in plain words: where the LA is an outlier among all LAs, then how its
    plans have grown against England and its comparators."""
    ranks = latest(b) if ranks is None else ranks
    la, region = b.name(b.area), b.name(b.region)
    points = []
    for r in ranks[ranks["position"] != ""].itertuples():
        ind = INDICATORS[str(r.indicator)]
        high = r.position == "highest tenth"
        meaning, side = (ind.higher, "among the highest") if high else (ind.lower, "among the lowest")
        points.append(f"{r.label}: {fmt(r.value, r.unit)} in {r.time_period}, {side} tenth of the {r.of} LAs "
                      f"(rank {r.rank}; England {fmt(r.england, r.unit)}, {region} {fmt(r.region, r.unit)}, "
                      f"comparators' median {fmt(r.comparator_median, r.unit)})"
                      + (f": {meaning}." if meaning else "."))
    if not points:
        points.append(f"{la} is not among the highest or lowest tenth of LAs on any published percentage.")
    growth = ranks[ranks["indicator"] == "plans_change_5y"]
    if len(growth):
        g = growth.iloc[0]
        points.append(f"Plans grew {fmt(g['value'], '%')} over the five years to January {g['time_period']}, "
                      f"against {fmt(g['england'], '%')} in England and {fmt(g['comparator_median'], '%')} "
                      f"for the comparators' median.")
    return points
