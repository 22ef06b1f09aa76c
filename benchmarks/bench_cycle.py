"""Benchmark: a full demo review cycle (clean seven census years, publish the equality tables,
execute the seven notebooks two at a time and render manager and analyst HTML) on the Kingston-sized synthetic LA.
Target: under 60 seconds on this machine (2 cores). Prints the figures; exits 1 if missed."""
from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sendlib import synthetic  # noqa: E402
from sendlib.reports import runner  # noqa: E402
from sendlib.reports.config import load_cycle  # noqa: E402
from tests.conftest import write_config  # noqa: E402

TARGET_SECONDS = 60.0


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        synthetic.generate(tmp / "raw", seed=7)
        generated = time.perf_counter() - t
        cycle = load_cycle("test", write_config(tmp, tmp / "raw"), root=ROOT)
        t = time.perf_counter()
        status = runner.run_cycle(cycle)
        seconds = time.perf_counter() - t
        pages = sorted(cycle.reports_dir.rglob("*.html"))
        size = sum(p.stat().st_size for p in pages)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"demo data generated in {generated:.1f} s (not part of the cycle)")
    print(f"full cycle: {seconds:.1f} s (target < {TARGET_SECONDS:.0f} s), exit status {status}, "
          f"{len(pages)} HTML pages, {size / 1e6:.1f} MB")
    print(f"peak memory: runner {peak:.0f} MB, largest kernel {children:.0f} MB")
    ok = status == 0 and seconds < TARGET_SECONDS
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
