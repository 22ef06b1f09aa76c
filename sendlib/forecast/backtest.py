"""Backtests of the caseload methods over LAs, and the honest, forward-chained choice of method.

:func:`run_backtest`: at each origin every method is fitted on the data published up to that
origin (guarded, as the product runs it) and forecasts 1..3 years; every forecast whose target is
published is scored: per-LA errors and a summary per method and horizon (MAPE, median APE, MASE,
bias, coverage of the 80% and 95% intervals).

:func:`forward_chain`: the choice of method is made on early origins only and scored on later
origins the choice never saw. For each cutoff C (:func:`selection_cutoffs`: 2019, then a year later
each time while two later origins remain: 2019 and 2020 for data to January 2023, more as later
releases come) the candidates are compared on the forecasts whose targets are at most C (what was
known at C), the one with the lowest MAPE over one and two years ahead is chosen, and it is scored,
side by side with the simple methods of :data:`COMPARED`, on the origins C + 1 .. C + 3. If a
simple baseline beats the chosen method out of time at the latest cutoff, the baseline is the
default (:func:`decide_default`).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sendlib.errors import SendlibInputError
from sendlib.forecast.intervals import HALF_LIVES, coverage_band, spread_change
from sendlib.forecast.methods import BASELINES, METHODS
from sendlib.forecast.models import CaseloadModel
from sendlib.forecast.panel import Panel

log = logging.getLogger(__name__)

FIRST_ORIGIN = 2013
FIRST_CUTOFF = 2019  # the first fold chooses on forecasts whose targets are at most this year
SCORED_ORIGINS = 3   # a fold scores up to this many origins after its cutoff
MIN_SCORED = 2       # and is made only while at least this many remain
SELECTION_HORIZONS = (1, 2)
COMPARED = ("national_growth", "pooled_growth", "own_growth_3y")
MAPE_TARGETS = {1: 4.0, 2: 7.5}  # at most, % at one and two years ahead
COVERAGE_TARGETS = {"coverage80": (75.0, 85.0), "coverage95": (90.0, 98.0)}


def _mase_scale(panel: Panel, areas, origin: int) -> pd.Series:
    hist = panel.caseload.loc[list(areas), [y for y in panel.years if y <= origin]]
    return hist.diff(axis=1).abs().mean(axis=1)


def _scored(panel: Panel, fc: pd.DataFrame, origin: int) -> pd.DataFrame:
    fc = fc[fc["year"] <= panel.last_year].copy()
    actual = panel.caseload.stack()
    fc["actual"] = actual.reindex(pd.MultiIndex.from_arrays([fc["area_code"], fc["year"]])).to_numpy()
    fc["mase_scale"] = _mase_scale(panel, fc["area_code"], origin).to_numpy()
    return fc


def run_backtest(table_or_panel, methods=None, *, areas=None, origins=None, horizon: int = 3, guard: bool = True):
    """Run the backtest. Returns ``(errors, summary)``.

    errors: one row per method, LA, origin and horizon: area_code, method (the method asked for),
        used (the method the guarded forecast came from), origin, horizon, year, actual, point, the
        four bounds (NaN at origins too early to calibrate intervals), ape, pe, scaled_error,
        covered80, covered95 (NA without bounds).
    summary: one row per method and horizon (see :func:`summarise`), with `seconds` per method.
    `areas` defaults to every LA with a published caseload at every year; origins where a method
    cannot run at all are left out for that method (and logged)."""
    panel = table_or_panel if isinstance(table_or_panel, Panel) else Panel.from_table(table_or_panel)
    methods = list(METHODS) if methods is None else list(methods)
    origins = list(range(FIRST_ORIGIN, panel.last_year)) if origins is None else [int(o) for o in origins]
    if areas is None:
        areas = [a for a in panel.la_codes() if panel.caseload.loc[a].notna().all()]
    frames, timings = [], {}
    for name in methods:
        started = time.perf_counter()
        frames += _forecasts(CaseloadModel(panel, name, max_horizon=horizon, guard=guard), origins, horizon, areas)
        timings[name] = time.perf_counter() - started
        log.info("backtest %s: %.1f s", name, timings[name])
    errors = _score(pd.concat(frames, ignore_index=True).dropna(subset=["actual", "point"]))
    summary = summarise(errors)
    summary["seconds"] = summary["method"].map(timings)
    return errors, summary


def _forecasts(model: CaseloadModel, origins, horizon: int, areas) -> list[pd.DataFrame]:
    """The model's forecasts of `areas` at each origin, with their actuals (origins where it cannot
    run are left out, and logged)."""
    frames = []
    for origin in origins:
        try:
            fc = model.fit(origin, strict=False).forecast(horizon, areas=list(areas))
        except SendlibInputError as exc:
            log.info("backtest %s: origin %d left out (%s)", model.method, origin, exc)
            continue
        frames.append(_scored(model.panel, fc.rename(columns={"method": "used"}).assign(method=model.method), origin))
    return frames


def _interval_score(errors: pd.DataFrame) -> pd.Series:
    """The weighted interval score of the 80% and 95% intervals (Bracher et al. 2021, without the
    median term), on the log scale so that LAs of every size count alike: for each level, the
    width plus 2/alpha times any distance by which the outcome fell outside, weighted alpha/2.
    Lower is better: it rewards narrow intervals and penalises misses, so it is proper."""
    y = np.log(errors["actual"])
    total = pd.Series(0.0, index=errors.index)
    for level, alpha in (("80", 0.2), ("95", 0.05)):
        lo, hi = np.log(errors[f"lower{level}"]), np.log(errors[f"upper{level}"])
        score = (hi - lo) + 2 / alpha * ((lo - y).clip(lower=0) + (y - hi).clip(lower=0))
        total += alpha / 2 * score
    return total / 0.125  # the sum of the weights alpha/2: an average over the two levels


def _score(errors: pd.DataFrame) -> pd.DataFrame:
    errors = errors.copy()
    errors["pe"] = (errors["point"] - errors["actual"]) / errors["actual"] * 100
    errors["ape"] = errors["pe"].abs()
    errors["scaled_error"] = (errors["point"] - errors["actual"]).abs() / errors["mase_scale"]
    for level in ("80", "95"):
        inside = (errors["actual"] >= errors[f"lower{level}"]) & (errors["actual"] <= errors[f"upper{level}"])
        errors[f"covered{level}"] = inside.astype("boolean").where(errors[f"lower{level}"].notna())
    errors["interval_score"] = _interval_score(errors)
    errors = errors.drop(columns=["mase_scale", "flag"], errors="ignore")
    return errors.sort_values(["method", "area_code", "origin", "horizon"]).reset_index(drop=True)


def summarise(errors: pd.DataFrame, by=("method", "horizon")) -> pd.DataFrame:
    """Return the error summary of `errors` grouped by `by`: n, mape, median_ape, mase, bias,
    coverage80, coverage95 (% of the outcomes that had intervals)."""
    g = errors.groupby(list(by))
    out = pd.DataFrame({
        "n": g.size(),
        "mape": g["ape"].mean(),
        "median_ape": g["ape"].median(),
        "mase": g["scaled_error"].mean(),
        "bias": g["pe"].mean(),
        "coverage80": g["covered80"].mean().astype(float) * 100,
        "coverage95": g["covered95"].mean().astype(float) * 100,
        "interval_score": g["interval_score"].mean(),
    })
    return out.reset_index()


# ---------------------------------------------------------------------------------------------
# forward chaining

@dataclass
class Fold:
    """One cutoff of the forward chain: the method chosen on what was known at `cutoff`, its
    selection scores, and the out-of-time scores of every method on the `scored` origins."""

    cutoff: int
    chosen: str
    selection: pd.DataFrame  # method, mape (mean over SELECTION_HORIZONS), n
    scored_origins: list[int]
    summary: pd.DataFrame  # method, horizon: out-of-time scores
    by_origin: pd.DataFrame  # method, origin, horizon: out-of-time scores
    spread_change: float = float("nan")  # the chosen method's year-on-year change in spread, known at cutoff
    bands: dict[str, tuple[float, float]] = field(default_factory=dict)  # coverage80/95: one origin's 9-in-10 range

    def band_text(self, digits: int = 0) -> str:
        """The bands in words: '80% intervals 64-93%, 95% intervals 84-99%'."""
        return ", ".join(f"{c[-2:]}% intervals {low:.{digits}f}-{high:.{digits}f}%"
                         for c, (low, high) in self.bands.items())

    def outside_band(self, horizon: int = 1) -> pd.DataFrame:
        """The chosen method's out-of-time origins whose coverage fell outside its band."""
        b = self.by_origin[(self.by_origin["method"] == self.chosen) & (self.by_origin["horizon"] == horizon)]
        outside = [b[column].lt(low) | b[column].gt(high) for column, (low, high) in self.bands.items()]
        return b[np.logical_or.reduce(outside)] if outside else b.iloc[:0]


def comparable(errors: pd.DataFrame, methods) -> pd.DataFrame:
    """The errors of `methods` on the (LA, origin, horizon) cells every one of them forecast."""
    e = errors[errors["method"].isin(list(methods))]
    cells = e.groupby(["area_code", "origin", "horizon"])["method"].nunique()
    full = cells[cells == e["method"].nunique()].index
    keep = pd.MultiIndex.from_frame(e[["area_code", "origin", "horizon"]]).isin(full)
    return e[keep]


def choose_method(errors: pd.DataFrame, cutoff: int, candidates=None) -> tuple[str, pd.DataFrame]:
    """Return the candidate (not a baseline) with the lowest MAPE over SELECTION_HORIZONS on the
    forecasts whose targets are at most `cutoff`, and the selection table of every method."""
    known = errors[(errors["year"] <= cutoff) & errors["horizon"].isin(SELECTION_HORIZONS)]
    known = comparable(known, known["method"].unique())
    table = known.groupby("method").agg(mape=("ape", "mean"), n=("ape", "size")).reset_index()
    pool = table[~table["method"].isin(BASELINES)]
    if candidates is not None:
        pool = pool[pool["method"].isin(list(candidates))]
    if pool.empty:
        raise SendlibInputError(f"no candidate method has forecasts with targets up to {cutoff}")
    return str(pool.sort_values(["mape", "method"]).iloc[0]["method"]), table.sort_values("mape")


def selection_cutoffs(errors: pd.DataFrame) -> tuple[int, ...]:
    """The cutoffs of the forward chain: FIRST_CUTOFF, then one year later each time while at
    least MIN_SCORED later origins of `errors` remain ((2019, 2020) for origins up to 2022)."""
    last = int(errors["origin"].max()) if len(errors) else FIRST_CUTOFF
    return tuple(range(FIRST_CUTOFF, last - MIN_SCORED + 1))


def forward_chain(errors: pd.DataFrame, cutoffs=None, candidates=None) -> list[Fold]:
    """Return the folds of the forward chain over backtest `errors` (see the module docstring) at
    `cutoffs` (default :func:`selection_cutoffs`); cutoffs the errors do not reach on both sides
    are left out."""
    folds = []
    for cutoff in selection_cutoffs(errors) if cutoffs is None else cutoffs:
        scored = [o for o in range(cutoff + 1, cutoff + 1 + SCORED_ORIGINS) if o in set(errors["origin"])]
        if not scored or not (errors["year"] <= cutoff).any():
            continue  # the backtest's origins do not reach both sides of this cutoff
        chosen, selection = choose_method(errors, cutoff, candidates)
        later = errors[errors["origin"].isin(scored)]
        later = comparable(later, later["method"].unique())
        change = spread_change(_log_errors(errors, chosen, cutoff))
        bands = {f"coverage{level}": coverage_band(level / 100, change) for level in (80, 95) if np.isfinite(change)}
        folds.append(Fold(cutoff, chosen, selection, scored, summarise(later),
                          summarise(later, by=("method", "origin", "horizon")), change, bands))
    return folds


def _log_errors(errors: pd.DataFrame, method: str, cutoff: int) -> pd.DataFrame:
    """The one-year log errors of `method` whose targets are at most `cutoff` (origin, error)."""
    e = errors[(errors["method"] == method) & (errors["horizon"] == 1) & (errors["year"] <= cutoff)]
    return pd.DataFrame({"origin": e["origin"], "error": np.log(e["actual"] / e["point"])})


def decide_default(folds: list[Fold]) -> tuple[str, str]:
    """Return (default method, why): the method chosen at the latest cutoff, unless a simple
    baseline had a lower MAPE over SELECTION_HORIZONS on that fold's out-of-time origins."""
    fold = folds[-1]
    s = fold.summary[fold.summary["horizon"].isin(SELECTION_HORIZONS)].groupby("method")["mape"].mean()
    baselines = s[s.index.isin(BASELINES)]
    if len(baselines) and baselines.min() < s[fold.chosen]:
        best = str(baselines.idxmin())
        return best, (f"the simple baseline {best} beat {fold.chosen} out of time "
                      f"(MAPE {baselines.min():.2f}% against {s[fold.chosen]:.2f}%)")
    return fold.chosen, (f"chosen on origins up to {fold.cutoff}; out of time it beat every simple baseline "
                         f"(MAPE {s[fold.chosen]:.2f}% against {baselines.min():.2f}%)")


def half_life_backtest(panel: Panel, method: str, areas, origins=None, horizon: int = 3,
                       half_lives=HALF_LIVES) -> pd.DataFrame:
    """Backtest `method`'s intervals with each half-life of :data:`~sendlib.forecast.intervals.HALF_LIVES`
    (the method is run once per origin; only the calibration differs). Returns the errors of
    :func:`run_backtest` with a `half_life` column (NaN for equal weights)."""
    origins = list(range(FIRST_ORIGIN, panel.last_year)) if origins is None else [int(o) for o in origins]
    frames, previous = [], None
    for half_life in half_lives:
        model = CaseloadModel(panel, method, max_horizon=horizon, half_life=half_life)
        if previous is not None:  # the method's runs are the same under every half-life
            model.share_runs(previous, before=panel.last_year + 1)
        scored = _forecasts(model, origins, horizon, areas)
        previous = model
        frames += [f.assign(half_life=np.nan if half_life is None else float(half_life)) for f in scored]
    return _score(pd.concat(frames, ignore_index=True).dropna(subset=["actual", "point"]))


@dataclass
class HalfLifeFold:
    """One cutoff of the half-life choice: the half-life with the lowest interval score on the
    forecasts known at `cutoff`, and every half-life's out-of-time coverage on the later origins."""

    cutoff: int
    chosen: float | None
    selection: pd.DataFrame  # half_life, interval_score, n
    summary: pd.DataFrame    # half_life, horizon: out-of-time scores


def choose_half_life(errors: pd.DataFrame, cutoffs=None) -> list[HalfLifeFold]:
    """The forward-chained choice of the intervals' half-life over :func:`half_life_backtest`
    errors: at each cutoff, the half-life with the lowest mean interval score over SELECTION_HORIZONS
    on the forecasts (with intervals under every half-life) whose targets are at most the cutoff,
    scored on the origins cutoff + 1 .. cutoff + SCORED_ORIGINS."""
    e = errors[errors["interval_score"].notna()].assign(half_life=errors["half_life"].fillna(-1.0))
    cells = e.groupby(["area_code", "origin", "horizon"])["half_life"].nunique()
    full = cells[cells == e["half_life"].nunique()].index
    e = e[pd.MultiIndex.from_frame(e[["area_code", "origin", "horizon"]]).isin(full)]
    folds = []
    for cutoff in selection_cutoffs(e) if cutoffs is None else cutoffs:
        known = e[(e["year"] <= cutoff) & e["horizon"].isin(SELECTION_HORIZONS)]
        scored = [o for o in range(cutoff + 1, cutoff + 1 + SCORED_ORIGINS) if o in set(e["origin"])]
        if known.empty or not scored:
            continue
        table = known.groupby("half_life").agg(interval_score=("interval_score", "mean"), n=("interval_score", "size"))
        best = float(table["interval_score"].idxmin())
        later = summarise(e[e["origin"].isin(scored)], by=("half_life", "horizon"))
        folds.append(HalfLifeFold(cutoff, None if best < 0 else best, _equal_weights_named(table.reset_index()),
                                  _equal_weights_named(later)))
    return folds


def _equal_weights_named(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(half_life=frame["half_life"].map(lambda v: "equal weights" if v < 0 else f"{v:g} years"))


def target_check(summary: pd.DataFrame, method: str) -> pd.DataFrame:
    """Return, per horizon, the method's MAPE and coverage against :data:`MAPE_TARGETS` and
    :data:`COVERAGE_TARGETS`, with `met`."""
    m = summary[summary["method"] == method].set_index("horizon")
    lo80, hi80 = COVERAGE_TARGETS["coverage80"]
    lo95, hi95 = COVERAGE_TARGETS["coverage95"]
    out = pd.DataFrame({"mape": m["mape"], "mape_target": m.index.map(lambda h: MAPE_TARGETS.get(h, float("nan"))),
                        "coverage80": m["coverage80"], "coverage95": m["coverage95"]}, index=m.index)
    out["mape_met"] = ~(out["mape"] > out["mape_target"])
    out["coverage80_met"] = out["coverage80"].between(lo80, hi80)
    out["coverage95_met"] = out["coverage95"].between(lo95, hi95)
    out["met"] = out[["mape_met", "coverage80_met", "coverage95_met"]].all(axis=1)
    return out.reset_index()


def by_la(errors: pd.DataFrame, method: str, baseline: str = "national_growth") -> pd.DataFrame:
    """Return per LA: the method's MAPE and the baseline's over all origins and horizons, whether
    the method wins, and how many of its outcomes fell outside the 80% and 95% intervals."""
    e = errors[errors["method"].isin([method, baseline])]
    mape = e.pivot_table(index="area_code", columns="method", values="ape", aggfunc="mean")
    m = errors[errors["method"] == method].groupby("area_code")
    out = pd.DataFrame({
        "mape": mape[method], f"mape_{baseline}": mape[baseline],
        "outside80": m["covered80"].apply(lambda s: int((s == False).sum())),  # noqa: E712 (NA stays out)
        "outside95": m["covered95"].apply(lambda s: int((s == False).sum())),  # noqa: E712
        "n": m.size(),
    })
    out["wins"] = out["mape"] < out[f"mape_{baseline}"]
    return out.reset_index().sort_values("area_code").reset_index(drop=True)


def backtest_breakdowns(table: pd.DataFrame, areas, topic: str, origins, horizon: int = 3,
                        min_actual: float = 5.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Backtest the reconciled breakdown forecasts (`topic` 'age' or 'placement') of `areas`.

    Returns ``(errors, summary)``; summary per horizon and per breakdown: n, mape, median_ape,
    coverage80, coverage95. Cells with an actual below `min_actual` are not scored (a percentage
    error of a handful of plans says little)."""
    from sendlib.forecast import forecast_areas
    from sendlib.sources import dfe

    actual = dfe.series(table, topic).stack().rename("actual")
    actual.index.names = ["area_code", "breakdown", "year"]
    frames = []
    caseload = dfe.total_series(table)
    for origin in origins:
        published = [a for a in areas if a in caseload.index and pd.notna(caseload.at[a, origin])]
        fc = forecast_areas(table, published, origin=origin, horizon=horizon, breakdowns=(topic,))
        fc = fc[fc["breakdown_topic"] == topic].join(actual, on=["area_code", "breakdown", "year"])
        frames.append(fc.dropna(subset=["actual"]))
    errors = pd.concat(frames, ignore_index=True)
    errors = errors[errors["actual"] >= min_actual].copy()
    errors["ape"] = (errors["point"] - errors["actual"]).abs() / errors["actual"] * 100
    errors["covered80"] = errors["actual"].between(errors["lower80"], errors["upper80"])
    errors["covered95"] = errors["actual"].between(errors["lower95"], errors["upper95"])

    def summary(keys: pd.Series):
        g = errors.groupby(keys.rename("group"), sort=False)
        return pd.DataFrame({"n": g.size(), "mape": g["ape"].mean(), "median_ape": g["ape"].median(),
                             "coverage80": g["covered80"].mean() * 100,
                             "coverage95": g["covered95"].mean() * 100}).reset_index()

    errors = errors.sort_values(["horizon", "breakdown", "area_code", "origin"])
    by_h = summary("horizon " + errors["horizon"].astype(str))
    by_b = summary(errors["breakdown"].astype(str))
    return errors.reset_index(drop=True), pd.concat([by_h, by_b], ignore_index=True)
