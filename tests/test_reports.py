"""The review-cycle runner on the small synthetic LA: every report renders, managers see no code,
no report leaks a person-level identifier or an unsuppressed small count, and failures are shown."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from sendlib.errors import ConfigError
from sendlib.reports import runner
from sendlib.reports.config import load_cycle
from tests.conftest import ROOT, write_config

pytestmark = pytest.mark.slow  # the whole review cycle runs once for this module (cycle_run)

CODE_CELL = re.compile(r'class="[^"]*\bjp-InputArea-editor\b')  # a code editor element, not the CSS rule
ERROR_TEXT = re.compile(r"Traceback|\b[A-Z]\w*(Error|Exception|Warning):")


def visible_text(page: str) -> str:
    """The text a reader sees: no style sheets, scripts or tags."""
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return re.sub(r"<[^>]+>", " ", page)


NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_all_reports_render(cycle_run):
    cycle, status = cycle_run
    summary = json.loads((cycle.reports_dir / "cycle.json").read_text())
    failed = {r["name"]: r["error"] for r in summary["reports"] if r["status"] != "ready"}
    assert failed == {} and status == 0 and summary["state"] == "ready"
    assert len(NOTEBOOKS) >= 7 and {"06_high_needs_budget", "07_how_we_compare"} <= set(NOTEBOOKS)
    for name in NOTEBOOKS:
        assert (cycle.reports_dir / f"{name}.html").stat().st_size > 10_000
        assert (cycle.reports_dir / "analyst" / f"{name}.html").exists()
        assert (cycle.reports_dir / "executed" / f"{name}.ipynb").exists()
    index = (cycle.reports_dir / "index.html").read_text()
    assert all(f"{name}.html" in index for name in NOTEBOOKS)
    assert "EHCPs at the" in index
    assert "test/index.html" in (cycle.reports_dir.parent / "index.html").read_text()


def test_how_we_compare_report(cycle_run):
    """Report 7: key points first, the comparators labelled as sendlib's own, rank and trend charts,
    every indicator sourced, and the tables in the DfE open-data layout among the downloads."""
    cycle, _ = cycle_run
    text = visible_text((cycle.reports_dir / "07_how_we_compare.html").read_text())
    assert text.index("Key points") < text.index("Where we stand among all LAs") < text.index("Sources")
    assert "nearest neighbours on SEND indicators (sendlib)" in text and "statistical neighbours" not in text
    assert "release 2025: timeliness_20_week.csv" in text and "release 2022: sen2_age_caseload.csv" in text
    assert "ONS population estimates by LA are not bundled" in text
    page = (cycle.reports_dir / "07_how_we_compare.html").read_text()
    assert page.count("data:image/png;base64") >= 2
    tables = pd.read_csv(cycle.reports_dir / "tables" / "benchmark.csv", dtype=str)
    own = tables[tables["comparison"] == "Local authority"]
    assert set(own["old_la_code"]) == {cycle.la_code} and set(own["new_la_code"]) == {cycle.new_la_code}
    assert "benchmark.csv" in (cycle.reports_dir / "index.html").read_text()


def test_manager_reports_have_no_code_and_end_with_provenance(cycle_run):
    cycle, _ = cycle_run
    for name in NOTEBOOKS:
        page = (cycle.reports_dir / f"{name}.html").read_text()
        assert not CODE_CELL.search(page), f"{name}: code visible to managers"
        text = visible_text(page)
        assert not ERROR_TEXT.search(text), f"{name}: error text shown to managers"
        assert not re.search(r"data-mime-type=\"application/vnd.jupyter.stderr", page), f"{name}: warnings shown"
        assert "Provenance" in page and "sha256" in page.lower()
        assert "data:image/png;base64" in page or name.startswith("01") or name.startswith("05")
        analyst = (cycle.reports_dir / "analyst" / f"{name}.html").read_text()
        assert CODE_CELL.search(analyst)


def _identifiers(raw_year: Path) -> set[str]:
    person = pd.read_csv(raw_year / "person.csv", dtype=str, keep_default_na=False)
    census = pd.read_csv(raw_year / "school_census.csv", dtype=str, keep_default_na=False)
    ids = set(person["upn"]) | set(census["upn"]) | set(person["postcode"])
    ids |= set(person["surname"] + " ") if False else set()
    return {i for i in ids if len(i) >= 6}


def test_no_report_contains_personal_identifiers(cycle_run, demo_raw):
    cycle, _ = cycle_run
    ids = _identifiers(demo_raw / "2025")
    person = pd.read_csv(demo_raw / "2025" / "person.csv", dtype=str, keep_default_na=False)
    dobs = {d for d in person["personbirthdate"] if d}
    for page in sorted(cycle.reports_dir.rglob("*.html")):
        text = page.read_text()
        tokens = set(re.findall(r"[A-Z][0-9A-Z]{12}", text))
        assert not (tokens & ids), f"{page.name} contains a UPN"
        assert not any(f" {pc}" in text for pc in list(person["postcode"])[:500] if pc), f"{page.name}: postcode"
        found = {d for d in re.findall(r"\d{4}-\d{2}-\d{2}", text)} & dobs
        assert not found - {str(cycle.census_date)}, f"{page.name} contains dates of birth {sorted(found)[:3]}"


def test_published_tables_have_no_small_counts(cycle_run):
    cycle, _ = cycle_run
    tables = pd.read_csv(cycle.reports_dir / "tables" / "equality_tables.csv", dtype=str)
    counts = pd.to_numeric(tables["count"].where(tables["count"] != "c"), errors="coerce")
    assert ((counts == 0) | (counts >= cycle.threshold) | counts.isna()).all()
    # the demo's small groups are combined (0-4 with 5-10) rather than hidden beside a large count
    assert "0-10" in set(tables["breakdown"]) and "0-4" not in set(tables.loc[tables["cohort"] == "EHCP", "breakdown"])


def test_rerun_gives_identical_tables(cycle_run):
    cycle, _ = cycle_run
    before = {p.relative_to(cycle.processed_dir): p.read_bytes()
              for p in cycle.processed_dir.rglob("*") if p.is_file()}
    tables_before = (cycle.reports_dir / "tables" / "equality_tables.csv").read_bytes()
    runner.clean_years(cycle)
    runner.publish_tables(cycle)
    after = {p.relative_to(cycle.processed_dir): p.read_bytes()
             for p in cycle.processed_dir.rglob("*") if p.is_file()}
    assert before.keys() == after.keys()
    assert [k for k in before if before[k] != after[k]] == []
    assert (cycle.reports_dir / "tables" / "equality_tables.csv").read_bytes() == tables_before


def test_failing_notebook_is_reported_and_others_still_run(demo_raw, tmp_path, monkeypatch):
    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    shutil.copy(ROOT / "notebooks" / "01_data_quality.ipynb", nbdir)
    broken = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Broken report"),
        nbformat.v4.new_code_cell("cycle_id = 'x'", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("print('reached')"),
        nbformat.v4.new_code_cell("raise ValueError('the census file had no pupils')"),
    ])
    nbformat.write(broken, nbdir / "00_broken.ipynb")
    monkeypatch.setattr(runner, "NOTEBOOK_DIR", nbdir)
    cycle = load_cycle("test", write_config(tmp_path, demo_raw), root=ROOT)
    status = runner.run_cycle(cycle)
    assert status == 1
    index = (cycle.reports_dir / "index.html").read_text()
    assert "the census file had no pupils" in index and "failed" in index
    assert (cycle.reports_dir / "01_data_quality.html").exists()
    analyst = (cycle.reports_dir / "analyst" / "00_broken.html").read_text()
    assert "reached" in analyst and "ValueError" in analyst
    manager = (cycle.reports_dir / "00_broken.html").read_text()
    assert "Traceback" not in manager and "could not be completed" in manager


def test_dry_run_reports_missing_inputs(tmp_path, capsys):
    cycle = load_cycle("test", write_config(tmp_path, tmp_path / "nowhere"), root=ROOT)
    with pytest.raises(ConfigError, match="does not exist"):
        runner.dry_run(cycle)
    assert "does not exist" in capsys.readouterr().out


def test_dry_run_names_a_missing_extract(demo_raw, tmp_path, capsys):
    raw = tmp_path / "raw"
    shutil.copytree(demo_raw, raw)
    (raw / "2023" / "sen_need.csv").unlink()
    cycle = load_cycle("test", write_config(tmp_path, raw), root=ROOT)
    with pytest.raises(ConfigError, match="sen_need"):
        runner.dry_run(cycle)
    out = capsys.readouterr().out
    assert "2023/sen_need.csv" in out and "missing" in out
    assert "2024/sen_need.csv" not in out


def test_cli_unknown_cycle_is_one_line(tmp_path):
    cfg = write_config(tmp_path, tmp_path)
    res = subprocess.run([str(ROOT / ".venv" / "bin" / "sendlib"), "run-cycle", "nope", "--config", str(cfg)],
                         capture_output=True, text=True)
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and "no cycle 'nope'" in res.stderr and "Traceback" not in res.stderr


SMALL_COUNT_REPORTS = ("02", "03", "05")  # the reports that count people by characteristic


def _leading_integers(page: str) -> list[int]:
    """Integers that stand alone in a table cell ('12', '1,234', '12 (3.4%)')."""
    cells = re.findall(r"<td[^>]*>\s*([^<]*?)\s*</td>", page)
    out = []
    for cell in cells:
        m = re.fullmatch(r"(\d[\d,]*)(\s*\([^)]*\))?", cell.strip())
        if m:
            out.append(int(m.group(1).replace(",", "")))
    return out


def test_reports_show_no_count_below_threshold(cycle_run):
    cycle, _ = cycle_run
    for name in NOTEBOOKS:
        if not name.startswith(SMALL_COUNT_REPORTS):
            continue
        # the provenance block and the disclosure audit (counts of cells, not people) are not scanned
        page = (cycle.reports_dir / f"{name}.html").read_text().split("Provenance")[0].split("Disclosure audit")[0]
        numbers = _leading_integers(page)
        assert len(numbers) > 20, f"{name}: no tables found"
        small = [n for n in numbers if 0 < n < cycle.threshold]
        assert small == [], f"{name} shows counts below the threshold: {small[:10]}"


def test_small_count_scan_catches_a_leak():
    page = "<table><tr><td>Male</td><td>1,407</td></tr><tr><td>Female</td><td>3 (0.2%)</td></tr></table>"
    assert [n for n in _leading_integers(page) if 0 < n < 5] == [3]


def test_rerun_gives_the_same_report_content(cycle_run, tmp_path):
    """Executing a report again gives the same HTML apart from the run time and cell ids."""
    import dataclasses

    from sendlib.reports.render import render

    cycle, _ = cycle_run
    again = dataclasses.replace(cycle, reports_dir=tmp_path / "again")
    name = "02_ehcp_profile"
    run = runner.execute(ROOT / "notebooks" / f"{name}.ipynb", again)
    assert run.status == "ok", run.error
    render(again.reports_dir / "executed" / f"{name}.ipynb", again.reports_dir / f"{name}.html",
           again.reports_dir / "analyst" / f"{name}.html")

    def content(path: Path) -> str:
        text = path.read_text()
        text = re.sub(r"run \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", "run <time>", text)
        return re.sub(r'id="cell-id=[^"]*"', "", text)

    assert content(again.reports_dir / f"{name}.html") == content(cycle.reports_dir / f"{name}.html")
