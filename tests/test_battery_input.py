"""The hostile-input battery's cases for the raw extracts (issue 14): each edits the demo LA's 2025
folder in a workspace of :mod:`tests.battery` and runs the real `sendlib clean` on it, held to the
battery's promises (exit status, one line on stderr, no traceback, no personal value in any
output) and, when accepted, to the row accounting: rows read = kept + rejected in every file."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from tests.battery import Case, Workspace, run_case

OUT = "out/2025"
CLEAN = ["clean", "data/raw/demo/2025", OUT, "--census-date", "2025-01-16", "--quiet"]


def edit_lines(file: str, change):
    """A setup that rewrites the lines of `file` of 2025 with `change(lines) -> lines`."""
    def setup(ws: Workspace) -> None:
        path = ws.own_year(2025) / file
        lines = path.read_text(encoding="utf-8").rstrip("\n").split("\n")
        path.write_text("\n".join(change(lines)) + "\n", encoding="utf-8")
    return setup


def edit_frame(file: str, change):
    """A setup that rewrites `file` of 2025 as `change(frame) -> frame` (all cells text)."""
    def setup(ws: Workspace) -> None:
        path = ws.own_year(2025) / file
        change(pd.read_csv(path, dtype=str, keep_default_na=False)).to_csv(path, index=False)
    return setup


def swap(file: str, a: str, b: str):
    return edit_frame(file, lambda df: df.rename(columns={a: b, b: a}))


def truncate_last(lines):
    return lines[:-1] + [lines[-1][: len(lines[-1]) // 3]]


def repeat_header(lines):
    return lines[:500] + [lines[0]] + lines[500:]


def drop_field(lines):
    fields = lines[40].split(",")
    return lines[:40] + [",".join(fields[:4] + fields[5:])] + lines[41:]


def add_field(lines):
    return lines[:40] + [lines[40] + ",KT1 1AA"] + lines[41:]


def open_quote(lines):
    return lines[:30] + [lines[30].replace(",", ',"', 1)] + lines[31:]


def xlsx(sheets: int = 1, formulas: bool = False, notes: bool = False):
    """person.csv of 2025 as person.xlsx: rows split over `sheets` sheets (each with the header),
    some cells as formulas, a sheet of notes."""
    def setup(ws: Workspace) -> None:
        path = ws.own_year(2025) / "person.csv"
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        size = -(-len(df) // sheets)
        for s in range(sheets):
            sheet = wb.create_sheet(f"part {s + 1}")
            sheet.append(list(df.columns))
            for i in range(s * size, min(len(df), (s + 1) * size)):
                row = list(df.iloc[i])
                if formulas and i % 100 == 7:
                    row[df.columns.get_loc("sex")] = '=IF(1=1,"M","F")'
                sheet.append(row)
        if notes:
            sheet = wb.create_sheet("Notes")
            for line in (["Extract notes"], ["Produced by the case system"], ["Contact: the data team"]):
                sheet.append(line)
        wb.save(path.with_suffix(".xlsx"))
        path.unlink()
    return setup


def population(change):
    return edit_frame("population.csv", change)


def with_rows(df, rows: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([df, rows])


def claim_synthetic_then_edit(ws: Workspace) -> None:
    edit_lines("person.csv", lambda lines: lines + ["99999999,Real,Person,2012-01-01,M,WBRI,KT1 1AA,"
                                                    "A123456789012,,"])(ws)


CASES = [
    Case("truncated-last-row", CLEAN, 0, "", edit_lines("person.csv", truncate_last)),
    Case("header-repeated-mid-file", CLEAN, 0, "", edit_lines("person.csv", repeat_header)),
    Case("row-missing-a-field", CLEAN, 0, "", edit_lines("person.csv", drop_field)),
    Case("row-with-an-extra-field", CLEAN, 0, "", edit_lines("person.csv", add_field)),
    Case("column-twice", CLEAN, 2, "'sex' appears twice",
         edit_frame("person.csv", lambda df: df.assign(**{"SEX ": df["ethnicity"]}))),
    Case("unterminated-quote", CLEAN, 2, "well-formed", edit_lines("requests.csv", open_quote)),
    Case("sex-and-postcode-headers-swapped", CLEAN, 0, "", swap("person.csv", "sex", "postcode")),
    Case("census-ethnicity-and-surname-swapped", CLEAN, 0, "", swap("school_census.csv", "ethnicity", "surname")),
    Case("person-id-and-upn-swapped", CLEAN, 0, "", swap("person.csv", "persontableid", "upn")),
    Case("formula-text-in-codes", CLEAN, 0, "",
         edit_frame("person.csv", lambda df: df.assign(ethnicity=['=HYPERLINK("http://x","y")'] * len(df)))),
    Case("xlsx-formula-cells", CLEAN, 0, "", xlsx(formulas=True)),
    Case("xlsx-rows-continue-on-sheet-2", CLEAN, 0, "", xlsx(sheets=2)),
    Case("xlsx-notes-sheet", CLEAN, 0, "", xlsx(notes=True)),
    Case("population-negative-and-absurd", CLEAN, 0, "",
         population(lambda df: df.assign(population=["-500", "1e30"] + list(df["population"][2:])))),
    Case("population-age-999", CLEAN, 0, "", population(lambda df: df.assign(age=["999"] + list(df["age"][1:])))),
    Case("population-rows-duplicated", CLEAN, 0, "", population(lambda df: with_rows(df, df))),
    Case("census-date-2099", CLEAN[:3] + ["--census-date", "2099-01-15", "--quiet"], 2, "not the date of a SEN2"),
    Case("census-date-1900", CLEAN[:3] + ["--census-date", "1900-01-18", "--quiet"], 2, "not the date of a SEN2"),
    Case("output-inside-raw", CLEAN[:2] + ["data/raw/demo/2025/out"] + CLEAN[3:], 2, "inside the raw data folder"),
    Case("synthetic-claim-proved", CLEAN + ["--synthetic"], 0, ""),
    Case("synthetic-claim-over-edited-data", CLEAN + ["--synthetic"], 2, "checksum differs",
         claim_synthetic_then_edit),
]


def test_the_input_battery_is_large_enough_and_names_are_unique():
    assert len(CASES) >= 20 and len({c.name for c in CASES}) == len(CASES)


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=str)
def test_input_battery(case, tmp_path, demo_raw, personal_values):
    # The tables hold dates (birth months, event dates) that may equal someone's birth date: dates of
    # birth are looked for in the text outputs below, every other personal value everywhere.
    run_case(case, tmp_path / "project", demo_raw, dataclasses.replace(personal_values, birth_dates=frozenset()))
    summary = tmp_path / "project" / OUT / "quality_summary.json"
    assert summary.exists() == (case.exit == 0)
    for path in sorted(summary.parent.glob("*")) if summary.exists() else []:
        if path.suffix in (".csv", ".json"):
            assert not personal_values.found_in(path.read_text(encoding="utf-8")), path.name
    if case.exit == 0:
        for label, f in json.loads(summary.read_text())["files"].items():
            assert f["rows_read"] == f["rows_kept"] + f["rows_rejected"], label
        report = pd.read_csv(Path(summary).with_name("quality_report.csv"), dtype=str, keep_default_na=False)
        assert not report.map(lambda v: v.startswith(("=", "+", "@"))).any().any()
