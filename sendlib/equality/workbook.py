"""The equality tables as an Excel workbook: a Notes sheet (the suppression note, findings and the
audit summary), then one sheet per cohort and table; byte-identical for identical tables."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from sendlib import disclosure
from sendlib.equality.audit import audit_summary
from sendlib.equality.layout import display_table
from sendlib.equality.topics import COHORTS, TOPICS
from sendlib.equality.wording import findings, suppression_note
from sendlib.render import xlsx

NARROW_COLUMNS = "BCDEFGHIJKLMN"


def _cell_value(v):
    """Numbers as numbers (so that Excel can sum them), everything else as text."""
    if isinstance(v, str):
        for number in (int, float):
            try:
                return number(v)
            except ValueError:
                pass
    return v


def _notes(ws, tables: pd.DataFrame, summary: pd.DataFrame, threshold: int) -> None:
    ws.title = "Notes"
    ws.append(["Equality assessment tables"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([suppression_note(threshold)])
    ws.append([])
    for s in findings(tables):
        ws.append([s])
    ws.append([])
    ws.append(list(summary.columns))
    for rec in summary.astype(str).itertuples(index=False):
        ws.append(list(rec))
    ws.column_dimensions["A"].width = 100


def _table_sheet(ws, title: str, df: pd.DataFrame, threshold: int) -> None:
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=12)
    ws.append([suppression_note(threshold)])
    ws["A2"].alignment = Alignment(wrap_text=False)
    ws.append([])
    ws.append(list(df.columns))
    for c in ws[4]:
        c.font = Font(bold=True)
    for rec in df.itertuples(index=False):
        ws.append([_cell_value(v) for v in rec])
    ws.column_dimensions["A"].width = 45
    for letter in NARROW_COLUMNS:
        ws.column_dimensions[letter].width = 14


def write_xlsx(tables: pd.DataFrame, path: Path, summary: pd.DataFrame | None = None) -> None:
    """One sheet per cohort and table, plus a Notes sheet with the audit summary (computed unless
    given); byte-identical for identical tables."""
    threshold = tables.attrs.get("threshold", disclosure.THRESHOLD)
    wb = Workbook()
    _notes(wb.active, tables, audit_summary(tables) if summary is None else summary, threshold)
    for t in TOPICS:
        for cohort in COHORTS:
            df = display_table(tables, cohort, t.id)
            if not df.empty:
                _table_sheet(wb.create_sheet(f"{cohort} {t.sheet}"[:31]), f"{cohort}: {t.label}", df, threshold)
    xlsx.save(wb, path)
