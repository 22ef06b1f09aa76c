"""`sendlib run-cycle CYCLE_ID`: rebuild every table and report of a review cycle."""
from __future__ import annotations

import argparse
from pathlib import Path

HELP = "clean, run every notebook and render the reports of a review cycle"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("cycle_id", metavar="CYCLE_ID", help="a cycle named in the config file")
    parser.add_argument("--config", default="config/cycles.yml", help="cycles file (default: %(default)s)")
    parser.add_argument("--dry-run", action="store_true",
                        help="check the cycle's config and inputs, run nothing")
    parser.add_argument("--notebooks", nargs="*", metavar="NAME",
                        help="run only these notebooks (name prefix, e.g. 01 03)")


def run(args: argparse.Namespace) -> int:
    from sendlib.reports.config import load_cycle
    from sendlib.reports.runner import dry_run, run_cycle

    cycle = load_cycle(args.cycle_id, args.config, root=Path.cwd())
    if args.dry_run:
        return dry_run(cycle)
    return run_cycle(cycle, only=args.notebooks)
