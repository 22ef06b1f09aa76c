"""Excel workbooks an analyst can paste from, and byte-stable: the same workbook always gives the
same bytes (openpyxl stamps the current time into the document properties and every zip entry;
both are fixed here).

Every sheet written by :func:`table_sheet` opens with a title row, the source and the notes
(wrapped across the table's width), then the table: headers wrapped, columns wide enough for what
they hold, numbers stored as numbers with a format (thousands separators, one decimal for
percentages, two for ratios and intervals), and the DfE symbols (``c``, ``z``, ``x``) right-aligned
beside the numbers they stand for. Text that a spreadsheet would run as a formula is neutralised
(:func:`sendlib.render.tabular.safe_text`).
"""
from __future__ import annotations

import datetime as dt
import io
import math
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from sendlib.render.tabular import SYMBOLS, number, safe_text

FIXED_TIME = dt.datetime(2000, 1, 1)
COUNT, PERCENT, RATIO, RATE = "#,##0", "0.0", "0.00", "0.00"  # number formats
MAX_WIDTH, MIN_WIDTH = 60, 9
HEADER_FILL = PatternFill("solid", fgColor="F3F2F1")


def save(wb: Workbook, path: Path, creator: str = "sendlib") -> None:
    """Write `wb` to `path` with fixed creation and modification times."""
    wb.properties.creator = creator
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    buf = io.BytesIO()
    archive = zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED)
    ExcelWriter(wb, archive).save()  # (save_workbook would stamp the current time)
    Path(path).write_bytes(_fixed_zip(buf.getvalue()))


def _fixed_zip(data: bytes) -> bytes:
    """The same zip with every entry's timestamp fixed (zip entries carry the time of writing)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def cell_value(v):
    """What a cell holds: numbers as numbers (so that Excel can sum them), the DfE symbols and
    other text as (neutralised) text, blanks as empty."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, (int, float)):
        return v
    n = number(str(v))
    return n if n is not None else safe_text(str(v))


def table_sheet(ws: Worksheet, title: str, source: str, notes: Sequence[str], df: pd.DataFrame,
                formats: Mapping[str, str] | None = None,
                below: Sequence[tuple[str, pd.DataFrame, str]] = ()) -> None:
    """Write a titled table to `ws`: title, source and note rows, then `df` with its headers, then
    each (heading, table, number format) of `below`.

    `formats` maps column names to number formats (columns not named keep Excel's General
    format, except whole numbers, which get thousands separators)."""
    width = max(len(df.columns), 1)
    header_row = _preamble(ws, title, source, notes, width)
    row = _table(ws, header_row, df, dict(formats or {}))
    for heading, extra, fmt in below:
        ws.cell(row + 1, 1, safe_text(heading)).font = Font(bold=True)
        row = _table(ws, row + 2, extra, {c: fmt for c in extra.columns[1:]})
    _fit_columns(ws, [df, *(b[1] for b in below)], header_row)
    ws.freeze_panes = ws.cell(header_row + 1, 2)


def _table(ws: Worksheet, header_row: int, df: pd.DataFrame, formats: dict[str, str]) -> int:
    """Headers in `header_row`, then the rows of `df`; returns the row after the table."""
    for j, name in enumerate(df.columns, 1):
        c = ws.cell(header_row, j, safe_text(str(name)))
        c.font = Font(bold=True)
        c.fill = HEADER_FILL
        c.alignment = Alignment(wrap_text=True, vertical="top", horizontal="left" if j == 1 else "right")
    ws.row_dimensions[header_row].height = 30
    for i, rec in enumerate(df.itertuples(index=False), header_row + 1):
        for j, (name, v) in enumerate(zip(df.columns, rec), 1):
            value = cell_value(v)
            c = ws.cell(i, j, value)
            if isinstance(value, (int, float)):
                c.number_format = formats.get(name) or (COUNT if float(value).is_integer() else "General")
            if j > 1 and (isinstance(value, (int, float)) or value in SYMBOLS):
                c.alignment = Alignment(horizontal="right")
            elif isinstance(value, str) and len(value) > MAX_WIDTH:
                c.alignment = Alignment(wrap_text=True, vertical="top")
    return header_row + len(df) + 1


def _preamble(ws: Worksheet, title: str, source: str, notes: Sequence[str], width: int) -> int:
    """Title, source and notes above a table, each merged across its width and wrapped; returns
    the row of the table's headers."""
    ws.cell(1, 1, safe_text(title)).font = Font(bold=True, size=13)
    rows = [(f"Source: {source}", False)] + [(n, True) for n in notes]
    for i, (text, wrap) in enumerate(rows, 2):
        c = ws.cell(i, 1, safe_text(text))
        c.alignment = Alignment(wrap_text=True, vertical="top")
        if width > 1:
            ws.merge_cells(start_row=i, start_column=1, end_row=i, end_column=width)
        if wrap:
            ws.row_dimensions[i].height = 15 * max(1, math.ceil(len(text) / max(_table_chars(width), 40)))
    return len(rows) + 3


def _table_chars(width: int) -> int:
    """Roughly how many characters fit across `width` columns (for the height of a note row)."""
    return 20 * width


def _fit_columns(ws: Worksheet, frames: Sequence[pd.DataFrame], header_row: int) -> None:
    """Widths that fit each column's longest value (headers wrap onto two lines at most)."""
    for j in range(1, max(len(f.columns) for f in frames) + 1):
        lengths = [MIN_WIDTH]
        for f in frames:
            if j <= len(f.columns):
                name = str(f.columns[j - 1])
                lengths.append((math.ceil(len(name) / 2) if len(name) > 12 else len(name)) + 2)
                lengths += [len(_shown(v)) + 2 for v in f.iloc[:, j - 1]]
        ws.column_dimensions[get_column_letter(j)].width = min(MAX_WIDTH, max(lengths))


def _shown(v) -> str:
    """Roughly how a value is shown (with thousands separators)."""
    value = cell_value(v)
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    if isinstance(value, (int, float)):
        return f"{value:,.0f}"
    return "" if value is None else str(value)
