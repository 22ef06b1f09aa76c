"""The cycle's `index.html` (headline figures and links to every report) and `reports/index.html`
(all cycles), through the templates of :mod:`sendlib.render`: self-contained pages that open from
disk on any laptop.

The pages show the cycle's status record (cycle.json, :mod:`sendlib.reports.status`): the state of
the cycle and a status per report; :data:`STATUS_LABELS` says how each is shown, so a new status
is a new entry there, not new markup.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from sendlib import cohorts, render
from sendlib.reports.config import Cycle
from sendlib.reports.staging import write_atomic

# status of a report or state of a cycle -> what the index shows
STATUS_LABELS = {"ready": "ready", "failed": "failed", "running": "running",
                 "stale": "stale: older than the tables"}


def headlines(cycle: Cycle) -> list[tuple[str, str]]:
    """(value, label) pairs for the cycle's headline figures, from the processed tables."""
    out = []
    year_dir = cycle.processed_dir / str(cycle.census_year)
    prev_dir = cycle.processed_dir / str(cycle.census_year - 1)

    def count(d: Path, table: str):
        found = cohorts.load(d, [table]).get(table) if d.is_dir() else None
        return None if found is None else len(found)

    ehcp, ehcp_prev = count(year_dir, "ehcp_caseload"), count(prev_dir, "ehcp_caseload")
    if ehcp is not None:
        change = f" ({(ehcp / ehcp_prev - 1) * 100:+.1f}% on {cycle.census_year - 1})" if ehcp_prev else ""
        out.append((f"{ehcp:,}", f"EHCPs at the {cycle.census_date:%B %Y} census{change}"))
    support, pupils = count(year_dir, "sen_support"), count(year_dir, "pupils")
    if support is not None and pupils:
        out.append((f"{support:,}", f"pupils on SEN support ({support / pupils * 100:.1f}% of pupils)"))
    if (year_dir / "assessments.parquet").exists():
        from sendlib import timeliness

        kpis = timeliness.year_kpis(year_dir, cycle.threshold)
        for name, label in (("Issued within 20 weeks", "new EHCPs issued within 20 weeks"),
                            ("Annual reviews within 12 months", "annual reviews held within 12 months")):
            if pd.notna(kpis.get(name)):
                out.append((f"{kpis[name]:.0f}%", f"{label} (target {timeliness.TARGETS[name]:.0f}%)"))
    return out


def notebook_headlines(executed_dir: Path, names) -> list[tuple[str, str]]:
    """(value, label) pairs that the executed notebooks `names` (in that order) offered with
    :func:`sendlib.reports.notebook.headline`."""
    from sendlib.reports.notebook import HEADLINE_MIME

    out = []
    for name in names:
        path = Path(executed_dir) / f"{name}.ipynb"
        if not path.exists():
            continue
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        for output in (o for c in cells for o in c.get("outputs", [])):
            card = output.get("data", {}).get(HEADLINE_MIME)
            if isinstance(card, dict) and {"value", "label"} <= set(card):
                out.append((str(card["value"]), str(card["label"])))
    return out


def report_row(name: str, title: str, status: str, error: str | None = None, *, linked: bool = True) -> dict:
    """One row of the reports table: links to the manager and analyst pages when `linked`."""
    return {"title": title, "status": status, "status_label": STATUS_LABELS.get(status, status),
            "error": error or "", "href": f"{name}.html" if linked else "",
            "analyst_href": f"analyst/{name}.html" if linked else ""}


def write_cycle_index(cycle: Cycle, data: dict) -> Path:
    """Write reports/CYCLE_ID/index.html from the cycle's status record `data`; returns its path."""
    try:
        cards = headlines(cycle) + notebook_headlines(cycle.reports_dir / "executed",
                                                      [r["name"] for r in data["reports"] if r["status"] == "ready"])
    except Exception as exc:  # headline figures must never stop the index being written
        cards = [("-", f"headline figures unavailable: {type(exc).__name__}")]
    rows = [report_row(r["name"], r["title"], r["status"], r.get("error")) for r in data["reports"]]
    rows += [report_row(stage, stage, "failed", err, linked=False) for stage, err in data["stage_errors"].items()]
    tables = cycle.reports_dir / "tables"
    downloads = sorted(p.name for p in tables.glob("*") if p.is_file()) if tables.is_dir() else []
    page = render.render("cycle_index.html.j2", title=cycle.title, la_name=cycle.la_name,
                         census_date=f"{cycle.census_date:%d %B %Y}", cycle_id=cycle.cycle_id,
                         state=data["state"], state_label=STATUS_LABELS.get(data["state"], data["state"]),
                         message=data.get("message", ""),
                         headlines=[{"value": v, "label": label} for v, label in cards],
                         reports=rows, downloads=downloads)
    path = cycle.reports_dir / "index.html"
    write_atomic(path, page)
    return path


def cycle_row(cycle_json: Path) -> dict:
    """One row of the all-cycles table from a cycle's cycle.json, its statuses made truthful."""
    from sendlib.reports import status

    c = status.current(json.loads(cycle_json.read_text(encoding="utf-8")))
    ok = sum(r["status"] == "ready" for r in c["reports"])
    unsafe = " - not for publication (threshold below 5)" if c.get("parameters", {}).get("unsafe") else ""
    return {"href": f"{cycle_json.parent.name}/index.html", "title": c["title"], "census_date": c["census_date"],
            "la_name": c["la_name"], "status": c["state"], "unsafe": bool(unsafe),
            "summary": f"{STATUS_LABELS.get(c['state'], c['state'])}: {ok}/{len(c['reports'])} reports ready{unsafe}"}


def write_all_cycles_index(reports_root: Path) -> Path:
    """Write reports/index.html listing every cycle that has a cycle.json."""
    rows = [cycle_row(f) for f in sorted(Path(reports_root).glob("*/cycle.json"))]
    path = Path(reports_root) / "index.html"
    write_atomic(path, render.render("cycles_index.html.j2", title="SEND review cycles", cycles=rows,
                                     unsafe=any(r["unsafe"] for r in rows)))
    return path
