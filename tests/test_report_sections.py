"""The library functions behind the report notebooks, on the processed demo cycle."""
from __future__ import annotations

import pandas as pd
import pytest

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


def test_mix_combines_small_groups_as_the_equality_tables_do():
    rows = [(2024, "ehcp_caseload", "primary_need", c, n) for c, n in
            [("ASD", 500), ("SLCN", 40), ("VI", 3), ("MSI", 0), ("HI", 120)]]
    trend = pd.DataFrame(rows, columns=["year", "cohort", "topic", "category", "count"])
    shares = profile.mix(trend, "primary_need").loc[2024]
    assert shares.sum() == pytest.approx(100)
    combined = "Other sensory and/or physical needs (Hearing impairment; Visual impairment)"
    assert shares[combined] == pytest.approx(100 * 123 / 663)  # VI (3) joins the smallest need of its area
    assert "Autistic spectrum disorder" in shares.index and "ASD" not in shares.index  # names, not codes
    assert (shares * 663 / 100).round().min() >= 5


def test_timeliness_matches_the_assessments(cycle_run, demo_raw):
    import json

    from sendlib import cohorts

    cycle, _ = cycle_run
    intended = json.loads((demo_raw / "manifest.json").read_text())["years"]
    counts = timeliness.load_counts(cycle.processed_dir)
    kpis = timeliness.load_kpis(cycle.processed_dir, cycle.threshold)
    a = pd.read_parquet(cycle.processed_dir / "2025" / "assessments.parquet")
    issued = a[a["issued_in_period"]]
    expected = round(100 * issued["within_20_weeks"].astype(bool).mean(), 1)
    assert kpis.loc[2025, "Issued within 20 weeks"] == expected
    # one rule for the 20-week KPI: the notebook helper gives the report's figure
    helper = cohorts.timeliness(cohorts.assessments(cohorts.load(cycle.processed_dir / "2025")))
    assert helper["percent_within_20_weeks"] == expected
    assert helper["percent_within_20_weeks_excluding_exceptions"] == kpis.loc[
        2025, "Issued within 20 weeks (excluding exceptions)"]
    for year in (2019, 2025):  # the counts the generator intended
        figures = intended[str(year)]
        assert counts.loc[year, "Requests for assessment"] == figures["requests"]
        assert counts.loc[year, "New EHCPs issued"] == figures["new_plans"]
        assert counts.loc[year, "Tribunal appeals"] == figures["tribunals"] >= cycle.threshold
        assert kpis.loc[year, "Tribunal appeals"] == figures["tribunals"]  # large enough to be shown
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


def _counts(**overrides) -> pd.DataFrame:
    """True timeliness counts of two census years, all large, with `overrides` in 2025."""
    row = {name: 50 for name in timeliness.ACTIVITIES}
    row.update({name: timeliness.Share(40, 60) for name in timeliness.SHARES})
    rows = [{"census year": 2024, **row}, {"census year": 2025, **row, **overrides}]
    return pd.DataFrame(rows).set_index("census year")


def test_timeliness_percentages_are_withheld_exactly_where_a_count_they_show_is_small():
    """Through the disclosure engine a percentage is shown only where its hits and its misses are
    both published: with the denominator known, either gives the other away."""
    name = "Annual reviews within 12 months"
    for hits in range(13):
        for misses in range(13):
            kpis = timeliness.publish(_counts(**{name: timeliness.Share(hits, hits + misses)}), 5)
            small = 0 < hits < 5 or 0 < misses < 5 or hits + misses == 0
            shown = kpis.loc[2025, name]
            assert (shown is None or pd.isna(shown)) == small, (hits, misses)
            if not small:
                assert shown == round(100 * hits / (hits + misses), 1)
            assert kpis.loc[2024, name] == round(100 * 40 / 60, 1)  # another year is not touched


def test_timeliness_counts_go_through_secondary_suppression_and_the_auditor():
    from sendlib import disclosure

    counts = _counts(**{"Tribunal appeals": 3, "Issued within 20 weeks": timeliness.Share(1, 5)})
    kpis = timeliness.publish(counts, 5)
    assert kpis.loc[2025, "Tribunal appeals"] == "c" and kpis.loc[2024, "Tribunal appeals"] == 50
    assert pd.isna(kpis.loc[2025, "Issued within 20 weeks"])
    # 1 of 5 and 4 of 5 both hidden would still leave 1..4 (four values) with the 5 published:
    # the engine hides the denominator too, though it is not small itself
    assert kpis.loc[2025, "Plans issued (20-week denominator)"] == "c"
    published = disclosure.protect(timeliness.table_set(counts), 5)
    assert disclosure.audit(published, timeliness.table_set(counts).relations, 5).passed
    activity = timeliness.activity_table(kpis).set_index("activity in the year before the census")
    assert activity.loc["Tribunal appeals", "2025"] == "c" and activity.loc["Tribunal appeals", "2024"] == 50
    assert not any("tribunal appeals" in p for p in timeliness.key_points(kpis, 2025))
    kpi = timeliness.kpi_table(kpis, 2025).set_index("indicator")
    assert kpi.loc["Issued within 20 weeks", "value in 2024"] == 66.7
    # a threshold of 3 shows what 5 hides
    assert timeliness.publish(counts, 3).loc[2025, "Tribunal appeals"] == 3


def test_profile_trend_table_goes_through_the_disclosure_engine():
    years = [2023, 2024, 2025]
    rows = [{"year": y, "cohort": c, "topic": "total", "category": "Total", "count": n}
            for y, ehcp in zip(years, [40, 3, 60])
            for c, n in (("ehcp_caseload", ehcp), ("sen_support", 200), ("pupils", 2000))]
    trend = pd.DataFrame(rows)
    table = profile.trend_table(trend, 5).set_index("census year")
    assert list(table["EHCPs"]) == [40, "c", 60]
    assert table["EHCP growth %"].isna().tolist() == [True, True, True]  # each needs the 2024 count
    assert table.loc[2025, "SEN support % of pupils"] == 10.0
    points = profile.key_points(trend, 2024, 5)
    assert "withheld" in points[0] and "3" not in points[0]
    assert profile.trend_table(trend, 3)["EHCPs"].tolist() == [40, 3, 60]


def test_no_chart_of_the_reports_has_overlapping_labels(cycle_run):
    """Every chart the reports draw, at the size they draw it, read by matplotlib's renderer."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sendlib import equality
    from sendlib.forecast import report
    from sendlib.render.charts import overlaps
    from sendlib.reports import notebook as nb

    cycle, _ = cycle_run
    nb.setup()
    processed = cycle.processed_dir
    trend = profile.load_trend(processed)
    summaries = quality.load_summaries(processed)
    published = equality.build_tables(processed / "2025", threshold=cycle.threshold)
    charts = {"trend": lambda: profile.plot_trend(trend),
              "need mix": lambda: profile.plot_share_trend(trend, "primary_need"),
              "placement mix": lambda: profile.plot_share_trend(trend, "placement_group"),
              "age risk ratios": lambda: equality.plot_risk_ratios(published, "age_eqia"),
              "ethnicity risk ratios": lambda: equality.plot_risk_ratios(published, "ethnicity_major"),
              "timeliness": lambda: timeliness.plot_kpi_trend(timeliness.load_kpis(processed)),
              "unknowns": lambda: quality.plot_unknown_shares(quality.unknown_shares(summaries)),
              "forecast": lambda: report.report_forecast(cycle.la_code, horizon=cycle.horizon,
                                                         processed_dir=processed).plot()}
    for cohort, topics in profile.CENSUS_CHARTS.items():
        for topic in topics:
            charts[f"{cohort}: {topic}"] = lambda c=cohort, t=topic: profile.plot_breakdown(published, c, t)
    found = {}
    for name, draw in charts.items():
        plt.close("all")
        draw()
        found[name] = overlaps(plt.gcf())
    plt.close("all")
    assert {name: f for name, f in found.items() if f} == {}
