"""Benchmark of `sendlib demo-data`: a Kingston-sized LA (scale 1) and a 20x larger LA, all census
years 2019-2025. Prints wall time, peak memory and size; exits 1 if a target is missed.

Targets: scale 1 in under 10 s; scale 20 (about 40,000 EHCPs and 500,000 pupils a year) in
under 2 minutes. Each run is a separate process so that its peak RSS is its own.

    .venv/bin/python benchmarks/bench_synthetic.py [--keep DIR]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {1: 10.0, 20: 120.0}
CHILD = """
import resource, sys, time, json
from sendlib.synthetic import generate
t = time.perf_counter()
m = generate(sys.argv[1], seed=7, scale=float(sys.argv[2]))
elapsed = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
y = m["years"]["2025"]
print(json.dumps({"seconds": elapsed, "peak_rss_mb": rss, "ehcp_2025": y["ehcp_caseload"]["total"],
                  "pupils_2025": y["pupils"]["total"], "ehcp_2019": m["years"]["2019"]["ehcp_caseload"]["total"]}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", help="write the data here instead of a temporary folder")
    args = parser.parse_args()
    failed = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.keep or tmp)
        for scale, limit in TARGETS.items():
            t = time.perf_counter()
            out = subprocess.run([sys.executable, "-c", CHILD, str(root / f"scale{scale}"), str(scale)],
                                 capture_output=True, text=True)
            if out.returncode != 0:
                print(out.stderr, file=sys.stderr)
                failed.append(f"scale {scale}: generator failed")
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            wall = time.perf_counter() - t
            print(f"demo-data scale {scale:>2}: {r['seconds']:6.1f} s generate ({wall:.1f} s with start-up), "
                  f"peak RSS {r['peak_rss_mb']:,.0f} MB, EHCPs 2019 {r['ehcp_2019']:,} / 2025 {r['ehcp_2025']:,}, "
                  f"pupils 2025 {r['pupils_2025']:,}  (target < {limit:.0f} s)")
            if r["seconds"] > limit:
                failed.append(f"scale {scale}: {r['seconds']:.1f} s > {limit:.0f} s")
            if scale == 20 and not (35_000 <= r["ehcp_2025"] <= 45_000 and 450_000 <= r["pupils_2025"] <= 600_000):
                failed.append(f"scale 20: size off target ({r['ehcp_2025']} EHCPs, {r['pupils_2025']} pupils)")
    if failed:
        print("MISSED: " + "; ".join(failed))
        return 1
    print("all synthetic-data targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
