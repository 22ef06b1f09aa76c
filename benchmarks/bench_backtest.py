"""Benchmark: honest, forward-chained accuracy of every forecast method on the checked DfE series,
the bad-cell test across all LAs, and the checks of the published data.

Prints:
- the checks findings per release (and how many figures were repaired or set missing);
- the backtest of every method over every LA with a complete series, origins 2013-2022, horizons
  1-3; then, for each cutoff (2019, 2020), the method chosen on forecasts known by the cutoff and
  every method's accuracy on the later origins the choice never saw: MAPE and 80% / 95% coverage
  by horizon and by origin;
- the default method this gives (a simple baseline that wins out of time becomes the default),
  against the library's DEFAULT_METHOD, and against the issue's targets (MAPE at most 4.0% at one
  year and 7.5% at two, 80% intervals covering 75-85%, 95% intervals 90-98%);
- the forward-chained choice of the intervals' half-life (how fast past errors are forgotten) for
  the default method: each half-life's interval score on forecasts known at the cutoff, and its
  out-of-time coverage; exits 1 unless the choice at the latest cutoff is intervals.HALF_LIFE;
- the bad-cell test: each LA's caseload (January 2022 and 2023), new plans and requests (2021)
  times ten in turn, the largest shift of any other LA's forecast (the target: under 0.5%), of the
  interval bounds of LAs with at least 100 plans and of any bound (reported: the intervals of the
  smallest LAs rest on few errors), and how many touched LAs were flagged;
- run times.

Exits 1 when a target is missed or the default differs from DEFAULT_METHOD (after printing all).

Run: .venv/bin/python benchmarks/bench_backtest.py
"""
from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # before numpy loads
    os.environ.setdefault(_var, "1")

import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BAD_CELLS = [("caseload", 2022), ("caseload", 2023), ("new_plans", 2021), ("requests", 2021)]
BOUNDS = ["lower80", "upper80", "lower95", "upper95"]


def checks_counts(data) -> None:
    acted = data.checks.drop_duplicates(["measure", "area_code", "year"])
    print("checks of the published data, findings per release:")
    for release, n in data.counts().items():
        mine = acted[acted["release"] == release]["action"]
        print(f"  release {release}: {n} findings; {int(mine.str.startswith('repaired').sum())} figures repaired, "
              f"{int((mine == 'set missing').sum())} set missing, {int(mine.str.startswith('kept').sum())} kept")
    print(data.checks.groupby(["release", "rule"]).size().rename("findings").to_string())


def forward_chained(folds) -> None:
    for fold in folds:
        print(f"\n== cutoff {fold.cutoff}: chosen on forecasts with targets up to {fold.cutoff}: {fold.chosen}")
        print(fold.selection.round(3).to_string(index=False))
        print(f"out of time, origins {', '.join(map(str, fold.scored_origins))}:")
        print(fold.summary[["method", "horizon", "n", "mape", "median_ape", "bias", "coverage80", "coverage95"]]
              .round(2).to_string(index=False))
        for value in ("mape", "coverage80", "coverage95"):
            wide = fold.by_origin.pivot_table(index=["horizon", "origin"], columns="method", values=value)
            print(f"{value} by origin:")
            print(wide.round(1).to_string())


def half_life_choice(panel, areas, method: str) -> list[str]:
    """Print the forward-chained half-life choice; return the failures."""
    from sendlib.forecast import backtest, intervals

    folds = backtest.choose_half_life(backtest.half_life_backtest(panel, method, areas))
    for fold in folds:
        chosen = "equal weights" if fold.chosen is None else f"{fold.chosen:g} years"
        print(f"\n== intervals' half-life, cutoff {fold.cutoff}: chosen on forecasts with targets up to "
              f"{fold.cutoff} by the interval score: {chosen}")
        print(fold.selection.round(4).to_string(index=False))
        print(f"out of time, {method}:")
        print(fold.summary[["half_life", "horizon", "n", "coverage80", "coverage95", "interval_score"]]
              .round(3).to_string(index=False))
    if folds and folds[-1].chosen != intervals.HALF_LIFE:
        return [f"the forward chain gives the half-life {folds[-1].chosen}, not intervals.HALF_LIFE "
                f"{intervals.HALF_LIFE}"]
    return []


def bad_cell_test(table) -> dict:
    """Each LA's cells of BAD_CELLS times ten in turn, straight into the default model."""
    from sendlib.forecast.models import DEFAULT_METHOD, CaseloadModel
    from sendlib.forecast.panel import Panel

    panel = Panel.from_table(table)
    base_model = CaseloadModel(panel, DEFAULT_METHOD, max_horizon=2)
    base = base_model.fit(2023).forecast(2).set_index(["area_code", "year"])
    sizable = panel.caseload[2023] >= 100
    worst = {"point": (0.0, ""), "bounds100": (0.0, ""), "bounds": (0.0, "")}
    flagged = tried = 0
    unflagged = []
    for la in panel.la_codes():
        for measure, year in BAD_CELLS:
            frame = {"caseload": panel.caseload, "new_plans": panel.new_plans, "requests": panel.requests}[measure]
            column = year if measure == "caseload" else year + 1  # flows of calendar Y: the January Y+1 census
            if not np.isfinite(frame.at[la, column]):
                continue
            changed = frame.copy()
            changed.at[la, column] *= 10
            bad = Panel(**{**panel.__dict__, measure: changed})
            model = CaseloadModel(bad, DEFAULT_METHOD, max_horizon=2)
            model.share_runs(base_model, before=column)
            fc = model.fit(2023).forecast(2).set_index(["area_code", "year"])
            tried += 1
            own = fc.loc[la] if la in fc.index.get_level_values(0) else None
            # flagged, or the figure is not an input of its forecast at all (its forecast unchanged)
            unused = own is not None and np.allclose(own["point"], base.loc[la, "point"].to_numpy(), rtol=1e-12)
            ok = own is not None and (bool((own["flag"] != "").all()) or unused)
            flagged += ok
            if not ok:
                unflagged.append(f"{measure} {year} of LA {la}")
            others = fc.drop(index=la, level=0)
            shift = (others[["point", *BOUNDS]] / base.loc[others.index, ["point", *BOUNDS]] - 1).abs()
            big = sizable.reindex(shift.index.get_level_values(0)).to_numpy()
            for key, value in (("point", shift["point"].max()), ("bounds100", shift.loc[big, BOUNDS].max().max()),
                               ("bounds", shift[BOUNDS].max().max())):
                if value > worst[key][0]:
                    worst[key] = (float(value), f"{measure} {year} of LA {la}")
    return {"worst": worst, "flagged": flagged, "tried": tried, "unflagged": unflagged}


def main() -> int:
    from sendlib.forecast import backtest
    from sendlib.forecast.models import DEFAULT_METHOD
    from sendlib.forecast.panel import Panel
    from sendlib.sources import dfe, published

    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 30)
    started = time.perf_counter()
    data = published.load_dfe(use_cache=False)
    load_s = time.perf_counter() - started
    checks_counts(data)
    table = data.table
    panel = Panel.from_table(table)
    areas = dfe.complete_las(table, 2010, 2023)
    t = time.perf_counter()
    errors, summary = backtest.run_backtest(panel, areas=areas, horizon=3)
    backtest_s = time.perf_counter() - t
    print(f"\nbacktest: {len(areas)} LAs with a complete 2010-2023 series, origins "
          f"{errors['origin'].min()}-{errors['origin'].max()}, horizons 1-3; seconds per method: "
          + ", ".join(f"{m} {s:.1f}" for m, s in summary.groupby("method")["seconds"].first().items()))
    folds = backtest.forward_chain(errors)
    forward_chained(folds)
    default, why = backtest.decide_default(folds)
    print(f"\ndefault method: {default} ({why}); the library's DEFAULT_METHOD is {DEFAULT_METHOD}")
    failures = [] if default == DEFAULT_METHOD else [f"the forward chain gives {default}, not {DEFAULT_METHOD}"]
    for fold in folds:
        check = backtest.target_check(fold.summary, default)
        print(f"\ntargets, {default}, out of time after cutoff {fold.cutoff}:")
        print(check.round(2).to_string(index=False))
        failures += [f"cutoff {fold.cutoff}, h={int(r.horizon)}: target missed (MAPE {r.mape:.2f}, "
                     f"80% {r.coverage80:.1f}, 95% {r.coverage95:.1f})"
                     for r in check.itertuples() if r.horizon in (1, 2) and not r.met]
        bands = fold.band_text(digits=1)
        print(f"one origin's coverage, 9 years in 10 (spread changing {fold.spread_change:.3f} a year on the log "
              f"scale, known by {fold.cutoff}): {bands}")
        failures += [f"cutoff {fold.cutoff}, origin {int(r.origin)}: one year ahead, coverage {r.coverage80:.1f} / "
                     f"{r.coverage95:.1f}% outside the band {bands}" for r in fold.outside_band().itertuples()]
    t = time.perf_counter()
    failures += half_life_choice(panel, areas, DEFAULT_METHOD)
    half_life_s = time.perf_counter() - t
    t = time.perf_counter()
    bad = bad_cell_test(table)
    bad_s = time.perf_counter() - t
    w = bad["worst"]
    print(f"\nbad-cell test ({bad['tried']} cells times ten, {bad_s:.0f} s): largest shift of another LA's forecast "
          f"{w['point'][0] * 100:.3f}% ({w['point'][1]}); of the bounds of LAs with 100+ plans "
          f"{w['bounds100'][0] * 100:.3f}% ({w['bounds100'][1]}); of any bound {w['bounds'][0] * 100:.3f}% "
          f"({w['bounds'][1]}); touched LA flagged (or its forecast untouched) in {bad['flagged']} of {bad['tried']}"
          + (f" (not: {', '.join(bad['unflagged'])})" if bad["unflagged"] else ""))
    if w["point"][0] >= 0.005 or bad["flagged"] < bad["tried"]:
        failures.append("bad-cell test: another LA's forecast moved by 0.5% or more, or a touched LA was not flagged")
    print(f"\ntime: load and check {load_s:.1f} s, backtest {backtest_s:.1f} s, half-life choice {half_life_s:.1f} s, "
          f"bad-cell test {bad_s:.1f} s, "
          f"total {time.perf_counter() - started:.1f} s")
    if failures:
        print("\nTARGETS MISSED:\n- " + "\n- ".join(failures))
        return 1
    print("\nall targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
