"""Headless Chromium opens each manager report: the page shows its tables and charts, no code and
no error text. Needs Debian's `chromium` (installed by .ci/run)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from tests.test_reports import CODE_CELL, ERROR_TEXT, NOTEBOOKS, visible_text

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]

if CHROMIUM is None and os.environ.get("CI"):
    raise RuntimeError("chromium is required in CI for the browser test (apt-get install chromium)")
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install chromium)")]


def chromium(tmp_path, *args) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile{len(list(tmp_path.glob('profile*')))}"
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_manager_report_in_browser(cycle_run, tmp_path, name):
    cycle, _ = cycle_run
    page = cycle.reports_dir / f"{name}.html"
    shot = tmp_path / f"{name}.png"
    res = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", page.as_uri())
    assert shot.exists() and shot.stat().st_size > 20_000, res.stderr[-500:]
    dom = chromium(tmp_path, "--dump-dom", "--virtual-time-budget=3000", page.as_uri()).stdout
    assert "<table" in dom
    if not name.startswith(("01", "05")):
        assert re.search(r"<img[^>]+src=\"data:image/png;base64", dom), f"{name}: no chart"
    assert not CODE_CELL.search(dom), f"{name}: code cell shown"
    text = visible_text(dom)
    assert not ERROR_TEXT.search(text), f"{name}: error text shown to managers"
    assert "could not be completed" not in text


def test_index_pages_in_browser(cycle_run, tmp_path):
    """The cycle index and the all-cycles index (built by sendlib.render) open and link every report."""
    cycle, _ = cycle_run
    dom = chromium(tmp_path, "--dump-dom", cycle.reports_dir.joinpath("index.html").as_uri()).stdout
    assert all(f'href="{name}.html"' in dom for name in NOTEBOOKS), dom[:500]
    assert "EHCPs at the" in visible_text(dom) and "ready" in visible_text(dom)
    top = chromium(tmp_path, "--dump-dom", cycle.reports_dir.parent.joinpath("index.html").as_uri()).stdout
    assert 'href="test/index.html"' in top and f"{len(NOTEBOOKS)}/{len(NOTEBOOKS)} reports" in visible_text(top)
