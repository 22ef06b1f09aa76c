"""The quality report shows a raw value of a person-level file only when it is a code; values shaped
like postcodes, UPNs, ULNs, dates or names are withheld wherever they appear; formula text in the
CSV is neutralised (issue 14, items 2 and 9). Hostile inputs are built from the synthetic LA."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sendlib import cleaning
from sendlib.cleaning import withheld
from tests.cleaning_fixtures import personal_values, small_la, trimmed_year

CENSUS = "2025-01-16"
pytestmark = pytest.mark.fast


@pytest.fixture
def year(demo_raw, tmp_path) -> Path:
    """An editable copy of the first 400 rows of each file of the demo LA's 2025 folder (real data to
    the cleaner: the test key)."""
    return trimmed_year(demo_raw / "2025", tmp_path / "2025", 400)


def _swap_headers(path: Path, a: str, b: str) -> None:
    lines = path.read_text(encoding="utf-8").split("\n")
    names = lines[0].split(",")
    i, j = names.index(a), names.index(b)
    names[i], names[j] = names[j], names[i]
    path.write_text("\n".join([",".join(names), *lines[1:]]), encoding="utf-8")


def _report_text(out: Path) -> str:
    return (out / "quality_report.csv").read_text(encoding="utf-8")


def _assert_nothing_personal(out: Path, secrets: set[str]) -> None:
    report = pd.read_csv(out / "quality_report.csv", dtype=str, keep_default_na=False)
    cells = set(report["value"]) | set(report["key"])
    leaked = {s for s in secrets if s in cells}
    assert not leaked, sorted(leaked)[:5]
    text = _report_text(out) + (out / "quality_summary.json").read_text()
    long_secrets = [s for s in secrets if len(s) >= 6]  # short names may be inside other words
    assert not [s for s in long_secrets if s in text][:5]


@pytest.mark.parametrize("file, a, b", [("person", "sex", "postcode"), ("school_census", "ethnicity", "surname"),
                                        ("person", "ethnicity", "forename"), ("person", "persontableid", "upn"),
                                        ("school_census", "sex", "dateofbirth"),
                                        ("person", "sex", "uniquelearnernumber")])
def test_swapped_headers_leak_nothing(year, tmp_path, file, a, b):
    secrets = personal_values(year)
    _swap_headers(year / f"{file}.csv", a, b)
    out = tmp_path / "out"
    res = cleaning.clean(year, out, CENSUS)
    assert len(res.quality_report) > 50  # the swapped column is reported, row by row
    _assert_nothing_personal(out, secrets)


def test_short_failing_codes_and_known_spellings_are_shown(tmp_path):
    raw = small_la(tmp_path / "raw", synthetic=False)
    person = pd.read_csv(raw / "person.csv", dtype=str, keep_default_na=False)
    person.loc[0, "sex"], person.loc[1, "ethnicity"], person.loc[2, "ethnicity"] = "X", "ZZZZ", "white british"
    person.to_csv(raw / "person.csv", index=False)
    rep = cleaning.clean(raw, None, CENSUS).quality_report.set_index(["file", "row_number", "column"])
    assert rep.loc[("person.csv", 1, "sex"), "value"] == "X"
    assert rep.loc[("person.csv", 2, "ethnicity"), "value"] == "ZZZZ"
    assert rep.loc[("person.csv", 3, "ethnicity"), "value"] == "white british"  # the code list's own spelling


def test_dates_ids_and_long_text_in_person_level_files_are_withheld(tmp_path):
    raw = small_la(tmp_path / "raw", synthetic=False)
    person = pd.read_csv(raw / "person.csv", dtype=str, keep_default_na=False)
    person.loc[0, "ethnicity"] = "Mrs Jones"
    person.loc[1, "sex"] = "KT1 1AA"
    person.loc[2, "personbirthdate"] = "04/03/2015"
    person.to_csv(raw / "person.csv", index=False)
    rep = cleaning.clean(raw, None, CENSUS).quality_report
    shown = set(rep["value"])
    assert not shown & {"Mrs Jones", "KT1 1AA", "04/03/2015"}
    assert (rep["value"] == withheld.WITHHELD).sum() >= 3


def test_formula_text_is_neutralised_in_the_csv(tmp_path):
    raw = small_la(tmp_path / "raw", synthetic=False)
    est = pd.read_csv(raw / "establishments.csv", dtype=str, keep_default_na=False)
    column = "TypeOfEstablishment (name)"  # a code column with a code list: unknown types are logged
    attacks = ['=HYPERLINK("http://x.example","click")', "+cmd|' /C notepad'!A0", "@SUM(1+1)", "-2+3"]
    for i, attack in enumerate(attacks):
        est.loc[i, column] = attack
    est.to_csv(raw / "establishments.csv", index=False)
    person = pd.read_csv(raw / "person.csv", dtype=str, keep_default_na=False)
    person.loc[0, "sex"] = "=1+1"
    person.to_csv(raw / "person.csv", index=False)
    out = tmp_path / "out"
    cleaning.clean(raw, out, CENSUS)
    report = pd.read_csv(out / "quality_report.csv", dtype=str, keep_default_na=False)
    assert not report.map(lambda v: v.startswith(("=", "+", "@", "\t", "\r")) or v.startswith("-2")).any().any()
    assert {"'" + a for a in attacks} <= set(report["value"])  # shown as the text they are, never run


@pytest.mark.parametrize("value", ["KT1 1AA", "kt11aa", "SW1A 2AA", "A123456789012", "1234567890", "2015-03-04",
                                   "04/03/2015", "4 March 2015", "20150304", "born 4.3.15", "Smith", "O'Neil"])
def test_personal_shapes_are_recognised(value):
    assert withheld.looks_personal(pd.Series([value]), names=True).all()


@pytest.mark.parametrize("value", ["WBRI", "ASD", "M", "9", "SEN/E", "AOTH", "12"])
def test_codes_do_not_look_personal(value):
    assert not withheld.looks_personal(pd.Series([value]), names=True).any()
