"""Other files as published: ONS mid-year estimates in their layouts (one year without a year
column, wide by age with 90+, wide by year), the full GIAS extract (Windows-1252, every column,
closed schools), and XLSX files with a title above the header."""
from __future__ import annotations

import filecmp

import pandas as pd
import pytest
from openpyxl import Workbook

from sendlib import cleaning
from tests.cleaning_fixtures import small_la

CENSUS = "2025-01-16"


def population_of(raw, tmp_path) -> pd.DataFrame:
    result = cleaning.clean(raw, None, CENSUS)
    report = result.quality_report
    mine = report[report["file"].str.startswith("population")]
    assert set(mine["action"]) <= {"corrected"}, mine  # ONS's sex 1/2 is a corrected spelling, nothing more
    return result.tables["population"]


def write_xlsx(path, rows: list[list]) -> None:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(path)


@pytest.mark.parametrize("count_header, year", [("population", 2024), ("population_2023", 2023), ("Mid-2022", 2022)])
def test_ons_one_year_without_a_year_column(tmp_path, count_header, year):
    raw = small_la(tmp_path / "raw")
    rows = [{"ladcode23": "E09000021", "laname23": "Kingston upon Thames", "sex": s, "age": a,
             count_header: str(100 + i)} for i, (s, a) in enumerate((s, a) for s in ("1", "2")
                                                                     for a in [*map(str, range(90)), "90+"])]
    pd.DataFrame(rows).to_csv(raw / "population.csv", index=False)
    pop = population_of(raw, tmp_path)
    assert set(pop["year"]) == {year}  # from the heading, else the mid-year before the census
    assert len(pop) == 182 and pop["age"].max() == 90 and set(pop["sex"]) == {"M", "F"}
    assert pop["population"].sum() == sum(range(100, 282))
    assert set(pop["area_code"]) == {"E09000021"}


def test_ons_wide_by_age_xlsx_with_a_title(tmp_path):
    raw = small_la(tmp_path / "raw")
    (raw / "population.csv").unlink()
    ages = [*map(str, range(90)), "90+"]
    write_xlsx(raw / "population.xlsx", [
        ["Mid-2023 population estimates: persons by single year of age, local authorities in the UK"],
        [],
        ["Code", "Name", "Geography", "All ages", *ages],
        ["E09000021", "Kingston upon Thames", "London Borough", 9999, *range(1000, 1091)],
    ])
    pop = population_of(raw, tmp_path)
    assert len(pop) == 91 and set(pop["year"]) == {2023} and set(pop["sex"]) == {"All"}
    assert pop.set_index("age")["population"].to_dict() == {a: float(1000 + a) for a in range(91)}


def test_ons_wide_by_year(tmp_path):
    raw = small_la(tmp_path / "raw")
    rows = [{"ladcode21": "E09000021", "laname21": "Kingston upon Thames", "country": "E", "sex": s, "age": str(a),
             "population_2020": "10", "population_2021": "11"} for s in ("1", "2") for a in range(26)]
    pd.DataFrame(rows).to_csv(raw / "population.csv", index=False)
    pop = population_of(raw, tmp_path)
    assert pop.groupby("year")["population"].sum().to_dict() == {2020: 520.0, 2021: 572.0}


GIAS_COLUMNS = ["URN", "LA (code)", "LA (name)", "EstablishmentNumber", "EstablishmentName",
                "TypeOfEstablishment (code)", "TypeOfEstablishment (name)", "EstablishmentTypeGroup (code)",
                "EstablishmentTypeGroup (name)", "EstablishmentStatus (code)", "EstablishmentStatus (name)",
                "ReasonEstablishmentOpened (name)", "OpenDate", "CloseDate", "PhaseOfEducation (name)",
                "StatutoryLowAge", "StatutoryHighAge", "Boarders (name)", "Gender (name)", "SchoolCapacity",
                "TypeOfResourcedProvision (name)", "UKPRN", "Street", "Town", "Postcode", "HeadFirstName"]


def test_full_gias_extract_windows_1252_with_closed_schools(tmp_path):
    raw = small_la(tmp_path / "raw")
    before = cleaning.clean(raw, tmp_path / "a", CENSUS)
    est = pd.read_csv(raw / "establishments.csv", dtype=str, keep_default_na=False)
    full = est.reindex(columns=GIAS_COLUMNS, fill_value="x")
    full["EstablishmentName"] = full["EstablishmentName"] + " St Mary\u2019s Caf\u00e9"
    full.loc[full.index[0], ["EstablishmentStatus (name)", "CloseDate"]] = ["Closed", "31-08-2020"]
    full.to_csv(raw / "establishments.csv", index=False, encoding="cp1252")
    assert b"\x92" in (raw / "establishments.csv").read_bytes()
    after = cleaning.clean(raw, tmp_path / "b", CENSUS)
    assert not (after.quality_report["rule"] == "unknown_urn").any()
    assert after.warnings_by_rule() == before.warnings_by_rule()
    for name in ("ehcp_caseload", "pupils", "new_plans"):
        assert filecmp.cmp(tmp_path / "a" / f"{name}.parquet", tmp_path / "b" / f"{name}.parquet", shallow=False)


def test_school_census_xlsx_with_a_title_row(tmp_path):
    raw = small_la(tmp_path / "raw")
    cleaning.clean(raw, tmp_path / "a", CENSUS)
    df = pd.read_csv(raw / "school_census.csv", dtype=str, keep_default_na=False)
    (raw / "school_census.csv").unlink()
    write_xlsx(raw / "school_census.xlsx", [["Spring census 2025 - pupil level extract"], ["Produced 17/01/2025"],
                                            list(df.columns), *df.values.tolist()])
    cleaning.clean(raw, tmp_path / "b", CENSUS)
    for name in ("pupils", "sen_support"):
        assert filecmp.cmp(tmp_path / "a" / f"{name}.parquet", tmp_path / "b" / f"{name}.parquet", shallow=False)


def test_school_census_csv_with_a_one_cell_title_above_the_header(tmp_path):
    """A title line without the commas Excel pads it with: the rows below are not taken for rows
    too long for a one-column header, and the tables are those of the plain file."""
    raw = small_la(tmp_path / "raw")
    a = cleaning.clean(raw, tmp_path / "a", CENSUS)
    path = raw / "school_census.csv"
    path.write_text("Spring census 2025 - pupil level extract\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    b = cleaning.clean(raw, tmp_path / "b", CENSUS)
    for name in ("pupils", "sen_support"):
        assert filecmp.cmp(tmp_path / "a" / f"{name}.parquet", tmp_path / "b" / f"{name}.parquet", shallow=False)
    read = [r.summary["files"]["school_census.csv"]["rows_read"] for r in (a, b)]
    assert read == [5, 5]  # the title and header lines are not rows
