"""The cycle's `index.html` (headline figures and links to every report) and `reports/index.html`
(all cycles). Plain, self-contained HTML that opens from disk on any laptop."""
from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd

from sendlib.reports.config import Cycle

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
 body {{ font-family: "Segoe UI", Arial, sans-serif; max-width: 960px; margin: 2rem auto; padding: 0 1rem; color: #1b1b1b; }}
 h1 {{ font-size: 1.6rem; }} .sub {{ color: #555; }}
 .cards {{ display: flex; flex-wrap: wrap; gap: 1rem; margin: 1.5rem 0; }}
 .card {{ border: 1px solid #ccc; border-radius: 6px; padding: 0.8rem 1rem; min-width: 200px; flex: 1; }}
 .card .v {{ font-size: 1.7rem; font-weight: 700; }} .card .l {{ color: #444; font-size: 0.9rem; }}
 table {{ border-collapse: collapse; width: 100%; }} th, td {{ text-align: left; padding: 0.4rem 0.6rem; border-bottom: 1px solid #ddd; }}
 .ok {{ color: #1a7f37; font-weight: 600; }} .failed {{ color: #b3261e; font-weight: 600; }}
 .err {{ color: #b3261e; font-size: 0.85rem; }}
</style></head><body>
{body}
</body></html>
"""


def headlines(cycle: Cycle) -> list[tuple[str, str]]:
    """(value, label) pairs for the cycle's headline cards, from the processed tables."""
    out = []
    year_dir = cycle.processed_dir / str(cycle.census_year)
    prev_dir = cycle.processed_dir / str(cycle.census_year - 1)

    def count(d: Path, table: str):
        f = d / f"{table}.parquet"
        return len(pd.read_parquet(f, columns=["person_id"])) if f.exists() else None

    ehcp, ehcp_prev = count(year_dir, "ehcp_caseload"), count(prev_dir, "ehcp_caseload")
    if ehcp is not None:
        change = f" ({(ehcp / ehcp_prev - 1) * 100:+.1f}% on {cycle.census_year - 1})" if ehcp_prev else ""
        out.append((f"{ehcp:,}", f"EHCPs at the {cycle.census_date:%B %Y} census{change}"))
    support, pupils = count(year_dir, "sen_support"), count(year_dir, "pupils")
    if support is not None and pupils:
        out.append((f"{support:,}", f"pupils on SEN support ({support / pupils * 100:.1f}% of pupils)"))
    if (year_dir / "assessments.parquet").exists():
        from sendlib import timeliness

        kpis = timeliness.year_kpis(year_dir)
        for name, label in (("Issued within 20 weeks", "new EHCPs issued within 20 weeks"),
                            ("Annual reviews within 12 months", "annual reviews held within 12 months")):
            if kpis.get(name) is not None:
                out.append((f"{kpis[name]:.0f}%", f"{label} (target {timeliness.TARGETS[name]:.0f}%)"))
    return out


def write_cycle_index(cycle: Cycle, runs, stage_errors: dict) -> Path:
    """Write reports/CYCLE_ID/index.html and cycle.json; returns the index path."""
    try:
        cards = headlines(cycle)
    except Exception as exc:  # headline figures must never stop the index being written
        cards = [("-", f"headline figures unavailable: {type(exc).__name__}")]
    rows = []
    for r in runs:
        status = f"<span class='{r.status}'>{'ready' if r.status == 'ok' else 'failed'}</span>"
        err = f"<div class='err'>{html.escape(r.error)}</div>" if r.error else ""
        rows.append(f"<tr><td><a href='{r.name}.html'>{html.escape(r.title)}</a>{err}</td>"
                    f"<td>{status}</td><td><a href='analyst/{r.name}.html'>with code</a></td></tr>")
    for stage, err in stage_errors.items():
        rows.append(f"<tr><td>{html.escape(stage)}<div class='err'>{html.escape(err)}</div></td>"
                    "<td><span class='failed'>failed</span></td><td></td></tr>")
    tables = cycle.reports_dir / "tables"
    downloads = "".join(
        f"<li><a href='tables/{p.name}'>{p.name}</a></li>" for p in sorted(tables.glob("*")) if p.is_file()
    ) if tables.is_dir() else ""
    body = (
        f"<h1>{html.escape(cycle.title)}</h1>"
        f"<p class='sub'>{html.escape(cycle.la_name)} &middot; census date {cycle.census_date:%d %B %Y}"
        f" &middot; cycle <code>{html.escape(cycle.cycle_id)}</code></p>"
        "<div class='cards'>" + "".join(
            f"<div class='card'><div class='v'>{html.escape(v)}</div><div class='l'>{html.escape(label)}</div></div>"
            for v, label in cards) + "</div>"
        "<h2>Reports</h2><table><tr><th>Report</th><th>Status</th><th>Analyst version</th></tr>"
        + "".join(rows) + "</table>"
        + (f"<h2>Published tables</h2><ul>{downloads}</ul>" if downloads else "")
    )
    path = cycle.reports_dir / "index.html"
    path.write_text(PAGE.format(title=html.escape(cycle.title), body=body), encoding="utf-8")
    summary = {"cycle_id": cycle.cycle_id, "title": cycle.title, "census_date": cycle.census_date.isoformat(),
               "la_name": cycle.la_name, "reports": [r.__dict__ for r in runs], "stage_errors": stage_errors}
    (cycle.reports_dir / "cycle.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return path


def write_all_cycles_index(reports_root: Path) -> Path:
    """Write reports/index.html listing every cycle that has a cycle.json."""
    rows = []
    for f in sorted(Path(reports_root).glob("*/cycle.json")):
        c = json.loads(f.read_text(encoding="utf-8"))
        ok = sum(r["status"] == "ok" for r in c["reports"])
        state = "ok" if ok == len(c["reports"]) and not c.get("stage_errors") else "failed"
        rows.append(f"<tr><td><a href='{f.parent.name}/index.html'>{html.escape(c['title'])}</a></td>"
                    f"<td>{html.escape(c['census_date'])}</td><td>{html.escape(c['la_name'])}</td>"
                    f"<td class='{state}'>{ok}/{len(c['reports'])} reports</td></tr>")
    body = ("<h1>SEND review cycles</h1><table><tr><th>Cycle</th><th>Census date</th><th>LA</th>"
            "<th>Status</th></tr>" + "".join(rows) + "</table>")
    path = Path(reports_root) / "index.html"
    path.write_text(PAGE.format(title="SEND review cycles", body=body), encoding="utf-8")
    return path
