"""Forecasts a finance lead can stake a budget on: robust to one bad cell, guarded, honestly
scored out of time, with intervals built from past errors."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sendlib.errors import SendlibInputError
from sendlib.forecast import forecast_areas, guard, intervals
from sendlib.forecast.backtest import choose_method, decide_default, forward_chain, run_backtest, selection_cutoffs
from sendlib.forecast.methods import BASELINES
from sendlib.forecast.models import DEFAULT_METHOD, CaseloadModel
from sendlib.forecast.panel import Panel
from sendlib.sources import dfe, published

YORKSHIRE = ["370", "371", "372", "373", "380", "381", "382", "383", "384", "810", "811", "812", "815", "816"]
BOUNDS = ["lower80", "upper80", "lower95", "upper95"]


@pytest.fixture(scope="module")
def data():
    return published.load_dfe()


@pytest.fixture(scope="module")
def table(data):
    return data.table


@pytest.fixture(scope="module")
def base(table):
    return forecast_areas(table, origin=2023, horizon=2, breakdowns=()).set_index(["area_code", "year"])


def _times_ten(table: pd.DataFrame, la: str, measure: str, year: int) -> pd.DataFrame:
    out = table.copy()
    hit = (out["area_code"] == la) & (out["measure"] == measure) & (out["time_period"] == year) \
        & (out["breakdown_topic"] == "total")
    assert hit.sum() == 1
    out.loc[hit, "value"] *= 10
    return out


# measure and year of the cell: caseload and the flows published with the January 2022 census
# enter the pooled regression; the caseload of the origin year starts the touched LA's forecast
CELLS = [("caseload", 2022), ("new_plans", 2021), ("requests", 2021), ("caseload", 2023)]


@pytest.mark.parametrize("la", ["314", "886", "813"])
def test_one_bad_cell_moves_no_other_la_and_flags_its_own(table, base, la):
    """Kingston, Kent (the largest LA) and North Lincolnshire: each of its figures times ten in
    turn, straight into the model (the checks would have repaired them first)."""
    size = dfe.total_series(table, levels=None)[2023]
    for measure, year in CELLS:
        fc = forecast_areas(_times_ten(table, la, measure, year), origin=2023, horizon=2,
                            breakdowns=()).set_index(["area_code", "year"])
        others = fc.index.get_level_values("area_code") != la
        shift = (fc.loc[others, ["point", *BOUNDS]] / base.loc[fc.index[others], ["point", *BOUNDS]] - 1).abs()
        assert shift["point"].max() < 0.005, (la, measure, year, shift["point"].idxmax())
        # the intervals of the two areas under 100 plans rest on each other's errors: points only there
        sizable = size.reindex(shift.index.get_level_values("area_code")).to_numpy() >= 100
        assert shift.loc[sizable, BOUNDS].max().max() < 0.005, (la, measure, year)
        assert (fc.loc[la, "flag"] != "").all(), (la, measure, year)


def test_a_bad_cell_through_the_product_is_caught_by_the_checks(data, base):
    """Through the checks, the tenfold caseload is repaired from its own parts and the tenfold
    requests set missing: nobody's forecast moves and the touched LA has findings."""
    from sendlib.sources import dfe_checks

    rows, parts, _ = published.read_bundle()
    for measure, year in (("caseload", 2022), ("requests", 2021)):
        bad = rows.copy()
        hit = (bad["area_code"] == "314") & (bad["measure"] == measure) & (bad["time_period"] == year) \
            & (bad["breakdown_topic"] == "total")
        bad.loc[hit, "value"] *= 10
        checked = dfe_checks.check(dfe.combine_releases([bad], keep_all=True), parts)
        found = checked.checks[(checked.checks["area_code"] == "314") & (checked.checks["measure"] == measure)]
        assert set(found["year"]) == {year} and found["action"].str.match("repaired|set missing").all()
        fc = forecast_areas(checked.table, origin=2023, horizon=2, breakdowns=()).set_index(["area_code", "year"])
        moved = (fc["point"] / base.loc[fc.index, "point"] - 1).abs()
        # a repaired figure changes nothing; a figure set missing leaves one LA-year out of the fit
        limit = 1e-9 if measure == "caseload" else 0.005
        assert moved.drop(index="314", level=0).max() < limit
        assert moved.loc["314"].max() < (1e-9 if measure == "caseload" else 0.02)


def test_north_lincolnshire_grows_like_its_neighbours(table, dfe_zips):
    """The issue's case: from January 2023, 11,379 plans (8.7 times) on the published figures."""
    areas = ["813", *YORKSHIRE]
    fc = forecast_areas(table, areas, origin=2023, horizon=1, breakdowns=()).set_index("area_code")
    growth = fc["point"] / dfe.total_series(table).loc[areas, 2023] - 1
    neighbours = growth.drop("813")
    assert neighbours.min() - 0.02 <= growth["813"] <= neighbours.max() + 0.02
    assert 0.0 < growth["813"] < 0.2 and fc.at["813", "upper80"] < 1314 * 1.3
    # even unchecked (the regional total as its new plans) the robust model bounds the input and says so
    raw = dfe.load_releases(dfe_zips)
    unchecked = forecast_areas(raw, ["813"], origin=2023, horizon=1, breakdowns=(), method="pooled_growth_damped90")
    assert unchecked["point"].iloc[0] < 1314 * 1.2 and "input bounded" in unchecked["flag"].iloc[0]


def test_guard_replaces_an_implausible_forecast_and_says_so(table):
    """Own 3-year growth from a caseload tripled at the origin runs at ~45% a year: outside the
    history, replaced by England's growth, flagged; the other LAs keep their own method."""
    panel = Panel.from_table(_times_ten(table, "314", "caseload", 2023).assign(
        value=lambda t: t["value"].where(~((t["area_code"] == "314") & (t["measure"] == "caseload")
                                            & (t["time_period"] == 2023)), 1630 * 3)))
    result = CaseloadModel(panel, "own_growth_3y", max_horizon=3).fit(2023)
    flags = result.flags[result.flags["area_code"] == "314"]
    assert {"implausible growth", "latest figure out of line"} <= set(flags["flag"])
    assert result.method_of["314"] == guard.FALLBACK_METHOD
    fc = result.forecast(3, areas=["314", "886"]).set_index("area_code")
    assert fc.loc["314", "method"].eq(guard.FALLBACK_METHOD).all() and fc.loc["886", "method"].eq("own_growth_3y").all()
    growth = np.log(fc.loc["314", "point"].iloc[0] / (1630 * 3))
    rng = guard.supported_range(panel.upto(2023)).loc["314"]
    assert rng["low"] <= growth <= rng["high"]
    assert "implausible growth" in fc.loc["314", "flag"].iloc[0]


def test_a_model_that_cannot_fit_an_area_is_a_recorded_fallback(table):
    """ETS needs six years: LAs created in 2019 and 2021 are forecast by the fallback, with a flag."""
    panel = Panel.from_table(table)
    result = CaseloadModel(panel, "ets_damped", max_horizon=2).fit(2023)
    new_las = ["838", "839", "940", "941"]
    assert set(new_las) <= set(result.flags.loc[result.flags["flag"] == "no forecast from the method", "area_code"])
    fc = result.forecast(2, areas=new_las)
    assert set(fc["area_code"]) == set(new_las) and (fc["method"] == guard.FALLBACK_METHOD).all()
    assert np.isfinite(fc[BOUNDS].to_numpy()).all()


def test_the_pooled_fit_keeps_what_it_estimated_and_fails_loudly(table):
    panel = Panel.from_table(table)
    model = CaseloadModel(panel, "pooled_requests", max_horizon=2)
    params = model.run(2022).params
    assert 0.0 <= params["persistence"] <= 0.95 and params["nobs"] >= 100 and "request_rate" in params
    with pytest.raises(SendlibInputError, match="too little history"):
        model.run(2012)
    with pytest.raises(SendlibInputError, match="too early"):
        CaseloadModel(panel, "pooled_growth", max_horizon=2).fit(2014)


# ---------------------------------------------------------------------------------------------
# intervals

def _errors(origins, n=150, national=None, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for i, o in enumerate(origins):
        size = rng.integers(200, 5000, n).astype(float)
        common = 0.0 if national is None else national[i]
        for h in (1, 2):
            err = common * h + rng.normal(0, h * np.sqrt(0.0009 + 1.0 / size))
            rows.append(pd.DataFrame({"origin": o, "h": h, "area_code": [str(k) for k in range(n)],
                                      "error": err, "size": size}))
    return pd.concat(rows, ignore_index=True)


def test_calibration_recovers_the_scale_and_the_national_part():
    cal = intervals.calibrate(_errors(range(2012, 2020)), horizon=2)
    assert abs(cal.a - 0.0009) < 0.0004 and abs(cal.b - 1.0) < 0.4
    assert abs(cal.stretch[2] - 2.0) < 0.3 and cal.national1 < 0.005
    assert cal.quantiles["lower80"] < -1.0 < 1.0 < cal.quantiles["upper80"] < cal.quantiles["upper95"]
    recent = intervals.calibrate(_errors(range(2012, 2020), national=[0, 0, 0, 0, 0, 0, 0, 0.04]), horizon=2)
    assert recent.national1 > 0.03  # last year's national surprise is remembered
    assert recent.scale(1, 1000) > cal.scale(1, 1000)
    old = _errors(range(2012, 2020), national=[0, 0, 0.04, 0, 0, 0, 0, 0])
    assert intervals.calibrate(old, horizon=2).national1 < 0.005  # five years back, it has faded
    assert intervals.calibrate(old, horizon=2, half_life=None).national1 > 0.01  # equal weights keep it
    shifted = intervals.calibrate(_errors(range(2012, 2020)), horizon=2, growth_shift=0.03)
    assert shifted.national1 == pytest.approx(0.03)  # growth just moved: wider
    assert shifted.national(3) == pytest.approx(0.09) and shifted.stretch_at(5) > shifted.stretch_at(2)


def test_recent_errors_weigh_more_when_the_spread_has_changed():
    calm = _errors(range(2012, 2020))
    early = calm["origin"] < 2017
    calm.loc[early, "error"] *= 2  # the early years were twice as noisy
    equal = intervals.calibrate(calm, horizon=2, half_life=None)
    recent = intervals.calibrate(calm, horizon=2)
    truth = np.sqrt(0.0009 + 1 / 1000)
    assert abs(recent.scale(1, 1000) / truth - 1) < abs(equal.scale(1, 1000) / truth - 1)
    assert recent.scale(1, 1000) < equal.scale(1, 1000)
    assert list(intervals.origin_weights([2017, 2018, 2019], 1.0)) == [0.25, 0.5, 1.0]


def test_weighted_quantiles_are_harrell_davis_with_equal_weights():
    from scipy.stats.mstats import hdquantiles

    z = np.random.default_rng(3).standard_t(5, 400)
    ours = intervals.standardised_quantiles(z)
    classic = hdquantiles(z[np.abs(z) <= intervals.TRIM_Z], prob=list(intervals.LEVELS.values()))
    assert np.allclose(list(ours.values()), classic, atol=1e-9)
    # all the weight on the upper half of the errors moves every quantile up
    heavy = intervals.standardised_quantiles(z, np.where(z > 0, 1.0, 1e-6))
    assert all(heavy[k] > ours[k] for k in ours)


def test_one_wild_error_does_not_widen_every_interval():
    errors = _errors(range(2014, 2020))
    wild = errors.copy()
    wild.loc[0, "error"] = np.log(10)
    a, b = intervals.calibrate(errors, 2), intervals.calibrate(wild, 2)
    assert abs(b.scale(1, 1000) / a.scale(1, 1000) - 1) < 0.02
    with pytest.raises(ValueError, match="too early"):
        intervals.calibrate(errors[errors["origin"] == 2019], 2)


def test_past_errors_all_alike_give_intervals_from_the_national_part():
    # every LA out by the same amount at each origin (a series copied forward, say): nothing to
    # estimate a spread or shape from, but intervals all the same, not a division by zero
    errors = _errors(range(2014, 2020), national=[0.01, -0.02, 0.03, -0.01, 0.02, -0.03])
    errors["error"] = errors["origin"].map({2014: 0.01, 2015: -0.02, 2016: 0.03, 2017: -0.01,
                                            2018: 0.02, 2019: -0.03}) * errors["h"]
    cal = intervals.calibrate(errors, horizon=3)
    assert cal.quantiles["upper80"] == pytest.approx(1.2816, abs=1e-3) and "all alike" in cal.notes[0]
    bounds = cal.bounds(np.log(1000.0), 1000.0, 1)
    assert bounds["lower80"] < 1000 * np.exp(-0.02) and bounds["upper95"] > 1000 * np.exp(0.04)
    assert np.isnan(intervals.spread_change(errors[errors["h"] == 1]))


def test_the_tiniest_areas_do_not_decide_every_small_las_interval():
    errors = _errors(range(2014, 2020))
    tiny = (errors["area_code"] == "0") & (errors["origin"] == 2019)
    errors.loc[errors["area_code"] == "0", "size"] = 12.0  # an Isles of Scilly
    base = intervals.calibrate(errors, 2)
    errors.loc[tiny, "error"] = 0.5  # its latest errors wrong (a wrong figure), not far enough to trim
    moved = intervals.calibrate(errors, 2)
    assert moved.scale(1, 150) == pytest.approx(base.scale(1, 150), rel=0.02)
    assert moved.scale(1, 12) > 0.1  # its own interval is still wide, from b extrapolated


def test_one_years_coverage_falls_in_its_band_nine_years_in_ten():
    from sendlib.forecast.robust import robust_sd

    # a spread that wanders from year to year by a known amount; intervals set on last year's errors
    rng = np.random.default_rng(11)
    change, years, las = 0.2, 1500, 600
    spread = 0.04 * np.exp(np.cumsum(rng.normal(0, change, years)))
    errors = pd.DataFrame({"origin": np.repeat(np.arange(years), las),
                           "error": rng.normal(0, np.repeat(spread, las))})
    measured = intervals.spread_change(errors)
    assert change < measured < 1.1 * change  # a little above: each year's spread is itself estimated
    assert np.isnan(intervals.spread_change(errors[errors["origin"] < 2]))  # one change is not enough
    assert np.isnan(intervals.spread_change(errors.groupby("origin").head(20)))  # nor 20 LAs a year
    low, high = intervals.coverage_band(0.8, measured)
    assert low < 80 < high and intervals.coverage_band(0.8, 0.0) == pytest.approx((80, 80))
    by_year = errors["error"].to_numpy().reshape(years, las)
    set_on = 1.2816 * np.array([robust_sd(e) for e in by_year[:-1]])
    held = (np.abs(by_year[1:]) <= set_on[:, None]).mean(axis=1) * 100
    inside = ((held >= low) & (held <= high)).mean()
    assert 0.86 < inside < 0.95  # nine years in ten


# ---------------------------------------------------------------------------------------------
# forward chaining

@pytest.fixture(scope="module")
def fast_errors(table):
    methods = ["pooled_requests", "pooled_growth", "pooled_growth_damped90", *BASELINES]
    errors, _ = run_backtest(table, methods, horizon=2)
    return errors


def test_choice_sees_only_forecasts_known_at_the_cutoff(fast_errors):
    chosen, selection = choose_method(fast_errors, 2019)
    assert chosen not in BASELINES and chosen == selection[~selection["method"].isin(BASELINES)].iloc[0]["method"]
    # anything after the cutoff can be changed without changing the choice
    later = fast_errors.copy()
    after = later["year"] > 2019
    later.loc[after & (later["method"] == chosen), "ape"] += 50
    assert choose_method(later, 2019)[0] == chosen


def test_forward_chain_scores_later_origins_side_by_side(fast_errors):
    folds = forward_chain(fast_errors)
    assert [f.cutoff for f in folds] == [2019, 2020] and selection_cutoffs(fast_errors) == (2019, 2020)
    assert folds[0].scored_origins == [2020, 2021, 2022] and folds[1].scored_origins == [2021, 2022]
    for fold in folds:
        assert {"national_growth", "pooled_growth", "own_growth_3y", fold.chosen} <= set(fold.summary["method"])
        assert set(fold.by_origin["origin"]) == set(fold.scored_origins)
        assert fold.summary["coverage80"].between(0, 100).all()
        # known at the cutoff: how much the spread of errors changes from year to year, and so the
        # range one year's coverage can be expected in; the recent years' coverage lies within it
        assert 0.05 < fold.spread_change < 0.5
        low, high = fold.bands["coverage80"]
        assert 55 < low < 80 < high < 97
        assert fold.outside_band().empty, fold.by_origin
    default, why = decide_default(folds)
    assert default == DEFAULT_METHOD, why


def test_interval_score_rewards_narrow_intervals_and_punishes_misses():
    from sendlib.forecast.backtest import _interval_score

    e = np.exp(1)
    frame = pd.DataFrame({"actual": [e, e, e ** 3],
                          "lower80": [1.0, e ** 0.5, 1.0], "upper80": [e ** 2, e ** 1.5, e ** 2],
                          "lower95": [e ** -1, e ** 0, e ** -1], "upper95": [e ** 3, e ** 2, e ** 3]})
    score = _interval_score(frame)
    # inside both: the widths (2 and 4 on the log scale), weighted 0.1 and 0.025 over 0.125
    assert score[0] == pytest.approx((0.1 * 2 + 0.025 * 4) / 0.125)
    assert score[1] < score[0]  # narrower and still inside
    # one log unit above the 80% interval: + 2 / 0.2 x 1 at that level
    assert score[2] == pytest.approx((0.1 * (2 + 10) + 0.025 * 4) / 0.125)


def test_the_half_life_is_chosen_on_early_origins_only(table):
    from sendlib.forecast import backtest

    panel = Panel.from_table(table)
    areas = [a for a in panel.la_codes() if panel.caseload.loc[a].notna().all()][:80]
    errors = backtest.half_life_backtest(panel, "national_growth", areas, horizon=2, half_lives=(None, 0.5))
    assert set(errors["half_life"].fillna(-1)) == {-1.0, 0.5} and errors["interval_score"].notna().any()
    folds = backtest.choose_half_life(errors)
    assert [f.cutoff for f in folds] == [2019, 2020]
    for fold in folds:
        assert set(fold.selection["half_life"]) == {"equal weights", "0.5 years"}
        best = fold.selection.sort_values("interval_score").iloc[0]["half_life"]
        assert best == ("equal weights" if fold.chosen is None else f"{fold.chosen:g} years")
        # the out-of-time scores cover the later origins only, and change nothing in the choice
        worse = errors.copy()
        later = worse["year"] > fold.cutoff
        mine = worse["half_life"].fillna(-1.0) == (-1.0 if fold.chosen is None else fold.chosen)
        worse.loc[later & mine, "interval_score"] *= 100  # the chosen one, much worse after the cutoff
        again = {f.cutoff: f.chosen for f in backtest.choose_half_life(worse)}
        assert again[fold.cutoff] == fold.chosen


def test_a_baseline_that_wins_out_of_time_becomes_the_default(fast_errors):
    folds = forward_chain(fast_errors)
    worse = fast_errors.copy()
    scored = worse["origin"].isin(folds[-1].scored_origins) & (worse["method"] == folds[-1].chosen)
    worse.loc[scored, "ape"] += 5
    default, why = decide_default(forward_chain(worse))
    assert default in BASELINES and "beat" in why
