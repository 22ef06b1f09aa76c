"""Prediction intervals calibrated on the method's own out-of-sample errors before the origin.

For a forecast made at origin O, the errors used are those of the same method at earlier origins
O' whose target year O' + h is at most O: nothing after the origin is looked at. Errors are on the
log scale (log actual - log point) and split in two:

- a **national** part, common to all LAs at one origin (the median error of that origin: England
  grew faster or slower than the method expected). Its one-year size is the weighted root mean
  square of the medians of the past origins, or England's latest change in growth when that is
  larger (**widen when growth shifts**); a surprise in growth persists, so the national part grows
  in proportion to the horizon;
- an **idiosyncratic** part (each LA's error less its origin's median), whose spread shrinks with
  the size of the LA (small LAs are noisier): s^2 = a + b / caseload, fitted by weighted least
  squares to the one-year errors of areas with at least :data:`MIN_FIT_SIZE` plans (the City of
  London and the Isles of Scilly, a few dozen plans each, would otherwise decide b alone, so that one
  wrong figure of theirs moved every small LA's interval; b is extrapolated to them), with weighted
  Harrell-Davis quantiles of the standardised errors.
  Longer horizons scale it by the ratio of h-year to one-year spread seen at past origins (**scale
  by horizon**); beyond the horizons that can be measured (:data:`MEASURED_HORIZONS`), the ratio
  follows the power of the horizon the measured ones show.

**Calibrate on recent errors**: each past origin's errors weigh 0.5 ** (age / half-life), age in
years before the latest past origin. The spread of LAs' errors has not been steady (it rose with the
2014 reform and has fallen since), so a window of equal weights keeps old, larger errors and gives
intervals wider than their level. The half-life (:data:`HALF_LIFE`) is chosen from
:data:`HALF_LIVES` by the forward-chained backtest on early origins only, by the weighted interval
score (:func:`sendlib.forecast.backtest.choose_half_life`); `benchmarks/bench_backtest.py` re-runs
that choice and fails if it no longer gives HALF_LIFE. The price of recency: a national shock like
2014's is forgotten within a few years, so the intervals describe a policy era like the recent one.

The interval of an LA of caseload n at horizon h is point + q x sqrt(stretch_h^2 (a + b/n) +
national_h^2), q the standardised quantiles.

**What one year's coverage can be**: the intervals hold their level on average over origins, but
not exactly at each. How widely LAs' errors spread changes from one year to the next (by about 22%,
with no sign at the origin of which way), and an interval set on last year's spread holds less in
a year whose errors spread out, more in one whose errors draw together. :func:`spread_change`
measures that change from past errors and :func:`coverage_band` turns it into the range one
origin's coverage can be expected to fall in.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

LEVELS = {"lower95": 0.025, "lower80": 0.10, "upper80": 0.90, "upper95": 0.975}
HALF_LIFE = 0.5        # years: errors this much older than the latest weigh half as much
HALF_LIVES = (None, 4.0, 2.0, 1.0, 0.5)  # the choices the backtest compares (None: equal weights)
RECENT_ORIGINS = 5     # the ratio of h-year to one-year spread is the median over this many latest origins
MEASURED_HORIZONS = 3  # horizons whose spread is measured from past errors; beyond, extrapolated
MIN_ERRORS = 60        # fewer one-year errors than this: the origin is too early to calibrate
MIN_FIT_SIZE = 50      # areas with fewer plans are left out of the scale fit, and its b extrapolated to them
TRIM_Z = 5.0           # errors beyond this many scales are left out of the scale fit and quantiles


@dataclass
class Calibration:
    """Interval calibration of one method at one origin (see the module docstring)."""

    a: float
    b: float
    quantiles: dict[str, float]
    national1: float                       # one-year national sd (log scale)
    stretch: dict[int, float] = field(default_factory=dict)
    n: int = 0
    notes: list[str] = field(default_factory=list)

    def national(self, h: int) -> float:
        """The national sd at horizon h: a surprise in England's growth persists, so it grows in
        proportion to the horizon."""
        return self.national1 * h

    def stretch_at(self, h: int) -> float:
        """The idiosyncratic h-year spread over the one-year spread; beyond the measured horizons it
        follows the power law h^p that the measured ones show (p = 1 when only one is measured)."""
        if h <= 0:
            return 0.0
        if h in self.stretch:
            return self.stretch[h]
        k = max(self.stretch)
        power = float(np.log(self.stretch[k]) / np.log(k)) if k > 1 and self.stretch[k] > 1 else 1.0
        return self.stretch[k] * (h / k) ** power

    def scale(self, h: int, size) -> np.ndarray:
        """The total error scale (log) at horizon h for LAs of caseload `size`."""
        size = np.maximum(np.asarray(size, dtype=float), 1.0)
        idio = self.stretch_at(h) ** 2 * (self.a + self.b / size)
        return np.sqrt(idio + self.national(h) ** 2)

    def bounds(self, log_point, size, h: int, scale=None) -> dict[str, np.ndarray]:
        """Interval bounds (caseload scale) around `log_point` at horizon h (or with a given scale)."""
        s = self.scale(h, size) if scale is None else scale
        return {name: np.exp(np.asarray(log_point) + q * s) for name, q in self.quantiles.items()}


def origin_weights(origins, half_life: float | None) -> np.ndarray:
    """The weight of each error by its origin: 0.5 ** (age / half_life), age in years before the
    latest origin given (all 1 when `half_life` is None)."""
    origins = np.asarray(origins, dtype=float)
    if half_life is None or origins.size == 0:
        return np.ones(origins.size)
    return 0.5 ** ((origins.max() - origins) / float(half_life))


def fit_scale(errors: np.ndarray, size: np.ndarray, weights=None) -> tuple[float, float]:
    """Return (a, b) of s^2 = a + b / size, fitted by weighted least squares to the squared errors,
    then again without the gross outliers (beyond :data:`TRIM_Z` scales of the first fit): one wild
    error must not widen every LA's interval."""
    size = np.maximum(np.asarray(size, dtype=float), 1.0)
    sq = np.asarray(errors, dtype=float) ** 2
    w = np.ones(sq.size) if weights is None else np.asarray(weights, dtype=float)
    if (size >= MIN_FIT_SIZE).sum() >= MIN_ERRORS:  # the tiniest areas would decide b alone
        size, sq, w = size[size >= MIN_FIT_SIZE], sq[size >= MIN_FIT_SIZE], w[size >= MIN_FIT_SIZE]
    a, b = _least_squares_scale(np.minimum(sq, np.quantile(sq, 0.99)), size, w)
    keep = sq <= TRIM_Z ** 2 * (a + b / size)
    return _least_squares_scale(sq[keep], size[keep], w[keep]) if keep.sum() >= MIN_ERRORS // 2 else (a, b)


def _least_squares_scale(sq: np.ndarray, size: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    root = np.sqrt(w)
    design = np.column_stack([np.ones_like(size), 1.0 / size])
    (a, b), *_ = np.linalg.lstsq(design * root[:, None], sq * root, rcond=None)
    mean = float(np.average(sq, weights=w))
    floor = 0.05 * mean + 1e-8
    if b < 0 or a < floor:  # keep the variance positive and larger for small LAs
        b = max(float(b), 0.0)
        a = max(mean - b * float(np.average(1.0 / size, weights=w)), floor)
    return float(a), float(b)


def standardised_quantiles(z: np.ndarray, weights=None) -> dict[str, float]:
    """The interval quantiles of standardised errors within TRIM_Z: weighted Harrell-Davis estimates
    (a Beta-weighted average of every order statistic, so no single error decides a quantile; with
    weights, the Beta weights are taken over the cumulative weights and the effective sample size,
    as in Akinshin's weighted Harrell-Davis estimator; equal weights give the classic estimator)."""
    from scipy.stats import beta

    z = np.asarray(z, dtype=float)
    w = np.ones(z.size) if weights is None else np.asarray(weights, dtype=float)
    keep = np.abs(z) <= TRIM_Z
    order = np.argsort(z[keep], kind="stable")
    z, w = z[keep][order], w[keep][order]
    n_eff = w.sum() ** 2 / (w ** 2).sum()
    edges = np.concatenate([[0.0], np.cumsum(w) / w.sum()])
    edges[-1] = 1.0
    out = {}
    for name, p in LEVELS.items():
        cdf = beta.cdf(edges, p * (n_eff + 1), (1 - p) * (n_eff + 1))
        out[name] = float(np.dot(np.diff(cdf), z))
    return out


def spread_change(log_errors: pd.DataFrame) -> float:
    """The typical year-on-year change (root mean square, log scale) in the spread of LAs' one-year
    errors: the spread of an origin is the robust sd of its LAs' log errors less their median.
    `log_errors` has columns origin and error (one-year errors only); NaN with fewer than three
    origins of at least 30 LAs."""
    from sendlib.forecast.robust import robust_sd

    spreads = []
    for _, at_origin in log_errors.groupby("origin", sort=True):
        e = at_origin["error"].to_numpy(dtype=float)
        e = e[np.isfinite(e)]
        if e.size >= 30 and robust_sd(e) > 0:
            spreads.append(robust_sd(e))
    changes = np.diff(np.log(spreads))
    return float(np.sqrt(np.mean(changes ** 2))) if changes.size >= 2 else float("nan")


def coverage_band(level: float, change: float, share: float = 0.9) -> tuple[float, float]:
    """The range (%) within which one origin's coverage of intervals at `level` (0.8) falls in a
    `share` of years, when that year's spread differs from the one the intervals were set on by a
    normal log change of sd `change` (:func:`spread_change`), the errors being otherwise normal."""
    from scipy.stats import norm

    z, k = norm.ppf(0.5 + level / 2), norm.ppf(0.5 + share / 2)
    low, high = (100 * (2 * norm.cdf(z * np.exp(sign * k * change)) - 1) for sign in (-1, 1))
    return float(low), float(high)


def _split(errors: pd.DataFrame) -> pd.DataFrame:
    """Errors with their origin's median (`common`) and the rest (`own`)."""
    common = errors.groupby("origin")["error"].transform("median")
    return errors.assign(common=common, own=errors["error"] - common)


def _stretch(errors: pd.DataFrame, horizon: int) -> tuple[dict[int, float], list[str]]:
    """Ratio of the idiosyncratic h-year spread to the one-year spread, median over the latest
    origins that have both (horizons 2..min(horizon, MEASURED_HORIZONS))."""
    from sendlib.forecast.robust import robust_sd

    out, notes = {1: 1.0}, []
    for h in range(2, min(horizon, MEASURED_HORIZONS) + 1):
        ratios = []
        for origin in sorted(errors.loc[errors["h"] == h, "origin"].unique())[-RECENT_ORIGINS:]:
            at_origin = errors[errors["origin"] == origin]
            long = _split(at_origin[at_origin["h"] == h])["own"]
            short = _split(at_origin[at_origin["h"] == 1])["own"]
            spread = robust_sd(short.to_numpy())
            if len(long) >= 30 and len(short) >= 30 and spread > 0:
                ratios.append(robust_sd(long.to_numpy()) / spread)
        if not ratios:
            notes.append(f"no past {h}-year errors: the spread beyond {h - 1} years is extrapolated")
            break
        out[h] = max(float(np.median(ratios)), out[h - 1])
    return out, notes


def calibrate(errors: pd.DataFrame, horizon: int, growth_shift: float = 0.0,
              half_life: float | None = HALF_LIFE) -> Calibration:
    """Return the calibration from past errors (columns origin, h, error, size: see
    :meth:`sendlib.forecast.models.CaseloadModel.past_errors`), for horizons up to `horizon`.
    `growth_shift` is England's latest change in yearly log growth; `half_life` (years, None for
    equal weights) weighs each past origin's errors by their age.

    Raises ValueError when there are too few one-year errors (the origin is too early)."""
    one = _split(errors[errors["h"] == 1])
    if len(one) < MIN_ERRORS or one["origin"].nunique() < 2:
        raise ValueError("too few past out-of-sample errors to calibrate intervals: the origin is too early")
    w = origin_weights(one["origin"], half_life)
    size = one["size"].to_numpy()
    a, b = fit_scale(one["own"].to_numpy(), size, w)
    z = one["own"].to_numpy() / np.sqrt(a + b / np.maximum(size, 1.0))
    quantiles = standardised_quantiles(z, w)
    notes = []
    if not quantiles["upper80"] > quantiles["lower80"]:  # LAs' past errors all alike: no shape to estimate
        from scipy.stats import norm

        quantiles = {name: float(norm.ppf(p)) for name, p in LEVELS.items()}
        notes.append("the LAs' past errors were all alike: normal quantiles are used")
    medians = one.groupby("origin")["error"].median()
    national1 = float(np.sqrt(np.average(medians.to_numpy() ** 2, weights=origin_weights(medians.index, half_life))))
    national1 = max(national1, abs(float(growth_shift)))
    stretch, stretch_notes = _stretch(errors, horizon)
    return Calibration(a, b, quantiles, national1, stretch, len(one), notes + stretch_notes)
