"""`sendlib clean RAW_DIR OUT_DIR --census-date`: one census year's extracts to cleaned tables."""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

HELP = "clean one census year's raw extracts into validated, pseudonymised tables"
logger = logging.getLogger(__name__)
DEFAULT_COLUMN_MAP = Path("config/column_map.yml")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from sendlib import pseudonymise

    parser.add_argument("raw_dir", metavar="RAW_DIR", help="folder with one census year's extracts")
    parser.add_argument("out_dir", metavar="OUT_DIR", help="folder for the processed tables")
    parser.add_argument("--census-date", required=True, metavar="YYYY-MM-DD", help="the census date, e.g. 2025-01-16")
    parser.add_argument("--la-code", help="the LA's three-digit code (recorded in metadata.json)")
    parser.add_argument("--la-name", help="the LA's name (recorded in metadata.json)")
    parser.add_argument("--column-map", metavar="YAML",
                        help="the LA's column map {file: {header: column}} (default config/column_map.yml if present)")
    parser.add_argument("--key-file", help=f"pseudonymisation key file (default {pseudonymise.DEFAULT_KEY_FILE}; "
                                           f"or set {pseudonymise.ENV_VAR})")
    parser.add_argument("--synthetic", action="store_true",
                        help="the extracts are `sendlib demo-data`'s (proved by its manifest's checksums): "
                             "pseudonymise with the published key")


def run(args: argparse.Namespace) -> int:
    """Run `sendlib clean`; returns 0 (warnings are reported as counts)."""
    from sendlib.cleaning import clean

    column_map = args.column_map or (DEFAULT_COLUMN_MAP if DEFAULT_COLUMN_MAP.is_file() else None)
    result = clean(args.raw_dir, args.out_dir, args.census_date, la_code=args.la_code, la_name=args.la_name,
                   key_file=args.key_file, synthetic=args.synthetic, column_map=column_map)
    files = result.summary["files"]
    read = sum(f["rows_read"] for f in files.values())
    rejected = sum(f["rows_rejected"] for f in files.values())
    logger.info("cleaned %s rows from %d files: %s kept, %s rejected; tables in %s", f"{read:,}", len(files),
                f"{read - rejected:,}", f"{rejected:,}", args.out_dir)
    counts = result.warnings_by_rule()
    if counts:
        logger.info("warnings: %s (see %s)", ", ".join(f"{rule} {n:,}" for rule, n in counts.items()),
                    Path(args.out_dir) / "quality_report.csv")
    return 0
