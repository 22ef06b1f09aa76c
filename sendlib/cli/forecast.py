"""`sendlib forecast` and `sendlib backtest` (two commands, one module: they share argument handling).

    sendlib forecast [DFE_ZIP...] --la CODE|all [--origin YEAR] [--horizon N] OUT_DIR
    sendlib backtest [DFE_ZIP...] OUT_DIR [--methods ...] [--origins 2017-2022] [--horizon 3]

Without zips, the DfE series come from :func:`sendlib.sources.published.load_dfe` (bundled with
sendlib, and the `sendlib fetch-dfe` cache); with zips, from those zips alone. Either way every
figure is checked first and the number of checks findings is printed. Outputs are CSV with fixed
float formatting and sorted rows, so the same inputs give byte-identical files.
"""
from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import pandas as pd

from sendlib.errors import SendlibInputError

log = logging.getLogger(__name__)
FLOAT_FORMAT = "%.2f"
HELP = {
    "forecast": "forecast EHCP caseloads from the DfE series",
    "backtest": "rolling-origin backtest of the forecast methods over all LAs",
}


class _Intermixed:
    """Lets options sit between the zips and OUT_DIR (`forecast a.zip b.zip --la 314 out/`):
    plain argparse stops filling a positional list at the first option."""

    _inside = False

    def parse_known_args(self, args=None, namespace=None):
        if self._inside:
            return super().parse_known_args(args, namespace)  # type: ignore[misc]
        self._inside = True
        try:
            return self.parse_known_intermixed_args(args, namespace)  # type: ignore[attr-defined]
        finally:
            self._inside = False


def _intermixed(parser: argparse.ArgumentParser) -> None:
    parser.__class__ = type("IntermixedParser", (_Intermixed, parser.__class__), {})  # keeps its error()


def _split_inputs(args) -> tuple[list[Path], Path]:
    from sendlib.reports.staging import require_writable

    *zips, out_dir = [Path(p) for p in args.paths]
    if out_dir.suffix.lower() == ".zip":
        raise SendlibInputError(f"the last argument must be the output directory, not a zip: {out_dir}")
    return zips, require_writable(out_dir, "output folder")


def _dfe_data(zips: list[Path]):
    """The checked DfE series (of `zips`, or bundled + cache), with its checks count logged."""
    from sendlib.sources import published

    data = published.from_zips(zips) if zips else published.load_dfe()
    changed = data.table["checked"].isin(["repaired to the sum of its parts", "set missing"]).any()
    (log.warning if changed else log.info)(data.summary() + " (see dfe_checks.csv)")
    return data


def _write_checks(data, out_dir: Path, areas=None) -> Path:
    checks = data.checks if areas is None else data.checks[data.checks["area_code"].isin(areas)]
    path = out_dir / "dfe_checks.csv"
    checks.to_csv(path, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
    return path


# ---------------------------------------------------------------------------------------------
# forecast

def _zips_then_out(parser: argparse.ArgumentParser, usage: str) -> None:
    """The DfE release zips (optional) then the output folder, options anywhere between."""
    _intermixed(parser)
    parser.usage = usage
    parser.add_argument("paths", nargs="+", metavar="[DFE_ZIP...] OUT_DIR",
                        help="DfE 'Education, health and care plans' release zips (default: the series bundled "
                             "with sendlib and the fetch-dfe cache), then the output directory")


def add_forecast_arguments(parser: argparse.ArgumentParser) -> None:
    _zips_then_out(parser, "sendlib forecast [DFE_ZIP...] --la CODE|all [--origin YEAR] [--horizon N] "
                           "[--method METHOD] OUT_DIR")
    parser.add_argument("--la", required=True, metavar="CODE|all",
                        help="old LA code (314), new code (E09000021), region or England code, or 'all'")
    parser.add_argument("--origin", type=int, default=None,
                        help="use only data published up to this January census (default: the latest)")
    parser.add_argument("--horizon", type=int, default=5, help="years ahead, 1 to 5 (default 5)")
    parser.add_argument("--method", default=None, help="forecast method (default: the one chosen by backtest)")


def run_forecast(args) -> int:
    from sendlib.forecast import forecast_areas
    from sendlib.sources import dfe

    zips, out_dir = _split_inputs(args)
    if not 1 <= args.horizon <= 5:
        raise SendlibInputError(f"--horizon {args.horizon} is outside 1 to 5")
    data = _dfe_data(zips)
    table = data.table
    if not args.la.strip():
        raise SendlibInputError("--la is blank", hint="give an LA code (314 or E09000021), a region code or 'all'")
    if args.la.strip().lower() == "all":
        areas = None
    else:
        areas = [dfe.resolve_area(table, args.la)]
    fc = forecast_areas(table, areas, origin=args.origin, horizon=args.horizon, method=args.method)
    out_dir.mkdir(parents=True, exist_ok=True)
    fc.to_csv(out_dir / "forecasts.csv", index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
    written = [out_dir / "forecasts.csv", _write_checks(data, out_dir, areas)]
    if areas is not None:
        from sendlib.forecast.chart import plot_forecast

        history = dfe.total_series(table, levels=None).loc[areas[0]]
        origin = int(fc["origin"].iloc[0])
        history = history[history.index <= origin].dropna()
        name = dfe.areas(table).set_index("area_code").at[areas[0], "name"]
        path = out_dir / f"forecast_{areas[0]}.png"
        plot_forecast(history, fc[fc["breakdown_topic"] == "total"], path, title=f"{name}: EHC plans (January)")
        written.append(path)
    for p in written:
        print(p)
    return 0


# ---------------------------------------------------------------------------------------------
# backtest

def _origins(text: str | None):
    if not text:
        return None
    try:
        if "-" in text:
            a, b = text.split("-", 1)
            return list(range(int(a), int(b) + 1))
        return [int(x) for x in text.split(",")]
    except ValueError as exc:
        raise SendlibInputError(f"--origins {text!r} is not a year range such as 2017-2022") from exc


def add_backtest_arguments(parser: argparse.ArgumentParser) -> None:
    _zips_then_out(parser, "sendlib backtest [DFE_ZIP...] [--methods M1,M2] [--origins 2017-2022] [--horizon 3] "
                           "[--las complete|panel145|all] OUT_DIR")
    parser.add_argument("--methods", default=None,
                        help="comma-separated methods (default: all candidates and baselines)")
    parser.add_argument("--origins", default=None,
                        help="origin years, e.g. 2013-2022 (default: 2013 to the last year with a 1-year actual)")
    parser.add_argument("--horizon", type=int, default=3, help="longest horizon scored (default 3)")
    parser.add_argument("--las", default="complete", choices=["complete", "panel145", "all"],
                        help="LAs scored: 'complete' (a published total every year), 'panel145' (also one "
                             "new code throughout: the benchmark panel), "
                             "'all' (every LA with a forecast and an actual)")


def run_backtest(args) -> int:
    from sendlib.forecast import backtest
    from sendlib.forecast.models import METHODS
    from sendlib.forecast.panel import Panel
    from sendlib.sources import dfe

    zips, out_dir = _split_inputs(args)
    data = _dfe_data(zips)
    table = data.table
    panel = Panel.from_table(table)
    methods = None
    if args.methods:
        methods = [m.strip() for m in args.methods.split(",") if m.strip()]
        unknown = [m for m in methods if m not in METHODS]
        if unknown:
            raise SendlibInputError(f"unknown method(s) {unknown}", hint=f"choose from {', '.join(METHODS)}")
        methods += [m for m in dict.fromkeys((*backtest.BASELINES, *backtest.COMPARED)) if m not in methods]
    if args.las == "all":
        areas = panel.la_codes()
    else:
        areas = dfe.complete_las(table, min(panel.years), panel.last_year, same_new_code=args.las == "panel145")
    started = time.perf_counter()
    errors, summary = backtest.run_backtest(panel, methods, areas=areas, origins=_origins(args.origins),
                                            horizon=args.horizon)
    seconds = time.perf_counter() - started
    folds = backtest.forward_chain(errors)
    if not folds:
        raise SendlibInputError("the origins do not reach both sides of a selection cutoff "
                                f"({backtest.FIRST_CUTOFF} or later, with {backtest.MIN_SCORED} origins after it)",
                                hint="give --origins from before the cutoff to after it, e.g. 2015-2022")
    default, why = backtest.decide_default(folds)
    _write_backtest(out_dir, table, errors, summary, folds, default)
    _write_checks(data, out_dir)
    print(summary.round(2).to_string(index=False))
    for fold in folds:
        print(f"\nchosen on forecasts known by {fold.cutoff}: {fold.chosen}; out of time, origins "
              f"{', '.join(map(str, fold.scored_origins))}:")
        print(fold.summary.round(2).to_string(index=False))
        if fold.bands:
            print(f"one year's coverage by {fold.chosen}, nine years in ten (the spread of errors changed by "
                  f"{fold.spread_change:.2f} a year on the log scale by {fold.cutoff}): "
                  + fold.band_text())
    print(f"\ndefault method: {default} ({why}); {len(areas)} LAs, {seconds:.1f} s")
    print(f"\n{out_dir}", file=sys.stderr)
    return 0


def _write_backtest(out_dir: Path, table, errors, summary, folds, default: str) -> None:
    from sendlib.forecast import backtest
    from sendlib.sources import dfe

    per_la = backtest.by_la(errors, default)
    info = dfe.areas(table).set_index("area_code")
    for frame in (errors, per_la):
        frame.insert(1, "la_name", frame["area_code"].map(info["la_name"]))
        frame.insert(2, "new_la_code", frame["area_code"].map(info["new_la_code"]))
    out_of_time = pd.concat([f.summary.assign(cutoff=f.cutoff, chosen=f.chosen) for f in folds], ignore_index=True)
    by_origin = pd.concat([f.by_origin.assign(cutoff=f.cutoff) for f in folds], ignore_index=True)
    selection = pd.concat([f.selection.assign(cutoff=f.cutoff) for f in folds], ignore_index=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    opts = {"index": False, "float_format": FLOAT_FORMAT, "lineterminator": "\n"}
    errors.to_csv(out_dir / "backtest_errors.csv", **opts)
    summary.drop(columns="seconds").to_csv(out_dir / "backtest_summary.csv", **opts)
    per_la.to_csv(out_dir / "backtest_by_la.csv", **opts)
    selection.to_csv(out_dir / "backtest_selection.csv", **opts)
    out_of_time.to_csv(out_dir / "backtest_out_of_time.csv", **opts)
    by_origin.to_csv(out_dir / "backtest_out_of_time_by_origin.csv", **opts)
    backtest.target_check(folds[-1].summary, default).to_csv(out_dir / "backtest_targets.csv", **opts)
