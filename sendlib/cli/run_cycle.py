"""`sendlib run-cycle CYCLE_ID`: rebuild every table and report of a review cycle.

Exit status: 0 every report rendered; 1 a report or stage failed; 2 the config, the inputs or the
output folders cannot be used (or the cycle is being run already). Every error is one line on
stderr; `SENDLIB_DEBUG=1` shows the traceback of an unexpected one.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from sendlib.errors import RunFailed, SendlibInputError

HELP = "clean, run every notebook and render the reports of a review cycle"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("cycle_id", metavar="CYCLE_ID", help="a cycle named in the config file")
    parser.add_argument("--config", default="config/cycles.yml", help="cycles file (default: %(default)s)")
    parser.add_argument("--dry-run", action="store_true",
                        help="check the config, the inputs and the output folders as a run would; run nothing")
    parser.add_argument("--notebooks", nargs="*", metavar="NAME",
                        help="run only these notebooks (name prefix, e.g. 01 03)")
    parser.add_argument("--unsafe", action="store_true",
                        help="allow a publishing threshold below 5; every page then carries a warning")


def _stop(signum, frame):
    raise KeyboardInterrupt  # a service stop (SIGTERM) ends the run as Ctrl-C does: recorded, workers killed


def run(args: argparse.Namespace) -> int:
    from sendlib.reports.config import load_cycle

    cycle = load_cycle(args.cycle_id, args.config, root=Path.cwd(), unsafe=args.unsafe)
    from sendlib.reports.runner import dry_run, run_cycle  # the heavy imports, once the config is good

    if args.dry_run:
        return dry_run(cycle)
    signal.signal(signal.SIGTERM, _stop)
    try:
        return run_cycle(cycle, only=args.notebooks)
    except (SendlibInputError, KeyboardInterrupt):
        raise
    except RunFailed as exc:
        print(f"sendlib run-cycle: error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        if os.environ.get("SENDLIB_DEBUG"):
            raise
        line = (str(exc).splitlines() or [""])[0][:300]
        print(f"sendlib run-cycle: error: {type(exc).__name__}: {line} (SENDLIB_DEBUG=1 shows where)",
              file=sys.stderr)
        return 1
