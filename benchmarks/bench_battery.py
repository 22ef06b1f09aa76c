"""The hostile-input battery's counts (issue 14): every case of tests/battery run once, each sorted
into clean error, correct acceptance, traceback, leak, silent loss or wrong answer.

    .venv/bin/python benchmarks/bench_battery.py [-k SUBSTRING] [--verbose]

Prints one line per case that did not keep its promises (all with --verbose), then the counts,
split into the cases expected to hold and those marked with an open issue item.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.battery import ALL_CASES, PersonalValues, make_small_raw, run_case  # noqa: E402

KINDS = ["clean error", "correct acceptance", "traceback", "silent loss", "leak", "wrong answer"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", default="", help="run only cases whose name contains this")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    cases = [c for c in ALL_CASES if args.k in c.name]
    with tempfile.TemporaryDirectory(prefix="battery-") as tmp:
        started = time.perf_counter()
        raw = make_small_raw(Path(tmp) / "raw")
        personal = PersonalValues.of(raw)
        counts: dict[str, Counter] = {"held": Counter(), "open": Counter()}
        for i, case in enumerate(cases):
            outcome = run_case(case, Path(tmp) / f"case{i}", raw, personal)
            counts["open" if case.open_issue else "held"][outcome.kind] += 1
            if args.verbose or not outcome.ok:
                mark = f" [open: {case.open_issue}]" if case.open_issue else ""
                print(f"{outcome.kind:18} {outcome.explain()[:400]}{mark}")
        seconds = time.perf_counter() - started
    print(f"\n{len(cases)} inputs tried in {seconds:.0f} s")
    for group, counter in counts.items():
        print(f"{group:5} {sum(counter.values()):4}: " + ", ".join(f"{k} {counter[k]}" for k in KINDS))
    total = counts["held"] + counts["open"]
    print("all  " + f"{sum(total.values()):5}: " + ", ".join(f"{k} {total[k]}" for k in KINDS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
