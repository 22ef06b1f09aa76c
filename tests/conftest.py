"""Shared fixtures. The real DfE files are read where they lie, in ../shared/data/dfe."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DFE_DIR = SHARED / "data" / "dfe"
DFE_2022 = DFE_DIR / "education-health-and-care-plans_2022.zip"
DFE_2025 = DFE_DIR / "education-health-and-care-plans_2025_to_202223.zip"


@pytest.fixture(scope="session")
def dfe_zips() -> list[Path]:
    """Both published DfE releases (the 2022 and the 2025 layouts)."""
    missing = [p for p in (DFE_2022, DFE_2025) if not p.exists()]
    if missing:  # CI always has ../shared beside the clone; failing loudly beats skipping.
        raise FileNotFoundError(f"real DfE data not found: {missing}; clone next to ../shared")
    return [DFE_2022, DFE_2025]
