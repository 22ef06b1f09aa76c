"""Prediction intervals calibrated on out-of-sample errors made before the origin.

For a forecast made at origin O, the errors used are those of the same method at earlier origins
O' whose target year O' + h is at most O: nothing after the origin is looked at. Errors are on the
log scale (log actual - log point), pooled across LAs, and standardised by a scale that shrinks
with the size of the LA (small LAs are noisier): s^2 = a + b / caseload. The interval bounds are
the empirical quantiles of the standardised errors times the LA's scale, so a bias seen in past
errors shifts the interval too.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

LEVELS = {"lower95": 0.025, "lower80": 0.10, "upper80": 0.90, "upper95": 0.975}
MIN_ERRORS = 60  # fewer errors than this at a horizon: borrow the shape of a shorter horizon


@dataclass
class HorizonCalibration:
    """Scale model and standardised-error quantiles for one horizon."""

    a: float
    b: float
    quantiles: dict[str, float]
    n: int
    stretch: float = 1.0  # > 1 when borrowed from a shorter horizon

    def scale(self, size: np.ndarray) -> np.ndarray:
        """Return the error scale (log scale) for LAs of caseload `size`."""
        size = np.maximum(np.asarray(size, dtype=float), 1.0)
        return self.stretch * np.sqrt(self.a + self.b / size)


def fit_horizon(errors: np.ndarray, size: np.ndarray) -> HorizonCalibration:
    """Return the calibration of one horizon from log errors and the LAs' caseload at the origin."""
    errors = np.asarray(errors, dtype=float)
    size = np.maximum(np.asarray(size, dtype=float), 1.0)
    centred = errors - np.median(errors)
    design = np.column_stack([np.ones_like(size), 1.0 / size])
    coef, *_ = np.linalg.lstsq(design, centred ** 2, rcond=None)
    a, b = float(coef[0]), float(coef[1])
    floor = 0.05 * float(np.mean(centred ** 2)) + 1e-8
    if b < 0 or a < floor:  # keep the variance positive and increasing for small LAs
        b = max(b, 0.0)
        a = max(float(np.mean(centred ** 2)) - b * float(np.mean(1.0 / size)), floor)
    z = errors / np.sqrt(a + b / size)
    quantiles = {name: float(np.quantile(z, q)) for name, q in LEVELS.items()}
    return HorizonCalibration(a, b, quantiles, int(errors.size))


STRETCH = "persistence"
# How horizons beyond one year are calibrated:
# "persistence": the 1-year calibration, its scale stretched as one-year growth shocks accumulate
#     when they persist at rate rho (pooled estimate at the origin): see :func:`persistence_stretch`;
# "empirical": each horizon's own past errors (too few, and from another regime, for early origins);
# "linear": scale x h; "ratio": scale x (past mean absolute h-year error / 1-year error).


def persistence_stretch(h: int, rho: float) -> float:
    """Return sd of the h-year log error over the 1-year one when yearly growth shocks persist at
    rate `rho` (AR(1) growth deviations): sqrt(sum_k (sum_{m<=h-k} rho^m)^2)."""
    rho = float(np.clip(rho, 0.0, 1.0))
    return float(np.sqrt(sum(sum(rho ** m for m in range(h - k + 1)) ** 2 for k in range(1, h + 1))))


def calibrate(errors: pd.DataFrame, horizon: int, mode: str | None = None,
              persistence: float = 0.5) -> dict[int, HorizonCalibration]:
    """Return a calibration per horizon 1..`horizon` from past errors (columns h, error, size).

    A horizon with too few past errors borrows the standardised quantiles of the longest horizon
    that has enough, with its scale stretched in proportion to the horizon (trend errors grow
    about linearly with the horizon)."""
    mode = mode or STRETCH
    out: dict[int, HorizonCalibration] = {}
    for h in range(1, horizon + 1):
        if mode in ("linear", "ratio", "persistence") and h > 1:
            break
        e = errors[errors["h"] == h]
        if len(e) >= MIN_ERRORS:
            out[h] = fit_horizon(e["error"].to_numpy(), e["size"].to_numpy())
    if not out:
        raise ValueError("no past out-of-sample errors to calibrate intervals: the origin is too early")
    if mode == "ratio" and 1 in out:
        # the growth of the error with the horizon, measured as a ratio of mean absolute errors in
        # the past (less tied to one regime than the errors' levels), applied to the 1-year shape
        mae1 = errors.loc[errors["h"] == 1, "error"].abs().mean()
        for h in range(2, horizon + 1):
            e = errors.loc[errors["h"] == h, "error"]
            if len(e) >= MIN_ERRORS:
                base = out[1]
                out[h] = HorizonCalibration(base.a, base.b, base.quantiles, len(e),
                                            stretch=float(max(e.abs().mean() / mae1, 1.0)))
    if mode == "persistence" and 1 in out:
        base = out[1]
        for h in range(2, horizon + 1):
            out[h] = HorizonCalibration(base.a, base.b, base.quantiles, 0,
                                        stretch=persistence_stretch(h, persistence))
    for h in range(1, horizon + 1):
        if h not in out:
            base_h = max(k for k in out if k < h) if any(k < h for k in out) else min(out)
            base = out[base_h]
            out[h] = HorizonCalibration(base.a, base.b, base.quantiles, 0, stretch=h / base_h * base.stretch)
    return out


def bounds(log_point: np.ndarray, size: np.ndarray, cal: HorizonCalibration) -> dict[str, np.ndarray]:
    """Return the interval bounds (caseload scale) around `log_point` for LAs of caseload `size`."""
    s = cal.scale(size)
    return {name: np.exp(log_point + q * s) for name, q in cal.quantiles.items()}
