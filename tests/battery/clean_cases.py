"""Hostile extracts for `sendlib clean`: copies of the small synthetic LA's 2025 census year with
one thing broken each (files that cannot be read, damaged CSV structure, bad values, mislabelled
columns), bad arguments and output folders that cannot be used, plus tricky extracts that must be
accepted with every row accounted for."""
from __future__ import annotations

import csv
import io
import os
import subprocess
from collections.abc import Callable
from dataclasses import replace

from tests.battery.harness import CENSUS_DATE, YEAR, Case, Workspace

RAW = f"data/raw/demo/{YEAR}"
CLEAN = ["clean", RAW, "out", "--census-date", CENSUS_DATE, "--key-file", "key.txt"]


def clean(*extra: str, out: str = "out", date: str = CENSUS_DATE, raw: str = RAW) -> list[str]:
    return ["clean", raw, out, "--census-date", date, "--key-file", "key.txt", *extra]


# ---------------------------------------------------------------------------------------------
# Builders: each returns a setup function for a Case


def text(name: str, change: Callable[[str], str]):
    """Rewrite extract `name` (UTF-8 text) through `change`."""
    def setup(ws: Workspace) -> None:
        path = ws.own_year() / name
        path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8", newline="")
    return setup


def raw_bytes(name: str, change: Callable[[bytes], bytes]):
    def setup(ws: Workspace) -> None:
        path = ws.own_year() / name
        path.write_bytes(change(path.read_bytes()))
    return setup


def rows(name: str, change: Callable[[list[list[str]]], list[list[str]]]):
    """Rewrite extract `name` through `change` of its rows (the header first)."""
    def edit(content: str) -> str:
        table = list(csv.reader(io.StringIO(content, newline="")))
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(change(table))
        return out.getvalue()
    return text(name, edit)


def cell(name: str, column: str, value: str, row: int = 1):
    """Set `column` of data row `row` of extract `name` to `value`."""
    def change(table):
        table[row][table[0].index(column)] = value
        return table
    return rows(name, change)


def column(name: str, column: str, value: str):
    """Set `column` of every data row of `name` to `value`."""
    def change(table):
        i = table[0].index(column)
        for r in table[1:]:
            r[i] = value
        return table
    return rows(name, change)


def drop_column(name: str, column: str):
    def change(table):
        i = table[0].index(column)
        return [[c for j, c in enumerate(r) if j != i] for r in table]
    return rows(name, change)


def rename(name: str, old: str, new: str):
    def change(table):
        table[0] = [new if c == old else c for c in table[0]]
        return table
    return rows(name, change)


def swap_headers(name: str, a: str, b: str):
    def change(table):
        table[0] = [b if c == a else a if c == b else c for c in table[0]]
        return table
    return rows(name, change)


def remove(name: str):
    def setup(ws: Workspace) -> None:
        (ws.own_year() / name).unlink()
    return setup


def replace_with_folder(name: str):
    def setup(ws: Workspace) -> None:
        path = ws.own_year() / name
        path.unlink()
        path.mkdir()
    return setup


def dangling_link(name: str):
    def setup(ws: Workspace) -> None:
        path = ws.own_year() / name
        path.unlink()
        path.symlink_to(ws.root / "nowhere.csv")
    return setup


def to_xlsx(name: str, split_at: int | None = None):
    """Replace extract `name` by an XLSX workbook; with `split_at`, the rows from that data row on
    continue on a second sheet (as Excel users do with long extracts)."""
    def setup(ws: Workspace) -> None:
        import openpyxl

        path = ws.own_year() / name
        table = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
        book = openpyxl.Workbook()
        first = book.active
        cut = len(table) if split_at is None else split_at + 1
        for r in table[:cut]:
            first.append(r)
        if split_at is not None:
            second = book.create_sheet("continued")
            for r in [table[0], *table[cut:]]:
                second.append(r)
        path.unlink()
        book.save(path.with_suffix(".xlsx"))
    return setup


def file_at(relative: str, content: str = "not a folder"):
    def setup(ws: Workspace) -> None:
        path = ws.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return setup


def read_only(relative: str):
    """Make folder `relative` read-only, for root too (immutable); returns the undo."""
    def setup(ws: Workspace):
        path = ws.root / relative
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(0o555)
        immutable = os.geteuid() == 0 and subprocess.run(["chattr", "+i", str(path)],
                                                          capture_output=True).returncode == 0

        def undo():
            if immutable:
                subprocess.run(["chattr", "-i", str(path)], check=True)
            path.chmod(0o755)
        return undo
    return setup


def both(*setups):
    def setup(ws: Workspace):
        undos = [s(ws) for s in setups]
        return lambda: [u() for u in undos if callable(u)]
    return setup


def _header_only(content: str) -> str:
    return content.split("\n")[0] + "\n"


def _truncate_last(content: str) -> str:
    lines = content.rstrip("\n").split("\n")
    lines[-1] = ",".join(lines[-1].split(",")[:3])
    return "\n".join(lines) + "\n"


def _repeat_header(content: str) -> str:
    lines = content.rstrip("\n").split("\n")
    return "\n".join([*lines[:5], lines[0], *lines[5:]]) + "\n"


def _blank_lines(content: str) -> str:
    lines = content.rstrip("\n").split("\n")
    return "\n".join([lines[0], "", *lines[1:4], "", "", *lines[4:]]) + "\n\n"


def _duplicate_column(name: str, col: str):
    def change(table):
        i = table[0].index(col)
        return [[*r, r[i]] for r in table]
    return rows(name, change)


def _duplicate_rows(table):
    return [*table, *table[1:20]]


def _short_row(table):
    table[3] = table[3][:-1]
    return table


def _long_row(table):
    table[3] = [*table[3], "extra"]
    return table


UNREADABLE = [
    Case("extract-missing", CLEAN, 2, "sen_need", remove("sen_need.csv")),
    Case("person-missing", CLEAN, 2, "person", remove("person.csv")),
    Case("extract-empty", CLEAN, 2, "person.csv", text("person.csv", lambda s: "")),
    Case("extract-header-only-requests", CLEAN, 2, "requests.csv", text("requests.csv", _header_only)),
    Case("extract-header-only-person", CLEAN, 2, "person.csv", text("person.csv", _header_only)),
    Case("extract-a-folder", CLEAN, 2, "person.csv", replace_with_folder("person.csv")),
    Case("extract-dangling-link", CLEAN, 2, "person.csv", dangling_link("person.csv")),
    Case("extract-pdf", CLEAN, 2, "PDF", raw_bytes("person.csv", lambda b: b"%PDF-1.4\n" + b[:200])),
    Case("extract-zip", CLEAN, 2, "ZIP", raw_bytes("person.csv", lambda b: b"PK\x03\x04" + b[:200])),
    Case("extract-utf16", CLEAN, 2, "UTF-16", raw_bytes("person.csv", lambda b: b.decode().encode("utf-16"))),
    Case("extract-nul-bytes", CLEAN, 2, "person.csv", raw_bytes("person.csv", lambda b: b[:300] + b"\x00" + b[300:])),
    Case("extract-binary-noise", CLEAN, 2, "person.csv", raw_bytes("person.csv", lambda b: bytes(range(256)) * 8)),
    Case("two-person-files", CLEAN, 0, "kept", lambda ws: (ws.own_year() / "SEN2_person.csv").write_bytes(
        (ws.own_year() / "person.csv").read_bytes()) and None),
    Case("required-column-missing", CLEAN, 2, "persontableid", drop_column("person.csv", "persontableid")),
    Case("census-column-missing", CLEAN, 2, "upn", drop_column("school_census.csv", "upn")),
    Case("requests-key-missing", CLEAN, 2, "requeststableid", drop_column("requests.csv", "requeststableid")),
    Case("unterminated-quote", CLEAN, 2, "person.csv", text("person.csv", lambda s: s.replace(",M,", ',"M,', 1))),
    Case("huge-field", CLEAN, 0, "kept", text("person.csv", lambda s: s.replace(",M,", f',"{"M" * 200_000}",', 1))),
    Case("xlsx-corrupt", CLEAN, 2, "person",
         both(remove("person.csv"), file_at(f"{RAW}/person.xlsx", "PK\x03\x04junk"))),  # the year copied first
    Case("duplicate-sex-column", CLEAN, 2, "sex", _duplicate_column("person.csv", "sex")),
]

ARGUMENTS = [
    Case("census-date-month-13", clean(date="2025-13-01"), 2, "2025-13-01"),
    Case("census-date-words", clean(date="January"), 2, "January"),
    Case("census-date-2099", clean(date="2099-01-15"), 2, "2099"),
    Case("census-date-1900", clean(date="1900-01-18"), 2, "1900"),
    Case("raw-dir-missing", clean(raw="data/raw/nowhere"), 2, "nowhere"),
    Case("raw-dir-a-file", clean(raw="key.txt"), 2, "key.txt"),
    Case("raw-dir-empty", clean(raw="empty"), 2, "empty", lambda ws: (ws.root / "empty").mkdir()),
    Case("key-file-missing", ["clean", RAW, "out", "--census-date", CENSUS_DATE, "--key-file", "nokey.txt"], 2, "key"),
    Case("key-file-short", CLEAN, 2, "key", file_at("key.txt", "ab\n")),
    Case("no-census-date", ["clean", RAW, "out"], 2, "census-date"),
    Case("unknown-option", clean("--frobnicate"), 2, "frobnicate"),
    Case("la-name-formula", clean("--la-name", "=cmd|' /C calc'!A0"), 0, "kept"),
]

OUTPUTS = [
    Case("out-dir-a-file", CLEAN, 2, "out", file_at("out")),
    Case("out-parent-a-file", clean(out="blocker/out"), 2, "blocker", file_at("blocker")),
    Case("out-dir-read-only", CLEAN, 2, "out", read_only("out")),
    Case("out-inside-raw", clean(out=f"{RAW}/processed"), 2, "raw",
         lambda ws: ws.own_year() and None),
    Case("out-dir-is-raw", clean(out=RAW), 2, "raw", lambda ws: ws.own_year() and None),
]

VALUES = [  # bad values: kept with a logged problem, or rejected and counted; never a crash
    Case("rank-inf", CLEAN, 0, "kept", cell("sen_need.csv", "sentyperank", "inf")),
    Case("rank-1e308", CLEAN, 0, "kept", cell("sen_need.csv", "sentyperank", "1e308")),
    Case("rank-1e100", CLEAN, 0, "kept", cell("placement_detail.csv", "placementrank", "1e100")),
    Case("rank-negative", CLEAN, 0, "kept", cell("sen_need.csv", "sentyperank", "-4")),
    Case("rank-nan", CLEAN, 0, "kept", cell("sen_need.csv", "sentyperank", "NaN")),
    Case("date-month-13", CLEAN, 0, "kept", cell("requests.csv", "receiveddate", "2024-13-01")),
    Case("date-year-99999", CLEAN, 0, "kept", cell("requests.csv", "receiveddate", "99999-01-01")),
    Case("date-words", CLEAN, 0, "kept", cell("person.csv", "personbirthdate", "yesterday")),
    Case("date-excel-serial", CLEAN, 0, "kept", cell("requests.csv", "receiveddate", "45123")),
    Case("birth-after-census", CLEAN, 0, "kept", cell("person.csv", "personbirthdate", "2030-01-01")),
    Case("code-unknown-sex", CLEAN, 0, "kept", cell("person.csv", "sex", "Q")),
    Case("code-unknown-need", CLEAN, 0, "kept", cell("sen_need.csv", "sentype", "XYZ")),
    Case("code-formula-hyperlink", CLEAN, 0, "kept", cell("sen_need.csv", "sentype", '=HYPERLINK("http://x","y")')),
    Case("code-formula-cmd", CLEAN, 0, "kept", cell("person.csv", "ethnicity", "+cmd|' /C notepad'!A0")),
    Case("id-not-a-number", CLEAN, 0, "kept", cell("sen_need.csv", "senneedtableid", "abc")),
    Case("id-blank", CLEAN, 0, "kept", cell("sen_need.csv", "senneedtableid", "")),
    Case("upn-malformed", CLEAN, 0, "kept", cell("person.csv", "upn", "XX")),
    Case("orphan-request", CLEAN, 0, "kept", cell("requests.csv", "persontableid", "99999999"),
         rejects=(("requests.csv", 1),)),
    Case("orphan-need", CLEAN, 0, "kept", cell("sen_need.csv", "activeplanstableid", "99999999"),
         rejects=(("sen_need.csv", 1),)),
    Case("population-negative", CLEAN, 0, "kept", cell("population.csv", "population", "-500"),
         rejects=(("population.csv", 1),)),
    Case("population-1e30", CLEAN, 0, "kept", cell("population.csv", "population", "1e30"),
         rejects=(("population.csv", 1),)),
    Case("population-age-999", CLEAN, 0, "kept", cell("population.csv", "age", "999"),
         rejects=(("population.csv", 1),)),
    Case("population-year-overflow", CLEAN, 0, "kept", cell("population.csv", "year", "99999999999999999999")),
    Case("population-duplicated", CLEAN, 0, "kept", rows("population.csv", lambda t: [*t, *t[1:]]),
         rejects=(("population.csv", 52),)),
    Case("census-ncyear-99", CLEAN, 0, "kept", cell("school_census.csv", "ncyearactual", "99")),
    Case("census-urn-text", CLEAN, 0, "kept", cell("school_census.csv", "urn", "unknown")),
]

STRUCTURE = [  # damaged CSV structure: each record read is kept or rejected, none lost
    Case("truncated-last-row", CLEAN, 0, "kept", text("person.csv", _truncate_last), rejects=(("person.csv", 1),)),
    Case("header-repeated", CLEAN, 0, "kept", text("person.csv", _repeat_header), rejects=(("person.csv", 1),)),
    Case("short-row", CLEAN, 0, "kept", rows("requests.csv", _short_row), rejects=(("requests.csv", 1),)),
    Case("long-row", CLEAN, 0, "kept", rows("requests.csv", _long_row), rejects=(("requests.csv", 1),)),
    Case("duplicate-rows", CLEAN, 0, "kept", rows("sen_need.csv", _duplicate_rows), rejects=(("sen_need.csv", 19),)),
    Case("blank-lines", CLEAN, 0, "kept", text("person.csv", _blank_lines)),
    Case("xlsx-extract", CLEAN, 0, "kept", to_xlsx("person.csv")),
    Case("xlsx-two-sheets", CLEAN, 0, "kept", to_xlsx("person.csv", split_at=100)),
]

ACCEPTED = [  # the variants real extracts show
    Case("valid", CLEAN, 0, "0 rejected"),
    Case("valid-subprocess", CLEAN, 0, "0 rejected", subprocess=True),
    Case("utf8-bom", CLEAN, 0, "kept", raw_bytes("person.csv", lambda b: b"\xef\xbb\xbf" + b)),
    Case("crlf", CLEAN, 0, "kept", raw_bytes("school_census.csv", lambda b: b.replace(b"\n", b"\r\n"))),
    Case("windows-1252", CLEAN, 0, "kept",
         raw_bytes("person.csv", lambda b: b.decode("utf-8").replace("Joseph", "José").encode("cp1252"))),
    Case("headers-upper-case", CLEAN, 0, "kept", text("person.csv", lambda s: s.split("\n", 1)[0].upper() + "\n"
                                                      + s.split("\n", 1)[1])),
    Case("header-spaces", CLEAN, 0, "kept", rename("requests.csv", "receiveddate", " receiveddate ")),
    Case("columns-reordered", CLEAN, 0, "kept", rows("person.csv", lambda t: [r[::-1] for r in t])),
    Case("extra-column-personal", CLEAN, 0, "kept", rows("requests.csv", lambda t: [
        [*r, "Home address" if i == 0 else f"{i} Acacia Avenue"] for i, r in enumerate(t)])),
    Case("file-name-variants", CLEAN, 0, "kept", lambda ws: os.rename(ws.own_year() / "person.csv",
                                                                      ws.own_year() / "SEN2_Person.CSV")),
    Case("swap-sex-postcode", CLEAN, 0, "kept", swap_headers("person.csv", "sex", "postcode")),
    Case("swap-ethnicity-surname", CLEAN, 0, "kept", swap_headers("school_census.csv", "ethnicity", "surname")),
    Case("swap-upn-forename", CLEAN, 0, "kept", swap_headers("school_census.csv", "upn", "forename")),
    Case("postcode-in-code-column", CLEAN, 0, "kept", column("sen_need.csv", "sentype", "KT1 1EU")),
    Case("blank-sex-everywhere", CLEAN, 0, "kept", column("person.csv", "sex", "")),
]

CASES = [replace(c, name=f"clean-{c.name}") for c in UNREADABLE + ARGUMENTS + OUTPUTS + VALUES + STRUCTURE + ACCEPTED]
