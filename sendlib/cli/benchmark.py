"""`sendlib benchmark [ZIP...] --la CODE OUT_DIR`: how an LA compares with its region, England and
comparator LAs on the published DfE figures (no person-level data)."""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

INTERMIXED = "paths"  # ZIP... --la CODE OUT_DIR: OUT_DIR after the option still joins the paths
HELP = "compare an LA's published SEND figures with its region, England and comparator LAs"
log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="[ZIP...] OUT_DIR",
                        help="DfE 'Education, health and care plans' release zips (default: the series "
                             "bundled with sendlib, with any `sendlib fetch-dfe` release on top), then the "
                             "folder for benchmark.csv and its companions")
    parser.add_argument("--la", required=True, help="the LA: old code (314), new code (E09000021) or name")
    parser.add_argument("--neighbours", type=Path, default=None,
                        help="the DfE children's services statistical neighbours list (CSV or Excel); "
                             "without it, sendlib's nearest neighbours on SEND indicators are used")
    parser.add_argument("-k", type=int, default=10, help="number of nearest neighbours (default 10)")


def run(args: argparse.Namespace) -> int:
    from sendlib import benchmark
    from sendlib.errors import SendlibInputError
    from sendlib.sources.published import from_zips, load_dfe

    if args.k < 1:
        raise SendlibInputError(f"-k must be at least 1, not {args.k}")
    *zips, out_dir = [Path(p) for p in args.paths]
    data = from_zips(zips) if zips else load_dfe()
    b = benchmark.build(data, args.la, neighbours=args.neighbours, k=args.k)
    paths = benchmark.write_tables(b, out_dir)
    log.info("%s: %d comparators (%s); wrote %s", b.name(b.area), len(b.comparators.codes), b.comparators.method,
             ", ".join(p.name for p in paths))
    return 0
