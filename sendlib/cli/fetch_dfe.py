"""`sendlib fetch-dfe`: download a DfE EHCP release into the local cache."""
from __future__ import annotations

import argparse
from pathlib import Path

HELP = "download a DfE EHCP release into the local cache"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from sendlib.sources.fetch import default_cache_dir

    src = parser.add_mutually_exclusive_group()
    src.add_argument("--url", help="URL of a release zip (default: the 2025 release on explore-education-statistics)")
    src.add_argument("--release-id", help="explore-education-statistics release version id")
    parser.add_argument("--cache-dir", type=Path, default=None,
                        help=f"cache directory (default {default_cache_dir()})")
    parser.add_argument("--sha256", default=None, help="expected SHA-256 of the zip")
    parser.add_argument("--force", action="store_true", help="download again even when cached")


def run(args: argparse.Namespace) -> int:
    from sendlib.sources.fetch import fetch_release

    path = fetch_release(args.url, release_id=args.release_id, cache_dir=args.cache_dir,
                         expected_sha256=args.sha256, force=args.force, progress=not args.quiet)
    print(path)
    return 0
