"""Plausibility guard: a forecast outside what the LA's and England's history support is flagged
and replaced by a simpler method's.

The supported range of yearly growth for an area is the lowest and highest yearly growth of the
area (in the years before its latest) and of England over the last :data:`HISTORY_YEARS` years,
widened by :data:`MARGIN` (log points). A forecast whose average yearly growth to any horizon
leaves that range, or that the method could not make, falls back to :data:`FALLBACK_METHOD`
(England's latest growth applied to the area). Inputs the model had to bound, and a latest
published figure itself out of line with the area's history, are flagged without a fallback: the
forecast is usable but the reader is told.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from sendlib.forecast.panel import Panel

HISTORY_YEARS = 8
MARGIN = 0.05
FALLBACK_METHOD = "national_growth"
FLAG_COLUMNS = ["area_code", "origin", "flag", "detail", "action"]


def supported_range(panel: Panel) -> pd.DataFrame:
    """Per area: `low` and `high` yearly log growth supported by the area's own growth in the
    HISTORY_YEARS before its latest year (a latest figure out of line must not widen the range it
    is judged by) and England's in the last HISTORY_YEARS, widened by MARGIN."""
    logs = pd.DataFrame(panel.log_caseload(), index=panel.caseload.index, columns=panel.years)
    growth = logs.diff(axis=1).iloc[:, 1:]
    own = growth.iloc[:, :-1].iloc[:, -HISTORY_YEARS:]
    england = growth.loc[panel.national_code].iloc[-HISTORY_YEARS:]
    low = np.fmin(own.min(axis=1), england.min()) - MARGIN
    high = np.fmax(own.max(axis=1), england.max()) + MARGIN
    return pd.DataFrame({"low": low, "high": high})


def assess(log_point: pd.DataFrame, panel: Panel, failed: dict[str, str], bounded: dict[str, str],
           doubtful: dict[str, str] | None = None) -> pd.DataFrame:
    """Return the guard's flags (columns :data:`FLAG_COLUMNS`); action 'fallback' marks the areas
    whose forecast must come from the fallback method: implausible growth, no forecast, or a
    regressor at the origin out of line (`doubtful`: the model would extrapolate)."""
    last = pd.Series(panel.log_caseload()[:, -1], index=panel.caseload.index)
    steps = np.asarray(log_point.columns, dtype=float)
    yearly = log_point.sub(last, axis=0).div(steps, axis=1)
    rng = supported_range(panel)
    outside = yearly.lt(rng["low"], axis=0) | yearly.gt(rng["high"], axis=0)
    rows = []
    for area in log_point.index[outside.any(axis=1)]:
        worst = yearly.loc[area].abs().idxmax()
        rows.append((area, "implausible growth",
                     f"{np.expm1(yearly.at[area, worst]) * 100:+.0f}% a year to year {worst} ahead; history supports "
                     f"{np.expm1(rng.at[area, 'low']) * 100:+.0f}% to {np.expm1(rng.at[area, 'high']) * 100:+.0f}%",
                     "fallback"))
    rows += [(area, "no forecast from the method", why, "fallback") for area, why in failed.items()]
    rows += [(area, "input out of line at the origin", why, "fallback") for area, why in (doubtful or {}).items()]
    rows += [(area, "input bounded", why, "flagged") for area, why in bounded.items()]
    rows += _latest_out_of_line(panel)
    flags = pd.DataFrame(rows, columns=["area_code", "flag", "detail", "action"])
    flags.insert(1, "origin", panel.last_year)
    return flags.sort_values(["area_code", "flag"], kind="stable").reset_index(drop=True)[FLAG_COLUMNS]


def _latest_out_of_line(panel: Panel) -> list[tuple]:
    """Areas whose latest yearly change lies outside the range of their (and England's) history."""
    logs = panel.log_caseload()
    if logs.shape[1] < 3:
        return []
    latest = pd.Series(logs[:, -1] - logs[:, -2], index=panel.caseload.index)
    rng = supported_range(panel)
    out = latest.lt(rng["low"]) | latest.gt(rng["high"])
    return [(area, "latest figure out of line",
             f"{np.expm1(latest[area]) * 100:+.0f}% in {panel.last_year}, against "
             f"{np.expm1(rng.at[area, 'low']) * 100:+.0f}% to {np.expm1(rng.at[area, 'high']) * 100:+.0f}% before",
             "flagged") for area in latest.index[out.fillna(False)]]
