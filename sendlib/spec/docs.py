"""docs/raw_files.md, written from the raw-file spec: every raw file and every column.

    python -m sendlib.spec.docs [PATH]      (default docs/raw_files.md; `make docs`)

A test checks that the committed page is current, so an edit of raw_files.yml reaches the docs.
"""
from __future__ import annotations

import sys
from pathlib import Path

from sendlib import spec

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "docs" / "raw_files.md"
_HEAD = """# Raw files

<!-- Generated from sendlib/spec/raw_files.yml by `make docs`; do not edit by hand. -->

The extracts of one census year, in one folder per year (e.g. `data/raw/<cycle>/2025/`). File
names and column names are matched case-insensitively; a file may be `.csv` or `.xlsx`, and may
carry a prefix (`SEN2_person.csv`). Columns not listed here are dropped on reading; an optional
column that is absent reads as blank. Personal columns never leave the cleaning stage. Code
lists are the CSV files of `sendlib/codelists/`, applied by `sendlib.normalise.codes`.
"""

_XML = """The SEN2 modules come either as one file each or as the return's one XML file (any `.xml` name
in the year's folder, not both). In the XML, each record sits inside the record it links to
(`Requests` inside `Person`, ...); its table id is its `<...TableID>` element when the export
has one, else its position among its module's records in the file (1, 2, ...). Element names
are compared case-insensitively. The header must name the SEN2 collection, and its reference
date and LA must be the cycle's; a file with a DTD or entity declaration is refused.
"""


def render() -> str:
    """The page as Markdown."""
    parts = [_HEAD, "## Column types\n", "| type | meaning |", "|---|---|"]
    parts += [f"| {name} | {meaning} |" for name, meaning in spec.type_descriptions().items()]
    for section, title in (("sen2", "SEN2 modules"), ("other", "Other extracts")):
        parts.append(f"\n## {title}\n")
        if section == "sen2":
            parts.append(_XML)
        for declared in spec.files().values():
            if declared.section == section:
                parts.append(_file(declared))
    return "\n".join(parts).rstrip() + "\n"


def _file(declared: spec.FileSpec) -> str:
    facts = [declared.description[:1].upper() + declared.description[1:] + "." if declared.description else ""]
    if declared.key:
        facts.append(f"Key: `{declared.key}`.")
    facts += [f"`{column}` links to `{parent}`." for column, parent in declared.links.items()]
    if declared.xml:
        inside = [spec.file(p).xml for p in declared.links.values()] or [spec.sen2_xml()["persons"]]
        facts.append(f"In the XML return: `<{declared.xml}>` inside `<{inside[0]}>`.")
    if declared.rows_required:
        facts.append("Must have data rows.")
    if declared.optional:
        facts.append("Optional file.")
    lines = [f"### {declared.name}\n", " ".join(f for f in facts if f), "",
             "| column | type | required | code list | aliases | personal | notes |", "|---|---|---|---|---|---|---|"]
    lines += [_column(c) for c in declared.columns.values()]
    return "\n".join(lines) + "\n"


def _column(c: spec.ColumnSpec) -> str:
    notes = [c.description]
    if c.role:
        notes.append(f"role: {c.role.replace('_', ' ')}")
    if c.upper_case:
        notes.append("compared in upper case")
    if c.report_blank:
        notes.append("blank is reported")
    codes = c.codes or ("none: kept as read" if c.type == "code" else "")
    cells = [f"`{c.name}`", c.type, "yes" if c.required else "", codes,
             ", ".join(f"`{a}`" for a in c.aliases), "yes" if c.personal else "", "; ".join(n for n in notes if n)]
    return "| " + " | ".join(cells) + " |"


def write(path=DEFAULT_PATH) -> Path:
    """Write the page to `path`; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(write(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_PATH))
