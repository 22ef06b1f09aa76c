"""Benchmark: the rolling-origin backtest of every forecast method on the real DfE series.

Panel: the 145 LAs with a complete 2010-2023 series under one new code; origins 2017-2022;
horizons 1-3 (every one with an actual by January 2023). Prints the summary, the time and peak
memory, the chosen method against the targets, and where it fails (LAs, origins). Exits 1 when a
target is missed:

- baselines reproduce the quoted figures (last value 9.1 / 17.1 / 24.4, own 3-year growth
  4.6 / 8.2 / 12.0 MAPE, to one decimal);
- the chosen method is the library's DEFAULT_METHOD (`pooled_requests_damped90`), and its MAPE is
  at least 20% below own 3-year growth at every horizon, strictly (at most 3.656 / 6.54 / 9.57;
  the issue's rounded ceilings 3.7 / 6.5 / 9.6 are checked too);
- 80% intervals cover 75-85% of outcomes, 95% intervals 92-98%, at every horizon;
- the whole backtest (all methods) takes under 5 minutes.

Run: .venv/bin/python benchmarks/bench_backtest.py
"""
from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # before numpy loads
    os.environ.setdefault(_var, "1")

import resource
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DFE = ROOT / "data" / "external"
ZIPS = [DFE / "education-health-and-care-plans_2022.zip", DFE / "education-health-and-care-plans_2025_to_202223.zip"]

QUOTED_BASELINES = {"last_value": [9.1, 17.1, 24.4], "own_growth_3y": [4.6, 8.2, 12.0]}
MAPE_CEILING = [3.7, 6.5, 9.6]
TIME_LIMIT_S = 300


def main() -> int:
    from sendlib.forecast import backtest
    from sendlib.forecast.models import DEFAULT_METHOD
    from sendlib.forecast.panel import Panel
    from sendlib.sources import dfe

    pd.set_option("display.width", 200)
    started = time.perf_counter()
    table = dfe.load_releases(ZIPS)
    panel = Panel.from_table(table)
    areas = dfe.complete_las(table, 2010, 2023, same_new_code=True)
    load_s = time.perf_counter() - started
    errors, summary = backtest.run_backtest(panel, areas=areas, origins=range(2017, 2023), horizon=3)
    total_s = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"LAs: {len(areas)}; origins 2017-2022; horizons 1-3; outcomes per method and horizon: "
          f"{summary.groupby('horizon')['n'].first().to_dict()}")
    print(summary.round(2).to_string(index=False))
    print(f"\ntime: load {load_s:.1f} s, backtest of all methods {total_s - load_s:.1f} s, total {total_s:.1f} s; "
          f"peak memory {peak_mb:.0f} MB")

    failures = []
    mape = summary.set_index(["method", "horizon"])["mape"]
    for method, quoted in QUOTED_BASELINES.items():
        got = [round(float(mape[(method, h)]), 1) for h in (1, 2, 3)]
        print(f"baseline {method}: MAPE {got} (quoted {quoted})")
        if got != quoted:
            failures.append(f"baseline {method} MAPE {got} != quoted {quoted}")

    chosen = backtest.choose_method(summary)
    check = backtest.target_check(summary, chosen)
    check["mape_ceiling"] = MAPE_CEILING[: len(check)]
    check["improvement_pct"] = (1 - check["mape"] / (check["mape_target"] / 0.8)) * 100
    print(f"\nchosen method (lowest mean MAPE among calibrated candidates): {chosen}")
    print(check.round(3).to_string(index=False))
    if chosen != DEFAULT_METHOD:
        failures.append(f"the backtest chooses {chosen}, not the default {DEFAULT_METHOD}")
    previous = backtest.target_check(summary, "pooled_growth_damped90")
    print("previous default pooled_growth_damped90: MAPE " + " / ".join(f"{v:.3f}" for v in previous["mape"])
          + "; improvement on own 3-year growth % "
          + " / ".join(f"{(1 - m / (t / 0.8)) * 100:.1f}" for m, t in zip(previous["mape"], previous["mape_target"])))
    for _, row in check.iterrows():
        h = int(row["horizon"])
        if round(row["mape"], 1) > row["mape_ceiling"]:
            failures.append(f"h={h}: MAPE {row['mape']:.2f} > {row['mape_ceiling']}")
        if not row["coverage80_met"]:
            failures.append(f"h={h}: 80% coverage {row['coverage80']:.1f}% outside 75-85%")
        if not row["coverage95_met"]:
            failures.append(f"h={h}: 95% coverage {row['coverage95']:.1f}% outside 92-98%")
        if row["mape"] > row["mape_target"]:
            failures.append(f"h={h}: MAPE {row['mape']:.3f} is only {row['improvement_pct']:.1f}% below own 3-year "
                            f"growth (20% would be {row['mape_target']:.3f})")

    chosen_errors = errors[errors["method"] == chosen]
    print("\nby origin (chosen method):")
    print(backtest.summarise(chosen_errors, by=("horizon", "origin")).round(2).to_string(index=False))
    per_la = backtest.by_la(errors, chosen)
    info = dfe.areas(table).set_index("area_code")
    per_la.insert(1, "la_name", per_la["area_code"].map(info["la_name"]))
    print(f"\nwins: the chosen method beats own 3-year growth in {int(per_la['wins'].sum())} of {len(per_la)} LAs "
          "(MAPE over all origins and horizons)")
    print("where it loses (LAs where own 3-year growth was more accurate), worst first:")
    print(per_la[~per_la["wins"]].assign(gap=lambda d: d["mape"] - d["mape_own_growth_3y"])
          .sort_values("gap", ascending=False).head(12).round(2).to_string(index=False))
    worst = chosen_errors.sort_values("ape", ascending=False).head(12).copy()
    worst.insert(1, "la_name", worst["area_code"].map(info["la_name"]))
    print("\nlargest errors (chosen method):")
    print(worst[["area_code", "la_name", "origin", "horizon", "year", "actual", "point", "lower95", "upper95",
                 "ape"]].round(1).to_string(index=False))
    print("\noutside the 95% interval, by origin and horizon (count of LAs):")
    print(chosen_errors[~chosen_errors["covered95"]].pivot_table(index="origin", columns="horizon", values="ape",
                                                                 aggfunc="size", fill_value=0).to_string())

    print("\nbreakdowns (informational, no target): reconciled age bands (origins 2017-2021, age data end in 2022) "
          "and placement groups (origins 2020-2022, consistent groups from 2019); cells with an actual >= 5")
    for topic, origins in (("age", range(2017, 2022)), ("placement", range(2020, 2023))):
        _, bsum = backtest.backtest_breakdowns(table, areas, topic, origins)
        print(f"{topic}:")
        print(bsum.round(1).to_string(index=False))
    total_s = time.perf_counter() - started
    markov_on_synthetic()

    if total_s > TIME_LIMIT_S:
        failures.append(f"backtest took {total_s:.0f} s > {TIME_LIMIT_S} s")
    if failures:
        print("\nTARGETS MISSED:\n- " + "\n- ".join(failures))
        return 1
    print("\nall targets met")
    return 0


def markov_on_synthetic(raw=ROOT / "data" / "raw" / "demo") -> None:
    """Informational: the person-level Markov cohort model against aggregate methods on the
    synthetic LA (`make demo-data`), holding out the last 1, 2 and 3 census years."""
    import json

    from sendlib.cleaning import clean
    from sendlib.forecast.markov import caseload_from_tables, compare_with_aggregate

    if not (raw / "manifest.json").exists():
        print("\nMarkov cohort model: no synthetic data (run `make demo-data`); skipped")
        return
    manifest = json.loads((raw / "manifest.json").read_text())
    tables, pops = {}, []
    for year in manifest["census_years"]:
        tables[year] = clean(raw / str(year), census_date=manifest["census_dates"][str(year)]) \
            .tables["ehcp_caseload"]
        pop = pd.read_csv(raw / str(year) / "population.csv")
        pops.append(pop.assign(census_year=year))
    caseload = caseload_from_tables(tables)
    pop = pd.concat(pops).drop_duplicates(["census_year", "sex", "age"])
    # mid-year population of age a in the year before the census ~ NCY a - 5 at the census
    pop = pop.assign(ncy=pop["age"] - 5).groupby(["census_year", "ncy"], as_index=False)["population"].sum()
    print("\nMarkov cohort model vs aggregate methods on the synthetic LA (total caseload; pe = % error):")
    for holdout in (1, 2, 3):
        cmp = compare_with_aggregate(caseload, holdout=holdout, population=pop)
        print(f"fitted on {min(tables)}-{max(tables) - holdout}:")
        print(cmp.round(1).to_string(index=False))


if __name__ == "__main__":
    sys.exit(main())
