"""The cleaner against the synthetic generator: every injected defect found with the right action,
every row accounted for, and on clean data the cohorts equal the generator's intended figures."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sendlib import cleaning, cohorts


def _clean_year(root, year, manifest, out=None):
    return cleaning.clean(root / str(year), out, manifest["census_dates"][str(year)], synthetic=True)


@pytest.fixture(scope="module")
def defective(tmp_path_factory):
    root = tmp_path_factory.mktemp("defects") / "raw"
    # through the console script, as a user would (and in its own process)
    exe = Path(sys.executable).with_name("sendlib")
    subprocess.run([str(exe), "demo-data", str(root), "--seed", "11", "--defects", "0.03"], check=True,
                   capture_output=True)
    manifest = json.loads((root / "manifest.json").read_text())
    results = {y: _clean_year(root, y, manifest) for y in manifest["census_years"]}
    defects = pd.read_csv(root / "defects.csv", dtype=str, keep_default_na=False)
    defects["row_number"] = defects["row_number"].astype(int)
    return root, manifest, results, defects


def test_every_injected_defect_is_reported_with_its_action(defective):
    _, manifest, results, defects = defective
    assert len(defects) > 1000 and defects["kind"].nunique() == 9
    reports = []
    for year, res in results.items():
        rep = res.quality_report.copy()
        rep["file"] = f"{year}/" + rep["file"]
        reports.append(rep)
    report = pd.concat(reports, ignore_index=True)
    matched = defects.merge(report, how="left", left_on=["file", "row_number", "column", "kind"],
                            right_on=["file", "row_number", "column", "rule"], indicator=True)
    missing = matched[matched["_merge"] == "left_only"]
    assert missing.empty, missing[["file", "row_number", "column", "kind", "value_x"]].head(20).to_string()
    assert (matched["action"] == matched["expected_action"]).all()
    assert len(matched) == len(defects)  # one report row per defect cell (no double counting)


def test_every_row_is_accounted_for(defective):
    root, manifest, results, _ = defective
    for year, res in results.items():
        files = res.summary["files"]
        assert len(files) == 11
        for label, f in files.items():
            assert f["rows_read"] == f["rows_kept"] + f["rows_rejected"], (year, label)
            raw_rows = (root / str(year) / label).read_text(encoding="utf-8").count("\n") - 1
            assert f["rows_read"] == raw_rows, (year, label)
        rejected = res.quality_report[res.quality_report["action"] == "rejected"]
        assert sum(f["rows_rejected"] for f in files.values()) == len(
            rejected.drop_duplicates(["file", "row_number"]))


def test_personal_values_are_withheld(defective):
    _, _, results, defects = defective
    res = results[2025]
    rep = res.quality_report
    personal = rep["column"].isin(["personbirthdate", "dateofbirth", "upn", "surname", "forename", "postcode"])
    assert personal.any() and (rep.loc[personal, "value"] == cleaning.WITHHELD).all()
    dob = defects[defects["file"].isin(["2025/person.csv", "2025/school_census.csv"])
                  & defects["column"].isin(["personbirthdate", "dateofbirth"])]
    hits = rep.merge(dob.assign(file=dob["file"].str[5:]), on=["file", "row_number", "column"])
    assert len(hits) >= len(dob) > 0
    assert (hits["value_x"] == cleaning.WITHHELD).all()
    upns = set(pd.read_csv(defective[0] / "2025" / "school_census.csv", dtype=str)["upn"])
    assert not upns & set(rep["key"]) and not upns & set(rep["value"])


def _counts(df, col) -> dict:
    return {str(k): int(v) for k, v in df[col].value_counts().items() if v}


def _nonzero(d: dict) -> dict:
    return {str(k): int(v) for k, v in d.items() if v}


@pytest.fixture(scope="module")
def clean_years(demo_raw):
    manifest = json.loads((demo_raw / "manifest.json").read_text())
    return manifest, {y: _clean_year(demo_raw, y, manifest) for y in manifest["census_years"]}


def test_cohorts_equal_the_generators_intended_figures(clean_years, demo_raw):
    manifest, results = clean_years
    assert len(results) == 7
    for year, res in results.items():
        fig = manifest["years"][str(year)]
        t = {**res.tables, "metadata": res.metadata}
        ehcp, e = cohorts.ehcp_caseload(t), fig["ehcp_caseload"]
        assert len(ehcp) == e["total"], year
        for col, key in [("primary_need", "by_primary_need"), ("sex", "by_sex"), ("age_band_dfe", "by_age_band_dfe"),
                         ("age_band_eqia", "by_age_band_eqia"), ("ncy", "by_ncy"),
                         ("ethnicity_group_dfe", "by_ethnicity_group_dfe"),
                         ("ethnicity_group_kingston", "by_ethnicity_group_kingston"),
                         ("placement_group", "by_placement_group_dfe"),
                         ("placement_group_kingston", "by_placement_group_kingston")]:
            assert _counts(ehcp, col) == _nonzero(e[key]), (year, col)
        ss, s = cohorts.sen_support(t), fig["sen_support"]
        assert len(ss) == s["total"], year
        for col, key in [("primary_need", "by_primary_need"), ("sex", "by_sex"), ("age_band_dfe", "by_age_band_dfe"),
                         ("age_band_eqia", "by_age_band_eqia"), ("ethnicity_group_dfe", "by_ethnicity_group_dfe")]:
            assert _counts(ss, col) == _nonzero(s[key]), (year, col)
        pupils = cohorts.pupils(t)
        assert len(pupils) == fig["pupils"]["total"]
        assert _counts(pupils, "sen_provision") == _nonzero(fig["pupils"]["by_senprovision"])
        new = cohorts.new_plans(t)
        assert len(new) == fig["new_plans"], year
        issued = cohorts.assessments(t)
        assert int(issued["within_20_weeks"].fillna(False).sum()) == fig["new_plans_within_20_weeks"], year
        ceased = cohorts.ceased_plans(t)
        assert len(ceased) == fig["ceased_plans"]["total"]
        assert _counts(ceased, "cease_reason") == _nonzero(fig["ceased_plans"]["by_reason"])
        assert len(cohorts.requests(t)) == fig["requests"], year
        asm = cohorts.assessments(t, by="received_date")
        assert len(asm) == fig["assessments"]
        assert int(asm["assessment_outcome_date"].notna().sum()) == fig["assessments_completed"]
        assert int(asm["outcome_within_20_weeks"].fillna(False).sum()) == fig["assessments_within_20_weeks"]
        # week20 is read as DfE's "exceptions apply" unless the manifest declares "issued within 20 weeks"
        raw = pd.read_csv(demo_raw / str(year) / "assessment.csv", dtype=str, keep_default_na=False)
        flagged = set(raw.loc[raw["week20"] == "1", "assessmenttableid"])
        declared = manifest.get("conventions", {}).get("week20", "")
        expected = set() if "issued within 20 weeks" in declared else flagged
        a = t["assessments"]
        assert set(a.loc[a["exception"], "assessment_id"]) == expected
        rv = t["annual_reviews"]
        assert int(rv["review_due"].sum()) == fig["annual_reviews"]["due"], year
        reviewed = int((rv["review_due"] & rv["reviewed_within_12_months"]).sum())
        assert reviewed == fig["annual_reviews"]["within_12_months"], year


def test_clean_synthetic_data_has_no_rejections(clean_years):
    _, results = clean_years
    for year, res in results.items():
        assert all(f["rows_rejected"] == 0 for f in res.summary["files"].values()), year
        # clean files raise no problem at all (a young person whose plan ceased last year may be
        # 26 on 31 August; that is allowed, not a dob_over_25)
        assert res.quality_report.empty, (year, res.quality_report["rule"].value_counts().to_dict())
