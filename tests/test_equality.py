"""Equality-assessment tables (sendlib.equality): counts, disclosure control, disproportionality,
the Kingston December 2018 figures, the `sendlib equality` command and its outputs."""
from __future__ import annotations

import io
import json
import math
import shutil

import numpy as np
import openpyxl
import pandas as pd
import pytest

from sendlib import cli, codelists, disclosure, equality

# ---- a small synthetic LA built directly in the processed-table layout (schemas.py) ----------


def make_frames(seed: int = 0, n_pupils: int = 6000, n_out_of_school: int = 150) -> dict:
    """pupils (school census), sen_support (provision K) and ehcp_caseload (provision E plus
    plans of young people outside schools), with unknowns of every kind."""
    rng = np.random.default_rng(seed)
    codes = list(codelists.ethnicities()["code"]) + ["UNKN"]
    w = np.array([40, 2, .3, 10, .3, 2, 2, 2, 2, 5, 3, 1, 4, 2, 6, 1, 2, 3, 1, 1, 1.0])
    needs = list(codelists.sen_types()["code"]) + ["UNKNOWN"]
    nw = np.array([8, 12, 3, 1, 15, 20, 25, 2, 1, .3, 3, .5, 3, 5, 1.0])

    def people(n, lo, hi, prefix):
        df = pd.DataFrame({
            "person_id": [f"P{prefix}{i:015x}" for i in range(n)],
            "sex": rng.choice(["M", "F", "U"], n, p=[.55, .44, .01]),
            "ethnicity": rng.choice(codes, n, p=w / w.sum()),
            "age": pd.array(rng.integers(lo, hi + 1, n), dtype="Int64"),
        })
        df.loc[rng.random(n) < 0.004, "age"] = pd.NA
        df["ncy"] = df["age"] - 5
        return df

    pupils = people(n_pupils, 3, 18, "1")
    pupils["sen_provision"] = rng.choice(["N", "K", "E"], n_pupils, p=[.88, .09, .03])
    pupils["primary_need"] = np.where(pupils["sen_provision"] == "N", None,
                                      rng.choice(needs, n_pupils, p=nw / nw.sum()))
    types = list(codelists.establishment_types()["gias_type"])
    pupils["establishment_type"] = rng.choice(types[:13], n_pupils)
    sen = pupils[pupils["sen_provision"] == "K"].drop(columns="sen_provision").reset_index(drop=True)
    ehcp = pupils[pupils["sen_provision"] == "E"].drop(columns=["sen_provision", "establishment_type"])
    extra = people(n_out_of_school, 0, 25, "2")
    extra["primary_need"] = rng.choice(needs, n_out_of_school, p=nw / nw.sum())
    ehcp = pd.concat([ehcp, extra], ignore_index=True)
    ehcp["placement_group"] = rng.choice(codelists.placement_group_order("dfe"), len(ehcp),
                                         p=[.5, .25, .03, .12, .04, .02, .02, .02])
    return {"ehcp_caseload": ehcp, "sen_support": sen, "pupils": pupils}


@pytest.fixture(scope="module")
def frames():
    return make_frames()


@pytest.fixture(scope="module")
def counted(frames):
    return equality.count_tables(frames)


@pytest.fixture(scope="module")
def published(frames):
    return equality.build_tables(frames, threshold=5, la_code="314", new_la_code="E09000021",
                                 la_name="Test LA", census_date="2025-01-16")


@pytest.fixture(scope="module")
def as_designed(frames):
    """The same tables with every category its own row: suppression does all the work."""
    return equality.build_tables(frames, threshold=5, redesign=False)


def counts_of(counted, cohort, topic, measure="count") -> dict:
    rows = counted.rows[(counted.rows["cohort"] == cohort) & (counted.rows["topic"] == topic)]
    owner = "Pupils" if measure == "population" else cohort
    return {b: counted.values[(owner, measure, topic, b)] for b in rows["breakdown"]}


# ---- independent counts (pandas groupby on the raw columns, not sendlib's helpers) -----------


def independent_labels(df: pd.DataFrame) -> pd.DataFrame:
    eth = pd.read_csv(codelists.__path__[0] + "/ethnicity.csv", dtype=str)
    needs = pd.read_csv(codelists.__path__[0] + "/sen_types.csv", dtype=str)
    age = df["age"].astype("float")
    out = pd.DataFrame(index=df.index)
    out["age_eqia"] = np.select([age < 5, age < 11, age < 16, age >= 16], ["0-4", "5-10", "11-15", "16+"], "Unknown")
    out["age_dfe"] = np.select([age < 5, age < 11, age < 16, age < 20, age >= 20],
                               ["Under 5", "5 to 10", "11 to 15", "16 to 19", "20 to 25"], "Unknown")
    out["sex"] = df["sex"].map({"M": "Male", "F": "Female", "U": "Unknown"})
    known = eth[eth["known"] == "True"]
    out["ethnicity_major"] = df["ethnicity"].map(dict(zip(known["code"], known["major_group_dfe"]))).fillna("Unknown")
    out["ethnicity_detailed"] = df["ethnicity"].map(dict(zip(known["code"], known["label"]))).fillna("Unknown")
    out["need"] = df["primary_need"].map(dict(zip(needs["code"], needs["label"]))).fillna("Unknown")
    return out


@pytest.mark.parametrize("cohort,frame", [("EHCP", "ehcp_caseload"), ("SEN support", "sen_support")])
def test_one_way_counts_match_an_independent_groupby(frames, counted, cohort, frame):
    labels = independent_labels(frames[frame])
    for topic in ["age_eqia", "age_dfe", "sex", "ethnicity_major", "ethnicity_detailed", "need"]:
        expected = labels.groupby(topic).size()
        got = counts_of(counted, cohort, topic)
        assert got["Total"] == len(frames[frame])
        assert got["Total known"] == len(frames[frame]) - expected.get("Unknown", 0)
        for b, v in got.items():
            if b not in ("Total", "Total known"):
                assert v == expected.get(b, 0), (cohort, topic, b)
    ages = frames[frame]["age"]
    years = (ages - 5).dropna().astype(int)
    got = counts_of(counted, cohort, "school_year")
    assert got["Reception"] == (years == 0).sum() and got["Year 9"] == (years == 9).sum()
    assert got["Unknown"] == ages.isna().sum()


def test_placement_counts_match(frames, counted):
    expected = frames["ehcp_caseload"].groupby("placement_group").size()
    got = counts_of(counted, "EHCP", "placement")
    for g, v in expected.items():
        assert got[g] == v


def test_cross_tabulations_match_pandas_crosstab(frames, counted):
    labels = independent_labels(frames["ehcp_caseload"])
    expected = pd.crosstab(labels["need"], labels["sex"], margins=True, margins_name="Total")
    got = counts_of(counted, "EHCP", "need_by_sex")
    for need in expected.index:
        for sex in expected.columns:
            assert got[f"{need} | {sex}"] == expected.at[need, sex], (need, sex)
        known = expected.at[need, "Total"] - (expected.at[need, "Unknown"] if "Unknown" in expected.columns else 0)
        assert got[f"{need} | Total known"] == known
    expected = pd.crosstab(labels["ethnicity_major"], labels["age_eqia"])
    got = counts_of(counted, "EHCP", "ethnicity_by_age")
    for eth in expected.index:
        for age in expected.columns:
            assert got[f"{eth} | {age}"] == expected.at[eth, age]


def test_population_and_cohort_in_census(frames, counted):
    pupils = frames["pupils"]
    labels = independent_labels(pupils)
    pop = counts_of(counted, "EHCP", "sex", "population")
    assert pop["Male"] == (labels["sex"] == "Male").sum() and pop["Total"] == len(pupils)
    in_census = counts_of(counted, "EHCP", "ethnicity_major", "cohort_pupils")
    e = labels[pupils["sen_provision"] == "E"].groupby("ethnicity_major").size()
    assert all(in_census[g] == e.get(g, 0) for g in e.index)
    assert in_census["Total"] == (pupils["sen_provision"] == "E").sum()


# ---- publication -----------------------------------------------------------------------------


def test_published_layout(published):
    assert list(published.columns) == equality.COLUMNS
    assert set(published["time_period"]) == {"202425"}
    assert set(published["time_identifier"]) == {"Academic year"}
    assert set(published["geographic_level"]) == {"Local authority"}
    assert set(published["old_la_code"]) == {"314"} and set(published["la_name"]) == {"Test LA"}
    assert set(published["cohort"]) == {"EHCP", "SEN support"}
    assert {t.label for t in equality.TOPICS} == set(published["breakdown_topic"])


def test_published_tables_pass_the_auditor(published, as_designed):
    for tables in (published, as_designed):  # relations rebuilt from the labels must hold on the values
        report = equality.audit_tables(tables)
        assert report.passed
        assert set(equality.audit_summary(tables)["result"]) == {"pass"}
    report = equality.audit_tables(as_designed)
    assert len(report.cells) > 20 and (report.cells["possible_values"] >= 5).all()


def test_small_counts_are_suppressed_and_zeros_shown(as_designed, published, counted):
    for tables in (as_designed, published):
        shown = tables[tables["count"] != "c"]
        values = shown["count"].astype(int)
        assert not ((values > 0) & (values < 5)).any()
        assert (values == 0).any()
        for col in ["population", "cohort_pupils"]:
            v = pd.to_numeric(tables[col].where(~tables[col].isin(["c", "z"])), errors="coerce").dropna()
            assert not ((v > 0) & (v < 5)).any()
    # every true count of 1-4 was published as c
    small = {k for k, v in counted.values.items() if 0 < v < 5 and k[1] == "count"}
    for cohort, _, topic, b in small:
        t = as_designed
        row = t[(t["cohort"] == cohort) & (t["breakdown_topic"] == equality.TOPIC[topic].label) & (t["breakdown"] == b)]
        assert (row["count"] == "c").all()


def test_suppressed_cells_hold_only_c_and_hide_their_percentages(as_designed):
    hidden = as_designed[as_designed["count"] == "c"]
    assert len(hidden) > 0
    assert (hidden["percent"] == "c").all()
    assert hidden["percent_of_known"].isin(["c", "z"]).all()
    ratio_cols = ["risk_ratio", "risk_ratio_lower", "risk_ratio_upper", "disproportionality"]
    pupils_hidden = as_designed[as_designed["cohort_pupils"] == "c"]
    assert (pupils_hidden["risk_percent"] == "c").all()
    known = pupils_hidden[~pupils_hidden["breakdown"].isin(equality.SPECIAL)]
    assert (known[ratio_cols] == "c").all().all()
    # a percentage is only ever a number, c or z
    for col in ["percent", "percent_of_known", "risk_percent"]:
        v = as_designed[col]
        assert (v.isin(["c", "z"]) | v.str.fullmatch(r"\d+\.\d+")).all(), col


def test_percentages_are_computed_from_published_counts(published):
    rows = published[(published["cohort"] == "EHCP") & (published["breakdown_topic"] == "Sex")].set_index("breakdown")
    total = int(rows.at["Total", "count"])
    for _, rec in rows.drop(index="Total").iterrows():
        if rec["count"] != "c":
            assert rec["percent"] == f"{100 * int(rec['count']) / total:.1f}"


def test_kingston_style_publication_of_the_same_tables_fails_the_auditor(counted):
    # only the small counts hidden, as Kingston did in 2018
    naive = disclosure.Suppression(frozenset(disclosure.primary_cells(counted.values, 5)), frozenset(),
                                   dict(counted.values))
    tables = equality.publish(counted, naive)
    assert not equality.audit_tables(tables, 5).passed


def test_same_inputs_give_identical_tables(frames, published):
    again = equality.build_tables(frames, threshold=5, la_code="314", new_la_code="E09000021",
                                  la_name="Test LA", census_date="2025-01-16")
    assert again.to_csv(index=False) == published.to_csv(index=False)


def test_threshold_and_grouping_are_parameters(frames):
    t3 = equality.build_tables(frames, threshold=3, ethnicity_grouping="kingston")
    assert equality.audit_tables(t3, 3).passed
    counts = pd.to_numeric(t3["count"].where(t3["count"] != "c"), errors="coerce").dropna()
    assert not ((counts > 0) & (counts < 3)).any()
    assert "Chinese" in set(t3.loc[t3["breakdown_topic"] == "Ethnicity (major group)", "breakdown"])


# ---- disproportionality ----------------------------------------------------------------------


def test_risk_ratio_and_katz_interval():
    # 30 of 200 in the group against 100 of 2,000 others: RR = 0.15 / 0.05 = 3
    rr, lo, hi = equality.risk_ratio(30, 200, 100, 2000)
    se = math.sqrt(1 / 30 - 1 / 200 + 1 / 100 - 1 / 2000)
    assert rr == pytest.approx(3.0)
    assert lo == pytest.approx(3.0 * math.exp(-1.959964 * se)) and hi == pytest.approx(3.0 * math.exp(1.959964 * se))
    assert lo > 1
    assert all(math.isnan(x) for x in equality.risk_ratio(5, 0, 10, 100))


def _dispro_frames(group_cohort: int, group_pupils: int):
    """1,000 pupils: a group of `group_pupils` pupils (ethnicity BCRB) with `group_cohort` EHCPs,
    the other pupils (WBRI) with 3% EHCPs."""
    others = 1000 - group_pupils
    eth = ["BCRB"] * group_pupils + ["WBRI"] * others
    prov = ["E"] * group_cohort + ["N"] * (group_pupils - group_cohort) + ["E"] * 30 + ["N"] * (others - 30)
    pupils = pd.DataFrame({"person_id": [f"P{i:016x}" for i in range(1000)], "sex": "M", "ethnicity": eth,
                           "age": pd.array([10] * 1000, dtype="Int64"), "sen_provision": prov,
                           "primary_need": "ASD"})
    ehcp = pupils[pupils["sen_provision"] == "E"].assign(placement_group="Mainstream")
    return {"pupils": pupils, "ehcp_caseload": ehcp, "sen_support": ehcp.iloc[0:0]}


def _flag(tables, group="Black"):
    row = tables[(tables["cohort"] == "EHCP") & (tables["breakdown_topic"] == "Ethnicity (major group)")
                 & (tables["breakdown"] == group)].iloc[0]
    return row


def test_flag_needs_large_enough_groups_and_an_interval_excluding_one():
    high = _flag(equality.build_tables(_dispro_frames(group_cohort=20, group_pupils=100)))
    assert high["disproportionality"] == "Higher"  # 20% against 30/900 = 3.3%
    assert float(high["risk_ratio"]) == pytest.approx((20 / 100) / (30 / 900), abs=0.005)
    assert high["risk_percent"] == "20.00" and high["population"] == "100" and high["cohort_pupils"] == "20"
    small = _flag(equality.build_tables(_dispro_frames(group_cohort=9, group_pupils=40)))
    assert small["disproportionality"] == "Too small to judge"  # 9 < cell size 10
    allowed = _flag(equality.build_tables(_dispro_frames(group_cohort=9, group_pupils=40), cell_size=5))
    assert allowed["disproportionality"] == "Higher"
    few_pupils = _flag(equality.build_tables(_dispro_frames(group_cohort=12, group_pupils=25)))
    assert few_pupils["disproportionality"] == "Too small to judge"  # 25 < n-size 30
    same = _flag(equality.build_tables(_dispro_frames(group_cohort=3 * 4, group_pupils=400)))
    assert same["disproportionality"] == "No difference shown"  # 3% against 30/600 = 5%: CI spans 1


def test_unknown_ethnicity_is_reported_as_a_finding(published):
    lines = equality.findings(published)
    rows = published[(published["breakdown_topic"] == "Ethnicity (major group)")
                     & (published["breakdown"] == "Unknown")]
    assert len(rows) == 2
    for rec in rows.itertuples():
        text = "withheld number (c)" if rec.count == "c" else f"for {int(rec.count):,} of"
        assert any(line.startswith(f"{rec.cohort}: ethnicity is unknown") and text in line
                   and (rec.count == "c" or f"({rec.percent}%)" in line) for line in lines)


def test_findings_and_page_of_a_cohort_whose_total_is_withheld():
    """A small LA with three EHCPs: the cohort's total is itself suppressed, so the findings
    cannot quote it, and nothing can be combined into a group of five."""
    frames = make_frames(seed=5, n_pupils=800, n_out_of_school=10)
    frames["ehcp_caseload"] = frames["ehcp_caseload"].head(3)
    frames["ehcp_caseload"].loc[:, "ethnicity"] = [None, "WBRI", "WBRI"]
    tables = equality.build_tables(frames, threshold=5)
    assert equality.audit_tables(tables).passed
    totals = tables[(tables["breakdown"] == "Total") & (tables["breakdown_topic"] == "Sex")].set_index("cohort")
    assert totals.loc["EHCP", "count"] == "c" and totals.loc["SEN support", "count"] != "c"
    ehcp = tables[tables["cohort"] == "EHCP"]
    assert set(ehcp["count"]) <= {"c", "0"}
    lines = equality.findings(tables)
    ehcp_lines = [line for line in lines if line.startswith("EHCP: ethnicity is unknown")]
    assert len(ehcp_lines) == 1 and " c " not in ehcp_lines[0].replace("(c)", "")
    assert "Equality assessment tables" in equality.tables_html(tables)


TABLE_SETS = {"6,000 pupils": dict(seed=0), "2,500 pupils": dict(seed=3, n_pupils=2500, n_out_of_school=60),
              "800 pupils": dict(seed=5, n_pupils=800, n_out_of_school=10),
              "25,000 pupils": dict(seed=1, n_pupils=25000, n_out_of_school=300)}


def large_hidden(source, threshold=5, redesign=True, grouping="dfe") -> pd.DataFrame:
    """Suppressed counts of at least `threshold` that are above 100 or above 10% of their table
    (in a table of fewer than ten times the threshold, any count of at least the threshold is
    over a tenth of it: there only counts above 100 are looked for)."""
    counted, suppression = equality.protect_tables(source, threshold, grouping, redesign=redesign)
    h = equality.hidden_counts(counted, suppression)
    hid = h[h["suppressed"] & (h["count"] >= threshold)]
    return hid[(hid["count"] > 100) | ((hid["share"] > 0.10) & (hid["table_total"] >= 10 * threshold))]


@pytest.mark.parametrize("name", TABLE_SETS)
def test_redesigned_tables_hide_no_large_count(name):
    """Small groups are combined before suppression, so no complementary cell hides a large count
    (the tables as designed did), and the tables still pass the auditor."""
    frames = make_frames(**TABLE_SETS[name])
    assert large_hidden(frames).empty
    assert not large_hidden(frames, redesign=False).empty
    tables = equality.build_tables(frames, threshold=5)
    assert equality.audit_tables(tables).passed
    from sendlib.equality import categories, groups

    for rec in tables.itertuples():  # every row says which categories it holds
        topic = equality.TOPIC_BY_LABEL[rec.breakdown_topic]
        for label, t in zip(rec.breakdown.split(" | "), (topic.rows, topic.cols) if topic.is_cross else (topic.id,)):
            known = set(categories(t)) | set(equality.SPECIAL)
            assert set(groups.members(t, label)) <= known, label


def test_combined_groups_are_labelled_by_what_they_hold():
    from sendlib.equality import design, groups

    assert groups.group_label("age_eqia", ("0-4", "5-10")) == "0-10"
    assert groups.group_label("age_eqia", ("11-15", "16+")) == "11+"
    assert groups.group_label("age_dfe", ("Under 5", "5 to 10")) == "Under 11"
    assert groups.group_label("school_year", ("Nursery 1", "Nursery 2", "Reception")) == "Nursery 1 to Reception"
    assert groups.group_label("sex", ("Male", "Unknown")) == "Male or unknown"
    vi_msi = groups.group_label("need", ("Visual impairment", "Multi-sensory impairment"))
    assert vi_msi == "Other sensory and/or physical needs (Visual impairment; Multi-sensory impairment)"
    grt = groups.group_label("ethnicity_detailed", ("Traveller of Irish heritage", "Gypsy / Roma"))
    assert grt == "Other White (Traveller of Irish heritage; Gypsy / Roma)"
    for topic, label in [("age_eqia", "0-10"), ("age_dfe", "Under 11"), ("need", vi_msi),
                         ("ethnicity_detailed", grt), ("sex", "Male or unknown")]:
        assert groups.atoms(topic, label) == frozenset().union(
            *(groups.atoms(topic, m) for m in groups.members(topic, label)))
    assert groups.atoms("age_eqia", "0-10") == groups.atoms("school_year", "Nursery 1 to Year 5")
    # a small age band joins its smaller neighbour; Unknown joins the largest group
    counts = [{"0-4": 3, "5-10": 40, "11-15": 400, "16+": 30, "Unknown": 2}]
    got = design.combine("age_eqia", ["0-4", "5-10", "11-15", "16+", "Unknown"], counts, 5)
    assert [g.label for g in got] == ["0-10", "11-15 or unknown", "16+"]


# ---- Kingston, December 2018: the cleaning fixture taken through the equality tables ---------


@pytest.fixture(scope="module")
def kingston(tmp_path_factory):
    from sendlib import cleaning
    from tests.cleaning_fixtures import (
        census_rows,
        establishments,
        sen2_tables,
        write_raw,
    )
    from tests.test_kingston_fixture import CENSUS, kingston_children

    raw = tmp_path_factory.mktemp("kingston_eq") / "raw"
    tables = sen2_tables(kingston_children())
    tables["school_census"] = census_rows([{"upn": "K000000000001", "dob": "2010-01-01", "provision": "N"}])
    tables["establishments"] = establishments()
    write_raw(raw, tables, manifest={"synthetic": True})
    out = raw.parent / "processed"
    cleaning.clean(raw, out, CENSUS.date().isoformat())
    return out


def test_kingston_unsuppressed_tables_equal_the_published_figures(kingston):
    from tests.test_kingston_fixture import ETHNIC_GROUPS, PUBLISHED_NEEDS, SCHOOL_YEARS

    counted = equality.count_tables(kingston, ethnicity_grouping="kingston")
    age = counts_of(counted, "EHCP", "age_eqia")
    assert {b: age[b] for b in ["0-4", "5-10", "11-15", "16+", "Total"]} == {
        "0-4": 2, "5-10": 313, "11-15": 463, "16+": 379, "Total": 1157}
    years = counts_of(counted, "EHCP", "school_year")
    assert {b: v for b, v in years.items() if v and b not in equality.SPECIAL} == SCHOOL_YEARS
    assert all(years[b] < 5 for b in ["Nursery 2", "Age 23+", "Age 24+"])
    needs = counts_of(counted, "EHCP", "need")
    labels = dict(zip(codelists.sen_types()["code"], codelists.sen_types()["label"]))
    for code, n in PUBLISHED_NEEDS.items():
        if code != "SEMH":  # BESD (legacy SEMH) is merged into SEMH by the cleaner
            assert needs[labels[code]] == n, code
    assert needs[labels["MSI"]] < 5 and needs[labels["NSA"]] < 5
    sex = counts_of(counted, "EHCP", "sex")
    assert round(100 * sex["Male"] / sex["Total"], 1) == 71.7
    assert round(100 * sex["Female"] / sex["Total"], 1) == 28.3
    eth = counts_of(counted, "EHCP", "ethnicity_major")
    assert {g: eth[g] for g in ETHNIC_GROUPS} == ETHNIC_GROUPS
    assert round(100 * eth["Unknown"] / eth["Total"], 1) == 49.7


def test_kingston_published_tables_pass_and_kingstons_own_table_fails(kingston):
    tables = equality.build_tables(kingston, threshold=5, ethnicity_grouping="kingston")
    assert equality.audit_tables(tables).passed
    age = tables[(tables["cohort"] == "EHCP")
                 & (tables["breakdown_topic"] == "Age (EqIA bands)")].set_index("breakdown")
    # the 0-4 band (2 people) is shown with its neighbour rather than hidden with a second band
    assert "0-4" not in age.index and "5-10" not in age.index
    assert age.at["0-10", "count"] == "315" and age.at["Total", "count"] == "1157"
    assert large_hidden(kingston, grouping="kingston").empty
    as_designed = equality.build_tables(kingston, threshold=5, ethnicity_grouping="kingston", redesign=False)
    age = as_designed[(as_designed["cohort"] == "EHCP")
                      & (as_designed["breakdown_topic"] == "Age (EqIA bands)")].set_index("breakdown")
    assert age.at["0-4", "count"] == "c" and (age["count"] == "c").sum() >= 2  # a second band hides it
    assert equality.audit_tables(as_designed).passed
    assert set(tables["time_period"]) == {"201819"}  # census at the end of December 2018

    # Kingston's table: 0-4 as "fewer than five", the other bands and the total published
    counted = equality.count_tables(kingston, ethnicity_grouping="kingston")
    kingston_cells = {k for k in counted.values if k[:3] == ("EHCP", "count", "age_eqia")}
    values = {k: counted.values[k] for k in kingston_cells}
    pub = {k: (None if k[3] == "0-4" else v) for k, v in values.items()}
    rels = [r for r in counted.relations if set(r.members()) <= kingston_cells]
    report = disclosure.audit(pub, rels, 5)
    assert not report.passed
    row = report.cells.iloc[0]
    assert row["cell"][3] == "0-4" and (row["lower"], row["upper"]) == (2, 2)


# ---- the command and its files ---------------------------------------------------------------


@pytest.fixture(scope="module")
def processed_dir(demo_processed, tmp_path_factory):
    """A census year as `sendlib clean` writes it (the command reads it through cohorts.load, which
    takes only tables that pass their schemas), with the LA's name in metadata.json."""
    folder = tmp_path_factory.mktemp("processed") / "2025"
    shutil.copytree(demo_processed, folder)
    meta = json.loads((folder / "metadata.json").read_text())
    meta.update(la_code="314", new_la_code="E09000021", la_name="Meta LA")
    (folder / "metadata.json").write_text(json.dumps(meta))
    return folder


NAMES = ["equality_tables.csv", "equality_tables.meta.csv", "equality_tables.xlsx", "equality_tables.html"]


def test_command_writes_every_file_identically_twice(processed_dir, tmp_path, capsys):
    outs = []
    for run in ("a", "b"):
        assert cli.main(["equality", str(processed_dir), str(tmp_path / run), "--threshold", "5"]) == 0
        outs.append({n: (tmp_path / run / n).read_bytes() for n in NAMES})
    assert outs[0] == outs[1]
    assert "disclosure audit passed" in capsys.readouterr().err  # the summary line is logged
    csv = pd.read_csv(io.BytesIO(outs[0]["equality_tables.csv"]), dtype=str, keep_default_na=False)
    assert set(csv["la_name"]) == {"Meta LA"} and set(csv["time_period"]) == {"202425"}
    assert equality.audit_tables(csv, 5).passed  # the auditor works from the written file alone
    html = outs[0]["equality_tables.html"].decode()
    assert "fewer than five" in html and "<script" not in html and "Disclosure audit" in html


def test_csv_is_in_the_dfe_open_data_layout_with_its_metadata(processed_dir, tmp_path):
    from sendlib.equality import opendata

    assert cli.main(["equality", str(processed_dir), str(tmp_path)]) == 0
    csv = pd.read_csv(tmp_path / "equality_tables.csv", dtype=str, keep_default_na=False)
    assert list(csv.columns) == [
        "time_period", "time_identifier", "geographic_level", "country_code", "country_name", "region_code",
        "region_name", "old_la_code", "new_la_code", "la_name", "cohort", "breakdown_topic", "breakdown", "count",
        "percent", "percent_of_known", "population", "cohort_pupils", "risk_percent", "risk_ratio",
        "risk_ratio_lower", "risk_ratio_upper", "disproportionality"]
    assert set(zip(csv["country_code"], csv["country_name"])) == {("E92000001", "England")}
    assert set(zip(csv["region_code"], csv["region_name"])) == {("E12000007", "London")}  # LA 314's region
    meta = pd.read_csv(tmp_path / "equality_tables.meta.csv", dtype=str, keep_default_na=False)
    assert list(meta.columns) == opendata.META_COLUMNS
    assert list(meta["col_name"]) == [c for c in csv.columns if c in set(meta["col_name"])]
    assert set(meta["col_type"]) == {"Filter", "Indicator"} and (meta["label"] != "").all()
    assert meta.loc[meta["col_name"] == "breakdown", "filter_grouping_column"].item() == "breakdown_topic"
    assert "breakdown_topic" not in set(meta["col_name"])  # a grouping column has no row of its own
    for rec in meta.itertuples():
        values = csv[rec.col_name]
        if rec.col_type == "Indicator":  # numbers, or the DfE symbols
            assert (values.isin(["c", "z", "x"]) | values.str.fullmatch(r"\d+(\.\d+)?")).all(), rec.col_name
            assert rec.indicator_dp.isdigit() and rec.indicator_grouping
            decimals = values[values.str.contains(".", regex=False)].str.split(".").str[1].str.len()
            assert (decimals == int(rec.indicator_dp)).all(), rec.col_name
        else:
            assert rec.indicator_unit == "" and rec.indicator_dp == ""
    assert not (csv["breakdown"].isin(["Too small to judge"])).any()
    beyond_school = csv[(csv["breakdown"] == "20 to 25") & (csv["population"] == "0")]
    assert (beyond_school["disproportionality"] == "z").all()  # no pupils of 20-25 to compare with


@pytest.fixture(scope="module")
def workbook(frames, tmp_path_factory):
    """The workbook of the tables as designed (so that some cells are c) for LA 314 in January 2025."""
    tables = equality.build_tables(frames, 5, la_code="314", la_name="Test LA", census_date="2025-01-16",
                                   redesign=False)
    path = tmp_path_factory.mktemp("xlsx") / "tables.xlsx"
    equality.write_xlsx(tables, path)
    return tables, openpyxl.load_workbook(path)


def _table_rows(ws):
    """Rows of the table under a sheet's title, source and notes (from its header row on)."""
    header = next(r for r in range(1, 12) if ws.cell(r, 1).font.b and ws.cell(r, 1).fill.fgColor.rgb.endswith("F3F2F1"))
    return header, list(ws.iter_rows(min_row=header + 1))


def test_xlsx_is_ready_to_paste_into_an_assessment(workbook):
    from sendlib.render.tabular import NUMBER

    tables, wb = workbook
    assert wb.sheetnames[:2] == ["Notes", "Assessment"] and "EHCP Age EqIA" in wb.sheetnames
    assert all(len(s) <= 31 for s in wb.sheetnames)
    hidden = 0
    for ws in wb.worksheets:
        assert "Test LA" in ws["A1"].value and "16 January 2025" in ws["A1"].value and ws["A1"].font.b
        assert ws["A2"].value.startswith("Source: ") and "school census" in ws["A2"].value
        assert any("fewer than five" in str(ws.cell(r, 1).value) and ws.cell(r, 1).alignment.wrap_text
                   for r in range(3, 6)) or ws.title == "Assessment"
        header, rows = _table_rows(ws)
        assert all(c.alignment.wrap_text for c in ws[header] if c.value)
        for row in rows:
            for c in row:
                assert not (isinstance(c.value, str) and NUMBER.fullmatch(c.value)), (ws.title, c.coordinate)
                width = ws.column_dimensions[c.column_letter].width
                if isinstance(c.value, (int, float)):
                    assert len(f"{c.value:,}") < width and c.alignment.horizontal == "right"
                    assert c.number_format in ("#,##0", "0.0", "0.00"), (ws.title, c.coordinate, c.number_format)
                elif c.value == "c":
                    hidden += 1
                    assert c.alignment.horizontal == "right"
                elif isinstance(c.value, str):
                    assert len(c.value) < width or c.alignment.wrap_text, (ws.title, c.value)
    one_way = [f"{co} {t.sheet}" for t in equality.TOPICS for co in ("EHCP", "SEN support") if not t.is_cross]
    counted_c = sum(c.value == "c" for name in one_way for row in _table_rows(wb[name])[1] for c in row[1:2])
    one_way_rows = tables[~tables["breakdown"].str.contains(" | ", regex=False)]
    assert counted_c == (one_way_rows["count"] == "c").sum() > 0 and hidden > counted_c
    ws = wb["EHCP Sex"]
    header, rows = _table_rows(ws)
    labels = {r[0].value: r for r in rows}
    assert {"Male", "Female", "Total"} <= set(labels) and isinstance(labels["Total"][1].value, int)
    assert labels["Total"][1].number_format == "#,##0" and labels["Total"][2].number_format == "0.0"
    ci = [c for c in ws[header] if c.value == "95% CI lower"][0].column - 1
    assert any(isinstance(r[ci].value, float) and r[ci].number_format == "0.00" for r in rows)
    summary_header, summary = _table_rows(wb["Notes"])
    assert any(isinstance(c.value, int) for row in summary for c in row)  # audit numbers are numbers
    _, judged = _table_rows(wb["Assessment"])
    assert len(judged) == 9 and all("to be completed" in r[2].value for r in judged)
    assert not any("low relevance" in str(c.value) for row in wb["Assessment"].iter_rows() for c in row)


def test_text_that_a_spreadsheet_would_run_is_neutralised(processed_dir, tmp_path):
    from sendlib.render.tabular import FORMULA_START

    evil = "=cmd|' /C calc'!A0"
    assert cli.main(["equality", str(processed_dir), str(tmp_path), "--la-name", evil]) == 0
    csv = pd.read_csv(tmp_path / "equality_tables.csv", dtype=str, keep_default_na=False)
    assert set(csv["la_name"]) == {"'" + evil}
    assert not any(v.startswith(FORMULA_START) for col in csv.columns for v in csv[col] if not v[1:2].isdigit())
    wb = openpyxl.load_workbook(tmp_path / "equality_tables.xlsx")
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate)
                assert not (isinstance(c.value, str) and c.value.startswith(FORMULA_START)), (ws.title, c.value)
    assert evil in wb["Notes"]["A1"].value  # shown as the text it is


def test_command_options_override_metadata(processed_dir, tmp_path):
    assert cli.main(["equality", str(processed_dir), str(tmp_path), "--la-name", "Other LA",
                     "--ethnicity-grouping", "kingston"]) == 0
    csv = pd.read_csv(tmp_path / "equality_tables.csv", dtype=str, keep_default_na=False)
    assert set(csv["la_name"]) == {"Other LA"}


def test_command_reports_user_mistakes_in_one_line(processed_dir, tmp_path, capsys):
    assert cli.main(["equality", str(tmp_path / "missing"), str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing" in err and "Traceback" not in err
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ["ehcp_caseload", "sen_support", "pupils"]:
        df = pd.read_parquet(processed_dir / f"{name}.parquet")
        if name == "pupils":
            df = df.drop(columns="sen_provision")
        df.to_parquet(broken / f"{name}.parquet")
    assert cli.main(["equality", str(broken), str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "pupils.parquet" in err and "sen_provision" in err and err.count("\n") == 1


# ---- the synthetic demo LA through the real cleaner ------------------------------------------


@pytest.fixture(scope="module")
def demo_processed(demo_raw, tmp_path_factory):
    from sendlib import cleaning

    out = tmp_path_factory.mktemp("demo_eq") / "2025"
    cleaning.clean(demo_raw / "2025", out, "2025-01-16")
    return out


def test_synthetic_demo_tables_match_an_independent_count(demo_processed):
    counted = equality.count_tables(demo_processed)
    for cohort, name in [("EHCP", "ehcp_caseload"), ("SEN support", "sen_support")]:
        df = pd.read_parquet(demo_processed / f"{name}.parquet")
        assert len(df) > 100
        labels = independent_labels(df)
        for topic in ["age_eqia", "age_dfe", "sex", "ethnicity_major", "ethnicity_detailed", "need"]:
            expected = labels.groupby(topic).size()
            got = counts_of(counted, cohort, topic)
            assert got["Total"] == len(df)
            assert {b: v for b, v in got.items() if v and b not in ("Total", "Total known")} == \
                expected[expected > 0].to_dict(), (cohort, topic)
    ehcp = pd.read_parquet(demo_processed / "ehcp_caseload.parquet")
    got = counts_of(counted, "EHCP", "placement")
    assert {g: v for g, v in got.items() if v and g not in ("Total", "Total known")} == \
        ehcp.groupby("placement_group").size().to_dict()
    pupils = pd.read_parquet(demo_processed / "pupils.parquet")
    pop = counts_of(counted, "EHCP", "sex", "population")
    assert pop["Total"] == len(pupils) and pop["Female"] == (pupils["sex"] == "F").sum()


def test_synthetic_demo_tables_pass_the_auditor(demo_processed, tmp_path):
    tables = equality.write_tables(demo_processed, tmp_path, threshold=5)
    written = pd.read_csv(tmp_path / "equality_tables.csv", dtype=str, keep_default_na=False)
    assert equality.audit_tables(written, 5).passed
    assert large_hidden(demo_processed).empty and not large_hidden(demo_processed, redesign=False).empty
    assert set(written["time_period"]) == {"202425"}
    assert written.equals(tables.reset_index(drop=True).astype(str))
