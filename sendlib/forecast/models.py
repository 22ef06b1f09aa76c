"""Forecast methods for the total EHCP caseload, and the model / result objects that run them.

Every method takes the :class:`~sendlib.forecast.panel.Panel` cut at the origin and returns log
point forecasts for horizons 1..H (areas x horizons). Methods:

- ``last_value``: the caseload stays where it is (baseline).
- ``own_growth_3y``: each area's own 3-year compound growth continues (the spreadsheet baseline).
- ``national_growth``: each area grows as England did in the last year.
- ``pooled_growth``: a pooled panel model of growth (WLS across all LAs, weights = caseload so a
  small LA's noisy history counts for less). An LA's growth next year = England's growth plus the
  LA's deviation from it, predicted from its last deviation and its new-plan rate (new plans in the
  calendar year before the origin over the caseload a year before the origin, relative to
  England's; those new plans are published with the origin census). The LA's deviation then decays at the pooled persistence
  rate. England's growth is carried forward damped (factor ``phi`` a year; ``phi = 1`` undamped).
- ``pooled_requests_damped90`` (default): the same model with one more regressor, the LA's request
  rate (initial requests for an EHC needs assessment in the calendar year before the origin over
  the caseload a year before the origin, relative to England's; published with the origin census
  like new plans). Requests lead new plans by a few months, so they say who will join the caseload
  in the coming year. Requests are published from calendar year 2016: the regressor is used only
  when at least :data:`MIN_FEATURE_ROWS` LA-years before the origin have it (from origin 2018;
  at origin 2017 the method is ``pooled_growth_damped90``).
  Chosen by looking at the backtest, so its reported accuracy is slightly optimistic: the damping
  ``phi = 0.9`` (carried over from ``pooled_growth_damped90``) and the choice of the request rate
  among a handful of regressors tried on the same origins (requests' growth, the age-band mix of
  the caseload (16-19, 20-25, 11-15, under 5), the region's growth, a second lag of the
  deviation, new plans' growth: none but the request rate helped). The 3-year fitting window and
  the threshold of 100 LA-years were not tuned (windows 2-4 give the same accuracy).
- ``ets_damped``: statsmodels ETS (additive damped trend) on each area's log caseload.
- ``arima``: statsmodels ARIMA(1,1,0) with drift on each area's log caseload.

Intervals: ETS and ARIMA give their own (model-based); the others are calibrated on the
method's out-of-sample errors at earlier origins (:mod:`sendlib.forecast.intervals`).
"""
from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sendlib.errors import SendlibInputError
from sendlib.forecast import intervals
from sendlib.forecast.panel import LA_LEVEL, Panel

Z = {"lower95": -1.959964, "lower80": -1.281552, "upper80": 1.281552, "upper95": 1.959964}
BOUNDS = ["lower80", "upper80", "lower95", "upper95"]


# ---------------------------------------------------------------------------------------------
# point methods: (panel cut at origin, horizon) -> (log point, log sd or None), areas x horizons

def _frame(panel: Panel, values: np.ndarray, horizon: int) -> pd.DataFrame:
    return pd.DataFrame(values, index=panel.caseload.index, columns=range(1, horizon + 1))


def last_value(panel: Panel, horizon: int):
    """Return log point forecasts: the last published caseload, flat."""
    l = panel.log_caseload()
    return _frame(panel, np.repeat(l[:, [-1]], horizon, axis=1), horizon), None


def own_growth(k: int = 3):
    """Return a method: each area's own k-year compound growth continues."""
    def method(panel: Panel, horizon: int):
        l = panel.log_caseload()
        g = (l[:, -1] - l[:, -1 - k]) / k if l.shape[1] > k else np.full(len(l), np.nan)
        steps = np.arange(1, horizon + 1)
        return _frame(panel, l[:, [-1]] + g[:, None] * steps, horizon), None
    method.__name__ = f"own_growth_{k}y"
    return method


def _national_row(panel: Panel) -> int:
    return int(np.flatnonzero(panel.caseload.index == panel.national_code)[0])


def national_growth(panel: Panel, horizon: int):
    """Return log point forecasts: every area grows as England did in the year to the origin."""
    l = panel.log_caseload()
    ln = l[_national_row(panel)]
    g = ln[-1] - ln[-2]
    steps = np.arange(1, horizon + 1)
    return _frame(panel, l[:, [-1]] + g * steps, horizon), None


POOLED_FEATURES = ("deviation", "new_plan_rate")
MIN_FEATURE_ROWS = 100  # an optional regressor needs this many LA-years of history to be fitted


@dataclass
class PooledGrowthFit:
    """The pooled WLS regression of an LA's growth deviation from England (one origin)."""

    params: pd.Series  # const and the regressors actually used
    nobs: int
    persistence: float
    national_growth: float


def _lag(a: np.ndarray) -> np.ndarray:
    return np.column_stack([np.full(len(a), np.nan), a[:, :-1]])


def fit_pooled_growth(panel: Panel, window: int = 3,
                      features=POOLED_FEATURES) -> tuple[PooledGrowthFit, np.ndarray]:
    """Fit the pooled growth model on LAs with data up to the panel's last year.

    `features`: the regressors, always starting with "deviation" and "new_plan_rate"; optional
    "request_rate" is dropped when fewer than :data:`MIN_FEATURE_ROWS` LA-years have it.
    Returns the fit and the predicted deviation from England's growth for the first forecast year
    (one per area of the panel; 0 for England, and where an LA's features are missing)."""
    import statsmodels.api as sm

    l = panel.log_caseload()
    n_row = _national_row(panel)
    size = np.exp(l)
    growth = l - _lag(l)                                   # growth into year j
    dev = growth - growth[n_row]                           # deviation from England
    with np.errstate(divide="ignore", invalid="ignore"):
        new_rate = panel.new_plans.to_numpy(dtype=float) / _lag(size)
    # (the implied ceasing rate, new_rate - growth, would be collinear with these two)
    available = {"deviation": dev, "new_plan_rate": new_rate - new_rate[n_row]}
    if "request_rate" in features and panel.requests is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            req_rate = panel.requests.to_numpy(dtype=float) / _lag(size)
        available["request_rate"] = req_rate - req_rate[n_row]
    names = [f for f in features if f in available]

    T = l.shape[1]
    is_la = (panel.areas["geographic_level"] == LA_LEVEL).to_numpy()
    years = range(max(2, T - 1 - window), T - 1)

    def design(names):
        X = np.vstack([np.column_stack([available[f][is_la, j] for f in names]) for j in years]) \
            if len(years) else np.empty((0, len(names)))
        return X, np.isfinite(X).all(axis=1) & np.isfinite(y) & np.isfinite(w)

    y = np.concatenate([dev[is_la, j + 1] for j in years]) if len(years) else np.empty(0)
    w = np.concatenate([size[is_la, j] for j in years]) if len(years) else np.empty(0)
    X, ok = design(names)
    # optional regressors published only recently: drop them while history is too short
    while len(names) > len(POOLED_FEATURES) and ok.sum() < MIN_FEATURE_ROWS:
        names = names[:-1]
        X, ok = design(names)
    if ok.sum() < 30:
        raise SendlibInputError(f"too little history before {panel.last_year} to fit the pooled growth model",
                                hint="choose a later --origin")
    exog = sm.add_constant(X[ok], has_constant="add")
    res = sm.WLS(y[ok], exog, weights=w[ok]).fit()
    params = pd.Series(res.params, index=["const", *names])
    x_now = np.column_stack([available[f][:, T - 1] for f in names])
    x_now = np.where(np.isfinite(x_now), x_now, 0.0)  # missing feature: no deviation from England
    d = sm.add_constant(x_now, has_constant="add") @ res.params
    d[n_row] = 0.0
    rho = float(np.clip(params["deviation"], 0.0, 0.95))
    g_nat = float(growth[n_row, -1])
    return PooledGrowthFit(params, int(ok.sum()), rho, g_nat), d


def pooled_growth(phi: float = 1.0, window: int = 3, features=POOLED_FEATURES):
    """Return the pooled growth method with England's growth damped by `phi` a year, regressing on
    `features` (see :func:`fit_pooled_growth`)."""
    def method(panel: Panel, horizon: int):
        fit, d = fit_pooled_growth(panel, window, features)
        l = panel.log_caseload()
        steps = np.arange(1, horizon + 1)
        national_path = fit.national_growth * np.cumsum(phi ** steps)
        deviation_path = np.cumsum(d[:, None] * fit.persistence ** (steps - 1), axis=1)
        return _frame(panel, l[:, [-1]] + national_path + deviation_path, horizon), None
    stem = "pooled_requests" if "request_rate" in features else "pooled_growth"
    method.__name__ = stem if phi == 1.0 else f"{stem}_damped{round(phi * 100)}"
    method.pooled_features = tuple(features)
    return method


def _per_area(panel: Panel, horizon: int, fit_one: Callable, min_obs: int):
    l = panel.log_caseload()
    point = np.full((len(l), horizon), np.nan)
    sd = np.full((len(l), horizon), np.nan)
    for i, row in enumerate(l):
        y = row[np.isfinite(row)]
        if len(y) < min_obs or not np.isfinite(row[-1]):
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                point[i], sd[i] = fit_one(y, horizon)
            except (ValueError, np.linalg.LinAlgError):
                continue
    return _frame(panel, point, horizon), _frame(panel, sd, horizon)


def ets_damped(panel: Panel, horizon: int):
    """Return log point forecasts and sds of statsmodels ETS(A,Ad,N) fitted to each area's logs."""
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
        return mean, (pred["pi_upper"].to_numpy() - mean) / Z["upper95"]

    return _per_area(panel, horizon, fit_one, min_obs=6)


def arima(panel: Panel, horizon: int):
    """Return log point forecasts and sds of statsmodels ARIMA(1,1,0) with drift on each area's logs."""
    from statsmodels.tsa.arima.model import ARIMA

    def fit_one(y, h):
        res = ARIMA(y, order=(1, 1, 0), trend="t").fit()
        fc = res.get_forecast(h)
        return np.asarray(fc.predicted_mean), np.asarray(fc.se_mean)

    return _per_area(panel, horizon, fit_one, min_obs=6)


METHODS: dict[str, Callable] = {
    "last_value": last_value,
    "own_growth_3y": own_growth(3),
    "national_growth": national_growth,
    "pooled_growth": pooled_growth(1.0),
    "pooled_growth_damped90": pooled_growth(0.9),
    "pooled_requests_damped90": pooled_growth(0.9, features=(*POOLED_FEATURES, "request_rate")),
    "ets_damped": ets_damped,
    "arima": arima,
}
BASELINES = ("last_value", "own_growth_3y")
DEFAULT_METHOD = "pooled_requests_damped90"  # chosen by the rolling-origin backtest (README, Forecasting)


# ---------------------------------------------------------------------------------------------
# model and result objects

@dataclass
class CaseloadForecastResult:
    """A fitted caseload model at one origin. :meth:`forecast` gives points and intervals."""

    method: str
    origin: int
    panel: Panel
    log_point: pd.DataFrame
    log_sd: pd.DataFrame | None
    calibration: dict | None = field(default=None, repr=False)

    def forecast(self, horizon: int | None = None, areas=None) -> pd.DataFrame:
        """Return one row per area and year: area_code, year, horizon, point, lower80, upper80,
        lower95, upper95 (caseload), method, origin. Areas without a forecast are left out."""
        H = self.log_point.shape[1] if horizon is None else int(horizon)
        if H > self.log_point.shape[1]:
            raise SendlibInputError(f"the model was fitted for {self.log_point.shape[1]} years ahead, not {H}")
        lp = self.log_point if areas is None else self.log_point.loc[list(areas)]
        size = self.panel.caseload.loc[lp.index, self.origin].to_numpy(dtype=float)
        frames = []
        for h in range(1, H + 1):
            point = lp[h].to_numpy()
            if self.log_sd is not None:
                sd = self.log_sd.loc[lp.index, h].to_numpy()
                b = {k: np.exp(point + z * sd) for k, z in Z.items()}
            else:
                b = intervals.bounds(point, size, self.calibration[h])
            frames.append(pd.DataFrame({
                "area_code": lp.index, "year": self.origin + h, "horizon": h, "point": np.exp(point),
                **{k: b[k] for k in BOUNDS}}))
        out = pd.concat(frames, ignore_index=True)
        out = out[np.isfinite(out["point"])]
        out["method"] = self.method
        out["origin"] = self.origin
        return out.sort_values(["area_code", "year"]).reset_index(drop=True)


class CaseloadModel:
    """Forecast model of the total caseload of every area in a panel, one method.

    ``CaseloadModel(panel, "pooled_growth_damped90").fit(origin=2022).forecast(3)``. Fitting at an
    origin uses the panel cut at that origin only; for empirically calibrated intervals the
    method is also run at earlier origins (each on its own cut), and those runs are cached so a
    backtest over successive origins does each origin once.
    """

    def __init__(self, panel: Panel, method: str = DEFAULT_METHOD, *, max_horizon: int = 5,
                 calibration_origins: int = 5):
        if method not in METHODS:
            raise SendlibInputError(f"unknown forecast method {method!r}", hint=f"choose from {', '.join(METHODS)}")
        self.panel, self.method, self.max_horizon = panel, method, max_horizon
        self.calibration_origins = calibration_origins
        self._points: dict[int, tuple[pd.DataFrame, pd.DataFrame | None]] = {}

    def _run(self, origin: int):
        if origin not in self._points:
            self._points[origin] = METHODS[self.method](self.panel.upto(origin), self.max_horizon)
        return self._points[origin]

    def past_errors(self, origin: int) -> pd.DataFrame:
        """Return the method's out-of-sample log errors of LAs for targets up to `origin`
        (columns origin, h, area_code, error, size), from the latest `calibration_origins` origins
        that have an actual for each horizon."""
        p = self.panel.upto(origin)
        l = pd.DataFrame(p.log_caseload(), index=p.caseload.index, columns=p.years)
        las = p.la_codes()
        first = min(p.years)
        frames = []
        for h in range(1, self.max_horizon + 1):
            origins = [o for o in range(origin - h, first + 3, -1)][: self.calibration_origins]
            for o in origins:
                try:
                    point, _ = self._run(o)
                except SendlibInputError:
                    continue
                err = (l.loc[las, o + h] - point.loc[las, h]).to_numpy()
                size = p.caseload.loc[las, o].to_numpy(dtype=float)
                ok = np.isfinite(err) & np.isfinite(size)
                frames.append(pd.DataFrame({"origin": o, "h": h, "area_code": np.asarray(las)[ok],
                                            "error": err[ok], "size": size[ok]}))
        if not frames:
            return pd.DataFrame(columns=["origin", "h", "area_code", "error", "size"])
        return pd.concat(frames, ignore_index=True)

    def fit(self, origin: int | None = None) -> CaseloadForecastResult:
        """Return the result of the method at `origin` (default: the latest year in the panel)."""
        origin = self.panel.last_year if origin is None else int(origin)
        if origin not in self.panel.years:
            raise SendlibInputError(f"origin {origin} is outside the data ({min(self.panel.years)}-{self.panel.last_year})",
                                    hint="choose an --origin within the published years")
        point, sd = self._run(origin)
        calibration = None
        if sd is None:
            try:
                features = getattr(METHODS[self.method], "pooled_features", POOLED_FEATURES)
                rho = fit_pooled_growth(self.panel.upto(origin), features=features)[0].persistence
            except SendlibInputError:
                rho = 0.5
            try:
                calibration = intervals.calibrate(self.past_errors(origin), self.max_horizon, persistence=rho)
            except ValueError as exc:
                raise SendlibInputError(f"origin {origin}: {exc}", hint="choose a later --origin") from exc
        return CaseloadForecastResult(self.method, origin, self.panel, point, sd, calibration)
