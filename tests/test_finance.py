"""sendlib.finance: the DSG account rebuilt from the Kingston plan, spend from the plan forecast,
intervals drawn from the forecast's distribution, scenarios, config errors and reproducibility."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from sendlib.errors import ConfigError
from sendlib.finance import dsg, inputs, plans, projection, report
from sendlib.forecast import OUTPUT_COLUMNS

from .conftest import ROOT

# The Kingston plan's DSG table (domain.md section 7), GBP m, financial years 2018-19 to 2021-22.
YEARS = [2018, 2019, 2020, 2021]
BUDGET = [26.701, 23.149, 23.399, 23.649]
SPEND = [30.028, 30.334, 32.434, 34.301]
WORKSTREAMS = {"Strategy and Governance": [1.281, 0.966, 1.066, 1.116],
               "Commercial Thinking": [0.140, 0.635, 0.930, 1.220],
               "Local Provision": [0.361, 0.875, 1.250, 1.552],
               "Early Intervention and Transition": [0.145, 0.500, 1.000, 1.500],
               "Assessment and Planning": [0.100, 1.750, 3.350, 5.264]}
SAVING_REQUIRED = [3.327, 7.185, 9.035, 10.652]
TOTAL_IMPACT = [-2.027, -4.726, -7.596, -10.652]
CUMULATIVE_IMPACT = [-2.027, -6.753, -14.349, -25.000]
IN_YEAR = [1.300, 2.459, 1.440, 0.000]
CUMULATIVE = [11.144, 13.604, 15.043, 15.044]
# Carried into 2018-19: the plan says "about £10.69m"; its rounded rows put it in 10.6905-10.6915.
OPENING = 10.691


def test_kingston_dsg_table_is_rebuilt_from_its_own_inputs():
    table = dsg.dsg_table(YEARS, dict(zip(YEARS, BUDGET)), dict(zip(YEARS, SPEND)),
                          {k: dict(zip(YEARS, v)) for k, v in WORKSTREAMS.items()},
                          {"Alternative funding": {2018: 0.846}}, OPENING)
    assert list(table.columns) == ["2018-19", "2019-20", "2020-21", "2021-22"]
    expected = {"Saving required to balance the block": SAVING_REQUIRED,
                "Total financial impact of actions": TOTAL_IMPACT,
                "Cumulative financial impact of actions": CUMULATIVE_IMPACT,
                "In-year high needs shortfall after savings": IN_YEAR,
                "Alternative funding": [-0.846, 0, 0, 0],
                "Cumulative DSG funding shortfall": CUMULATIVE}
    for line, published in expected.items():
        assert np.abs(table.loc[line].to_numpy() - published).max() <= 0.001 + 1e-9, line
    assert table.loc["Assessment and Planning"].tolist() == [-0.100, -1.750, -3.350, -5.264]


def _forecast(points, lower80, upper80, lower95, upper95, start_year=2025) -> pd.DataFrame:
    """Total and two placement groups (60% Mainstream, 40% Special) in the forecast's columns."""
    rows = []
    for h, values in enumerate(zip(points, lower80, upper80, lower95, upper95), 1):
        for topic, group, share in (("total", "Total", 1.0), ("placement", "Mainstream", 0.6),
                                    ("placement", "Special", 0.4)):
            rows.append({"breakdown_topic": topic, "breakdown": group, "year": start_year + h, "horizon": h,
                         **{k: v * share for k, v in zip(["point", "lower80", "upper80", "lower95", "upper95"],
                                                          values)}})
    return pd.DataFrame(rows).reindex(columns=OUTPUT_COLUMNS)


FORECAST = _forecast([1100, 1200, 1300], [1050, 1110, 1170], [1150, 1300, 1450],
                     [1020, 1060, 1100], [1190, 1370, 1560])


def _inputs(**changes) -> inputs.FinanceInputs:
    base = {"allocation": {2025: 10.0, 2026: 10.5, 2027: 11.0},
            "cost_groups": {"Special": {"placements": {"Special": 1.0}, "unit_cost": 20000, "cost_year": 2025,
                                        "uplift": 0.03, "uplift_sd": 0.01},
                            "Mainstream": {"placements": {"Mainstream": 1.0}, "unit_cost": 5000, "cost_year": 2024,
                                           "uplift": 0.02}},
            "fixed": {"Other": {"amount": 2.0, "cost_year": 2025, "uplift": 0.05}},
            "savings": {"Workstream": {2026: 0.5, 2027: 1.0}},
            "other_income": {"Transfer": {2025: 0.25}},
            "opening_balance": 3.0, "simulations": 4000, "seed": 1}
    return inputs.parse({**base, **changes}, file="finance.yml", cycle_id="t")


def test_financial_years_may_be_written_as_budgets_write_them():
    assert _inputs(allocation={"2025-26": 10.0, 2026: 10.5, "2027-28": 11.0}).allocation == _inputs().allocation


def test_central_spend_is_financial_year_plans_times_uplifted_cost_plus_fixed():
    p = projection.project(FORECAST, (2025, 1000.0), _inputs())
    spend = p.paths[projection.BASE]["spend"][0]
    totals = np.array([1000, 1100, 1200, 1300.0])
    fy = (totals[:-1] + totals[1:]) / 2  # 2025-26 = mean of January 2025 and January 2026
    special = 0.4 * fy * 20000 * 1.03 ** np.arange(3)
    mainstream = 0.6 * fy * 5000 * 1.02 ** np.arange(1, 4)
    fixed = 2.0 * 1.05 ** np.arange(3)
    assert np.allclose(spend, (special + mainstream) / 1e6 + fixed)
    table = p.dsg_table()
    in_year = spend - [10.0, 10.5, 11.0] - [0, 0.5, 1.0]
    assert np.allclose(table.loc["In-year high needs shortfall after savings"], in_year)
    assert np.allclose(table.loc["Cumulative DSG funding shortfall"], 3.0 + np.cumsum(in_year - [0.25, 0, 0]))


def test_simulated_plans_keep_the_forecast_quantiles_and_are_correlated_over_years():
    totals = plans.simulate_totals(FORECAST, (2025, 1000.0), np.random.default_rng(3), 20000)
    assert (totals[2025] == 1000).all()
    q = totals[[2026, 2027, 2028]].quantile([0.025, 0.10, 0.5, 0.90, 0.975]).to_numpy()
    quantiles = plans.total_quantiles(FORECAST).to_numpy().T
    assert np.abs(q / quantiles - 1).max() < 0.01
    corr = np.log(totals[[2026, 2027, 2028]]).corr().to_numpy()
    assert 0.5 < corr[0, 1] < 0.95 and corr[1, 2] > corr[0, 2] > 0.3


def test_intervals_come_from_the_paths_and_widen_with_the_years():
    s = projection.project(FORECAST, (2025, 1000.0), _inputs()).summary()
    cum = s[(s["scenario"] == projection.BASE) & (s["measure"] == projection.MEASURES["cumulative"])]
    assert (cum["lower95"] < cum["lower80"]).all() and (cum["lower80"] < cum["central"]).all()
    assert (cum["central"] < cum["upper80"]).all() and (cum["upper80"] < cum["upper95"]).all()
    assert cum["upper80"].sub(cum["lower80"]).is_monotonic_increasing


def test_scenarios_cap_growth_move_new_placements_and_set_unit_costs():
    scenarios = {"cap": {"growth_cap": [50]},
                 "move": {"move_new": {"from": "Special", "to": "Mainstream", "share": 1.0}},
                 "target": {"unit_cost_targets": {"Special": {2026: 15000}}}}
    inp = _inputs(scenarios=scenarios)
    p = projection.project(FORECAST, (2025, 1000.0), inp)
    draws = projection.draw(FORECAST, (2025, 1000.0), inp)
    shares = plans.placement_shares(FORECAST, 2025)
    capped = projection.scenario_plans(draws, shares, inp, inp.scenarios["cap"])
    total = sum(capped.values())
    assert (np.diff(total, axis=1) <= 50 + 1e-9).all()
    moved = projection.scenario_plans(draws, shares, inp, inp.scenarios["move"])
    plain = projection.scenario_plans(draws, shares, inp, projection.Scenario())
    assert np.allclose(sum(moved.values()), sum(plain.values()))
    assert np.allclose(moved["Special"][0], moved["Special"][0, 0])  # no new special placements
    costs = projection.unit_costs(inp, [2025, 2026, 2027], draws.shocks, inp.scenarios["target"])
    assert (costs["Special"][:, 1:] == 15000).all() and costs["Special"][0, 0] == 20000
    final = {name: p.paths[name]["cumulative"][0, -1] for name in p.scenarios}
    assert final["cap"] < final[projection.BASE] and final["move"] < final[projection.BASE]
    assert final["target"] < final[projection.BASE]


def test_share_of_uncertainty_from_the_plan_forecast():
    p = projection.project(FORECAST, (2025, 1000.0), _inputs())
    assert 0.5 < p.plans_share[projection.BASE] < 1
    no_cost_risk = _inputs(cost_groups={"All": {"placements": {"Special": 1.0, "Mainstream": 1.0},
                                                "unit_cost": 10000, "cost_year": 2025}})
    assert projection.project(FORECAST, (2025, 1000.0), no_cost_risk).plans_share[projection.BASE] == 1.0
    exact = _forecast([1100, 1200, 1300], *[[1100, 1200, 1300]] * 4)
    assert projection.project(exact, (2025, 1000.0), _inputs()).plans_share[projection.BASE] < 0.01


def test_same_inputs_give_byte_identical_tables_and_the_seed_matters():
    first = projection.project(FORECAST, (2025, 1000.0), _inputs()).summary().to_csv(index=False)
    again = projection.project(FORECAST, (2025, 1000.0), _inputs()).summary().to_csv(index=False)
    other = projection.project(FORECAST, (2025, 1000.0), _inputs(seed=2)).summary().to_csv(index=False)
    assert first.encode() == again.encode() and other != first


@pytest.mark.parametrize("change, message", [
    ({"allocaton": {2025: 1.0}}, "key allocaton: Extra inputs are not permitted"),
    ({"cost_groups": {"X": {"placements": {"Special": 1.5}, "unit_cost": 1, "cost_year": 2025}}},
     "key cost_groups.X.placements.Special"),
    ({"scenarios": {"s": {"unit_cost_targets": {"Nope": {2026: 1}}}}}, "names cost group 'Nope'"),
    ({"scenarios": {"s": {"move_new": {"from": "Special", "to": "Mainstream"}}}}, "needs exactly from, to and share"),
    ({"allocation": {"twenty": 1.0}}, "key allocation.twenty"),
    ({"allocation": {"2025-27": 1.0}}, "2025-27 is not a financial year (write 2025-26)"),
])
def test_bad_inputs_are_one_line_errors_naming_the_key(change, message):
    with pytest.raises(ConfigError) as err:
        _inputs(**change)
    text = str(err.value)
    assert "\n" not in text and "file finance.yml" in text and message in text


def test_missing_year_and_unknown_placement_group_are_named(tmp_path):
    with pytest.raises(ConfigError, match="allocation has no figure for 2027-28"):
        projection.project(FORECAST, (2025, 1000.0), _inputs(allocation={2025: 1.0, 2026: 1.0}))
    bad = {"X": {"placements": {"Specail": 1.0}, "unit_cost": 1, "cost_year": 2025}}
    with pytest.raises(ConfigError, match="placement group 'Specail'"):
        projection.project(FORECAST, (2025, 1000.0), _inputs(cost_groups=bad))
    path = tmp_path / "finance.yml"
    path.write_text("cycles: [", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        inputs.load_inputs("demo", path)


def test_demo_config_is_valid_and_a_cycle_without_inputs_is_told_what_to_add(tmp_path):
    demo = inputs.load_inputs("demo", ROOT / "config" / "finance.yml")
    assert demo.cost_groups["Independent and non-maintained special"].unit_cost == 40610
    assert demo.cost_groups["Mainstream and maintained special"].unit_cost == 6115
    path = tmp_path / "finance.yml"
    path.write_text(yaml.safe_dump({"cycles": {"other": {}}}), encoding="utf-8")
    missing = report.report_budget("demo", "314", config=path)
    assert isinstance(missing, report.NotConfigured) and missing.headline() is None
    assert "no finance inputs for cycle 'demo'" in missing.key_points()[0]


def test_demo_budget_report_is_byte_identical_on_rerun():
    """The demo LA from the DfE series: key points, the familiar table and the index card."""
    first, again = (report.report_budget("demo", "314", horizon=5, config=ROOT / "config" / "finance.yml")
                    for _ in range(2))
    assert first.projection.summary().to_csv().encode() == again.projection.summary().to_csv().encode()
    assert first.dsg_table().equals(again.dsg_table())
    table = first.dsg_table().set_index("GBP m")
    assert list(table.columns)[0] == f"{first.start[0]}-{(first.start[0] + 1) % 100:02d}"
    assert table.loc["High needs budget"].iloc[0] == f"{first.inputs.allocation[first.start[0]]:.3f}"
    value, label = first.headline()
    assert value.startswith("£") and "cumulative DSG deficit" in label
    assert any("threshold" in point for point in first.key_points())


def test_report_6_renders_and_the_index_shows_the_dsg_card(cycle_run):
    cycle, _ = cycle_run
    page = (cycle.reports_dir / "06_high_needs_budget.html").read_text()
    assert "Cumulative DSG funding shortfall" in page and "Key points" in page
    assert "application/vnd.sendlib" not in page
    index = (cycle.reports_dir / "index.html").read_text()
    assert "cumulative DSG deficit by March" in index and "06_high_needs_budget.html" in index
