"""Cells of published CSV and Excel files: text that a spreadsheet would run as a formula is
neutralised, numbers are told apart from text, and the DfE symbols are known.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula (``=HYPERLINK(...)``, ``+cmd|' /C notepad'!A0``): such
text gets a leading apostrophe, so that it is shown as the text it is. Numbers (``-1.5``) are
left alone.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

SYMBOLS = ("c", "z", "x", "low", "u")  # DfE: confidential, not applicable, not available, rounds to 0, low reliability
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"-?\d+(\.\d+)?")


def number(text: str) -> int | float | None:
    """The number a published text cell holds (None for text and symbols)."""
    if not NUMBER.fullmatch(text):
        return None
    return float(text) if "." in text else int(text)


def safe_text(text: str) -> str:
    """`text` as a spreadsheet will show it, never run it: an apostrophe before a formula's first
    character (numbers are left as they are)."""
    if text.startswith(FORMULA_START) and number(text) is None:
        return "'" + text
    return text


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of `df` with every text cell (and column name) passed through :func:`safe_text`."""
    out = df.copy()
    out.columns = [safe_text(str(c)) for c in out.columns]
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: safe_text(v) if isinstance(v, str) else v)
    return out


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """Write a published CSV: UTF-8, ``\\n`` line ends, no index, formulas neutralised."""
    safe_frame(df).to_csv(path, index=False, lineterminator="\n")
