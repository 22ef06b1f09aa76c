"""`sendlib equality PROCESSED_DIR OUT_DIR`: publishable equality-assessment tables."""
from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from sendlib.errors import SendlibInputError

HELP = "equality-assessment tables with disclosure control and disproportionality"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from sendlib.disclosure import THRESHOLD
    from sendlib.equality.categories import GROUPINGS

    parser.add_argument("processed_dir", metavar="PROCESSED_DIR", help="folder written by `sendlib clean`")
    parser.add_argument("out_dir", metavar="OUT_DIR", help="folder for equality_tables.csv/.meta.csv/.xlsx/.html")
    parser.add_argument("--threshold", type=int, default=THRESHOLD,
                        help="counts from 1 to THRESHOLD-1 are suppressed (default: %(default)s)")
    parser.add_argument("--ethnicity-grouping", choices=list(GROUPINGS), default="dfe",
                        help="dfe: Chinese within Asian; kingston: Chinese as its own group")
    parser.add_argument("--census-date", help="YYYY-MM-DD (default: from metadata.json)")
    parser.add_argument("--la-code", help="old three-digit LA code (default: from metadata.json)")
    parser.add_argument("--new-la-code", help="nine-character LA code (default: from metadata.json)")
    parser.add_argument("--la-name", help="LA name (default: from metadata.json)")
    parser.add_argument("--cell-size", type=int, default=10,
                        help="minimum cohort count of a group for a disproportionality flag (default: %(default)s)")
    parser.add_argument("--n-size", type=int, default=30,
                        help="minimum pupils in a group for a disproportionality flag (default: %(default)s)")


def _census_date(text: str | None) -> str | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise SendlibInputError(f"census date {text!r} is not YYYY-MM-DD") from None


def _check_sizes(args: argparse.Namespace) -> None:
    """The publishing threshold and the flag sizes, before anything is read or written."""
    from sendlib.reports.config import SAFE_THRESHOLD

    if args.threshold < SAFE_THRESHOLD:
        raise SendlibInputError(f"--threshold {args.threshold} is below {SAFE_THRESHOLD}: counts that small "
                                "must not be published", hint=f"give --threshold {SAFE_THRESHOLD} or more")
    for option, value in (("--cell-size", args.cell_size), ("--n-size", args.n_size)):
        if value < 1:
            raise SendlibInputError(f"{option} {value} must be a whole number of at least 1")


def run(args: argparse.Namespace) -> int:
    """Write the tables (the summary line is logged by the library); 0 when the audit passed."""
    from sendlib.equality import write_tables
    from sendlib.reports.staging import require_writable

    _check_sizes(args)
    folder = Path(args.processed_dir)
    if not folder.is_dir():
        raise SendlibInputError("processed folder not found", file=str(folder),
                                hint="give the folder that `sendlib clean` wrote")
    require_writable(args.out_dir, "output folder", {"processed folder": folder})
    write_tables(folder, args.out_dir, args.threshold, args.ethnicity_grouping,
                 la_code=args.la_code, new_la_code=args.new_la_code, la_name=args.la_name,
                 census_date=_census_date(args.census_date), cell_size=args.cell_size, n_size=args.n_size)
    return 0
