"""Runs that are killed, fail, or meet another run: the previous good outputs stay untouched or
are clearly marked, no process of a run outlives it, and no page says "ready" over reports older
than the tables they show (issue 14, items 4 and 10).

Each test starts from a copy of the outputs of the session's full demo run (`cycle_run`) and runs
the real `sendlib run-cycle` command, marked by an environment variable that every process it
starts inherits, so the test can find them all in /proc whatever the runner does."""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, write_config

SENDLIB = ROOT / ".venv" / "bin" / "sendlib"
READY = re.compile(r">\s*ready\s*<")


def marked_processes(mark: str) -> dict[int, str]:
    """Live processes whose environment holds KILLTEST=mark: pid -> command line."""
    tag = f"KILLTEST={mark}".encode()
    out = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if tag in (entry / "environ").read_bytes().split(b"\0"):
                    out[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()[:100]
            except OSError:
                continue
    return out


def digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def untruthful(reports: Path, processed: Path) -> list[str]:
    """Reports that cycle.json or index.html call ready although their page is older than the tables."""
    tables = max((p.stat().st_mtime for p in processed.rglob("*.parquet")), default=0)
    data = json.loads((reports / "cycle.json").read_text())
    ready = {r["name"] for r in data["reports"] if r["status"] == "ready"}
    index = (reports / "index.html").read_text()
    for row in index.split("<tr")[1:]:
        name = re.search(r"href='(\d\d_[\w-]+)\.html'", row)
        if name and READY.search(row):
            ready.add(name.group(1))
    bad = [n for n in ready if not (reports / f"{n}.html").exists() or (reports / f"{n}.html").stat().st_mtime < tables]
    if data["state"] == "ready" and any(r["status"] != "ready" for r in data["reports"]):
        bad.append("cycle state ready over reports that are not")
    return bad


@pytest.fixture(scope="session")
def other_raw(tmp_path_factory) -> Path:
    """A second, smaller synthetic LA (seed 8, half the size): a run on it replaces every table of
    the demo run."""
    from sendlib import synthetic

    out = tmp_path_factory.mktemp("raw8") / "half"
    synthetic.generate(out, seed=8, scale=0.5)
    return out


@pytest.fixture
def previous(cycle_run, tmp_path):
    """A project holding a copy of the demo run's good outputs, as a good run leaves them (tables
    older than the reports built from them); returns (tmp, processed, reports)."""
    cycle, _ = cycle_run
    processed, reports = tmp_path / "processed", tmp_path / "reports" / "test"
    shutil.copytree(cycle.processed_dir, processed)
    shutil.copytree(cycle.reports_dir, reports)
    built = min(p.stat().st_mtime for p in reports.glob("*.html")) - 60
    for table in processed.rglob("*"):
        os.utime(table, (built, built))
    return tmp_path, processed, reports


def start(config: Path, mark: str, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "KILLTEST": mark}
    return subprocess.Popen([str(SENDLIB), "run-cycle", "test", "--config", str(config), "--quiet", *extra],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(condition, seconds: float, on_tick=None, run: subprocess.Popen | None = None) -> bool:
    """Poll `condition` until it holds (True), `seconds` pass or the `run` ends (False)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and (run is None or run.poll() is None):
        if on_tick:
            on_tick()
        if condition():
            return True
        time.sleep(0.2)
    return False


def kill_and_wait(proc: subprocess.Popen, mark: str) -> dict[int, str]:
    """kill -9 the runner; returns the processes of the run still alive 10 s later."""
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    wait_for(lambda: not marked_processes(mark), 10)
    return marked_processes(mark)


@pytest.mark.slow
def test_kill_during_the_notebooks(previous, other_raw):
    tmp, processed, reports = previous
    mark = uuid.uuid4().hex
    run = start(write_config(tmp, other_raw), mark)
    observed: list[str] = []

    def watch():
        observed.extend(untruthful(reports, processed))

    kernels = lambda: sum("ipykernel" in c for c in marked_processes(mark).values())  # noqa: E731
    assert wait_for(lambda: kernels() >= 1, 180, on_tick=watch, run=run), run.stderr and run.stderr.read()
    second = subprocess.run([str(SENDLIB), "run-cycle", "test", "--config", str(tmp / "cycles.yml")],
                            cwd=ROOT, capture_output=True, text=True)
    wait_for(lambda: False, 2, on_tick=watch)  # the kernels are at work
    running = marked_processes(mark)
    survivors = kill_and_wait(run, mark)
    watch()
    data = json.loads((reports / "cycle.json").read_text())
    assert survivors == {}, f"outlived the run: {survivors} (of {running})"
    assert observed == [], observed
    assert second.returncode == 2 and second.stderr.count("\n") == 1
    assert "already being run" in second.stderr and "Traceback" not in second.stderr
    assert data["state"] == "failed" and "stopped before it finished" in data["message"]
    assert {r["status"] for r in data["reports"]} == {"stale"}  # built from the tables the run replaced
    assert "stale" in (reports / "index.html").read_text() and "failed" in (reports / "index.html").read_text()
    assert sorted(p.name for p in (tmp / "reports" / ".staging").iterdir()) == ["test.lock"]
    assert [p.name for p in (tmp / ".staging").iterdir()] == []


@pytest.mark.slow
def test_kill_during_cleaning_leaves_the_previous_outputs_untouched(previous, other_raw):
    tmp, processed, reports = previous
    before_tables, before_reports = digests(processed), digests(reports)
    mark = uuid.uuid4().hex
    run = start(write_config(tmp, other_raw), mark)
    assert wait_for(lambda: (tmp / ".staging" / "processed" / "2021").exists(), 120, run=run), run.stderr.read()
    assert kill_and_wait(run, mark) == {}
    assert digests(processed) == before_tables
    changed = {k for k in before_reports if digests(reports).get(k) != before_reports[k]}
    assert changed <= {"cycle.json", "index.html"}
    data = json.loads((reports / "cycle.json").read_text())
    assert data["state"] == "failed"
    assert {r["status"] for r in data["reports"]} == {"ready"}  # the tables they show are still there
    assert untruthful(reports, processed) == []
    assert not (tmp / ".staging" / "processed").exists()


@pytest.mark.slow
def test_a_failed_clean_is_one_line_and_keeps_the_previous_outputs(previous, demo_raw):
    tmp, processed, reports = previous
    raw = tmp / "raw"
    shutil.copytree(demo_raw, raw)
    (raw / "2019" / "person.csv").write_bytes(b"%PDF-1.4 not an extract")
    before_tables, before_reports = digests(processed), digests(reports)
    config = write_config(tmp, raw)  # edited, the data are no longer the generator's: cleaned as real data
    config.write_text(config.read_text().replace("synthetic: true", "synthetic: false"))
    result = subprocess.run([str(SENDLIB), "run-cycle", "test", "--config", str(config), "--quiet"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "person.csv" in result.stderr and "PDF" in result.stderr
    assert "Traceback" not in result.stderr
    assert digests(processed) == before_tables
    assert {k for k in before_reports if digests(reports).get(k) != before_reports[k]} <= {"cycle.json", "index.html"}
    data = json.loads((reports / "cycle.json").read_text())
    assert data["state"] == "failed" and "PDF" in data["message"]
    assert "failed" in (reports / "index.html").read_text()


@pytest.mark.slow
def test_unsafe_threshold_warns_on_every_page_it_builds_and_a_partial_run_marks_the_rest_stale(previous):
    from sendlib import synthetic

    tmp, processed, reports = previous
    synthetic.generate(tmp / "raw", seed=9, scale=0.3)  # a small LA: a short run
    config = write_config(tmp, tmp / "raw")
    doc = yaml.safe_load(config.read_text())
    doc["cycles"]["test"]["threshold"] = 3
    config.write_text(yaml.safe_dump(doc))
    refused = subprocess.run([str(SENDLIB), "run-cycle", "test", "--config", str(config)],
                             cwd=ROOT, capture_output=True, text=True)
    assert refused.returncode == 2 and "--unsafe" in refused.stderr and refused.stderr.count("\n") == 1
    result = subprocess.run([str(SENDLIB), "run-cycle", "test", "--config", str(config), "--unsafe",
                             "--notebooks", "01", "--quiet"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    built = [reports / "01_data_quality.html", reports / "analyst" / "01_data_quality.html",
             reports / "tables" / "equality_tables.html", reports / "index.html", tmp / "reports" / "index.html"]
    for page in built:
        assert "Not for publication" in page.read_text(), page
    data = json.loads((reports / "cycle.json").read_text())
    assert data["parameters"]["unsafe"] is True and data["parameters"]["threshold"] == 3
    statuses = {r["name"]: r["status"] for r in data["reports"]}
    assert statuses.pop("01_data_quality") == "ready" and set(statuses.values()) == {"stale"}
    assert data["state"] == "stale" and untruthful(reports, processed) == []
    for name in statuses:  # kept from the earlier, safe run: no warning of this run on them
        assert "Not for publication" not in (reports / f"{name}.html").read_text()
