"""Cohort functions and breakdowns, as a notebook would call them."""
from __future__ import annotations

import pandas as pd
import pytest

from sendlib import ages, cleaning, cohorts, schemas
from sendlib.errors import SendlibInputError
from tests.cleaning_fixtures import small_la

pytestmark = pytest.mark.fast

CENSUS = "2025-01-16"


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cohorts")
    cleaning.clean(small_la(tmp / "raw"), tmp / "out", CENSUS)
    return cohorts.load(tmp / "out")


def test_load_returns_tables_and_metadata(tables):
    assert {"persons", "ehcp_caseload", "sen_support", "pupils", "requests", "assessments", "new_plans",
            "ceased_plans", "annual_reviews", "population"} <= set(tables)
    assert tables["metadata"]["census_date"] == CENSUS
    assert cohorts.census_date_of(tables) == pd.Timestamp(CENSUS)


def test_caseload_at_another_date_is_refused(tables):
    assert len(cohorts.ehcp_caseload(tables, CENSUS)) == 4
    with pytest.raises(ValueError, match="2025-01-16"):
        cohorts.ehcp_caseload(tables, "2024-01-18")


def test_breakdown_counts_percentages_and_order(tables):
    ehcp = cohorts.ehcp_caseload(tables)
    out = cohorts.breakdown(ehcp, by=["age band"])
    assert list(out.columns) == ["age_band_dfe", "count", "percent"]
    assert list(out["age_band_dfe"]) == ["5 to 10", "11 to 15", "20 to 25"]  # reporting order
    assert out["count"].sum() == 4 and out["percent"].sum() == pytest.approx(100)
    full = cohorts.breakdown(ehcp, by="age band", complete=True)
    assert list(full["age_band_dfe"]) == ages.DFE_AGE_BANDS + ["Unknown"]
    assert list(full["count"]) == [0, 1, 2, 0, 1, 0]


@pytest.mark.parametrize("by,column", [("ncy", "ncy"), ("need", "primary_need"), ("ethnicity", "ethnicity"),
                                       ("ethnicity group", "ethnicity_group_dfe"), ("sex", "sex"),
                                       ("placement", "placement_group"), ("school year", "school_year"),
                                       ("eqia age band", "age_band_eqia")])
def test_breakdown_by_each_characteristic(tables, by, column):
    ehcp = cohorts.ehcp_caseload(tables)
    out = cohorts.breakdown(ehcp, by=by)
    assert column in out.columns and out["count"].sum() == len(ehcp)
    assert dict(zip(out[column], out["count"])) == ehcp[column].value_counts().to_dict()


def test_breakdown_by_two_characteristics(tables):
    ss = cohorts.sen_support(tables)
    out = cohorts.breakdown(ss, by=["sex", "need"], complete=True)
    assert out["count"].sum() == len(ss) == 2
    assert len(out) == 3 * out["primary_need"].nunique()
    assert out.loc[(out["sex"] == "F") & (out["primary_need"] == "SPLD"), "count"].item() == 1


def test_breakdown_unknown_column(tables):
    with pytest.raises(KeyError, match="religion"):
        cohorts.breakdown(cohorts.ehcp_caseload(tables), by=["religion"])


def test_events_in_periods(tables):
    assert cohorts.activity_period(CENSUS) == (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-12-31"))
    assert list(cohorts.new_plans(tables)["plan_id"]) == ["N4"]
    # the table holds the activity year's plans only (older ones are in earlier returns)
    assert len(cohorts.new_plans(tables, "2019-01-01", "2024-12-31")) == 1
    assert len(cohorts.new_plans(tables, "2024-03-01", "2024-12-31")) == 0
    assert len(cohorts.requests(tables)) == 0 and len(cohorts.requests(tables, "2023-01-01", "2023-12-31")) == 1
    assert len(cohorts.ceased_plans(tables)) == 0
    kpi = cohorts.timeliness(cohorts.assessments(tables))
    assert kpi["plans_issued"] == 1 and kpi["percent_within_20_weeks"] == 100.0


def test_load_years(tmp_path):
    for year, date in ((2024, "2024-01-18"), (2025, CENSUS)):
        cleaning.clean(small_la(tmp_path / "raw" / str(year)), tmp_path / "processed" / str(year), date)
    years = cohorts.load_years(tmp_path / "processed", names=["ehcp_caseload"])
    assert sorted(years) == [2024, 2025]
    assert all(len(t["ehcp_caseload"]) == 4 for t in years.values())


def test_census_years_is_the_one_folder_scan(tmp_path):
    for name in ("2023", "2025", "2024", "notes", "20250"):
        (tmp_path / name).mkdir()
    (tmp_path / "2026").write_text("a file, not a folder")
    (tmp_path / "2024" / "ehcp_caseload.parquet").write_text("")
    assert list(cohorts.census_years(tmp_path)) == [2023, 2024, 2025]
    assert cohorts.census_years(tmp_path)[2024] == tmp_path / "2024"
    assert list(cohorts.census_years(tmp_path, up_to=2024)) == [2023, 2024]
    assert list(cohorts.census_years(tmp_path, containing="ehcp_caseload.parquet")) == [2024]
    assert cohorts.census_years(tmp_path / "absent") == {}


@pytest.fixture
def processed(tmp_path):
    out = tmp_path / "out"
    cleaning.clean(small_la(tmp_path / "raw"), out, CENSUS)
    return out


def test_every_table_passes_its_strict_schema(processed):
    tables = cohorts.load(processed)
    assert set(schemas.TABLES) <= set(tables)
    for name in schemas.TABLES:
        declared = set(schemas.SCHEMAS[name]().columns)
        assert set(tables[name].columns) == declared, name


@pytest.mark.parametrize("change,message", [
    (lambda df: df.assign(postcode="KT1 1AA"), "postcode"),  # strict: no undeclared column
    (lambda df: df.drop(columns=["primary_need"]), "primary_need"),
    (lambda df: df.assign(sex="X"), "isin"),
    (lambda df: df.assign(age=df["age"].astype(float)), "age"),
    (lambda df: df.assign(person_id="U123"), "column person_id"),
])
def test_load_refuses_a_table_that_breaks_its_schema(processed, change, message):
    path = processed / "ehcp_caseload.parquet"
    change(pd.read_parquet(path)).to_parquet(path, index=False)
    with pytest.raises(SendlibInputError, match=message) as err:
        cohorts.load(processed, ["ehcp_caseload"])
    assert "ehcp_caseload.parquet" in str(err.value) and "clean the raw extracts again" in str(err.value)


def test_load_refuses_an_unknown_table(processed):
    with pytest.raises(SendlibInputError, match="no processed table 'caseload'"):
        cohorts.load(processed, ["caseload"])
