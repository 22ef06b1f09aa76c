"""Checks of the published DfE figures: the real releases' known errors, and each rule on a
synthetic panel where the truth is known."""
from __future__ import annotations

import csv
import io
import zipfile

import numpy as np
import pandas as pd
import pytest

from sendlib import cli
from sendlib.sources import dfe, dfe_checks, dfe_parts, published

YORKSHIRE = ["370", "371", "372", "373", "380", "381", "382", "383", "384", "810", "811", "812", "813", "815", "816"]
ISSUE_COLUMNS = {"release", "file", "measure", "area_code", "area_name", "year", "published", "rule", "action", "used"}


@pytest.fixture(scope="module")
def data():
    return published.load_dfe(use_cache=False)


def _sex_sums(zip_path, year: str) -> dict[str, int]:
    """New plans of `year` by area, summed over the Sex breakdown, read straight from the zip."""
    with zipfile.ZipFile(zip_path) as z:
        rows = csv.DictReader(io.StringIO(z.read("data/newplans.csv").decode("utf-8-sig")))
        out: dict[str, int] = {}
        for r in rows:
            if r["time_period"] == year and r["breakdown_topic"] == "Sex":
                area = r["old_la_code"] or r["region_code"] or r["country_code"]
                out[area] = out.get(area, 0) + int(r["new_ehc_plans"])
    return out


def test_yorkshire_2022_new_plans_are_caught_and_repaired_to_their_own_parts(data, dfe_zips):
    truth = _sex_sums(dfe_zips[1], "2022")
    checks = data.checks[(data.checks["measure"] == "new_plans") & (data.checks["year"] == 2022)]
    copied = checks[checks["rule"] == "equals region"]
    assert sorted(copied["area_code"]) == sorted(YORKSHIRE)
    assert (copied["published"] == 6078).all()
    used = copied.set_index("area_code")["used"]
    assert {a: int(used[a]) for a in YORKSHIRE} == {a: truth[a] for a in YORKSHIRE}
    assert copied["action"].str.startswith("repaired").all()
    assert int(used["813"]) == 149  # North Lincolnshire: the issue's "about 150"
    new = dfe.total_series(data.table, levels=None, measure="new_plans")
    assert new.at["E12000003", 2022] == truth["E12000003"] == 5728
    assert new.at["E92000001", 2022] == truth["E92000001"] == 66356
    # every other LA's 2022 figure is left as published
    others = new.index.difference([*YORKSHIRE, "E12000003", "E92000001"])
    published_new = dfe.total_series(dfe.load_releases(dfe_zips), levels=None, measure="new_plans")
    pd.testing.assert_series_equal(new.loc[others, 2022], published_new.loc[others, 2022])


def test_checks_table_has_the_issue_columns_and_counts_per_release(data):
    assert set(data.checks.columns) >= ISSUE_COLUMNS
    counts = data.counts()
    assert set(counts.index) == {"2022", "2025"} and (counts > 0).all()
    assert "checks findings" in data.summary() and "repaired" in data.summary()
    # nothing is changed without a finding
    changed = data.table[data.table["value"].ne(data.table["published"])
                         & ~(data.table["value"].isna() & data.table["published"].isna())]
    keys = set(zip(data.checks["measure"], data.checks["area_code"], data.checks["year"]))
    assert len(changed) >= 20
    assert all(k in keys for k in zip(changed["measure"], changed["area_code"], changed["time_period"]))
    # the caseload itself is internally consistent in both releases: never changed
    assert not (changed["measure"] == "caseload").any()


def test_one_year_outliers_in_requests_are_set_missing(data):
    missing = data.checks[data.checks["action"] == "set missing"]
    requests = missing[missing["measure"] == "requests"]
    assert {("391", 2017), ("929", 2017), ("869", 2022)} <= set(zip(requests["area_code"], requests["year"]))
    # the year after an outlier (back to normal) is not a finding
    nxt = data.checks[(data.checks["area_code"] == "391") & (data.checks["year"] == 2018)
                      & (data.checks["measure"] == "requests")]
    assert nxt.empty


def test_checks_are_reproducible(dfe_zips):
    a, b = published.from_zips(dfe_zips), published.from_zips(list(reversed(dfe_zips)))
    pd.testing.assert_frame_equal(a.checks, b.checks)
    pd.testing.assert_frame_equal(a.table, b.table)


def test_forecast_command_reports_the_checks(tmp_path, capsys):
    assert cli.main(["forecast", "--la", "813", "--horizon", "1", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "checks findings" in err and "in release 2025" in err
    checks = pd.read_csv(tmp_path / "dfe_checks.csv", dtype={"area_code": str})
    assert set(checks["area_code"]) == {"813"} and "equals region" in set(checks["rule"])


# ---------------------------------------------------------------------------------------------
# each rule on a synthetic panel: 24 LAs in one region, 2015-2022, caseload growing ~8% a year

def _panel(seed: int = 1):
    rng = np.random.default_rng(seed)
    years = range(2015, 2023)
    las = [str(101 + i) for i in range(24)]
    rows = []
    for i, la in enumerate(las):
        size = 400 + 60 * i
        for y in years:
            size *= 1.08 * np.exp(rng.normal(0, 0.02))
            new = size * 0.13 * np.exp(rng.normal(0, 0.05))
            rows += [("caseload", y, la, round(size)), ("new_plans", y, la, round(new)),
                     ("requests", y, la, round(new * 1.6))]
    t = pd.DataFrame(rows, columns=["measure", "time_period", "area_code", "value"])
    agg = t.groupby(["measure", "time_period"], as_index=False)["value"].sum()
    return t, agg


def _tidy(t: pd.DataFrame, agg: pd.DataFrame, release: str = "2025") -> pd.DataFrame:
    la = t.assign(geographic_level="Local authority", old_la_code=t["area_code"], la_name="LA " + t["area_code"])
    region = agg.assign(geographic_level="Regional", area_code="E12000001", region_name="Somewhere")
    england = agg.assign(geographic_level="National", area_code="E92000001")
    out = pd.concat([la, region, england], ignore_index=True)
    out = out.assign(country_code="E92000001", region_code="E12000001", breakdown_topic="total", breakdown="Total",
                     symbol=pd.NA, release=release, file="data/test.csv")
    out.loc[out["geographic_level"] != "Regional", "region_name"] = out["region_name"].where(
        out["geographic_level"] == "Regional")
    for col in dfe.TIDY_COLUMNS:
        if col not in out:
            out[col] = pd.NA
    out = out[dfe.TIDY_COLUMNS]
    for col in dfe.TIDY_COLUMNS:
        if col not in ("time_period", "value"):
            out[col] = out[col].astype("string")
    out["value"] = out["value"].astype(float)
    return out


def _parts(t: pd.DataFrame, areas: list[str], measure: str, years, release: str = "2025") -> pd.DataFrame:
    """Exact evidence (a 'sex' decomposition) equal to the true totals of `areas`."""
    rows = t[t["area_code"].isin(areas) & (t["measure"] == measure) & t["time_period"].isin(list(years))]
    rows = rows.assign(release=release, file="data/test.csv", symbol=pd.NA)
    return dfe_parts.combine([dfe_parts.sums(rows, "sex")])


def _run(table: pd.DataFrame, parts: pd.DataFrame | None = None):
    return dfe_checks.check(dfe.combine_releases([table], keep_all=True),
                            parts if parts is not None else dfe_parts.empty())


def _finding(checked, area, measure, year):
    c = checked.checks
    return c[(c["area_code"] == area) & (c["measure"] == measure) & (c["year"] == year)]


def test_a_clean_panel_has_no_findings():
    t, agg = _panel()
    assert _run(_tidy(t, agg)).checks.empty


def test_a_copied_region_total_is_repaired_from_parts_or_set_missing():
    t, agg = _panel()
    table = _tidy(t, agg)
    region_value = table.loc[(table["area_code"] == "E12000001") & (table["measure"] == "new_plans")
                             & (table["time_period"] == 2021), "value"].iloc[0]
    for la in ("105", "117"):
        hit = (table["area_code"] == la) & (table["measure"] == "new_plans") & (table["time_period"] == 2021)
        table.loc[hit, "value"] = region_value
    checked = _run(table, _parts(t, ["105"], "new_plans", [2021]))  # only 105 has parts
    truth = t.set_index(["area_code", "measure", "time_period"])["value"]
    f105, f117 = _finding(checked, "105", "new_plans", 2021), _finding(checked, "117", "new_plans", 2021)
    assert {"equals region", "parts disagree"} <= set(f105["rule"])
    assert (f105["used"] == truth[("105", "new_plans", 2021)]).all() and f105["action"].str.startswith("repaired").all()
    assert "equals region" in set(f117["rule"]) and (f117["action"] == "set missing").all()
    assert f117["used"].isna().all()
    # no other cell is touched
    assert set(checked.checks["area_code"]) == {"105", "117"}


def test_parts_that_disagree_are_outvoted_by_parts_that_agree():
    t, agg = _panel()
    table = _tidy(t, agg)
    true = t.set_index(["area_code", "measure", "time_period"])["value"][("110", "caseload", 2020)]
    parts = _parts(t, ["110"], "caseload", [2020])
    short = parts.assign(parts="placement columns", low=true * 0.7, high=true * 0.7 / 0.9 + 5, exact=False)
    checked = _run(table, dfe_parts.combine([parts, short]))
    f = _finding(checked, "110", "caseload", 2020)
    assert list(f["rule"]) == ["parts disagree"] and f["action"].iloc[0] == "kept: agrees with its sex"
    assert f["used"].iloc[0] == true


@pytest.mark.parametrize("factor", [10.0, 0.1])
def test_a_one_year_outlier_is_set_missing_and_the_next_year_is_not_flagged(factor):
    t, agg = _panel()
    table = _tidy(t, agg)
    hit = (table["area_code"] == "108") & (table["measure"] == "requests") & (table["time_period"] == 2019)
    table.loc[hit, "value"] *= factor
    checked = _run(table)
    f = _finding(checked, "108", "requests", 2019)
    assert list(f["rule"]) == ["jump"] and f["detail"].iloc[0].startswith("one-year outlier")
    assert f["action"].iloc[0] == "set missing"
    assert _finding(checked, "108", "requests", 2020).empty
    assert set(checked.checks["area_code"]) == {"108"}


def test_a_level_shift_is_kept_and_a_latest_year_jump_without_parts_is_set_missing():
    t, agg = _panel()
    table = _tidy(t, agg)
    shift = (table["area_code"] == "112") & (table["measure"] == "caseload") & (table["time_period"] >= 2019)
    table.loc[shift, "value"] *= 1.8  # e.g. a boundary change: every later year confirms it
    latest = (table["area_code"] == "120") & (table["measure"] == "caseload") & (table["time_period"] == 2022)
    table.loc[latest, "value"] *= 10
    checked = _run(table)
    shift_f, latest_f = _finding(checked, "112", "caseload", 2019), _finding(checked, "120", "caseload", 2022)
    assert shift_f["action"].iloc[0].startswith("kept: a level shift") and shift_f["used"].notna().all()
    assert latest_f["detail"].iloc[0].startswith("latest year") and latest_f["action"].iloc[0] == "set missing"
    # with parts giving the true figure, the same latest-year jump is repaired instead
    checked = _run(table, _parts(t, ["120"], "caseload", [2022]))
    f = _finding(checked, "120", "caseload", 2022)
    assert f["action"].str.startswith("repaired").all()
    assert f["used"].iloc[0] == t.set_index(["area_code", "measure", "time_period"])["value"][("120", "caseload", 2022)]


def test_new_plans_above_caseload_and_above_requests():
    t, agg = _panel()
    table = _tidy(t, agg)
    req = (table["area_code"] == "103") & (table["measure"] == "requests") & (table["time_period"] == 2018)
    table.loc[req, "value"] = 20  # far fewer requests than new plans: flagged on the new plans
    checked = _run(table)
    assert "new plans above requests" in set(_finding(checked, "103", "new_plans", 2018)["rule"])
    new = (table["area_code"] == "104") & (table["measure"] == "new_plans") & (table["time_period"] == 2017)
    table.loc[new, "value"] = 5000
    f = _finding(_run(table), "104", "new_plans", 2017)
    assert "new plans above caseload" in set(f["rule"]) and f["action"].iloc[0] == "set missing"


def test_a_figure_revised_between_releases_is_recorded_and_the_later_used():
    t, agg = _panel()
    early, late = _tidy(t, agg, release="2022"), _tidy(t, agg, release="2025")
    hit = (late["area_code"] == "115") & (late["measure"] == "caseload") & (late["time_period"] == 2019)
    late.loc[hit, "value"] += 3
    checked = dfe_checks.check(dfe.combine_releases([early, late], keep_all=True), dfe_parts.empty())
    f = checked.checks
    assert list(f["rule"]) == ["revised between releases"] and f["release"].iloc[0] == "2025"
    assert f["action"].iloc[0] == "later release used" and "release 2022 gave" in f["detail"].iloc[0]
    value = checked.table.loc[(checked.table["area_code"] == "115") & (checked.table["measure"] == "caseload")
                              & (checked.table["time_period"] == 2019), "value"].iloc[0]
    assert value == late.loc[hit, "value"].iloc[0]
