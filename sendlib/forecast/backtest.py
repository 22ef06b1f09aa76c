"""Rolling-origin backtest of the caseload methods over LAs.

At each origin (default 2017 to the last year that leaves a 1-year actual) each method is fitted
on the data published up to that origin and forecasts 1..3 years; every forecast whose target year
is published is scored. Returns per-LA errors and a summary per method and horizon: MAPE, median
APE, MASE (scaled by the LA's mean absolute one-year change up to the origin), bias (mean signed
percentage error, positive = over-forecast) and the coverage of the 80% and 95% intervals.
"""
from __future__ import annotations

import time

import pandas as pd

from sendlib.forecast.models import BASELINES, METHODS, CaseloadModel
from sendlib.forecast.panel import Panel

FIRST_ORIGIN = 2017
TARGETS = {"improvement_vs": "own_growth_3y", "improvement": 0.20,
           "coverage80": (0.75, 0.85), "coverage95": (0.92, 0.98)}


def _mase_scale(panel: Panel, areas, origin: int) -> pd.Series:
    hist = panel.caseload.loc[list(areas), [y for y in panel.years if y <= origin]]
    return hist.diff(axis=1).abs().mean(axis=1)


def run_backtest(table_or_panel, methods=None, *, areas=None, origins=None, horizon: int = 3,
                 progress: bool = False):
    """Run the backtest. Returns ``(errors, summary)``.

    errors: one row per method, LA, origin and horizon: area_code, method, origin, horizon, year,
        actual, point, the four bounds, ape, pe, scaled_error, covered80, covered95.
    summary: one row per method and horizon: n, mape, median_ape, mase, bias, coverage80,
        coverage95, and seconds (the method's run time over all origins).
    `areas` defaults to every LA with a published caseload at every year used."""
    panel = table_or_panel if isinstance(table_or_panel, Panel) else Panel.from_table(table_or_panel)
    methods = list(METHODS) if methods is None else list(methods)
    last = panel.last_year
    origins = list(range(FIRST_ORIGIN, last)) if origins is None else [int(o) for o in origins]
    if areas is None:
        las = panel.la_codes()
        areas = [a for a in las if panel.caseload.loc[a].notna().all()]
    areas = list(areas)
    frames, timings = [], {}
    for name in methods:
        started = time.perf_counter()
        model = CaseloadModel(panel, name, max_horizon=horizon)
        for origin in origins:
            fc = model.fit(origin).forecast(horizon, areas=areas)
            fc = fc[fc["year"] <= last]
            actual = panel.caseload.stack()
            fc["actual"] = actual.reindex(pd.MultiIndex.from_arrays([fc["area_code"], fc["year"]])).to_numpy()
            fc["mase_scale"] = _mase_scale(panel, fc["area_code"], origin).to_numpy()
            frames.append(fc)
            if progress:
                print(f"backtest {name} origin {origin}", flush=True)
        timings[name] = time.perf_counter() - started
    errors = pd.concat(frames, ignore_index=True).dropna(subset=["actual"])
    errors["pe"] = (errors["point"] - errors["actual"]) / errors["actual"] * 100
    errors["ape"] = errors["pe"].abs()
    errors["scaled_error"] = (errors["point"] - errors["actual"]).abs() / errors["mase_scale"]
    errors["covered80"] = (errors["actual"] >= errors["lower80"]) & (errors["actual"] <= errors["upper80"])
    errors["covered95"] = (errors["actual"] >= errors["lower95"]) & (errors["actual"] <= errors["upper95"])
    errors = errors.drop(columns="mase_scale")
    errors = errors.sort_values(["method", "area_code", "origin", "horizon"]).reset_index(drop=True)
    summary = summarise(errors)
    summary["seconds"] = summary["method"].map(timings)
    return errors, summary


def summarise(errors: pd.DataFrame, by=("method", "horizon")) -> pd.DataFrame:
    """Return the error summary of `errors` grouped by `by`."""
    g = errors.groupby(list(by))
    out = pd.DataFrame({
        "n": g.size(),
        "mape": g["ape"].mean(),
        "median_ape": g["ape"].median(),
        "mase": g["scaled_error"].mean(),
        "bias": g["pe"].mean(),
        "coverage80": g["covered80"].mean() * 100,
        "coverage95": g["covered95"].mean() * 100,
    })
    return out.reset_index()


def choose_method(summary: pd.DataFrame, candidates=None) -> str:
    """Return the candidate (not a baseline) with the lowest MAPE averaged over horizons, among
    those whose 80% and 95% coverage is within target at every horizon (if any is)."""
    s = summary[~summary["method"].isin(BASELINES)]
    if candidates is not None:
        s = s[s["method"].isin(candidates)]
    lo80, hi80 = TARGETS["coverage80"]
    lo95, hi95 = TARGETS["coverage95"]
    calibrated = s.groupby("method").apply(
        lambda d: bool(d["coverage80"].between(lo80 * 100, hi80 * 100).all()
                       and d["coverage95"].between(lo95 * 100, hi95 * 100).all()), include_groups=False)
    pool = s[s["method"].isin(calibrated[calibrated].index)] if calibrated.any() else s
    return str(pool.groupby("method")["mape"].mean().idxmin())


def target_check(summary: pd.DataFrame, method: str) -> pd.DataFrame:
    """Return, per horizon, the method's MAPE against the target (20% below own 3-year growth)
    and its coverage against the target ranges, with a `met` flag per row."""
    base = summary[summary["method"] == TARGETS["improvement_vs"]].set_index("horizon")["mape"]
    m = summary[summary["method"] == method].set_index("horizon")
    lo80, hi80 = TARGETS["coverage80"]
    lo95, hi95 = TARGETS["coverage95"]
    out = pd.DataFrame({
        "mape": m["mape"],
        "mape_target": base * (1 - TARGETS["improvement"]),
        "coverage80": m["coverage80"],
        "coverage95": m["coverage95"],
    })
    out["mape_met"] = out["mape"] <= out["mape_target"]
    out["coverage80_met"] = out["coverage80"].between(lo80 * 100, hi80 * 100)
    out["coverage95_met"] = out["coverage95"].between(lo95 * 100, hi95 * 100)
    out["met"] = out[["mape_met", "coverage80_met", "coverage95_met"]].all(axis=1)
    return out.reset_index()


def by_la(errors: pd.DataFrame, method: str, baseline: str = "own_growth_3y") -> pd.DataFrame:
    """Return per LA: the method's MAPE and the baseline's over all origins and horizons, whether
    the method wins, and how many of its outcomes fell outside the 80% and 95% intervals."""
    e = errors[errors["method"].isin([method, baseline])]
    mape = e.pivot_table(index="area_code", columns="method", values="ape", aggfunc="mean")
    m = errors[errors["method"] == method].groupby("area_code")
    out = pd.DataFrame({
        "mape": mape[method], f"mape_{baseline}": mape[baseline],
        "outside80": m["covered80"].apply(lambda s: int((~s).sum())),
        "outside95": m["covered95"].apply(lambda s: int((~s).sum())),
        "n": m.size(),
    })
    out["wins"] = out["mape"] < out[f"mape_{baseline}"]
    return out.reset_index().sort_values("area_code").reset_index(drop=True)


BASELINES_FOR_TARGETS = ("last_value", TARGETS["improvement_vs"])


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
    for origin in origins:
        fc = forecast_areas(table, list(areas), origin=origin, horizon=horizon, breakdowns=(topic,))
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
