"""The hostile-input battery of issue 14: builders of bad inputs (one module per command or kind of
input) and the harness that runs each case and judges it (:mod:`tests.battery.harness`).

To add cases: write them in the module of their kind (or a new module listed in :data:`ALL_CASES`)
as :class:`Case` objects; `tests/test_battery.py` runs every case of :data:`ALL_CASES` and
`benchmarks/bench_battery.py` prints the counts.
"""
from __future__ import annotations

from pathlib import Path

from tests.battery import clean_cases, dfe_cases, runner_cases, tool_cases
from tests.battery.harness import KEY, YEAR, Case, Outcome, PersonalValues, Workspace, check, evaluate, run_case

ALL_CASES: list[Case] = [*clean_cases.CASES, *dfe_cases.CASES, *tool_cases.CASES, *runner_cases.CASES]

__all__ = ["ALL_CASES", "Case", "Outcome", "PersonalValues", "Workspace", "check", "evaluate", "make_small_raw",
           "run_case"]


def make_small_raw(out: Path) -> Path:
    """Generate the battery's small synthetic LA (seed 7, a tenth of the demo's size) in `out`, and
    clean its latest census year into `out/../processed` for the cases that start from tables."""
    from sendlib import synthetic
    from sendlib.cleaning import clean

    synthetic.generate(out, seed=7, scale=0.1)
    key = out.parent / "battery.key"
    key.write_text(KEY + "\n")
    clean(out / str(YEAR), out.parent / "processed", "2025-01-16", la_code="314", la_name="Battery LA",
          key_file=str(key))
    return out
