"""Caseload forecasts: no look-ahead, reconciliation, intervals, backtest and the two commands."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from sendlib import cli
from sendlib.errors import SendlibInputError
from sendlib.forecast import (
    OUTPUT_COLUMNS,
    forecast_areas,
    forecast_la,
    reconcile,
)
from sendlib.forecast.backtest import by_la, run_backtest, target_check
from sendlib.forecast.models import BASELINES, DEFAULT_METHOD, METHODS, CaseloadModel
from sendlib.forecast.panel import Panel
from sendlib.sources import dfe, published


@pytest.fixture(scope="module")
def table():
    """The checked DfE series, as the product reads it."""
    return published.load_dfe().table


@pytest.fixture(scope="module")
def panel(table):
    return Panel.from_table(table)


@pytest.fixture(scope="module")
def kingston(table):
    return forecast_la(table, "314", horizon=5)


def _perturb_after(table: pd.DataFrame, origin: int) -> pd.DataFrame:
    """Triple every figure published after the January `origin` census (calendar-year flows of
    year `origin` are published with the next census)."""
    flows = table["measure"].isin(["new_plans", "requests"])
    later = ((table["measure"] == "caseload") & (table["time_period"] > origin)) | (
        flows & (table["time_period"] >= origin))
    out = table.copy()
    out.loc[later, "value"] = out.loc[later, "value"] * 3 + 7
    return out


@pytest.mark.parametrize("method", ["pooled_requests_damped90", "pooled_growth_damped90", "own_growth_3y"])
def test_forecast_never_uses_data_after_its_origin(table, method):
    areas = ["314", "E92000001", "E12000007", "929", "201"]
    before = forecast_areas(table, areas, origin=2019, horizon=3, method=method)
    after = forecast_areas(_perturb_after(table, 2019), areas, origin=2019, horizon=3, method=method)
    assert len(before) > 50
    pd.testing.assert_frame_equal(before, after)
    # and the perturbation does reach a forecast made later
    later = forecast_areas(_perturb_after(table, 2019), ["314"], origin=2021, horizon=1, method=method)
    plain = forecast_areas(table, ["314"], origin=2021, horizon=1, method=method)
    assert not np.allclose(later["point"], plain["point"])


def test_panel_cut_at_origin(panel, table):
    cut = panel.upto(2018)
    assert max(cut.years) == 2018 and cut.caseload.shape[0] == panel.caseload.shape[0]
    # new plans of calendar year 2017 are known at the January 2018 census
    new = dfe.total_series(table, measure="new_plans").loc["314"]
    assert cut.new_plans.loc["314", 2018] == new[2017] and new[2017] != new[2018]


def test_requests_are_known_at_the_next_census_and_move_the_default(panel, table):
    requests = dfe.total_series(table, measure="requests")
    assert requests.loc["314", 2016] > 0 and requests.loc["314", 2022] > 0  # both releases read
    cut = panel.upto(2019)
    assert cut.requests.loc["314", 2019] == requests.loc["314", 2018]  # calendar 2018 -> January 2019
    assert list(cut.requests.columns) == cut.years
    # the request rate enters the pooled fit once a year of LAs has it, not before
    from sendlib.forecast.models import POOLED_FEATURES, fit_pooled_growth
    features = (*POOLED_FEATURES, "request_rate")
    assert "request_rate" not in fit_pooled_growth(panel.upto(2017), features=features)[0].params
    fit, _ = fit_pooled_growth(panel.upto(2020), features=features)
    assert fit.params["request_rate"] > 0  # more requests than England's rate: faster growth
    # doubling one LA's requests published at the origin raises its forecast
    more = table.copy()
    hit = (more["measure"] == "requests") & (more["area_code"] == "314") & (more["time_period"] == 2021)
    assert hit.sum() == 1
    more.loc[hit, "value"] *= 2
    plain = forecast_areas(table, ["314"], origin=2022, horizon=1, breakdowns=(), method=DEFAULT_METHOD)
    moved = forecast_areas(more, ["314"], origin=2022, horizon=1, breakdowns=(), method=DEFAULT_METHOD)
    assert moved["point"].iloc[0] > plain["point"].iloc[0]


def test_breakdowns_add_up_to_the_total(kingston, table):
    total = kingston[kingston["breakdown_topic"] == "total"]
    for topic in ("age", "placement"):
        parts = kingston[kingston["breakdown_topic"] == topic]
        assert len(parts) > 0
        assert np.abs(reconcile.incoherence(total, parts)).max() < 1e-6
    # for every LA too
    every = forecast_areas(table, origin=2022, horizon=2)
    tot = every[every["breakdown_topic"] == "total"]
    for topic in ("age", "placement"):
        diff = reconcile.incoherence(tot, every[every["breakdown_topic"] == topic])
        assert len(diff) > 300 and diff.abs().max() < 1e-6


def test_output_columns_and_bounds(kingston):
    assert list(kingston.columns) == OUTPUT_COLUMNS
    assert set(kingston["new_la_code"]) == {"E09000021"} and set(kingston["old_la_code"]) == {"314"}
    assert (kingston["lower95"] <= kingston["lower80"]).all()
    assert (kingston["lower80"] <= kingston["point"]).all() and (kingston["point"] <= kingston["upper80"]).all()
    assert (kingston["upper80"] <= kingston["upper95"]).all()
    assert sorted(kingston["year"].unique()) == [2024, 2025, 2026, 2027, 2028]
    total = kingston[kingston["breakdown_topic"] == "total"]
    assert total["point"].iloc[0] > 1630  # growth continues from January 2023


def test_intervals_widen_with_the_horizon(table):
    fc = forecast_areas(table, origin=2023, horizon=5, breakdowns=())
    width = (fc["upper95"] - fc["lower95"]) / fc["point"]
    fc = fc.assign(width80=(fc["upper80"] - fc["lower80"]) / fc["point"], width95=width)
    for col in ("width80", "width95"):
        wide = fc.pivot(index="area_code", columns="horizon", values=col)
        assert (wide.diff(axis=1).iloc[:, 1:] > 0).all().all()


def test_model_api_and_early_origin(panel):
    result = CaseloadModel(panel, "pooled_growth").fit(2020)
    fc = result.forecast(2, areas=["314"])
    assert list(fc["year"]) == [2021, 2022] and (fc["origin"] == 2020).all()
    with pytest.raises(SendlibInputError):
        CaseloadModel(panel, "pooled_growth").fit(2011)
    with pytest.raises(SendlibInputError, match="unknown forecast method"):
        CaseloadModel(panel, "crystal_ball")


def test_baselines_reproduce_the_published_benchmark(table, panel):
    """Last value and own 3-year growth on the 145-LA panel: the figures quoted in the issue."""
    areas = dfe.complete_las(table, 2010, 2023, same_new_code=True)
    assert len(areas) == 145
    _, summary = run_backtest(panel, ["last_value", "own_growth_3y"], areas=areas, origins=range(2017, 2023),
                              horizon=3)
    mape = summary.set_index(["method", "horizon"])["mape"].round(1)
    assert list(mape["last_value"]) == [9.1, 17.1, 24.4]
    assert list(mape["own_growth_3y"]) == [4.6, 8.2, 12.0]


def test_backtest_subset_scores_by_hand(panel):
    areas = ["314", "201", "330", "909", "826"]
    errors, summary = run_backtest(panel, ["own_growth_3y", DEFAULT_METHOD], areas=areas,
                                   origins=[2019, 2020], horizon=2)
    assert set(errors["origin"]) == {2019, 2020} and set(errors["horizon"]) == {1, 2}
    row = errors[(errors["method"] == "own_growth_3y") & (errors["area_code"] == "314")
                 & (errors["origin"] == 2019) & (errors["horizon"] == 2)].iloc[0]
    y = panel.caseload.loc["314"]
    expected = y[2019] * (y[2019] / y[2016]) ** (2 / 3)
    assert np.isclose(row["point"], expected) and row["actual"] == y[2021]
    assert np.isclose(row["ape"], abs(expected - y[2021]) / y[2021] * 100)
    s = summary.set_index(["method", "horizon"])
    assert s.loc[("own_growth_3y", 1), "n"] == 10 and s.loc[("own_growth_3y", 2), "n"] == 10
    assert s["coverage80"].between(0, 100).all() and (s["coverage95"] >= s["coverage80"]).all()
    check = target_check(summary, DEFAULT_METHOD)
    assert list(check["horizon"]) == [1, 2] and check["mape_met"].dtype == bool
    per_la = by_la(errors, DEFAULT_METHOD, baseline="own_growth_3y")
    assert sorted(per_la["area_code"]) == sorted(areas)


def test_every_method_forecasts_kingston(panel):
    for name in METHODS:
        fc = CaseloadModel(panel, name, max_horizon=2).fit(2022).forecast(2, areas=["314"])
        assert len(fc) == 2 and np.isfinite(fc[["point", "lower95", "upper95"]]).all().all(), name
        assert 1200 < fc["point"].iloc[0] < 2200, name


def test_forecast_command_writes_csv_and_chart(dfe_zips, tmp_path):
    out_old, out_new = tmp_path / "old", tmp_path / "new"
    zips = [str(p) for p in dfe_zips]
    assert cli.main(["forecast", *zips, "--la", "314", "--horizon", "3", str(out_old)]) == 0
    assert cli.main(["forecast", *zips, "--la", "E09000021", "--horizon", "3", str(out_new)]) == 0
    data = (out_old / "forecasts.csv").read_bytes()
    assert data == (out_new / "forecasts.csv").read_bytes()  # either code, same bytes
    fc = pd.read_csv(out_old / "forecasts.csv")
    assert list(fc.columns) == OUTPUT_COLUMNS and set(fc["year"]) == {2024, 2025, 2026}
    png = out_old / "forecast_314.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert cli.main(["forecast", *zips, "--la", "314", "--origin", "2020", "--horizon", "1", str(out_old)]) == 0
    assert set(pd.read_csv(out_old / "forecasts.csv")["origin"]) == {2020}


def test_forecast_command_user_errors(dfe_zips, tmp_path, capsys):
    zips = [str(p) for p in dfe_zips]
    assert cli.main(["forecast", *zips, "--la", "999", str(tmp_path)]) == 2
    assert cli.main(["forecast", *zips, "--la", "314", "--horizon", "9", str(tmp_path)]) == 2
    assert cli.main(["forecast", *zips, "--la", "314", "--origin", "1990", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("sendlib forecast: error:")]
    assert len(errors) == 3 and "Traceback" not in err


def test_backtest_command(dfe_zips, tmp_path, capsys):
    zips = [str(p) for p in dfe_zips]
    code = cli.main(["backtest", *zips, "--methods", DEFAULT_METHOD, "--origins", "2016-2021",
                     "--horizon", "2", "--las", "panel145", str(tmp_path)])
    assert code == 0
    summary = pd.read_csv(tmp_path / "backtest_summary.csv")
    assert set(summary["method"]) == {DEFAULT_METHOD, *BASELINES, "pooled_growth"}
    assert {"mape", "median_ape", "mase", "bias", "coverage80", "coverage95"} <= set(summary.columns)
    errors = pd.read_csv(tmp_path / "backtest_errors.csv", dtype={"area_code": str})
    assert errors["area_code"].nunique() == 145
    for name in ("backtest_by_la.csv", "backtest_out_of_time.csv", "backtest_out_of_time_by_origin.csv",
                 "backtest_selection.csv", "backtest_targets.csv", "dfe_checks.csv"):
        assert (tmp_path / name).stat().st_size > 0
    out = capsys.readouterr().out
    assert "default method" in out and re.search(r"nine years in ten .*: 80% intervals \d+-\d+%", out)


# ---------------------------------------------------------------------------------------------
# person-level Markov cohort model

def _simulated_caseload(seed: int = 3, years=range(2019, 2025), leave: float = 0.1, move: float = 0.05):
    """A caseload from a known process: leave with `leave` a year, Mainstream -> Special with `move`."""
    rng = np.random.default_rng(seed)
    people, rows, next_id = {}, [], 0
    for year in years:
        people = {k: (n + 1, need, pl) for k, (n, need, pl) in people.items() if rng.random() > leave and n < 20}
        for k, (n, need, pl) in list(people.items()):
            if pl == "Mainstream" and rng.random() < move:
                people[k] = (n, need, "Special")
        for ncy in range(-2, 21):
            for _ in range(rng.poisson(12)):
                next_id += 1
                people[f"P{next_id:06d}"] = (ncy, rng.choice(["ASD", "SEMH"]), "Mainstream")
        rows += [(year, k, n, need, pl) for k, (n, need, pl) in people.items()]
    return pd.DataFrame(rows, columns=["census_year", "person_id", "ncy", "primary_need", "placement_group"])


def test_markov_recovers_the_process_and_widens():
    from sendlib.forecast.markov import MarkovCohortModel

    result = MarkovCohortModel(_simulated_caseload()).fit()
    assert abs(np.mean(result.leaver_probs[:, :-1]) - 0.1) < 0.02
    mainstream = result.placements.index("Mainstream")
    special = result.placements.index("Special")
    assert abs(result.move_probs[:, mainstream, special].mean() - 0.05) < 0.02
    assert np.allclose(result.move_probs[:, special, special], 1.0)
    fc = result.forecast(3, n_sims=400)
    width = (fc["upper95"] - fc["lower95"]).to_numpy()
    assert (np.diff(width) > 0).all()
    assert (fc["lower95"] <= fc["lower80"]).all() and (fc["upper80"] <= fc["upper95"]).all()
    by_place = result.forecast(2, by="placement_group", n_sims=400)
    assert set(by_place["breakdown"]) == {"Mainstream", "Special"}


def test_markov_deterministic_ageing():
    from sendlib.forecast.markov import MarkovCohortModel

    ids = [f"P{i}" for i in range(6)]
    y1 = pd.DataFrame({"census_year": 2020, "person_id": ids, "ncy": range(6), "primary_need": "ASD",
                       "placement_group": "Special"})
    y2 = y1.assign(census_year=2021, ncy=y1["ncy"] + 1)
    fc = MarkovCohortModel(pd.concat([y1, y2])).fit().forecast(2, by="ncy", n_sims=50)
    year1 = fc[fc["horizon"] == 1].set_index("breakdown")["point"]
    assert list(year1[year1 > 0].index) == ["2", "3", "4", "5", "6", "7"]
    assert (fc["upper95"] == fc["lower95"]).all()  # nobody leaves or joins: no uncertainty


def test_markov_compared_with_aggregate_methods():
    from sendlib.forecast.markov import compare_with_aggregate

    comparison = compare_with_aggregate(_simulated_caseload(), holdout=2, n_sims=300)
    assert {"markov_cohort", "last_value", "own_growth_3y"} <= set(comparison["method"])
    assert comparison["actual"].notna().all() and set(comparison["horizon"]) == {1, 2}
    markov = comparison[comparison["method"] == "markov_cohort"]
    assert (markov["pe"].abs() < 10).all()
    with pytest.raises(SendlibInputError):
        compare_with_aggregate(_simulated_caseload(years=range(2019, 2022)), holdout=2)
