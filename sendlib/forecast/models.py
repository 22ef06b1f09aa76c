"""The caseload model and its results: one method fitted at one origin, guarded and with intervals.

``CaseloadModel(panel, "pooled_growth").fit(origin=2022).forecast(3)``. Fitting at an origin uses
the panel cut at that origin only. The method's own result (:class:`~sendlib.forecast.methods.MethodFit`)
keeps what it estimated, so nothing is fitted twice to recover a parameter. Intervals come from
the method's errors at earlier origins (:mod:`sendlib.forecast.intervals`; those runs are cached,
so a backtest over successive origins does each origin once), or from the model itself for ETS
and ARIMA. The plausibility guard (:mod:`sendlib.forecast.guard`) flags doubtful forecasts and
replaces implausible ones by the fallback method's, and says so in the output.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sendlib.errors import SendlibInputError
from sendlib.forecast import guard, intervals
from sendlib.forecast.methods import BASELINES, METHODS, POOLED_FEATURES, MethodFit, fit_pooled_growth
from sendlib.forecast.panel import Panel

__all__ = ["BASELINES", "BOUNDS", "DEFAULT_METHOD", "METHODS", "POOLED_FEATURES", "Z", "CaseloadForecastResult",
           "CaseloadModel", "fit_pooled_growth"]

Z = {"lower95": -1.959964, "lower80": -1.281552, "upper80": 1.281552, "upper95": 1.959964}
BOUNDS = ["lower80", "upper80", "lower95", "upper95"]
# Chosen by the forward-chained backtest on origins before the scored ones (README, Forecasting;
# benchmarks/bench_backtest.py re-runs the choice and fails if it no longer gives this method).
DEFAULT_METHOD = "pooled_requests"
PAST_ORIGINS = 8  # earlier origins whose errors calibrate the intervals (the latest ones)


@dataclass
class CaseloadForecastResult:
    """A fitted, guarded caseload model at one origin. :meth:`forecast` gives points and intervals.

    `method_of` names the method each area's forecast comes from (the fallback for guarded areas);
    `flags` lists the guard's findings (:data:`sendlib.forecast.guard.FLAG_COLUMNS`)."""

    method: str
    origin: int
    panel: Panel
    log_point: pd.DataFrame
    log_sd: pd.DataFrame | None
    calibration: intervals.Calibration | None
    method_of: pd.Series
    flags: pd.DataFrame
    fallback: CaseloadForecastResult | None = field(default=None, repr=False)

    def _scale(self, area: str, h: int, size: float) -> float:
        """The log error scale of one area's forecast h years ahead."""
        if self.method_of.get(area, self.method) != self.method and self.fallback is not None:
            return self.fallback._scale(area, h, size)
        if self.log_sd is not None:
            return float(self.log_sd.at[area, h])
        if self.calibration is None:  # an early origin in a backtest: no intervals
            return float("nan")
        return float(self.calibration.scale(h, size))

    def _quantiles(self, area: str) -> dict[str, float]:
        if self.method_of.get(area, self.method) != self.method and self.fallback is not None:
            return self.fallback._quantiles(area)
        return Z if self.calibration is None else self.calibration.quantiles

    def forecast(self, horizon: int | None = None, areas=None) -> pd.DataFrame:
        """Return one row per area and year: area_code, year, horizon, point, lower80, upper80,
        lower95, upper95 (caseload), method, origin, flag. Areas without a forecast are left out."""
        ahead = self.log_point.shape[1] if horizon is None else int(horizon)
        if ahead > self.log_point.shape[1]:
            raise SendlibInputError(f"the model was fitted for {self.log_point.shape[1]} years ahead, not {ahead}")
        wanted = self.log_point.index if areas is None else pd.Index(list(areas))
        size = self.panel.caseload[self.origin]
        rows = []
        for area in wanted:
            for h in range(1, ahead + 1):
                lp = float(self.log_point.at[area, h])
                if np.isfinite(lp):
                    rows.append(self._row(area, h, lp, self._scale(area, h, float(size[area]))))
        return self._frame(rows)

    def forecast_from(self, area: str, start_year: int, start_value: float, horizon: int) -> pd.DataFrame:
        """Return the area's forecast for `horizon` years after `start_year`, starting from a count
        known at `start_year` (a census later than the origin): the growth the model expects from
        `start_year` on, applied to `start_value`. The uncertainty left is that of the growth
        between `start_year` and each target: sqrt(max(S(g + k)^2 - S(g)^2, S(k)^2)) for the
        scale S of the horizon, with g = start_year - origin."""
        gap = int(start_year) - self.origin
        if gap < 0 or gap + horizon > self.log_point.shape[1]:
            raise SendlibInputError(f"cannot start from {start_year}: the model runs {self.log_point.shape[1]} "
                                    f"years from {self.origin}")
        base = float(self.log_point.at[area, gap]) if gap else float(np.log(self.panel.caseload.at[area, self.origin]))
        rows = []
        for k in range(1, horizon + 1):
            lp = np.log(start_value) + float(self.log_point.at[area, gap + k]) - base
            s_far = self._scale(area, gap + k, start_value)
            s_gap = self._scale(area, gap, start_value) if gap else 0.0
            scale = np.sqrt(max(s_far ** 2 - s_gap ** 2, self._scale(area, k, start_value) ** 2))
            rows.append(self._row(area, k, lp, scale, year=int(start_year) + k))
        return self._frame(rows)

    def _row(self, area: str, h: int, lp: float, scale: float, year: int | None = None) -> dict:
        q = self._quantiles(area)
        return {"area_code": area, "year": self.origin + h if year is None else year, "horizon": h,
                "point": float(np.exp(lp)), **{b: float(np.exp(lp + q[b] * scale)) for b in BOUNDS},
                "method": self.method_of.get(area, self.method)}

    def _frame(self, rows: list[dict]) -> pd.DataFrame:
        cols = ["area_code", "year", "horizon", "point", *BOUNDS, "method", "origin", "flag"]
        if not rows:
            return pd.DataFrame(columns=cols)
        out = pd.DataFrame(rows)
        out["origin"] = self.origin
        flag_text = self.flags.groupby("area_code")["flag"].agg("; ".join).to_dict() if len(self.flags) else {}
        out["flag"] = [flag_text.get(a, "") for a in out["area_code"]]
        return out.sort_values(["area_code", "year"]).reset_index(drop=True)[cols]


class CaseloadModel:
    """Forecast model of the total caseload of every area in a panel, with one method.

    `guard=False` turns the plausibility guard off (for backtests of a method as it is); `half_life`
    weighs the past errors that calibrate the intervals (:func:`sendlib.forecast.intervals.calibrate`)."""

    def __init__(self, panel: Panel, method: str = DEFAULT_METHOD, *, max_horizon: int = 5, guard: bool = True,
                 half_life: float | None = intervals.HALF_LIFE):
        if method not in METHODS:
            raise SendlibInputError(f"unknown forecast method {method!r}", hint=f"choose from {', '.join(METHODS)}")
        self.panel, self.method, self.max_horizon, self.guard = panel, method, max(int(max_horizon), 1), guard
        self.half_life = half_life
        self._runs: dict[int, MethodFit] = {}
        self._fallback: CaseloadModel | None = None

    def share_runs(self, other: CaseloadModel, before: int) -> None:
        """Reuse `other`'s method runs at origins before `before` (for a panel that differs from
        `other`'s only in figures published at `before` or later: a sensitivity analysis)."""
        if other.method != self.method or other.max_horizon != self.max_horizon:
            raise ValueError("runs can only be shared between models of the same method and horizon")
        self._runs.update({o: r for o, r in other._runs.items() if o < before})

    def run(self, origin: int) -> MethodFit:
        """The method's raw result at `origin` (cached)."""
        if origin not in self._runs:
            self._runs[origin] = METHODS[self.method](self.panel.upto(origin), self.max_horizon)
        return self._runs[origin]

    def past_errors(self, origin: int) -> pd.DataFrame:
        """Return the method's out-of-sample log errors of LAs for targets up to `origin` (columns
        origin, h, area_code, error, size), from the latest PAST_ORIGINS origins with an actual;
        LAs whose inputs the method had to bound at that origin are left out."""
        p = self.panel.upto(origin)
        logs = pd.DataFrame(p.log_caseload(), index=p.caseload.index, columns=p.years)
        las = p.la_codes()
        frames = []
        for h in range(1, min(self.max_horizon, intervals.MEASURED_HORIZONS) + 1):
            for o in [o for o in range(origin - h, min(p.years) + 2, -1)][:PAST_ORIGINS]:
                try:
                    run = self.run(o)
                except SendlibInputError:
                    break  # earlier origins have even less history
                err = (logs.loc[las, o + h] - run.log_point.loc[las, h]).to_numpy()
                size = p.caseload.loc[las, o].to_numpy(dtype=float)
                # a forecast made from inputs out of line says nothing about the method's accuracy
                ok = np.isfinite(err) & np.isfinite(size) & ~np.isin(las, list(run.bounded))
                frames.append(pd.DataFrame({"origin": o, "h": h, "area_code": np.asarray(las)[ok],
                                            "error": err[ok], "size": size[ok]}))
        if not frames:
            return pd.DataFrame(columns=["origin", "h", "area_code", "error", "size"])
        return pd.concat(frames, ignore_index=True)

    def calibrate(self, origin: int) -> intervals.Calibration:
        """The interval calibration at `origin` (an error when the origin is too early)."""
        logs = self.panel.upto(origin).log_caseload()
        england = logs[int(np.flatnonzero(self.panel.caseload.index == self.panel.national_code)[0])]
        shift = float((england[-1] - england[-2]) - (england[-2] - england[-3])) if len(england) >= 3 else 0.0
        try:
            return intervals.calibrate(self.past_errors(origin), self.max_horizon, growth_shift=shift,
                                       half_life=self.half_life)
        except ValueError as exc:
            raise SendlibInputError(f"origin {origin}: {exc}", hint="choose a later --origin") from exc

    def fit(self, origin: int | None = None, *, strict: bool = True) -> CaseloadForecastResult:
        """Return the guarded result of the method at `origin` (default: the latest year).

        An origin too early to calibrate intervals is an error, unless `strict=False` (backtests
        scoring points at early origins): then the bounds are NaN."""
        origin = self.panel.last_year if origin is None else int(origin)
        if origin not in self.panel.years:
            span = f"{min(self.panel.years)}-{self.panel.last_year}"
            raise SendlibInputError(f"origin {origin} is outside the data ({span})",
                                    hint="choose an --origin within the published years")
        run = self.run(origin)
        calibration = None
        if run.log_sd is None:
            try:
                calibration = self.calibrate(origin)
            except SendlibInputError:
                if strict:
                    raise
        method_of = pd.Series(self.method, index=run.log_point.index)
        if not self.guard:
            return CaseloadForecastResult(self.method, origin, self.panel, run.log_point, run.log_sd, calibration,
                                          method_of, pd.DataFrame(columns=guard.FLAG_COLUMNS))
        return self._guarded(origin, run, calibration, method_of, strict)

    def _guarded(self, origin, run: MethodFit, calibration, method_of: pd.Series,
                 strict: bool) -> CaseloadForecastResult:
        panel = self.panel.upto(origin)
        flags = guard.assess(run.log_point, panel, run.failed, run.bounded, run.doubtful)
        falls = sorted(set(flags.loc[flags["action"] == "fallback", "area_code"]))
        log_point, fallback = run.log_point.copy(), None
        if falls and self.method != guard.FALLBACK_METHOD:
            if self._fallback is None:
                self._fallback = CaseloadModel(self.panel, guard.FALLBACK_METHOD, max_horizon=self.max_horizon,
                                               guard=False, half_life=self.half_life)
            fallback = self._fallback.fit(origin, strict=strict)
            log_point.loc[falls] = fallback.log_point.loc[falls].to_numpy()
            method_of.loc[falls] = guard.FALLBACK_METHOD
            flags.loc[flags["action"] == "fallback", "action"] = f"replaced by {guard.FALLBACK_METHOD}"
        return CaseloadForecastResult(self.method, origin, self.panel, log_point, run.log_sd, calibration, method_of,
                                      flags, fallback)
