"""`sendlib demo-data OUT_DIR`: write a synthetic local authority's extracts."""
from __future__ import annotations

import argparse
from pathlib import Path

from sendlib.errors import SendlibInputError

HELP = "write a synthetic local authority's SEN2, census and lookup files"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out_dir", metavar="OUT_DIR", help="folder to write (one sub-folder per census year)")
    parser.add_argument("--seed", type=int, default=7,
                        help="random seed (default 7); the same seed gives identical files")
    parser.add_argument("--defects", type=float, default=0.0, metavar="RATE",
                        help="share of eligible cells/rows given a realistic defect, e.g. 0.02 (default 0: clean)")
    parser.add_argument("--scale", type=float, default=1.0, metavar="X",
                        help="size relative to a Kingston-sized LA (default 1; 20 = ~40,000 EHCPs)")
    parser.add_argument("--format", choices=("csv", "xml"), default="csv", dest="fmt",
                        help="the SEN2 return as module CSVs (default) or as one XML file a year (sen2.xml)")
    parser.add_argument("--census-headers", choices=("spec", "mis"), default="spec",
                        help="school census headers: sendlib's (default) or a school MIS export's "
                             "(DOB, Gender, SENtype, LAEstab, ...)")


def run(args: argparse.Namespace) -> int:
    from sendlib.synthetic import generate

    out = Path(args.out_dir)
    if out.exists() and not out.is_dir():
        raise SendlibInputError("exists and is not a folder", file=str(out), hint="choose a folder path for OUT_DIR")
    generate(out, seed=args.seed, defects=args.defects, scale=args.scale, fmt=args.fmt,
             census_headers=args.census_headers)
    return 0
