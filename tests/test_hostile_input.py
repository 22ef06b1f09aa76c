"""Hostile raw extracts built from the synthetic LA (issue 14, items 6 and 7): each run through
`sendlib clean` must give the expected exit status, at most one line on stderr (the error), no
traceback, every row read accounted for (read = kept + rejected, each rejection with its reason)
and no personal value in any output."""
from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from sendlib import cli
from tests.cleaning_fixtures import personal_values, trimmed_year

CENSUS = "2025-01-16"
ROWS = 300
pytestmark = pytest.mark.fast


@pytest.fixture
def year(demo_raw, tmp_path) -> Path:
    """The first ROWS rows of each file of the demo LA's 2025 folder, to edit."""
    return trimmed_year(demo_raw / "2025", tmp_path / "raw" / "2025", ROWS)


def personal(folder: Path) -> set[str]:
    return personal_values(folder, min_length=6)


def run(capsys, raw: Path, out: Path, *extra: str, census: str = CENSUS) -> tuple[int, list[str]]:
    """`sendlib clean` in this process; (exit status, lines on stderr). No traceback may escape."""
    code = cli.main(["clean", str(raw), str(out), "--census-date", census, "--quiet", *extra])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, [line for line in err.splitlines() if line.strip()]


def outputs_hold_no_personal_value(out: Path, secrets: set[str]) -> None:
    """No secret in any output (in the tables, birth dates are left out: the same dates are event dates)."""
    iso_date = re.compile(r"\d{4}-\d{2}-\d{2}")
    for f in sorted(out.rglob("*")):
        if not f.is_file():
            continue
        parquet = f.suffix == ".parquet"
        text = pd.read_parquet(f).astype(str).to_csv() if parquet else f.read_text(encoding="utf-8")
        leaked = [s for s in secrets if s in text and not (parquet and iso_date.fullmatch(s))]
        assert not leaked, (f.name, leaked[:3])


def accounted(out: Path, label: str) -> tuple[dict, pd.DataFrame]:
    """The file's row counts (read = kept + rejected) and its rejections in the quality report."""
    import json

    files = json.loads((out / "quality_summary.json").read_text())["files"]
    for f in files.values():
        assert f["rows_read"] == f["rows_kept"] + f["rows_rejected"]
    report = pd.read_csv(out / "quality_report.csv", dtype=str, keep_default_na=False)
    mine = report[(report["file"] == label) & (report["action"] == "rejected")]
    assert mine["row_number"].nunique() == files[label]["rows_rejected"]
    return files[label], mine


def lines_of(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").rstrip("\n").split("\n")


def write_lines(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_truncated_last_row_is_rejected_not_kept(year, tmp_path, capsys):
    secrets = personal(year)
    lines = lines_of(year / "person.csv")
    lines[-1] = lines[-1][: len(lines[-1]) // 3]  # the export stopped mid-row
    write_lines(year / "person.csv", lines)
    code, err = run(capsys, year, tmp_path / "out")
    assert code == 0 and err == []
    counts, rejected = accounted(tmp_path / "out", "person.csv")
    assert counts["rows_read"] == ROWS
    assert rejected.loc[rejected["row_number"] == str(ROWS), "rule"].tolist() == ["short_row"]
    outputs_hold_no_personal_value(tmp_path / "out", secrets)


def test_header_repeated_mid_file_is_rejected(year, tmp_path, capsys):
    lines = lines_of(year / "person.csv")
    lines.insert(151, lines[0].upper())  # a second export appended, header and all
    write_lines(year / "person.csv", lines)
    code, _ = run(capsys, year, tmp_path / "out")
    counts, rejected = accounted(tmp_path / "out", "person.csv")
    assert code == 0 and counts["rows_read"] == ROWS + 1
    assert rejected.loc[rejected["row_number"] == "151", "rule"].tolist() == ["repeated_header"]


def test_a_repeated_header_is_found_whatever_its_first_cell():
    from sendlib.readers import REPEATED_HEADER, _Grid

    grid = _Grid(["", "upn", "sex"], [], [])  # an export whose first column has no name
    for cells in (["1", "A123", "M"], [" ", "UPN", "Sex "], ["\ufeff", "upn", "sex", ""], ["", "upn", "F"]):
        grid.add(cells)
    assert grid.reasons == ["", REPEATED_HEADER, REPEATED_HEADER, ""]


@pytest.mark.parametrize("edit, rule", [("drop a field", "short_row"), ("add a field", "long_row")])
def test_a_row_with_the_wrong_number_of_fields_is_rejected(year, tmp_path, capsys, edit, rule):
    secrets = personal(year)
    lines = lines_of(year / "person.csv")
    fields = lines[50].split(",")
    lines[50] = ",".join(fields[:4] + fields[5:] if edit == "drop a field" else fields + ["KT1 1AA"])
    write_lines(year / "person.csv", lines)
    code, _ = run(capsys, year, tmp_path / "out")
    counts, rejected = accounted(tmp_path / "out", "person.csv")
    assert code == 0 and counts["rows_read"] == ROWS
    assert rejected.loc[rejected["row_number"] == "50", "rule"].tolist() == [rule]
    outputs_hold_no_personal_value(tmp_path / "out", secrets | {"KT1 1AA"})


def test_a_column_given_twice_is_a_one_line_error(year, tmp_path, capsys):
    df = pd.read_csv(year / "person.csv", dtype=str, keep_default_na=False)
    df.insert(len(df.columns), "sex ", df["ethnicity"])  # a second `sex` column, holding something else
    df.to_csv(year / "person.csv", index=False)
    code, err = run(capsys, year, tmp_path / "out")
    assert code == 2 and len(err) == 1 and "person.csv" in err[0] and "'sex' appears twice" in err[0]


def test_an_unterminated_quote_is_a_one_line_error(year, tmp_path, capsys):
    lines = lines_of(year / "requests.csv")
    lines[20] = lines[20].replace(",", ',"', 1)
    write_lines(year / "requests.csv", lines)
    code, err = run(capsys, year, tmp_path / "out")
    assert code == 2 and len(err) == 1 and "requests.csv" in err[0] and "well-formed" in err[0]


def _to_xlsx(csv_path: Path, sheets: list[tuple[str, int, int]], formulas: dict[int, str] | None = None,
             notes: list[list[str]] | None = None) -> Path:
    """The CSV as an XLSX: data rows [start, stop) on each named sheet (each with the header),
    `formulas` (data row -> column) written as formula cells, and a sheet of `notes`."""
    df = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, start, stop in sheets:
        ws = wb.create_sheet(title)
        ws.append(list(df.columns))
        for i in range(start, stop):
            row = list(df.iloc[i])
            if formulas and i in formulas:
                row[df.columns.get_loc(formulas[i])] = '=IF(1=1,"M","F")'
            ws.append(row)
    if notes:
        ws = wb.create_sheet("Notes")
        for line in notes:
            ws.append(line)
    path = csv_path.with_suffix(".xlsx")
    wb.save(path)
    csv_path.unlink()
    return path


def test_xlsx_formula_cells_are_rejected_with_their_reason(year, tmp_path, capsys):
    _to_xlsx(year / "person.csv", [("person", 0, ROWS)], formulas={10: "sex", 20: "ethnicity", 30: "sex"})
    code, _ = run(capsys, year, tmp_path / "out")
    counts, rejected = accounted(tmp_path / "out", "person.xlsx")
    assert code == 0 and counts["rows_read"] == ROWS
    formula = rejected[rejected["rule"] == "formula_cell"]
    assert formula["row_number"].tolist() == ["11", "21", "31"]


def test_xlsx_rows_continuing_on_a_second_sheet_are_read(year, tmp_path, capsys):
    run(capsys, year, tmp_path / "csv")
    expected, _ = accounted(tmp_path / "csv", "person.csv")
    _to_xlsx(year / "person.csv", [("part 1", 0, 120), ("part 2", 120, ROWS)])
    code, _ = run(capsys, year, tmp_path / "out")
    counts, _ = accounted(tmp_path / "out", "person.xlsx")
    assert code == 0 and counts["rows_read"] == ROWS and counts["rows_kept"] == expected["rows_kept"]
    csv_persons = pd.read_parquet(tmp_path / "csv" / "persons.parquet")
    xlsx_persons = pd.read_parquet(tmp_path / "out" / "persons.parquet")
    pd.testing.assert_frame_equal(csv_persons, xlsx_persons)


def test_rows_on_an_unrelated_xlsx_sheet_are_counted_and_rejected(year, tmp_path, capsys):
    notes = [["Extract notes"], ["Run by the case system on 16/01/2025"], ["Contact: data team"]]
    _to_xlsx(year / "person.csv", [("person", 0, ROWS)], notes=notes)
    code, _ = run(capsys, year, tmp_path / "out")
    counts, rejected = accounted(tmp_path / "out", "person.xlsx")
    assert code == 0 and counts["rows_read"] == ROWS + 3
    assert (rejected["rule"] == "other_sheet").sum() == 3


def test_population_counts_that_cannot_be_right_are_rejected(year, tmp_path, capsys):
    pop = pd.read_csv(year / "population.csv", dtype=str, keep_default_na=False)
    total = pd.to_numeric(pop["population"]).sum()
    bad = pop.iloc[:4].assign(area_code="E09999998", population=["-500", "1e30", "1000", "1000"])
    bad.iloc[2, bad.columns.get_loc("age")] = "999"
    bad.iloc[3, bad.columns.get_loc("year")] = "99999999999999999999"
    repeated = pop.iloc[[10, 11]]  # duplicated rows: the total must not double
    conflicting = pop.iloc[[12]].assign(population="7")
    pd.concat([pop, bad, repeated, conflicting]).to_csv(year / "population.csv", index=False)
    code, _ = run(capsys, year, tmp_path / "out")
    counts, rejected = accounted(tmp_path / "out", "population.csv")
    assert code == 0 and counts["rows_read"] == len(pop) + 7
    rules = rejected.groupby("rule").size().to_dict()
    assert rules == {"implausible_population": 2, "invalid_number": 2, "duplicate_row": 2, "conflicting_rows": 2}
    kept = pd.read_parquet(tmp_path / "out" / "population.parquet")
    conflicted = float(pop.iloc[12]["population"])
    assert kept["population"].sum() == total - conflicted  # duplicates once; both conflicting rows out


@pytest.mark.parametrize("census", ["2099-01-15", "1900-01-18", "2014-01-16"])
def test_a_census_date_outside_the_sen2_years_is_a_one_line_error(year, tmp_path, capsys, census):
    code, err = run(capsys, year, tmp_path / "out", census=census)
    assert code == 2 and len(err) == 1 and "not the date of a SEN2 census" in err[0]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("inside", [".", "processed", "a/b"])
def test_an_output_folder_inside_the_raw_folder_is_refused(year, capsys, inside):
    before = sorted(p.name for p in year.iterdir())
    code, err = run(capsys, year, year / inside)
    assert code == 2 and len(err) == 1 and "inside the raw data folder" in err[0]
    assert sorted(p.name for p in year.iterdir()) == before


def test_an_input_error_raised_in_a_worker_arrives_whole():
    import pickle

    from sendlib.errors import ConfigError, SendlibInputError

    for cls in (SendlibInputError, ConfigError):
        exc = cls("not a date", file="person.csv", row=12, column="personbirthdate", hint="use YYYY-MM-DD")
        back = pickle.loads(pickle.dumps(exc))
        assert type(back) is cls and str(back) == str(exc)
        assert (back.file, back.row, back.column, back.hint) == ("person.csv", 12, "personbirthdate", "use YYYY-MM-DD")
