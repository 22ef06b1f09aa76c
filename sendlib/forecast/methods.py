"""Forecast methods for the total EHCP caseload.

Every method takes the :class:`~sendlib.forecast.panel.Panel` cut at the origin and the number of
years ahead, and returns a :class:`MethodFit`: log point forecasts (areas x horizons 1..H), model
standard deviations where the method has its own, what it estimated (`params`), and, per area,
the inputs it had to bound (`bounded`; `doubtful` when one at the origin itself was: the
forecast would extrapolate) and the areas it could not forecast (`failed`, with why).
A method that cannot be fitted at all raises :class:`~sendlib.errors.SendlibInputError`.

- ``last_value``: the caseload stays where it is (baseline).
- ``own_growth_3y``: each area's own 3-year compound growth continues (the spreadsheet baseline).
- ``national_growth``: each area grows as England did in the last year.
- ``pooled_growth``: a pooled panel model of growth. An LA's growth next year = England's growth
  plus the LA's deviation from it, predicted by a robust weighted regression across LAs
  (:mod:`sendlib.forecast.robust`: RLM, capped weights, bounded regressors) from its last
  deviation and its new-plan rate (new plans in the calendar year before the origin over the
  caseload a year before, relative to England's; published with the origin census). The
  deviation then decays at the pooled persistence rate. England's growth is carried forward,
  damped by ``phi`` a year in the ``_damped90`` variants.
- ``pooled_requests``: the same with the LA's request rate as a further regressor (requests for
  an EHC needs assessment, published from calendar year 2016; used once at least
  :data:`MIN_FEATURE_ROWS` LA-years have it).
- ``ets_damped``: statsmodels ETS (additive damped trend) on each area's log caseload.
- ``arima``: statsmodels ARIMA(1,1,0) with drift on each area's log caseload.

Which of these is the default, and with which settings, is decided by the forward-chained
backtest (:mod:`sendlib.forecast.backtest`), never by the origins it is scored on.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sendlib.errors import SendlibInputError
from sendlib.forecast import robust
from sendlib.forecast.panel import LA_LEVEL, Panel

POOLED_FEATURES = ("deviation", "new_plan_rate")
MIN_FEATURE_ROWS = 100  # an optional regressor needs this many LA-years of history to be fitted
MIN_FIT_ROWS = 30
FEATURE_LABELS = {"deviation": "growth", "new_plan_rate": "new-plan rate", "request_rate": "request rate"}


@dataclass
class MethodFit:
    """What one method produced at one origin (see the module docstring)."""

    log_point: pd.DataFrame
    log_sd: pd.DataFrame | None = None
    params: dict[str, float] = field(default_factory=dict)
    bounded: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    doubtful: dict[str, str] = field(default_factory=dict)  # a regressor at the origin out of line


def _frame(panel: Panel, values: np.ndarray, horizon: int) -> pd.DataFrame:
    return pd.DataFrame(values, index=panel.caseload.index, columns=range(1, horizon + 1))


def _national_row(panel: Panel) -> int:
    return int(np.flatnonzero(panel.caseload.index == panel.national_code)[0])


def last_value(panel: Panel, horizon: int) -> MethodFit:
    """Log point forecasts: the last published caseload, flat."""
    logs = panel.log_caseload()
    return MethodFit(_frame(panel, np.repeat(logs[:, [-1]], horizon, axis=1), horizon))


def own_growth(k: int = 3):
    """Return a method: each area's own k-year compound growth continues."""
    def method(panel: Panel, horizon: int) -> MethodFit:
        logs = panel.log_caseload()
        g = (logs[:, -1] - logs[:, -1 - k]) / k if logs.shape[1] > k else np.full(len(logs), np.nan)
        steps = np.arange(1, horizon + 1)
        return MethodFit(_frame(panel, logs[:, [-1]] + g[:, None] * steps, horizon))
    method.__name__ = f"own_growth_{k}y"
    return method


def national_growth(panel: Panel, horizon: int) -> MethodFit:
    """Log point forecasts: every area grows as England did in the year to the origin."""
    logs = panel.log_caseload()
    england = logs[_national_row(panel)]
    g = float(england[-1] - england[-2])
    steps = np.arange(1, horizon + 1)
    return MethodFit(_frame(panel, logs[:, [-1]] + g * steps, horizon), params={"national_growth": g})


# ---------------------------------------------------------------------------------------------
# the pooled growth model

def _lag(a: np.ndarray) -> np.ndarray:
    return np.column_stack([np.full(len(a), np.nan), a[:, :-1]])


def pooled_inputs(panel: Panel, features) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Return ({regressor: areas x years, as a deviation from England's}, log growth, caseload)."""
    logs = panel.log_caseload()
    n_row = _national_row(panel)
    size = np.exp(logs)
    growth = logs - _lag(logs)  # growth into year j
    with np.errstate(divide="ignore", invalid="ignore"):
        new_rate = panel.new_plans.to_numpy(dtype=float) / _lag(size)
    # (the implied ceasing rate, new_rate - growth, would be collinear with these two)
    available = {"deviation": growth - growth[n_row], "new_plan_rate": new_rate - new_rate[n_row]}
    if "request_rate" in features and panel.requests is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            req_rate = panel.requests.to_numpy(dtype=float) / _lag(size)
        available["request_rate"] = req_rate - req_rate[n_row]
    return {f: available[f] for f in features if f in available}, growth, size


def _bounded_inputs(panel: Panel, inputs: dict[str, np.ndarray], first: int) -> tuple[dict, dict[str, str], dict]:
    """Bound each regressor across LAs, year by year; name the LAs with a bounded value in the
    years the fit and the forecast use (from column `first`). Also returns the clipped cells."""
    is_la = (panel.areas["geographic_level"] == LA_LEVEL).to_numpy()
    out: dict[str, np.ndarray] = {}
    notes: dict[str, str] = {}
    cells: dict[str, np.ndarray] = {}
    for name, values in inputs.items():
        out[name], clipped = robust.bound_columns(values, is_la)
        cells[name] = clipped.copy()
        clipped[:, :first] = False
        for area, row in zip(panel.caseload.index, clipped):
            if row.any():
                years = ", ".join(str(panel.years[j]) for j in np.flatnonzero(row))
                notes[str(area)] = "; ".join(filter(None, [notes.get(str(area)),
                                                           f"{FEATURE_LABELS[name]} out of line in {years}"]))
    return out, notes, cells


def _design(inputs: dict[str, np.ndarray], clipped: dict[str, np.ndarray], names: list[str], size: np.ndarray,
            is_la: np.ndarray, years):
    """Rows of the regression: each LA-year's next deviation on this year's regressors. Rows with
    a bounded value (regressor or outcome) are left out: they are out of line, and as leverage
    points they would move every other LA's forecast."""
    dev = inputs["deviation"]
    X = np.vstack([np.column_stack([inputs[f][is_la, j] for f in names]) for j in years])
    y = np.concatenate([dev[is_la, j + 1] for j in years])
    w = np.concatenate([size[is_la, j] for j in years])
    out_of_line = np.concatenate([np.column_stack([clipped[f][is_la, j] for f in names]).any(axis=1)
                                  | clipped["deviation"][is_la, j + 1] for j in years])
    ok = np.isfinite(X).all(axis=1) & np.isfinite(y) & np.isfinite(w) & ~out_of_line
    return y[ok], X[ok], w[ok]


def fit_pooled_growth(panel: Panel, window: int = 3, features=POOLED_FEATURES) -> tuple[MethodFit, np.ndarray]:
    """Fit the pooled growth model on LAs with data up to the panel's last year.

    Returns a MethodFit without points (params: the coefficients, `persistence`, `national_growth`,
    `nobs`; bounded: LAs whose inputs were bounded) and the predicted deviation from England's
    growth for the first forecast year (0 for England, and for an LA whose regressors are missing).
    Optional regressors are dropped while fewer than MIN_FEATURE_ROWS LA-years have them."""
    inputs, growth, size = pooled_inputs(panel, features)
    T = size.shape[1]
    first = max(2, T - 1 - window)
    inputs, bounded, clipped = _bounded_inputs(panel, inputs, first)
    is_la = (panel.areas["geographic_level"] == LA_LEVEL).to_numpy()
    names = [f for f in features if f in inputs]
    years = range(first, T - 1)
    if not len(years):
        raise SendlibInputError(f"too little history before {panel.last_year} to fit the pooled growth model",
                                hint="choose a later --origin")
    y, X, w = _design(inputs, clipped, names, size, is_la, years)
    while len(names) > len(POOLED_FEATURES) and len(y) < MIN_FEATURE_ROWS:
        names = names[:-1]
        y, X, w = _design(inputs, clipped, names, size, is_la, years)
    if len(y) < MIN_FIT_ROWS:
        raise SendlibInputError(f"too little history before {panel.last_year} to fit the pooled growth model",
                                hint="choose a later --origin")
    coef = robust.robust_wls(y, np.column_stack([np.ones(len(y)), X]), w)
    doubtful = {str(a): f"{', '.join(FEATURE_LABELS[f] for f in names if clipped[f][i, T - 1])} out of line "
                f"at {panel.last_year}" for i, a in enumerate(panel.caseload.index)
                if any(clipped[f][i, T - 1] for f in names)}
    x_now = np.column_stack([inputs[f][:, T - 1] for f in names])
    x_now = np.where(np.isfinite(x_now), x_now, 0.0)  # missing regressor: no deviation from England
    d = np.column_stack([np.ones(len(x_now)), x_now]) @ coef
    d[_national_row(panel)] = 0.0
    params = dict(zip(["const", *names], map(float, coef)))
    params.update(persistence=float(np.clip(params["deviation"], 0.0, 0.95)),
                  national_growth=float(growth[_national_row(panel), -1]), nobs=float(len(y)))
    return MethodFit(pd.DataFrame(index=panel.caseload.index), params=params, bounded=bounded,
                     doubtful=doubtful), d


def pooled_growth(phi: float = 1.0, window: int = 3, features=POOLED_FEATURES):
    """Return the pooled growth method with England's growth damped by `phi` a year, regressing on
    `features` (see :func:`fit_pooled_growth`)."""
    def method(panel: Panel, horizon: int) -> MethodFit:
        fit, d = fit_pooled_growth(panel, window, features)
        logs = panel.log_caseload()
        steps = np.arange(1, horizon + 1)
        national_path = fit.params["national_growth"] * np.cumsum(phi ** steps)
        deviation_path = np.cumsum(d[:, None] * fit.params["persistence"] ** (steps - 1), axis=1)
        fit.log_point = _frame(panel, logs[:, [-1]] + national_path + deviation_path, horizon)
        return fit
    stem = "pooled_requests" if "request_rate" in features else "pooled_growth"
    method.__name__ = stem if phi == 1.0 else f"{stem}_damped{round(phi * 100)}"
    return method


# ---------------------------------------------------------------------------------------------
# one model per area (statsmodels)

def _per_area(panel: Panel, horizon: int, fit_one: Callable, min_obs: int) -> MethodFit:
    """Fit `fit_one(log series, horizon) -> (points, sds)` to each area with `min_obs` years;
    areas it cannot fit are recorded in `failed` (never a silent gap)."""
    logs = panel.log_caseload()
    point = np.full((len(logs), horizon), np.nan)
    sd = np.full((len(logs), horizon), np.nan)
    failed = {}
    for i, (area, row) in enumerate(zip(panel.caseload.index, logs)):
        y = row[np.isfinite(row)]
        if len(y) < min_obs or not np.isfinite(row[-1]):
            failed[str(area)] = f"fewer than {min_obs} years of data up to {panel.last_year}"
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                point[i], sd[i] = fit_one(y, horizon)
            except (ValueError, np.linalg.LinAlgError) as exc:
                failed[str(area)] = f"the model could not be fitted ({str(exc).splitlines()[0][:80]})"
    return MethodFit(_frame(panel, point, horizon), _frame(panel, sd, horizon), failed=failed)


def ets_damped(panel: Panel, horizon: int) -> MethodFit:
    """Log point forecasts and sds of statsmodels ETS(A,Ad,N) fitted to each area's logs."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    def fit_one(y, h):
        y = pd.Series(y)  # ETSModel's prediction results need an indexed series
        # 'estimated' initial states often converge to a flat, zero-smoothing fit on series this
        # short; start from the first level and the early trend instead
        init = {"initialization_method": "known", "initial_level": float(y.iloc[0]),
                "initial_trend": float(y.iloc[:4].diff().mean())}
        res = ETSModel(y, error="add", trend="add", damped_trend=True, **init).fit(disp=False, maxiter=200)
        pred = res.get_prediction(start=len(y), end=len(y) + h - 1).summary_frame(alpha=0.05)
        mean = pred["mean"].to_numpy()
        return mean, (pred["pi_upper"].to_numpy() - mean) / 1.959964

    return _per_area(panel, horizon, fit_one, min_obs=6)


def arima(panel: Panel, horizon: int) -> MethodFit:
    """Log point forecasts and sds of statsmodels ARIMA(1,1,0) with drift on each area's logs."""
    from statsmodels.tsa.arima.model import ARIMA

    def fit_one(y, h):
        res = ARIMA(y, order=(1, 1, 0), trend="t").fit()
        fc = res.get_forecast(h)
        return np.asarray(fc.predicted_mean), np.asarray(fc.se_mean)

    return _per_area(panel, horizon, fit_one, min_obs=6)


METHODS: dict[str, Callable[[Panel, int], MethodFit]] = {
    "last_value": last_value,
    "own_growth_3y": own_growth(3),
    "national_growth": national_growth,
    "pooled_growth": pooled_growth(1.0),
    "pooled_growth_damped90": pooled_growth(0.9),
    "pooled_requests": pooled_growth(1.0, features=(*POOLED_FEATURES, "request_rate")),
    "pooled_requests_damped90": pooled_growth(0.9, features=(*POOLED_FEATURES, "request_rate")),
    "ets_damped": ets_damped,
    "arima": arima,
}
BASELINES = ("last_value", "own_growth_3y", "national_growth")
