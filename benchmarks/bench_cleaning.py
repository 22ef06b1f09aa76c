"""Benchmark: clean one census year of the 20x synthetic LA (about 40,000 EHCPs and 500,000 pupils),
from the SEN2 module CSVs and from the SEN2 XML return, side by side.

Targets: the CSV route under 60 seconds and 4 GB peak memory; the XML route under 60 seconds and
2 GB. The raw data is generated once with `sendlib demo-data --scale 20` (and `--format xml`)
into benchmarks/out/raw20 and raw20xml (separate processes, so that their memory does not count)
and reused by later runs. Each route is cleaned in its own child process, so that each peak is
its own.

    .venv/bin/python benchmarks/bench_cleaning.py [--year 2025] [--routes csv xml]

Prints rows, time and peak memory per route; exits 1 if a target is missed.
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
MEMORY_TARGET_MB = {"csv": 4096.0, "xml": 2048.0}
RAW = {"csv": OUT / "raw20", "xml": OUT / "raw20xml"}


def peak_mb() -> float:
    """Peak resident memory of this process in MB (Linux reports ru_maxrss in KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(route: str) -> None:
    """Generate the 20x LA for `route` if absent (a separate process)."""
    if (RAW[route] / "manifest.json").exists():
        return
    t = time.perf_counter()
    exe = Path(sys.executable).with_name("sendlib")
    subprocess.run([str(exe), "demo-data", str(RAW[route]), "--scale", "20", "--format", route], check=True)
    print(f"generated the 20x LA ({route}) in {time.perf_counter() - t:.1f} s")


def clean_once(route: str, year: int) -> dict:
    """Clean one year in this process and return its figures (run in a child process)."""
    manifest = json.loads((RAW[route] / "manifest.json").read_text())
    from sendlib import cleaning  # imported here: only the cleaner's memory counts

    base = peak_mb()
    t = time.perf_counter()
    result = cleaning.clean(RAW[route] / str(year), OUT / f"processed20_{route}_{year}",
                            manifest["census_dates"][str(year)], synthetic=True)
    seconds = time.perf_counter() - t
    files = result.summary["files"]
    return {"route": route, "seconds": seconds, "peak_mb": peak_mb(), "base_mb": base,
            "rows": sum(f["rows_read"] for f in files.values()), "tables": result.metadata["tables"],
            "problems": result.summary["problems"],
            "expected_caseload": manifest["years"][str(year)]["ehcp_caseload"]["total"]}


def report(r: dict) -> bool:
    """Print one route's figures; True if its targets are met."""
    tables, target = r["tables"], MEMORY_TARGET_MB[r["route"]]
    print(f"{r['route'].upper()} route: {r['rows']:,} rows read; EHCP caseload {tables['ehcp_caseload']:,}, "
          f"pupils {tables['pupils']:,}, SEN support {tables['sen_support']:,}, problems {r['problems']:,}")
    print(f"  time {r['seconds']:.1f} s (target < {TIME_TARGET_S:.0f} s)")
    print(f"  peak memory {r['peak_mb']:,.0f} MB (before cleaning {r['base_mb']:,.0f} MB; target < {target:,.0f} MB)")
    same = tables["ehcp_caseload"] == r["expected_caseload"]
    print(f"  caseload equals the generator's intended {r['expected_caseload']:,}: {same}")
    return r["seconds"] < TIME_TARGET_S and r["peak_mb"] < target and same


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--year", type=int, default=2025)
    ap.add_argument("--routes", nargs="+", choices=sorted(RAW), default=["csv", "xml"])
    ap.add_argument("--child", choices=sorted(RAW), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(clean_once(args.child, args.year)))
        return 0
    results = []
    for route in args.routes:
        generate(route)
        proc = subprocess.run([sys.executable, __file__, "--child", route, "--year", str(args.year)],
                              check=True, capture_output=True, text=True)
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    print(f"cleaned census {args.year} of the 20x synthetic LA")
    ok = all([report(r) for r in results])
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
