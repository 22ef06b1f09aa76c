"""Benchmark: clean one census year of the 20x synthetic LA (about 40,000 EHCPs and 500,000 pupils).

Targets: under 60 seconds and under 4 GB peak memory. The raw data is generated once with
`sendlib demo-data --scale 20` into benchmarks/out/raw20 (a separate process, so that its memory
does not count here) and reused by later runs.

    .venv/bin/python benchmarks/bench_cleaning.py [--year 2025] [--raw DIR]

Prints rows, time and peak memory; exits 1 if a target is missed.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
TIME_TARGET_S = 60.0
MEMORY_TARGET_MB = 4096.0


def peak_mb() -> float:
    """Peak resident memory of this process in MB (Linux reports ru_maxrss in KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--year", type=int, default=2025)
    ap.add_argument("--raw", type=Path, default=OUT / "raw20", help="20x synthetic LA (generated if absent)")
    args = ap.parse_args()
    if not (args.raw / "manifest.json").exists():
        t = time.perf_counter()
        exe = Path(sys.executable).with_name("sendlib")
        subprocess.run([str(exe), "demo-data", str(args.raw), "--scale", "20"], check=True)
        print(f"generated the 20x LA in {time.perf_counter() - t:.1f} s")
    manifest = json.loads((args.raw / "manifest.json").read_text())
    census_date = manifest["census_dates"][str(args.year)]

    from sendlib import cleaning  # imported after generation: only the cleaner's memory counts

    base = peak_mb()
    t = time.perf_counter()
    result = cleaning.clean(args.raw / str(args.year), OUT / f"processed20_{args.year}", census_date)
    seconds = time.perf_counter() - t
    peak = peak_mb()
    files = result.summary["files"]
    rows = sum(f["rows_read"] for f in files.values())
    tables = result.metadata["tables"]
    print(f"cleaned census {args.year} of the 20x synthetic LA: {rows:,} rows read "
          f"({files['school_census.csv']['rows_read']:,} school census rows)")
    print(f"  EHCP caseload {tables['ehcp_caseload']:,}, pupils {tables['pupils']:,}, "
          f"SEN support {tables['sen_support']:,}, problems logged {result.summary['problems']:,}")
    print(f"  time {seconds:.1f} s (target < {TIME_TARGET_S:.0f} s)")
    print(f"  peak memory {peak:,.0f} MB (before cleaning {base:,.0f} MB; target < {MEMORY_TARGET_MB:,.0f} MB)")
    expected = manifest["years"][str(args.year)]["ehcp_caseload"]["total"]
    ok = seconds < TIME_TARGET_S and peak < MEMORY_TARGET_MB and tables["ehcp_caseload"] == expected
    print(f"  caseload equals the generator's intended {expected:,}: {tables['ehcp_caseload'] == expected}")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
