"""Robust pieces of the pooled model: one bad figure in one LA must not move the others.

- :func:`bound_columns` clips each year's LA values of a regressor to the median +/- BOUND_MADS
  robust standard deviations of that year (bounded regressors), and says which were clipped;
- :func:`robust_wls` fits a weighted regression with statsmodels RLM (Huber's T): weights are
  capped at a high quantile, so a tenfold caseload does not buy tenfold influence, and far
  residuals are down-weighted rather than squared.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from sendlib.errors import SendlibInputError

BOUND_MADS = 5.0      # regressor values further than this many robust sds from the year's median are clipped
WEIGHT_QUANTILE = 0.9  # weights above this quantile of the design's weights are capped there


def robust_sd(values: np.ndarray) -> float:
    """1.4826 x the median absolute deviation of the finite `values` (NaN when there are none)."""
    v = values[np.isfinite(values)]
    if v.size == 0:
        return float("nan")
    return float(1.4826 * np.median(np.abs(v - np.median(v))))


def bound_columns(values: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (`values` with each column's `rows` clipped to median +/- BOUND_MADS robust sds of
    that column's `rows`, a boolean array of the clipped cells). Other rows are left alone."""
    out = values.copy()
    clipped = np.zeros(values.shape, dtype=bool)
    for j in range(values.shape[1]):
        col = values[rows, j]
        finite = col[np.isfinite(col)]
        if finite.size < 10:
            continue
        centre, spread = float(np.median(finite)), robust_sd(finite)
        if not spread > 0:
            continue
        lo, hi = centre - BOUND_MADS * spread, centre + BOUND_MADS * spread
        new = np.clip(col, lo, hi)
        clipped[rows, j] = np.isfinite(col) & (new != col)
        out[rows, j] = new
    return out, clipped


def robust_wls(y: np.ndarray, X: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Return the coefficients of a robust weighted regression of `y` on `X` (X includes the
    constant): RLM with Huber's T on rows scaled by the square root of capped weights.

    Raises :class:`SendlibInputError` when the fit fails (never a silent default)."""
    import statsmodels.api as sm

    cap = float(np.quantile(weights, WEIGHT_QUANTILE))
    root = np.sqrt(np.minimum(weights, cap))
    try:
        with np.errstate(all="ignore"):
            start = sm.RLM(y * root, X * root[:, None], M=sm.robust.norms.HuberT()).fit(maxiter=100)
            # then redescending: residuals beyond ~4.7 robust sds get no weight at all
            res = sm.RLM(y * root, X * root[:, None], M=sm.robust.norms.TukeyBiweight()).fit(
                maxiter=100, start_params=start.params)
    except (ValueError, np.linalg.LinAlgError) as exc:
        raise SendlibInputError(f"the pooled growth regression could not be fitted ({exc})") from None
    params = np.asarray(res.params, dtype=float)
    if not np.isfinite(params).all():
        raise SendlibInputError("the pooled growth regression gave no finite coefficients")
    return params


def areas_with(clipped: np.ndarray, index: pd.Index) -> list[str]:
    """The areas (rows of `clipped`) with at least one clipped cell."""
    return [str(a) for a in index[clipped.any(axis=1)]]
