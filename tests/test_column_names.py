"""Column names as exported: MIS / CBDS names and spreadsheet spellings (column_aliases.csv), an
LA's column map, LAEstab for the school, and a missing column's error naming the closest header."""
from __future__ import annotations

import filecmp
import json
from pathlib import Path

import pandas as pd
import pytest

from sendlib import cleaning, cli, spec, synthetic
from tests.cleaning_fixtures import small_la

CENSUS = "2025-01-16"
TABLES = ["persons", "ehcp_caseload", "sen_support", "pupils", "requests", "assessments", "new_plans",
          "ceased_plans", "annual_reviews", "population"]


def differing(a: Path, b: Path) -> list[str]:
    return [t for t in TABLES if not filecmp.cmp(a / f"{t}.parquet", b / f"{t}.parquet", shallow=False)]


def clean_cli(capsys, raw: Path, out: Path, *extra) -> tuple[int, str]:
    code = cli.main(["clean", str(raw), str(out), "--census-date", CENSUS, "--quiet", *map(str, extra)])
    return code, capsys.readouterr().err


def rename_census(raw: Path, names: dict[str, str]) -> None:
    df = pd.read_csv(raw / "school_census.csv", dtype=str, keep_default_na=False)
    df.rename(columns=names).to_csv(raw / "school_census.csv", index=False)


def test_mis_census_headers_clean_to_byte_identical_tables(tmp_path):
    synthetic.generate(tmp_path / "csv", seed=5, scale=0.25)
    synthetic.generate(tmp_path / "mis", seed=5, scale=0.25, census_headers="mis")
    header = (tmp_path / "mis" / "2025" / "school_census.csv").read_text().splitlines()[0].split(",")
    assert {"UPN", "DOB", "Gender", "NCyearActual", "SENprovision", "SENtype", "LAEstab"} <= set(header)
    assert "urn" not in [h.lower() for h in header]
    census = json.loads((tmp_path / "csv" / "manifest.json").read_text())["census_dates"]["2025"]
    a = cleaning.clean(tmp_path / "csv" / "2025", tmp_path / "a", census)
    b = cleaning.clean(tmp_path / "mis" / "2025", tmp_path / "b", census)
    assert differing(tmp_path / "a", tmp_path / "b") == []
    assert b.tables["pupils"]["urn"].notna().mean() > 0.9 and len(a.tables["pupils"]) > 1000


def test_spreadsheet_spellings_are_known(tmp_path, capsys):
    raw = small_la(tmp_path / "raw")
    assert clean_cli(capsys, raw, tmp_path / "a")[0] == 0
    rename_census(raw, {"upn": "UPN number", "dateofbirth": "Date of birth", "sex": "Sex", "ncyearactual": "NC year",
                        "senprovision": "SEN provision", "primarysentype": "Primary need", "urn": "School URN"})
    code, err = clean_cli(capsys, raw, tmp_path / "b")
    assert code == 0, err
    assert differing(tmp_path / "a", tmp_path / "b") == []


def test_missing_column_names_the_closest_header(tmp_path, capsys):
    raw = small_la(tmp_path / "raw")
    rename_census(raw, {"dateofbirth": "Date_of_Brith"})
    code, err = clean_cli(capsys, raw, tmp_path / "out")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "required column 'dateofbirth' is missing" in err and "closest header found: 'Date_of_Brith'" in err
    assert "school_census.csv" in err and "column_map.yml" in err


def test_an_las_column_map(tmp_path, capsys):
    raw = small_la(tmp_path / "raw")
    assert clean_cli(capsys, raw, tmp_path / "a")[0] == 0
    rename_census(raw, {"dateofbirth": "Pupil DOB", "primarysentype": "Main Need"})
    code, err = clean_cli(capsys, raw, tmp_path / "b")
    assert code == 2 and "dateofbirth" in err
    column_map = tmp_path / "column_map.yml"
    column_map.write_text("school_census:\n  Pupil DOB: dateofbirth\n  main need: PrimarySENtype\n")
    code, err = clean_cli(capsys, raw, tmp_path / "b", "--column-map", column_map)
    assert code == 0, err
    assert differing(tmp_path / "a", tmp_path / "b") == []


@pytest.mark.parametrize("text, words", [
    ("school_censu:\n  Pupil DOB: dateofbirth\n", ("no raw file 'school_censu'", "did you mean 'school_census'")),
    ("school_census:\n  Pupil DOB: dateofbrth\n", ("no column 'dateofbrth'", "did you mean 'dateofbirth'")),
    ("- a list\n", ("{file: {header: column}}",)),
])
def test_a_bad_column_map_is_one_line(tmp_path, capsys, text, words):
    raw = small_la(tmp_path / "raw")
    (tmp_path / "map.yml").write_text(text)
    code, err = clean_cli(capsys, raw, tmp_path / "out", "--column-map", tmp_path / "map.yml")
    assert code == 2 and len(err.strip().splitlines()) == 1 and all(w in err for w in words), err


def test_laestab_gives_the_urn_and_an_unknown_one_is_reported(tmp_path):
    raw = small_la(tmp_path / "raw")
    est = pd.read_csv(raw / "establishments.csv", dtype=str, keep_default_na=False)
    sc = pd.read_csv(raw / "school_census.csv", dtype=str, keep_default_na=False)
    est["LA (code)"], est["EstablishmentNumber"] = "314", [str(2000 + i) for i in range(len(est))]
    laestab = dict(zip(est["URN"], est["LA (code)"] + est["EstablishmentNumber"]))
    sc["LAEstab"] = sc["urn"].map(laestab).fillna("")
    sc.loc[sc.index[-1], "LAEstab"] = "3149999"
    expected = sc["urn"].where(sc.index != sc.index[-1], "")
    est.to_csv(raw / "establishments.csv", index=False)
    sc.drop(columns=["urn", "laestab"]).to_csv(raw / "school_census.csv", index=False)
    result = cleaning.clean(raw, None, CENSUS)
    pupils = result.tables["pupils"]
    assert sorted(pupils["urn"].fillna("")) == sorted(expected)
    report = result.quality_report
    unknown = report[(report["rule"] == "unknown_urn") & (report["column"] == "laestab")]
    assert unknown["value"].tolist() == ["3149999"]


def test_every_listed_alias_names_a_declared_column():
    import csv
    from importlib import resources
    rows = list(csv.DictReader(resources.files("sendlib.spec").joinpath(spec.ALIASES_FILE).open()))
    assert len(rows) > 30
    for row in rows:
        assert row["column"] in spec.columns(row["file"]), row
        assert row["alias"] in spec.file(row["file"]).columns[row["column"]].aliases
    keys = {}
    for name in spec.files():
        for c in spec.file(name).columns.values():
            for header in (c.name, *c.aliases):  # one header never means two columns of a file
                assert keys.setdefault((name, spec.header_key(header)), c.name) == c.name, (name, header)
