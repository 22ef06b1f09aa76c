"""The library functions behind the report notebooks, on the processed demo cycle."""
from __future__ import annotations

import pandas as pd
import pytest

from sendlib import breakdowns, disclosure, profile, timeliness
from sendlib.reports import quality


def test_quality_tables_account_for_every_row(cycle_run):
    cycle, _ = cycle_run
    summaries = quality.load_summaries(cycle.processed_dir)
    assert sorted(summaries) == list(range(2019, 2026))
    files = quality.files_table(summaries[2025])
    body, total = files.iloc[:-1], files.iloc[-1]
    assert (body["rows read"] == body["kept"] + body["rejected"]).all()
    assert total["rows read"] == body["rows read"].sum() > 20_000
    by_year = breakdowns.year_tables(cycle.processed_dir, cycle.threshold)
    unknowns = quality.unknown_shares(by_year)
    eth = unknowns[unknowns["characteristic"] == "ethnicity"].set_index("year")["percent_unknown"]
    assert eth[2019] > eth[2025]  # the synthetic LA records ethnicity better over time
    points = quality.key_points(summaries, 2025, by_year)
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
    by_year = breakdowns.year_tables(processed, cycle.threshold)
    published = by_year[2025]
    charts = {"trend": lambda: profile.plot_trend(trend),
              "need mix": lambda: profile.plot_share_trend(by_year, "Primary need"),
              "placement mix": lambda: profile.plot_share_trend(by_year, "Placement group"),
              "age risk ratios": lambda: equality.plot_risk_ratios(published, "age_eqia"),
              "ethnicity risk ratios": lambda: equality.plot_risk_ratios(published, "ethnicity_major"),
              "timeliness": lambda: timeliness.plot_kpi_trend(timeliness.load_kpis(processed)),
              "unknowns": lambda: quality.plot_unknown_shares(quality.unknown_shares(by_year)),
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


def _tidy(rows, threshold=5):
    t = pd.DataFrame(rows, columns=["cohort", "breakdown_topic", "breakdown", "count"])
    t.attrs["threshold"] = threshold
    return t


def test_shares_are_shown_only_where_count_and_total_are_published():
    tables = _tidy([("EHCP", "Sex", "Male or unknown", 1411), ("EHCP", "Sex", "Female", 551),
                    ("EHCP", "Sex", "Total", 1962),
                    ("EHCP", "Age (EqIA bands)", "0-10", 527), ("EHCP", "Age (EqIA bands)", "11-15", 1435),
                    ("EHCP", "Age (EqIA bands)", "Total", 1962),
                    ("EHCP", "Primary need", "ASD", 700), ("EHCP", "Primary need", "HI", "c"),
                    ("EHCP", "Primary need", "VI", "c"), ("EHCP", "Primary need", "Unknown", 1200),
                    ("EHCP", "Primary need", "Total", 1962)])
    assert breakdowns.share(tables, "Sex", "Unknown") is None  # combined with Male: "0.2%" is never said
    assert breakdowns.share(tables, "Sex", "Female") == 28.1
    assert breakdowns.share(tables, "Age (EqIA bands)", "Unknown") == 0.0  # no row can hold an unknown
    assert breakdowns.share(tables, "Primary need", "HI") is None
    assert breakdowns.share(tables, "Primary need", "Unknown") == 61.2
    shares = breakdowns.mix({2025: tables}, "Primary need").loc[2025]
    assert list(shares.index) == ["Unknown", "ASD", "not shown (fewer than 5, or to protect one)"]
    assert shares.sum() == pytest.approx(100) and shares.iloc[-1] == pytest.approx(100 * 62 / 1962)


def _figure_cells(by_year: dict, figures: list[tuple]) -> list[str]:
    """Figures (year, table, group, value, kind) that are not a published count (kind "count") or
    the share of one (kind "percent") in the EHCP tables published for their year."""
    outside = []
    for year, topic, group, value, kind in figures:
        table = breakdowns.breakdown(by_year[year], topic)
        n, total = table.get(group), table.get("Total")
        if kind == "count":
            ok = n == value
        else:
            ok = (n is not None and total and round(100 * n / total, 1) == round(value, 1)) or (
                value == 0 and group == "Unknown" and group not in table.index)
        if not ok:
            outside.append(f"{year} {topic} {group}: {value}")
    return outside


def test_the_auditor_given_every_number_of_the_five_reports_finds_nothing_narrow(cycle_run):
    """One disclosure policy: every cohort figure of the five reports is a published cell of the
    equality tables of its year (or the share of one), or a cell of the timeliness table set; the
    auditor, given all of them together, finds every withheld count at least as wide as the
    threshold."""
    from sendlib import equality
    from sendlib.disclosure import Relation, audit
    from sendlib.equality.topics import table_cell
    from sendlib.forecast import report

    cycle, _ = cycle_run
    threshold, processed = cycle.threshold, cycle.processed_dir
    by_year = breakdowns.year_tables(processed, threshold)
    assert sorted(by_year) == list(range(2019, 2026))
    figures = []  # (year, published table, group, value, "count" or "percent")
    unknowns = quality.unknown_shares(by_year).dropna()
    labels = quality.CHARACTERISTICS
    figures += [(r.year, labels[r.characteristic], "Unknown", r.percent_unknown, "percent")
                for r in unknowns.itertuples()]
    for topic in ("Primary need", "Placement group"):
        mix = breakdowns.mix(by_year, topic)
        figures += [(y, topic, g, v, "percent") for y, row in mix.iterrows() for g, v in row.items()
                    if v and not str(g).startswith("not shown")]
    trend = profile.trend_table(profile.load_trend(processed), threshold).set_index("census year")
    figures += [(y, "Sex", "Total", v, "count") for y, v in trend["EHCPs"].items()]
    local = report.report_forecast(cycle.la_code, horizon=cycle.horizon, processed_dir=processed,
                                   threshold=threshold).local.dropna()
    figures += [(int(y), "Sex", "Total", int(v), "count") for y, v in local.items()]
    assert len(figures) > 100 and _figure_cells(by_year, figures) == []
    assert unknowns.query("year == 2025 and characteristic == 'sex'").empty  # 4 of 1,962: not "0.2%"

    published, relations = {}, []
    for year, tables in by_year.items():
        cells, rels = equality.published_cells(tables)
        published.update({(year, *k): v for k, v in cells.items()})
        relations += [Relation((year, *r.total), tuple((year, *p) for p in r.parts), tuple((year, *a) for a in r.also))
                      for r in rels]
    ts = timeliness.table_set(timeliness.load_counts(processed))
    shown = disclosure.protect(ts, threshold)
    kpis = timeliness.load_kpis(processed, threshold)
    assert all(kpis.loc[y, name] == (disclosure.SUPPRESSED if shown[(y, name)] is None else shown[(y, name)])
               for y in kpis.index for name in timeliness.ACTIVITIES)
    published.update({("timeliness", *k): v for k, v in shown.items()})
    relations += [Relation(("timeliness", *r.total), tuple(("timeliness", *p) for p in r.parts)) for r in ts.relations]
    assert len(published) > 2000
    result = audit(published, relations, threshold, integer=True)
    assert result.passed, result.cells[result.cells["exposed"]].head()
    # what the data-quality report used to print ("EHCP sex unknown 0.2%", of 1,962: 4) undoes the
    # tables' combining of the unknowns with the boys; the auditor sees it
    sex = breakdowns.breakdown(by_year[2025], "Sex")
    raw = quality.load_summaries(processed)[2025]["unknown_share"]["ehcp_caseload"]["sex"]
    told = {("old", "unknown"): round(raw * sex["Total"]), ("old", "male"): None}
    key = (2025, *table_cell("EHCP", "count", "sex", "Male or unknown"))
    leak = audit({**published, **told}, [*relations, Relation(key, (("old", "male"), ("old", "unknown")))],
                 threshold, integer=True)
    assert told[("old", "unknown")] in range(1, threshold) and not leak.passed
