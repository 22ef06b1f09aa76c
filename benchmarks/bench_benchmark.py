"""Benchmark: `sendlib benchmark` for three LAs of different regions (Kingston upon Thames, London;
Leeds, Yorkshire and The Humber; Cornwall, South West), from the release zips in data/external/
and from the bundled series.

Target: each run under 30 seconds wall clock, a fresh process each time (imports, reading and
checking every DfE figure, nearest neighbours, writing the tables).

    .venv/bin/python benchmarks/bench_benchmark.py

Prints the seconds of each run; exits 1 if a target is missed.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAS = {"314": "Kingston upon Thames", "383": "Leeds", "908": "Cornwall"}
TIME_TARGET_S = 30.0


def run(args: list[str]) -> float:
    exe = Path(sys.executable).with_name("sendlib")
    t = time.perf_counter()
    subprocess.run([str(exe), "benchmark", *args], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def main() -> int:
    zips = [str(p) for p in sorted((ROOT / "data" / "external").glob("*.zip"))]
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for code, name in LAS.items():
            from_zips = run([*zips, "--la", code, f"{tmp}/{code}-zips"])
            from_bundle = run(["--la", code, f"{tmp}/{code}-bundle"])
            rows = len(Path(f"{tmp}/{code}-zips/benchmark.csv").read_text(encoding="utf-8").splitlines()) - 1
            print(f"{name:22} ({code}): {from_zips:5.1f} s from the zips, {from_bundle:5.1f} s from the bundle, "
                  f"{rows} rows in benchmark.csv")
            worst = max(worst, from_zips, from_bundle)
    ok = worst < TIME_TARGET_S
    print(f"slowest run {worst:.1f} s (target < {TIME_TARGET_S:.0f} s): {'OK' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
