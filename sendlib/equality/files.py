"""Writing the published equality tables: CSV in the DfE open-data layout with its metadata file,
XLSX and HTML, after the disclosure audit has passed."""
from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from sendlib import disclosure
from sendlib.equality import opendata
from sendlib.equality.audit import audit_summary, audit_tables
from sendlib.equality.pages import tables_html
from sendlib.equality.publication import build_tables
from sendlib.equality.workbook import write_xlsx
from sendlib.render import tabular

log = logging.getLogger(__name__)
NAMES = ("equality_tables.csv", "equality_tables.meta.csv", "equality_tables.xlsx", "equality_tables.html")


def write_tables(source, out_dir, threshold: int = disclosure.THRESHOLD, ethnicity_grouping: str = "dfe",
                 **kwargs) -> pd.DataFrame:
    """Build the tables and write equality_tables.csv (with .meta.csv), .xlsx and .html to `out_dir`.

    Fails (RuntimeError) rather than write tables that do not pass the disclosure audit.
    Returns the published tidy table.
    """
    tables = build_tables(source, threshold, ethnicity_grouping, **kwargs)
    report = audit_tables(tables, threshold)
    if not report.passed:  # cannot happen: suppress() ends with the same audit
        raise RuntimeError(f"disclosure audit failed for {report.exposed[:3]}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = audit_summary(tables, threshold, report)
    csv, meta, xlsx, page = (out / name for name in NAMES)
    tabular.write_csv(tables, csv)
    tabular.write_csv(opendata.metadata(), meta)
    write_xlsx(tables, xlsx, summary)
    page.write_text(tables_html(tables, summary), encoding="utf-8")
    suppressed = int((tables["count"] == disclosure.SUPPRESSED).sum())
    log.info("wrote %d rows (%d counts suppressed) to %s (+ .meta.csv, .xlsx, .html); disclosure audit passed",
             len(tables), suppressed, csv)
    return tables
