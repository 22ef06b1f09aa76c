"""Shared fixtures and Hypothesis profiles. The real DfE release zips are the copies kept in
data/external/.

Hypothesis: profile ``ci`` (derandomised, so that a commit passes or fails the same way every
time) when the ``CI`` environment variable is set; otherwise ``dev``, a deeper random search for
local runs. ``HYPOTHESIS_PROFILE`` picks one explicitly. Every failure a search finds becomes an
explicit ``@example`` or test of its own.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import settings

settings.register_profile("ci", derandomize=True, max_examples=100, deadline=None, print_blob=True)
settings.register_profile("dev", max_examples=400, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))

ROOT = Path(__file__).resolve().parents[1]
DFE_DIR = ROOT / "data" / "external"
# The tests see the bundled DfE series only, never a release some user fetched into their cache
# (the kernels of executed notebooks inherit this too).
os.environ["SENDLIB_CACHE"] = tempfile.mkdtemp(prefix="sendlib-test-cache-")
# Extracts a test writes by hand are real data to the cleaner (only the generator's, proved by its
# manifest and cleaned with `synthetic=True`, get the published key): they are pseudonymised with
# this key, known to everyone and so only for tests. A developer's own key never reaches a test.
TEST_KEY = "0123456789abcdef" * 4  # 256 bits of hex to the strength check
os.environ["SENDLIB_PSEUDONYM_KEY"] = TEST_KEY


def _test_finance_config() -> str:
    """The demo's finance inputs for every cycle name the tests use ("test" and the demo's)."""
    doc = yaml.safe_load((ROOT / "config" / "finance.yml").read_text(encoding="utf-8"))
    doc["cycles"] = {name: {} for name in ("test", "demo", "demo-defects")}
    path = Path(tempfile.mkdtemp(prefix="sendlib-test-finance-")) / "finance.yml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return str(path)


# Report 6 of the tests' cycles reads its finance inputs from here (kernels inherit it too).
os.environ["SENDLIB_FINANCE_CONFIG"] = _test_finance_config()
DFE_2022 = DFE_DIR / "education-health-and-care-plans_2022.zip"
DFE_2025 = DFE_DIR / "education-health-and-care-plans_2025_to_202223.zip"


@pytest.fixture(scope="session")
def dfe_zips() -> list[Path]:
    """Both published DfE releases (the 2022 and the 2025 layouts)."""
    missing = [p for p in (DFE_2022, DFE_2025) if not p.exists()]
    if missing:  # they are part of the repository; failing loudly beats skipping
        raise FileNotFoundError(f"real DfE data not found: {missing}")
    return [DFE_2022, DFE_2025]


def write_config(tmp: Path, raw: Path, name: str = "test") -> Path:
    """A cycles.yml in `tmp` for a test cycle on the raw folder `raw`, with the project's defaults
    (the LA's targets and the like) and paths allowed in `tmp` and `raw`."""
    project = yaml.safe_load((ROOT / "config" / "cycles.yml").read_text())
    defaults = {**project["defaults"], "threshold": 5, "horizon": 3}
    cfg = {"paths_outside_project": [str(tmp), str(raw)], "defaults": defaults,
           "cycles": {name: {"title": "Test cycle", "census_date": "2025-01-16", "la_code": "314",
                             "new_la_code": "E09000021", "la_name": "Test LA", "raw_dir": str(raw),
                             "processed_dir": str(tmp / "processed"), "reports_dir": str(tmp / "reports" / name),
                             "synthetic": True}}}
    path = tmp / "cycles.yml"
    path.write_text(yaml.safe_dump(cfg))
    return path


@pytest.fixture(scope="session")
def demo_raw(tmp_path_factory) -> Path:
    """The synthetic demo LA (seed 7), generated once per test session."""
    from sendlib import synthetic

    out = tmp_path_factory.mktemp("raw") / "demo"
    synthetic.generate(out, seed=7)
    return out


@pytest.fixture(scope="session")
def personal_values(demo_raw):
    """The UPNs, ULNs, postcodes, dates of birth and names of the demo LA (tests.battery)."""
    from tests.battery import PersonalValues

    return PersonalValues.of(demo_raw)


@pytest.fixture(scope="session")
def cycle_run(demo_raw, tmp_path_factory):
    """The whole review cycle run once on the demo LA: (cycle, exit status)."""
    from sendlib.reports import runner
    from sendlib.reports.config import load_cycle

    tmp = tmp_path_factory.mktemp("cycle")
    cycle = load_cycle("test", write_config(tmp, demo_raw), root=ROOT)
    status = runner.run_cycle(cycle)
    return cycle, status


