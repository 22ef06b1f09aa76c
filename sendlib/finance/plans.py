"""Plans by cost group and financial year, drawn from the forecast's own distribution.

The forecast gives, for each January census ahead, a point and 80% and 95% intervals of the total
(:data:`sendlib.forecast.OUTPUT_COLUMNS`). :func:`simulate_totals` draws paths whose every year
has exactly those quantiles (interpolated in logs between them) and whose years are correlated as
growth forecasts are: a path that runs high one year runs high the next (a random walk in the
standardised log error, so that the correlation of years h < k is sigma_h / sigma_k). Placement
groups take their forecast share of each path's total; cost groups take their configured shares
of placement groups. A financial year's plans are the average of the two January censuses it
spans (2025-26: January 2025 and January 2026).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

# the forecast's quantiles and their standard normal scores
_LEVELS = {"lower95": 0.025, "lower80": 0.10, "point": 0.5, "upper80": 0.90, "upper95": 0.975}
_Z = np.array([norm.ppf(p) for p in _LEVELS.values()])


def quantile_paths(z: np.ndarray, quantiles: np.ndarray) -> np.ndarray:
    """Values at standard scores `z` (paths x years) from each year's quantiles (years x 5, in the
    order of :data:`_LEVELS`), linear in logs between them and beyond them along the outer slopes."""
    logq = np.log(np.maximum(quantiles, 1e-9))
    out = np.empty_like(z)
    for j in range(z.shape[1]):
        q = logq[j]
        inner = np.interp(z[:, j], _Z, q)
        low = q[0] + (z[:, j] - _Z[0]) * (q[1] - q[0]) / (_Z[1] - _Z[0])
        high = q[-1] + (z[:, j] - _Z[-1]) * (q[-1] - q[-2]) / (_Z[-1] - _Z[-2])
        out[:, j] = np.where(z[:, j] < _Z[0], low, np.where(z[:, j] > _Z[-1], high, inner))
    return np.exp(out)


def correlated_scores(rng: np.random.Generator, n: int, spread: np.ndarray) -> np.ndarray:
    """Standard normal scores (n x years) correlated over years as a random walk whose variance at
    year j is `spread[j]`**2 (nondecreasing): corr(h, k) = spread[h] / spread[k] for h < k."""
    spread = np.maximum.accumulate(np.maximum(spread, 1e-9))
    steps = np.sqrt(np.diff(np.concatenate([[0.0], spread ** 2])))
    walk = np.cumsum(rng.standard_normal((n, len(spread))) * steps, axis=1)
    return walk / spread


def total_quantiles(forecasts: pd.DataFrame) -> pd.DataFrame:
    """The total forecast by census year, columns :data:`_LEVELS`."""
    total = forecasts[forecasts["breakdown_topic"] == "total"].sort_values("year")
    return total.set_index(total["year"].astype(int))[list(_LEVELS)].astype(float)


def simulate_totals(forecasts: pd.DataFrame, start: tuple[int, float], rng: np.random.Generator,
                    n: int) -> pd.DataFrame:
    """`n` paths of the total (rows path, columns census year) from the census `start` = (year,
    count), which is known, through every forecast year. Path 0 is the point forecast."""
    q = total_quantiles(forecasts)
    spread = (np.log(q["upper80"]) - np.log(q["lower80"])).to_numpy() / (2 * _Z[3])
    paths = quantile_paths(correlated_scores(rng, n, spread), q.to_numpy())
    paths[0] = q["point"].to_numpy()
    frame = pd.DataFrame(paths, columns=q.index)
    frame.insert(0, int(start[0]), float(start[1]))
    return frame


def placement_shares(forecasts: pd.DataFrame, start_year: int) -> pd.DataFrame:
    """Each placement group's share of the total by census year (rows group, columns year), from
    the reconciled breakdown's points; the start year takes the first forecast year's shares."""
    rows = forecasts[forecasts["breakdown_topic"] == "placement"]
    points = rows.pivot_table(index="breakdown", columns="year", values="point", aggfunc="sum")
    shares = points / points.sum()
    shares.columns = shares.columns.astype(int)
    shares.insert(0, int(start_year), shares[int(shares.columns.min())])
    return shares


def cost_group_plans(totals: pd.DataFrame, shares: pd.DataFrame, groups: dict) -> dict[str, np.ndarray]:
    """Plans of each cost group (paths x census years): total x placement share x the group's share
    of that placement group. `groups` maps a cost group to {placement group: share}."""
    years = list(totals.columns)
    out = {}
    for name, parts in groups.items():
        weight = sum(shares.reindex(columns=years).loc[p].to_numpy() * s for p, s in parts.items() if p in shares.index)
        out[name] = totals.to_numpy() * np.asarray(weight, dtype=float)
    return out


def financial_years(censuses: np.ndarray) -> np.ndarray:
    """Plans in each financial year (paths x years - 1): the mean of the censuses either side."""
    return (censuses[:, :-1] + censuses[:, 1:]) / 2
