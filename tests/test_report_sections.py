"""The library functions behind the report notebooks, on the processed demo cycle."""
from __future__ import annotations

import pandas as pd

from sendlib import profile, timeliness
from sendlib.reports import quality


def test_quality_tables_account_for_every_row(cycle_run):
    cycle, _ = cycle_run
    summaries = quality.load_summaries(cycle.processed_dir)
    assert sorted(summaries) == list(range(2019, 2026))
    files = quality.files_table(summaries[2025])
    body, total = files.iloc[:-1], files.iloc[-1]
    assert (body["rows read"] == body["kept"] + body["rejected"]).all()
    assert total["rows read"] == body["rows read"].sum() > 20_000
    unknowns = quality.unknown_shares(summaries)
    eth = unknowns[unknowns["characteristic"] == "ethnicity"].set_index("year")["percent_unknown"]
    assert eth[2019] > eth[2025]  # the synthetic LA records ethnicity better over time
    points = quality.key_points(summaries, 2025)
    assert f"{total['rows read']:,} rows" in points[0] and f"{eth[2025]:.0f}% of EHCPs" in points[1]


def test_profile_trend_matches_the_processed_tables(cycle_run):
    cycle, _ = cycle_run
    trend = profile.load_trend(cycle.processed_dir)
    table = profile.trend_table(trend).set_index("census year")
    caseload = pd.read_parquet(cycle.processed_dir / "2025" / "ehcp_caseload.parquet")
    assert table.loc[2025, "EHCPs"] == len(caseload)
    needs = trend[(trend["year"] == 2025) & (trend["cohort"] == "ehcp_caseload") & (trend["topic"] == "primary_need")]
    assert needs.set_index("category")["count"].to_dict() == caseload["primary_need"].value_counts().to_dict()
    points = profile.key_points(trend, 2025)
    assert f"{len(caseload):,} EHCPs" in points[0]


def test_merge_small_never_leaves_a_small_group():
    counts = pd.Series({"A": 500, "B": 40, "C": 3, "D": 0, "E": 120})
    merged = profile.merge_small(counts, threshold=5)
    assert merged.sum() == counts.sum()
    assert ((merged == 0) | (merged >= 5)).all()
    assert "C" not in merged.index and merged["Smaller groups combined"] == 43  # C merged with the next smallest


def test_timeliness_matches_the_assessments(cycle_run, demo_raw):
    import json

    cycle, _ = cycle_run
    intended = json.loads((demo_raw / "manifest.json").read_text())["years"]
    kpis = timeliness.load_kpis(cycle.processed_dir)
    a = pd.read_parquet(cycle.processed_dir / "2025" / "assessments.parquet")
    issued = a[a["issued_in_period"]]
    expected = round(100 * issued["within_20_weeks"].astype(bool).mean(), 1)
    assert kpis.loc[2025, "Issued within 20 weeks"] == expected
    for year in (2019, 2025):  # the counts the generator intended
        figures = intended[str(year)]
        assert kpis.loc[year, "Requests for assessment"] == figures["requests"]
        assert kpis.loc[year, "New EHCPs issued"] == figures["new_plans"]
        assert kpis.loc[year, "Tribunal appeals"] == figures["tribunals"]
        assert kpis.loc[year, "Issued within 20 weeks"] == round(
            100 * figures["new_plans_within_20_weeks"] / figures["new_plans"], 1)
        reviews = figures["annual_reviews"]
        assert kpis.loc[year, "Annual reviews due"] == reviews["due"]
        assert kpis.loc[year, "Annual reviews within 12 months"] == round(
            100 * reviews["within_12_months"] / reviews["due"], 1)
    assert kpis.loc[2019, "Annual reviews within 12 months"] < kpis.loc[2025, "Annual reviews within 12 months"]
    activity = timeliness.activity_table(kpis)
    values = activity.drop(columns=activity.columns[0]).to_numpy().ravel()
    assert not any(isinstance(v, (int, float)) and 0 < v < 5 for v in values)
