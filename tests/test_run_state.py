"""The pieces that keep a run's outputs and processes in order: staging swaps, the status record,
the run lock, and processes that die with their parent."""
from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from sendlib.errors import ConfigError
from sendlib.reports import staging, status, supervise

pytestmark = pytest.mark.fast


def test_swap_replaces_the_folder_whole_and_recover_repairs_a_cut_swap(tmp_path):
    target = tmp_path / "reports" / "demo"
    target.mkdir(parents=True)
    (target / "old.html").write_text("old")
    stage = staging.fresh_staging(target)
    (stage / "new.html").write_text("new")
    staging.swap_into_place(stage, target)
    assert sorted(p.name for p in target.iterdir()) == [staging.MARKER, "new.html"]
    assert list((tmp_path / "reports" / staging.STAGING).iterdir()) == []
    # killed between the two renames: the previous copy is put back, the half-built one removed
    stage = staging.fresh_staging(target)
    os.rename(target, tmp_path / "reports" / staging.STAGING / "demo.old")
    staging.recover(target)
    assert (target / "new.html").read_text() == "new" and not stage.exists()


def test_write_atomic_leaves_an_ordinary_file_and_no_temporary(tmp_path):
    path = tmp_path / "index.html"
    staging.write_atomic(path, "one")
    staging.write_atomic(path, "two")
    assert path.read_text() == "two" and [p.name for p in tmp_path.iterdir()] == ["index.html"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~staging._UMASK


def test_output_problems(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()

    def problems(processed, reports):
        return staging.output_problems({"processed folder": (processed, "processed"),
                                        "reports folder": (reports, "reports")}, {"raw data folder": raw})

    assert problems(tmp_path / "p", tmp_path / "r") == []
    assert "inside the raw data folder" in problems(raw / "p", tmp_path / "r")[0]
    assert "which each run replaces" in problems(tmp_path, tmp_path / "r")[0]
    assert "inside one another" in problems(tmp_path / "p", tmp_path / "p" / "r")[0]
    (tmp_path / "f").write_text("x")
    assert "is a file" in problems(tmp_path / "f", tmp_path / "r")[0]
    assert "is a file" in problems(tmp_path / "f" / "p", tmp_path / "r")[0]
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "notes.docx").write_text("x")
    assert "did not write (notes.docx)" in problems(tmp_path / "p", tmp_path / "r")[0]
    (tmp_path / "r" / staging.MARKER).write_text("")
    assert problems(tmp_path / "p", tmp_path / "r") == []  # marked as ours: replaced whole


def _data(reports, tables):
    return {"cycle_id": "x", "title": "x", "census_date": "2025-01-16", "la_name": "x", "processed_dir": "/nowhere",
            "state": "ready", "message": "", "run": {"started": "t", "finished": "t", "pid": 1},
            "tables": tables, "parameters": {}, "reports": reports, "stage_errors": {}}


def test_status_is_made_truthful_against_the_tables(tmp_path):
    processed = tmp_path / "processed"
    (processed / "2025").mkdir(parents=True)
    (processed / "2025" / "t.parquet").write_bytes(b"one")
    first = status.tables_fingerprint(processed)
    reports = [status.report_entry("01_a", "A", True, 1.0, None, first),
               status.report_entry("02_b", "B", False, 1.0, "ValueError: x", first)]
    data = {**_data(reports, first), "processed_dir": str(processed)}
    assert [r["status"] for r in status.current(data)["reports"]] == ["ready", "failed"]
    (processed / "2025" / "t.parquet").write_bytes(b"two")
    now = status.current(data)
    assert status.tables_fingerprint(processed) != first
    assert [r["status"] for r in now["reports"]] == ["stale", "failed"] and now["state"] == "stale"
    running = status.current({**data, "state": "running"}, running=False)
    assert running["state"] == "failed" and "stopped without finishing" in running["message"]


def test_a_cycle_json_of_an_earlier_sendlib_is_read(tmp_path):
    legacy = {"cycle_id": "demo", "title": "t", "census_date": "2025-01-16", "la_name": "x",
              "reports": [{"name": "01_a", "title": "A", "status": "ok", "seconds": 1.0, "error": None}],
              "stage_errors": {}}
    data = status.current(legacy)
    assert data["state"] == "ready" and data["reports"][0]["status"] == "ready"


def test_the_run_lock_admits_one_run(tmp_path):
    path = tmp_path / ".staging" / "demo.lock"
    with supervise.RunLock(path, "demo"):
        assert supervise.RunLock.held(path)
        with pytest.raises(ConfigError, match=rf"already being run \(process {os.getpid()} since"):
            supervise.RunLock(path, "demo").__enter__()
    assert not supervise.RunLock.held(path)
    with supervise.RunLock(path, "demo"):
        pass


CHILD = """
import os, subprocess, sys, time
grandchild = subprocess.Popen([sys.executable, "-c",
    "from sendlib.reports import supervise; import time, sys; supervise.die_with_parent(int(sys.argv[1])); "
    "print('ready', flush=True); time.sleep(60)", str(os.getpid())], stdout=subprocess.PIPE, text=True)
grandchild.stdout.readline()
print(grandchild.pid, flush=True)
time.sleep(60)
"""


def _state(pid: int) -> str:
    """A process's state letter (Z: dead, waiting to be reaped), or "gone"."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def test_a_process_asking_to_die_with_its_parent_does(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True)
    grandchild = int(child.stdout.readline())
    assert Path(f"/proc/{grandchild}").exists()
    child.kill()
    child.wait()
    deadline = time.monotonic() + 5
    state = _state(grandchild)
    while state not in ("Z", "X", "gone") and time.monotonic() < deadline:
        time.sleep(0.05)
        state = _state(grandchild)
    if state not in ("Z", "X", "gone"):
        os.kill(grandchild, signal.SIGKILL)  # do not leave it behind when the test fails
    assert state in ("Z", "X", "gone"), state


def test_kill_run_finds_every_tagged_process():
    run_id = uuid.uuid4().hex
    env = {**os.environ, supervise.ENV: run_id}
    procs = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], env=env) for _ in range(3)]
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        deadline = time.monotonic() + 5
        while len(supervise.run_processes(run_id)) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sorted(supervise.run_processes(run_id)) == sorted(p.pid for p in procs)
        assert sorted(supervise.kill_run(run_id)) == sorted(p.pid for p in procs)
        assert [p.wait(5) for p in procs] == [-signal.SIGKILL] * 3
        assert other.poll() is None
    finally:
        other.kill()
        other.wait()
