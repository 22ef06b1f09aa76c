"""The equality tables as an Excel workbook to paste into a Word equality assessment: a Notes
sheet (what the tables are, the notes, findings and the disclosure audit), an Assessment sheet
whose judgement fields are left for the author, then one sheet per cohort and table. Every sheet
names the LA, the census and the source; numbers are numbers with formats; byte-identical for
identical tables (:mod:`sendlib.render.xlsx`)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook

import sendlib
from sendlib import disclosure
from sendlib.equality.audit import audit_summary
from sendlib.equality.layout import DISPROPORTIONALITY_HEADINGS, HEADINGS, display_table
from sendlib.equality.topics import COHORTS, TOPICS
from sendlib.equality.wording import assessment_rows, findings, suppression_note
from sendlib.render import xlsx

FORMATS = {HEADINGS["count"]: xlsx.COUNT, HEADINGS["percent"]: xlsx.PERCENT,
           HEADINGS["percent_of_known"]: xlsx.PERCENT, DISPROPORTIONALITY_HEADINGS["population"]: xlsx.COUNT,
           DISPROPORTIONALITY_HEADINGS["risk_percent"]: xlsx.RATE,
           **{DISPROPORTIONALITY_HEADINGS[k]: xlsx.RATIO
              for k in ("risk_ratio", "risk_ratio_lower", "risk_ratio_upper")},
           **{DISPROPORTIONALITY_HEADINGS["cohort_pupils"].format(cohort=c): xlsx.COUNT for c in COHORTS}}


def _context(tables: pd.DataFrame) -> tuple[str, str]:
    """(the LA and census, for titles; the source line) of the published tables."""
    first = tables.iloc[0] if len(tables) else {}
    la = str(first.get("la_name", "") or "") or "Local authority"
    census = tables.attrs.get("census_date") or ""
    period = str(first["time_period"]) if len(tables) else ""
    when = f"census {pd.Timestamp(census):%d %B %Y}" if census else (
        f"academic year {period[:4]}/{period[4:]}" if period else "")
    source = (f"{la}'s SEN2 person-level return (plans active at the census date) and school census"
              f"{', ' + when if when else ''}; prepared with sendlib {sendlib.__version__}.")
    return f"{la}{', ' + when if when else ''}", source


def _notes_sheet(ws, tables: pd.DataFrame, summary: pd.DataFrame, threshold: int) -> None:
    where, source = _context(tables)
    ws.title = "Notes"
    notes = [suppression_note(threshold), *findings(tables)]
    xlsx.table_sheet(ws, f"Equality assessment tables: {where}", source, notes, summary)


def _assessment_sheet(ws, tables: pd.DataFrame) -> None:
    where, source = _context(tables)
    note = ("What the data show is filled in from the tables. The impact, its reasons and any mitigation are "
            "judgements for the council: they are left for the assessment's author to complete.")
    xlsx.table_sheet(ws, f"Equality assessment: {where}", source, [note], assessment_rows(tables))


def write_xlsx(tables: pd.DataFrame, path: Path, summary: pd.DataFrame | None = None) -> None:
    """Notes and Assessment sheets, then one sheet per cohort and table (cross-tabulations as a
    matrix of counts with the row percentages below); the audit summary is computed unless
    given. Byte-identical for identical tables."""
    threshold = tables.attrs.get("threshold", disclosure.THRESHOLD)
    where, source = _context(tables)
    wb = Workbook()
    _notes_sheet(wb.active, tables, audit_summary(tables) if summary is None else summary, threshold)
    _assessment_sheet(wb.create_sheet("Assessment"), tables)
    notes = [suppression_note(threshold)]
    for t in TOPICS:
        for cohort in COHORTS:
            df = display_table(tables, cohort, t.id, "count" if t.is_cross else "both")
            if df.empty:
                continue
            ws = wb.create_sheet(f"{cohort} {t.sheet}"[:31])
            title = f"{cohort}: {t.label.lower() if t.is_cross else t.label} ({where})"
            if t.is_cross:
                shares = display_table(tables, cohort, t.id, "percent")
                xlsx.table_sheet(ws, title, source, [*notes, "Numbers, then below them each row's percentages."],
                                 df, FORMATS, below=[("Percentage of the row", shares, xlsx.PERCENT)])
            else:
                xlsx.table_sheet(ws, title, source, notes, df, FORMATS)
    xlsx.save(wb, path)
