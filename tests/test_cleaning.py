"""`sendlib clean` on hand-made raw folders: outputs, rules, personal data, bad inputs (exit 2)."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sendlib import cleaning, cli, cohorts, pseudonymise, readers
from sendlib.errors import SendlibInputError
from tests.cleaning_fixtures import Child, census_rows, establishments, sen2_tables, small_la, write_raw

CENSUS = "2025-01-16"
ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.fast


@pytest.fixture
def raw(tmp_path) -> Path:
    return small_la(tmp_path / "raw")


def run_cli(capsys, *args) -> tuple[int, str]:
    code = cli.main(["clean", *map(str, args)])
    return code, capsys.readouterr().err


# ---- a clean run ----------------------------------------------------------------------------------

def test_clean_writes_every_table_and_report(raw, tmp_path, capsys):
    out = tmp_path / "out"
    code, err = run_cli(capsys, raw, out, "--census-date", CENSUS)
    assert code == 0, err
    for name in ["persons", "ehcp_caseload", "sen_support", "pupils", "requests", "assessments", "new_plans",
                 "ceased_plans", "annual_reviews", "population"]:
        assert (out / f"{name}.parquet").exists(), name
    tables = cohorts.load(out)
    assert len(tables["ehcp_caseload"]) == 4 and len(tables["pupils"]) == 5 and len(tables["sen_support"]) == 2
    assert list(pd.read_csv(out / "quality_report.csv").columns) == cleaning.QUALITY_COLUMNS
    summary = json.loads((out / "quality_summary.json").read_text())
    assert summary["files"]["person.csv"] == {"name": "person", "rows_read": 4, "rows_kept": 4, "rows_corrected": 0,
                                              "rows_set_unknown": 0, "rows_rejected": 0}
    assert summary["unknown_share"]["ehcp_caseload"]["ethnicity"] == 0.5  # blank and REFU
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["census_year"] == 2025 and meta["synthetic"] is False  # hand-made: real data to the cleaner
    sha = hashlib.sha256((raw / "person.csv").read_bytes()).hexdigest()
    assert meta["inputs"]["person.csv"]["sha256"] == sha
    assert meta["tables"]["ehcp_caseload"] == 4
    assert "[clean" in err  # progress lines


def test_caseload_columns(raw, tmp_path):
    res = cleaning.clean(raw, None, CENSUS)
    cl = res.tables["ehcp_caseload"].set_index("active_plan_id")
    p4 = cl.loc["P4"]
    assert p4["placement_group"] == "Mainstream"
    assert p4["placement_group_kingston"] == "Resourced provision in mainstream"
    assert p4["establishment_type"] == "Academy converter"
    assert p4["plan_start_date"] == pd.Timestamp("2024-02-10") and p4["years_in_plan"] == pytest.approx(0.93, abs=0.01)
    assert p4["age"] == 12 and p4["school_year"] == "Year 7" and p4["age_band_eqia"] == "11-15"
    p3 = cl.loc["P3"]
    assert p3["placement_code"] == "neet" and p3["placement_group"] == "NEET"
    assert p3["ethnicity"] == "UNKN" and p3["ethnicity_group_dfe"] == "Unknown"
    assert (cl["birth_month"].dt.day == 1).all()
    # the EHCP pupils in the census and their SEN2 records share a person_id (both keyed on the UPN)
    pupils = res.tables["pupils"]
    assert set(cl["person_id"]) & set(pupils.loc[pupils["sen_provision"] == "E", "person_id"]) == {
        cl.loc["P1", "person_id"], cl.loc["P4", "person_id"]}


def test_events_in_the_period(tmp_path):
    kids = [Child("1", "2012-01-01", start="2024-03-01", received="2023-12-01"),  # 13 weeks: within 20
            Child("2", "2012-01-01", start="2024-09-01", received="2024-01-02"),  # 34 weeks
            Child("3", "2012-01-01", start="2022-09-01", received="2022-03-01")]   # before the period
    tables = sen2_tables(kids)
    tables["named_plan"].loc[2, ["ceasedate", "ceasereason"]] = ["2024-07-31", "2"]
    tables["assessment"].loc[1, "week20"] = "1"  # an exception applies
    tables.update(school_census=census_rows([dict(upn="X1", dob="2012-01-01")]), establishments=establishments())
    res = cleaning.clean(write_raw(tmp_path / "raw", tables, manifest={"synthetic": True}), None, CENSUS)
    t = res.tables
    assert list(t["new_plans"]["plan_id"]) == ["N1", "N2"]
    assert list(t["ceased_plans"]["plan_id"]) == ["N3"] and t["ceased_plans"]["cease_reason"].iloc[0] == "2"
    assert list(t["requests"].loc[t["requests"]["in_period"], "request_id"]) == ["R2"]
    tables_ = {**t, "metadata": res.metadata}
    k = cohorts.timeliness(cohorts.assessments(tables_))
    assert k["plans_issued"] == 2 and k["within_20_weeks"] == 1 and k["percent_within_20_weeks"] == 50.0
    assert k["plans_issued_excluding_exceptions"] == 1 and k["percent_within_20_weeks_excluding_exceptions"] == 100.0


# ---- rules ----------------------------------------------------------------------------------------

def _report_rows(res, file, rule):
    r = res.quality_report
    return r[(r["file"] == file) & (r["rule"] == rule)]


def test_defects_are_logged_with_actions(tmp_path):
    tables = sen2_tables([Child(str(i), "2012-05-05", upn=f"U{i:012d}") for i in range(1, 7)])
    p = tables["person"]
    p.loc[0, "personbirthdate"] = "05/05/2012"   # date_format
    p.loc[1, "personbirthdate"] = ""             # missing_dob
    p.loc[2, "personbirthdate"] = "2030-01-01"   # future_dob
    p.loc[3, "personbirthdate"] = "1980-01-01"   # dob_over_25
    p.loc[4, "sex"] = "2"                        # code_spelling
    p.loc[5, "ethnicity"] = " wbri"              # whitespace_case
    p.loc[5, "sex"] = "X"                        # unknown_code
    tables["sen_need"].loc[0, "sentype"] = "Autism"
    tables["sen_need"].loc[1, "sentype"] = "BESD"
    # a duplicate row, a conflicting duplicate and an orphan
    tables["sen_need"] = pd.concat([tables["sen_need"], tables["sen_need"].iloc[[2]]], ignore_index=True)
    dup = tables["placement_detail"].iloc[[3]].copy()
    dup["urn"] = ""  # conflicting and less complete: the original is kept
    tables["placement_detail"] = pd.concat([tables["placement_detail"], dup], ignore_index=True)
    orphan = tables["sen_need"].iloc[[0]].copy()
    orphan[["senneedtableid", "activeplanstableid"]] = ["S99", "P99"]
    tables["sen_need"] = pd.concat([tables["sen_need"], orphan], ignore_index=True)
    tables.update(school_census=census_rows([dict(upn="U000000000001", dob="2012-05-05")]),
                  establishments=establishments())
    res = cleaning.clean(write_raw(tmp_path / "raw", tables, manifest={"synthetic": True}), None, CENSUS)

    def one(file, rule, row):
        rows = _report_rows(res, file, rule)
        assert row in set(rows["row_number"]), (file, rule, row, rows)
        return rows[rows["row_number"] == row].iloc[0]

    assert one("person.csv", "date_format", 1)["action"] == "corrected"
    for rule, row in (("missing_dob", 2), ("future_dob", 3), ("dob_over_25", 4)):
        hit = one("person.csv", rule, row)
        assert hit["action"] == "set unknown" and hit["value"] in ("<personal data withheld>",)
    assert one("person.csv", "code_spelling", 5)["column"] == "sex"
    assert one("person.csv", "whitespace_case", 6)["column"] == "ethnicity"
    assert one("person.csv", "unknown_code", 6)["value"] == "X"
    assert one("sen_need.csv", "code_spelling", 1)["value"] == "Autism"
    assert one("sen_need.csv", "code_spelling", 2)["value"] == "BESD"
    assert one("sen_need.csv", "duplicate_row", 7)["action"] == "rejected"
    assert one("sen_need.csv", "orphan_key", 8)["key"] == "S99"
    assert one("placement_detail.csv", "duplicate_key", 7)["action"] == "rejected"
    # the unknowns reach the tables
    persons = res.tables["persons"]
    assert persons["birth_month"].isna().sum() == 3 and (persons["sex"] == "U").sum() == 1
    cl = res.tables["ehcp_caseload"].set_index("active_plan_id")
    assert cl.loc["P2", "primary_need"] == "SEMH" and cl.loc["P2", "age_band_dfe"] == "Unknown"
    assert cl.loc["P4", "placement_group"] == "Mainstream"  # the more complete row was kept
    for f in res.summary["files"].values():
        assert f["rows_read"] == f["rows_kept"] + f["rows_rejected"]
    assert res.summary["files"]["sen_need.csv"]["rows_rejected"] == 2


def test_orphans_cascade_and_duplicate_person(tmp_path):
    kids = [Child("1", "2012-05-05", upn="A1"), Child("2", "2013-05-05", upn="A1"), Child("3", "2014-05-05")]
    tables = sen2_tables(kids)
    tables["requests"].loc[2, "persontableid"] = "404"  # orphan request: its active plan, needs, ... go too
    tables.update(school_census=census_rows([dict(upn="A1", dob="2012-05-05")]), establishments=establishments())
    res = cleaning.clean(write_raw(tmp_path / "raw", tables, manifest={"synthetic": True}), None, CENSUS)
    files = res.summary["files"]
    for f in ("requests.csv", "assessment.csv", "named_plan.csv", "plan_detail.csv", "active_plans.csv",
              "placement_detail.csv", "sen_need.csv"):
        assert files[f]["rows_rejected"] >= 1, f
    assert len(_report_rows(res, "person.csv", "duplicate_person")) == 1
    # one person, two active plans: the later request is kept, the other rejected
    assert len(res.tables["ehcp_caseload"]) == 1
    assert len(_report_rows(res, "active_plans.csv", "duplicate_plan")) == 1


def test_no_personal_data_leaves_the_cleaner(tmp_path):
    tables = sen2_tables([Child("1", "2012-05-05", upn="A123456789012"), Child("2", "2011-07-07", upn="B99")])
    tables["person"].loc[1, "personbirthdate"] = "07/07/2011"
    tables["person"].loc[0, "upn"] = " a123456789012 "
    tables.update(school_census=census_rows([dict(upn="A123456789012", dob="2012-05-05"),
                                             dict(upn="C555", dob="1970-01-01")]),
                  establishments=establishments())
    out = tmp_path / "out"
    cleaning.clean(write_raw(tmp_path / "raw", tables, manifest={"synthetic": True}), out, CENSUS)
    secrets = ["A123456789012", "B99", "C555", "Smith", "KT1 1AA", "2012-05-05", "07/07/2011", "1970-01-01",
               "2011-07-07"]
    for f in out.iterdir():
        text = f.read_bytes() if f.suffix == ".parquet" else f.read_text().encode()
        if f.suffix == ".parquet":  # compare decoded cells, not compressed bytes
            text = pd.read_parquet(f).astype(str).to_csv().encode()
        for s in secrets:
            assert s.encode() not in text, (f.name, s)
    report = pd.read_csv(out / "quality_report.csv", dtype=str)
    assert (report.loc[report["column"].isin(["upn", "personbirthdate", "dateofbirth"]), "value"]
            == cleaning.WITHHELD).all()
    census_keys = report.loc[report["file"] == "school_census.csv", "key"]
    assert census_keys.str.fullmatch(r"P[0-9a-f]{16}").all() and len(census_keys)


def test_same_inputs_give_identical_outputs(raw, tmp_path):
    for out in ("a", "b"):
        cleaning.clean(raw, tmp_path / out, CENSUS)
    for f in sorted((tmp_path / "a").iterdir()):
        assert f.read_bytes() == (tmp_path / "b" / f.name).read_bytes(), f.name


def test_xlsx_latin1_bom_and_column_case(tmp_path):
    raw = small_la(tmp_path / "raw")
    person = pd.read_csv(raw / "person.csv", dtype=str, keep_default_na=False)
    person["surname"] = "Bront\u00eb"
    person.columns = [c.upper() for c in person.columns]
    (raw / "person.csv").unlink()
    (raw / "PERSON.CSV").write_bytes(person.to_csv(index=False).encode("cp1252"))
    need = pd.read_csv(raw / "sen_need.csv", dtype=str, keep_default_na=False)
    (raw / "sen_need.csv").unlink()
    (raw / "SEN2_sen_need.csv").write_bytes(b"\xef\xbb\xbf" + need.to_csv(index=False).encode("utf-8"))
    sc = pd.read_csv(raw / "school_census.csv", dtype=str, keep_default_na=False)
    (raw / "school_census.csv").unlink()
    sc.to_excel(raw / "School_Census.xlsx", index=False)
    res = cleaning.clean(raw, None, CENSUS)
    assert len(res.tables["ehcp_caseload"]) == 4 and len(res.tables["pupils"]) == 5
    assert res.metadata["inputs"]["PERSON.CSV"]["rows"] == 4


def test_xlsx_dates_as_cells(tmp_path):
    raw = small_la(tmp_path / "raw")
    person = pd.read_csv(raw / "person.csv", dtype=str, keep_default_na=False)
    person = person.astype(object)
    person["personbirthdate"] = pd.to_datetime(person["personbirthdate"])
    (raw / "person.csv").unlink()
    person.to_excel(raw / "person.xlsx", index=False)
    res = cleaning.clean(raw, None, CENSUS)
    assert res.tables["persons"]["birth_month"].notna().all()
    assert len(_report_rows(res, "person.xlsx", "date_format")) == 0


def test_key_required_for_real_data(tmp_path, monkeypatch):
    raw = small_la(tmp_path / "raw", synthetic=False)
    monkeypatch.delenv(pseudonymise.ENV_VAR, raising=False)
    with pytest.raises(SendlibInputError, match="no pseudonymisation key"):
        cleaning.clean(raw, None, CENSUS, key_file=tmp_path / "nokey")
    monkeypatch.setenv(pseudonymise.ENV_VAR, "a-secret-of-more-than-128-bits")
    a = cleaning.clean(raw, None, CENSUS).tables["persons"]["person_id"]
    monkeypatch.delenv(pseudonymise.ENV_VAR)
    (tmp_path / "key").write_text("another-secret-of-128-bits-or-more\n")
    b = cleaning.clean(raw, None, CENSUS, key_file=tmp_path / "key").tables["persons"]["person_id"]
    assert set(a).isdisjoint(set(b))  # a different key gives different ids


# ---- bad inputs: exit 2 with one line naming the file (and column) ---------------------------------

def _exit2(capsys, raw, out, *expected):
    code, err = run_cli(capsys, raw, out, "--census-date", CENSUS, "--quiet")
    assert code == 2, err
    lines = [line for line in err.strip().splitlines() if line]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for e in expected:
        assert e in lines[0], (e, lines[0])
    return lines[0]


def test_missing_required_file(raw, tmp_path, capsys):
    (raw / "sen_need.csv").unlink()
    _exit2(capsys, raw, tmp_path / "out", "sen_need.csv", "missing")


def test_missing_required_column(raw, tmp_path, capsys):
    df = pd.read_csv(raw / "placement_detail.csv", dtype=str).drop(columns=["placementrank"])
    df.to_csv(raw / "placement_detail.csv", index=False)
    _exit2(capsys, raw, tmp_path / "out", "placement_detail.csv", "column placementrank", "missing")


def test_empty_file(raw, tmp_path, capsys):
    (raw / "active_plans.csv").write_text("")
    _exit2(capsys, raw, tmp_path / "out", "active_plans.csv", "empty")


def test_header_only_file(raw, tmp_path, capsys):
    (raw / "person.csv").write_text(",".join(readers.spec.columns("person")) + "\n")
    _exit2(capsys, raw, tmp_path / "out", "person.csv", "no data rows")


def test_pdf_renamed_as_csv(raw, tmp_path, capsys):
    (raw / "requests.csv").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    _exit2(capsys, raw, tmp_path / "out", "requests.csv", "not a CSV or XLSX")


def test_extract_in_another_format(raw, tmp_path, capsys):
    (raw / "establishments.csv").unlink()
    (raw / "establishments.pdf").write_bytes(b"%PDF-1.4")
    _exit2(capsys, raw, tmp_path / "out", "establishments.pdf", "not a CSV or XLSX")


def test_csv_named_xlsx(raw, tmp_path, capsys):
    (raw / "sen_need.csv").rename(raw / "sen_need.xlsx")
    _exit2(capsys, raw, tmp_path / "out", "sen_need.xlsx", "not an Excel workbook")


def test_utf16_file(raw, tmp_path, capsys):
    text = (raw / "person.csv").read_text()
    (raw / "person.csv").write_bytes(text.encode("utf-16"))
    _exit2(capsys, raw, tmp_path / "out", "person.csv", "unreadable encoding")


def test_random_bytes(raw, tmp_path, capsys):
    import random
    rnd = random.Random(1)
    (raw / "sen_need.csv").write_bytes(bytes(rnd.randrange(128, 256) for _ in range(4000)))
    _exit2(capsys, raw, tmp_path / "out", "sen_need.csv", "unreadable encoding")


def test_missing_raw_folder_and_bad_census_date(tmp_path, capsys, raw):
    _exit2(capsys, tmp_path / "nope", tmp_path / "out", "nope", "not found")
    code, err = run_cli(capsys, raw, tmp_path / "out", "--census-date", "16/01/2025x", "--quiet")
    assert code == 2 and "census date" in err and "Traceback" not in err


def test_console_script_prints_no_traceback(raw, tmp_path):
    (raw / "sen_need.csv").unlink()
    exe = Path(sys.executable).with_name("sendlib")
    proc = subprocess.run([str(exe), "clean", str(raw), str(tmp_path / "out"), "--census-date", CENSUS],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "sen_need" in proc.stderr.strip().splitlines()[-1]


# ---- robustness: any cell content is a quality problem, never a crash --------------------------------

@pytest.mark.parametrize("cell", ["1e100", "inf", "-inf", "1e308", "-1", "0", "nan", "1.5", "100", "\u0661"])
def test_a_rank_that_is_not_a_rank_is_set_unknown(tmp_path, cell):
    """Regression: a rank cell of 1e100 made the cleaner raise TypeError (found by the fuzz test below)."""
    kids = [Child("1", "2012-01-01", need="ASD", extra_needs=["SLCN"]), Child("2", "2013-01-01", need="MLD")]
    tables = sen2_tables(kids)
    tables["sen_need"].loc[0, "sentyperank"] = cell  # child 1's rank-1 need
    tables["placement_detail"].loc[1, "placementrank"] = cell
    tables.update(school_census=census_rows([dict(upn="X1", dob="2012-01-01")]), establishments=establishments())
    res = cleaning.clean(write_raw(tmp_path / "raw", tables, manifest={"synthetic": True}), None, CENSUS)
    for file, column in (("sen_need.csv", "sentyperank"), ("placement_detail.csv", "placementrank")):
        hit = _report_rows(res, file, "unknown_code")
        assert list(hit["column"]) == [column] and list(hit["value"]) == [cell], (file, hit)
        assert list(hit["action"]) == ["set unknown"]
    cl = res.tables["ehcp_caseload"].set_index("active_plan_id")
    assert cl.loc["P1", "primary_need"] == "UNKNOWN" and cl.loc["P2", "placement_group"] == "Unknown"
    assert set(_report_rows(res, "active_plans.csv", "missing_primary_need")["key"]) == {"P1"}


def test_a_return_whose_every_active_plan_is_rejected_gives_empty_tables(tmp_path):
    """Regression: every request orphaned (no person matches) made building the caseload raise TypeError."""
    raw = small_la(tmp_path / "raw")
    requests = pd.read_csv(raw / "requests.csv", dtype=str, keep_default_na=False)
    requests["persontableid"] = "404"
    requests.to_csv(raw / "requests.csv", index=False)
    res = cleaning.clean(raw, None, CENSUS)
    assert len(res.tables["ehcp_caseload"]) == 0 and len(res.tables["annual_reviews"]) == 0
    assert len(res.tables["pupils"]) == 5  # the school census stands on its own
    for file in ("requests.csv", "active_plans.csv", "sen_need.csv"):
        summary = res.summary["files"][file]
        assert summary["rows_rejected"] == summary["rows_read"] > 0, file


def test_a_population_count_that_is_not_a_number_rejects_its_row(tmp_path):
    raw = small_la(tmp_path / "raw")
    pop = pd.read_csv(raw / "population.csv", dtype=str, keep_default_na=False)
    pop.loc[0, "population"], pop.loc[1, "year"], pop.loc[2, "age"], pop.loc[3, "age"] = "inf", "x", "1e300", "2.5"
    pop.to_csv(raw / "population.csv", index=False)
    res = cleaning.clean(raw, None, CENSUS)
    hit = _report_rows(res, "population.csv", "invalid_number")
    assert list(zip(hit["row_number"], hit["column"])) == [(1, "population"), (2, "year"), (3, "age"), (4, "age")]
    assert len(res.tables["population"]) == len(pop) - 4
