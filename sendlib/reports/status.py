"""What state a cycle's reports are in, as data (`reports/CYCLE_ID/cycle.json`), told truthfully.

The cycle's `state` is one of
- ``running``: a run is in progress (the reports shown are those of the previous run);
- ``ready``: the last run rendered every report from the tables now in the processed folder;
- ``failed``: the last run failed or was stopped (see `message`; reports keep their own status);
- ``stale``: the processed tables changed after the reports were built.

Each report has a `status` of ``ready``, ``failed`` or ``stale`` and records the fingerprint of
the tables it was built from, so "ready" is only ever shown over reports built from the tables
that are there now (:func:`current` rechecks this whenever a page is written).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from sendlib.reports.config import Cycle
from sendlib.reports.staging import MARKER, write_atomic

FILE = "cycle.json"
STATES = ("running", "ready", "failed", "stale")


def now() -> str:
    return dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S")


def tables_fingerprint(processed_dir: Path) -> str | None:
    """sha256 over the names and contents of every processed table (None when there are none)."""
    folder = Path(processed_dir)
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MARKER) if folder.is_dir() else []
    if not files:
        return None
    digest = hashlib.sha256()
    for f in files:
        digest.update(str(f.relative_to(folder)).encode())
        digest.update(hashlib.sha256(f.read_bytes()).digest())
    return digest.hexdigest()[:16]


def read(reports_dir: Path) -> dict[str, Any] | None:
    """The cycle.json of `reports_dir`, or None when there is none (or it cannot be read)."""
    try:
        data = json.loads((Path(reports_dir) / FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def new(cycle: Cycle, previous: dict | None) -> dict[str, Any]:
    """The status of a run starting now: previous reports kept with their own status."""
    parameters = {**cycle.notebook_parameters(), "unsafe": cycle.unsafe}
    return {
        "cycle_id": cycle.cycle_id, "title": cycle.title, "census_date": cycle.census_date.isoformat(),
        "la_name": cycle.la_name, "processed_dir": str(cycle.processed_dir),
        "state": "running", "message": f"run started {now()}",
        "run": {"started": now(), "finished": None, "pid": os.getpid()},
        "tables": (previous or {}).get("tables"),
        "parameters": parameters,
        "reports": [dict(r) for r in (previous or {}).get("reports", [])],
        "stage_errors": {},
    }


def report_entry(name: str, title: str, ok: bool, seconds: float, error: str | None, tables: str | None) -> dict:
    return {"name": name, "title": title, "status": "ready" if ok else "failed", "seconds": round(seconds, 1),
            "error": error, "built": now(), "tables": tables}


def merge_reports(data: dict, entries: list[dict]) -> None:
    """Put the entries of reports just built in place of earlier ones (order: by name)."""
    by_name = {r["name"]: r for r in data["reports"]}
    by_name.update({e["name"]: e for e in entries})
    data["reports"] = [by_name[k] for k in sorted(by_name)]


def _upgrade(data: dict) -> dict:
    """A cycle.json of an earlier sendlib (reports "ok", no state) in today's terms; what it does
    not record (the tables a report was built from) stays unknown."""
    for r in data.setdefault("reports", []):
        r["status"] = {"ok": "ready"}.get(r.get("status"), r.get("status"))
        r.setdefault("tables", None)
    if "state" not in data:
        good = all(r["status"] == "ready" for r in data["reports"]) and not data.get("stage_errors")
        data["state"] = "ready" if good else "failed"
    data.setdefault("message", "")
    data.setdefault("run", {"started": "unknown", "finished": None, "pid": None})
    return data


def current(data: dict, tables: str | None = None, running: bool | None = None) -> dict:
    """`data` with every status made truthful against the tables there now (fingerprint `tables`,
    computed from the processed folder when not given) and whether a run holds the cycle."""
    data = _upgrade(json.loads(json.dumps(data)))
    if "processed_dir" not in data:
        return data  # an earlier sendlib's record: nothing to compare with
    if tables is None:
        tables = tables_fingerprint(Path(data["processed_dir"]))
    for r in data.get("reports", []):
        if r.get("status") == "ready" and r.get("tables") != tables:
            r["status"] = "stale"
            r["error"] = r.get("error") or "out of date: the tables have changed since this report was built"
    if data.get("state") == "running" and running is False:
        data["state"] = "failed"
        data["message"] = f"the run started {data['run']['started']} stopped without finishing"
    if data.get("state") == "ready" and any(r.get("status") != "ready" for r in data.get("reports", [])):
        data["state"] = "stale"
        data["message"] = "the tables have changed since the reports were built; run the cycle again"
    return data


def finish(data: dict, state: str, message: str) -> dict:
    """Close the run: its state and one line saying why."""
    assert state in STATES
    data["state"], data["message"] = state, message
    data["run"]["finished"] = now()
    return data


def write(reports_dir: Path, data: dict) -> None:
    """Write cycle.json atomically."""
    Path(reports_dir).mkdir(parents=True, exist_ok=True)
    write_atomic(Path(reports_dir) / FILE, json.dumps(data, indent=2) + "\n")
