"""Rebuild the DfE series bundled inside the package from the release zips in data/external/.

    .venv/bin/python scripts/build_dfe_bundle.py [ZIP...]

Writes sendlib/sources/data/dfe_rows.csv.gz (every row the loader reads, as published),
dfe_parts.csv.gz (what each total's parts say it should be) and dfe_sources.json (zip names and
SHA-256). The same zips always give byte-identical files; tests/test_dfe.py checks that the bundle
matches data/external/. Run it after adding or replacing a release zip in data/external/.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    from sendlib.errors import SendlibInputError
    from sendlib.sources.published import write_bundle

    zips = [Path(a) for a in argv] or sorted((ROOT / "data" / "external").glob("*.zip"))
    try:
        for path in write_bundle(zips):
            print(f"{path.relative_to(ROOT)}  {path.stat().st_size:,} bytes")
    except SendlibInputError as exc:
        print(f"build_dfe_bundle: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
