"""The High Needs Block projection: spend, in-year shortfall and cumulative DSG shortfall by
financial year, for the forecast and each named scenario, with 80% and 95% intervals.

spend = plans by cost group (financial-year average of the censuses) x unit cost, uplifted
        + fixed lines, uplifted;
in-year shortfall after savings = spend - allocation - savings;
cumulative shortfall = opening + the in-year shortfalls - other income and transfers.

Intervals come from simulated paths (:mod:`.plans`): the plan forecast's own distribution,
correlated over years, and the unit costs' uplift uncertainty (one shock a year common to all
groups). Every scenario sees the same draws, so their differences are the scenarios' own. The
draws are seeded: the same inputs give the same numbers. How much of the spread comes from the
plan forecast is measured by running the paths once with only the plans varying and once with
only the costs varying.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sendlib.errors import ConfigError
from sendlib.finance import dsg, plans
from sendlib.finance.inputs import FinanceInputs, Scenario

BASE = "Forecast, no further action"  # the scenario every projection has
MEASURES = {"spend": "Spend", "in_year": "In-year shortfall after savings",
            "cumulative": "Cumulative DSG shortfall"}


@dataclass(frozen=True)
class Draws:
    """Simulated inputs shared by every scenario: plan totals (paths x censuses, path 0 the point
    forecast) and yearly uplift shocks (paths x financial years, path 0 zero)."""

    totals: pd.DataFrame
    shocks: np.ndarray

    def only(self, source: str) -> Draws:
        """The draws with everything but `source` ('plans' or 'costs') held at its centre."""
        if source == "plans":
            return Draws(self.totals, np.zeros_like(self.shocks))
        central = pd.DataFrame(np.repeat(self.totals.iloc[[0]].to_numpy(), len(self.totals), axis=0),
                               columns=self.totals.columns)
        return Draws(central, self.shocks)


def draw(forecasts: pd.DataFrame, start: tuple[int, float], inputs: FinanceInputs) -> Draws:
    """The seeded draws for a projection from census `start` = (year, count)."""
    rng = np.random.default_rng(inputs.seed)
    totals = plans.simulate_totals(forecasts, start, rng, inputs.simulations)
    shocks = rng.standard_normal((inputs.simulations, totals.shape[1] - 1))
    shocks[0] = 0.0
    return Draws(totals, shocks)


def _capped(totals: np.ndarray, cap: list[float]) -> np.ndarray:
    """Totals whose yearly increase is at most `cap` (the last figure repeated)."""
    steps = np.diff(totals, axis=1)
    limits = np.array([cap[min(i, len(cap) - 1)] for i in range(steps.shape[1])])
    return np.concatenate([totals[:, :1], totals[:, :1] + np.cumsum(np.minimum(steps, limits), axis=1)], axis=1)


def scenario_plans(draws: Draws, shares: pd.DataFrame, inputs: FinanceInputs, scenario: Scenario) -> dict:
    """Plans of each cost group at each census (paths x censuses) under `scenario`."""
    totals = draws.totals.to_numpy()
    groups = plans.cost_group_plans(draws.totals, shares, {k: g.placements for k, g in inputs.cost_groups.items()})
    if scenario.growth_cap:
        scale = _capped(totals, scenario.growth_cap) / totals
        groups = {k: v * scale for k, v in groups.items()}
    if scenario.move_new:
        src, dst, share = scenario.move_new["from"], scenario.move_new["to"], float(scenario.move_new["share"])
        moved = np.clip(groups[src] - groups[src][:, :1], 0, None) * share
        groups = {**groups, src: groups[src] - moved, dst: groups[dst] + moved}
    return groups


def unit_costs(inputs: FinanceInputs, years: list[int], shocks: np.ndarray, scenario: Scenario) -> dict:
    """Unit cost of each cost group (paths x financial years): uplifted from its cost year at its
    rate (with the shocks from the first projected year), or the scenario's target where it has one
    (held at the last target after it)."""
    out = {}
    for name, g in inputs.cost_groups.items():
        base = g.unit_cost * (1 + g.uplift) ** (years[0] - g.cost_year)
        growth = np.cumprod(1 + g.uplift + g.uplift_sd * shocks, axis=1) / (1 + g.uplift + g.uplift_sd * shocks[:, :1])
        cost = base * growth
        targets = scenario.unit_cost_targets.get(name, {})
        for j, y in enumerate(years):
            set_by = [t for t in sorted(targets) if t <= y]
            if set_by:
                cost[:, j] = float(targets[set_by[-1]])
        out[name] = cost
    return out


def yearly(lines: dict, years: list[int], what: str, required: bool = False) -> np.ndarray:
    """A {financial year: amount} mapping as an array over `years` (0 where absent, or an error
    naming the first missing year when `required`)."""
    missing = [y for y in years if y not in lines]
    if required and missing:
        raise ConfigError(f"{what} has no figure for {dsg.fy_label(missing[0])}",
                          hint="config/finance.yml: give every financial year of the projection")
    return np.array([float(lines.get(y, 0.0)) for y in years])


def fixed_spend(inputs: FinanceInputs, years: list[int]) -> np.ndarray:
    """The fixed lines' spend by financial year (GBP m), each uplifted from its cost year."""
    return np.array([sum(f.amount * (1 + f.uplift) ** (y - f.cost_year) for f in inputs.fixed.values())
                     for y in years], dtype=float)


def run_scenario(draws: Draws, shares: pd.DataFrame, inputs: FinanceInputs, scenario: Scenario) -> dict:
    """{'spend', 'in_year', 'cumulative'}: arrays (paths x financial years), GBP m."""
    censuses = scenario_plans(draws, shares, inputs, scenario)
    years = list(draws.totals.columns)[:-1]
    costs = unit_costs(inputs, years, draws.shocks, scenario)
    spend = sum(plans.financial_years(censuses[k]) * costs[k] for k in inputs.cost_groups) / 1e6
    spend = spend + fixed_spend(inputs, years)
    savings = sum((yearly(v, years, f"savings line {k!r}") for k, v in inputs.savings.items()), np.zeros(len(years)))
    other = sum((yearly(v, years, f"income line {k!r}") for k, v in inputs.other_income.items()), np.zeros(len(years)))
    in_year, cumulative = dsg.shortfalls(spend, yearly(inputs.allocation, years, "allocation", required=True),
                                         savings, other, inputs.opening_balance)
    return {"spend": spend, "in_year": in_year, "cumulative": cumulative}


@dataclass(frozen=True)
class Projection:
    """The projection of every scenario: central figures, intervals and the uncertainty split."""

    inputs: FinanceInputs
    years: list[int]  # financial years (start year)
    paths: dict  # scenario -> run_scenario output
    plans_share: dict  # scenario -> share of the final cumulative shortfall's variance from the plans

    @property
    def scenarios(self) -> list[str]:
        return list(self.paths)

    def summary(self) -> pd.DataFrame:
        """One row per scenario, financial year and measure: central (the point forecast at central
        costs) and the 80% and 95% intervals, GBP m to 4 decimals."""
        rows = []
        for name, result in self.paths.items():
            for key, label in MEASURES.items():
                values = result[key]
                q = np.quantile(values, [0.025, 0.10, 0.90, 0.975], axis=0)
                for j, y in enumerate(self.years):
                    rows.append({"scenario": name, "financial_year": dsg.fy_label(y), "measure": label,
                                 "central": values[0, j], "lower80": q[1, j], "upper80": q[2, j],
                                 "lower95": q[0, j], "upper95": q[3, j]})
        return pd.DataFrame(rows).round(4)

    def dsg_table(self, scenario: str = BASE) -> pd.DataFrame:
        """The familiar table of `scenario` at its central figures."""
        spend = dict(zip(self.years, self.paths[scenario]["spend"][0]))
        return dsg.dsg_table(self.years, self.inputs.allocation, spend, self.inputs.savings,
                             self.inputs.other_income, self.inputs.opening_balance)


def _variance_share(draws: Draws, shares: pd.DataFrame, inputs: FinanceInputs, scenario: Scenario) -> float:
    """Share of the final cumulative shortfall's variance that the plan forecast accounts for (of
    the variance from plans alone plus that from costs alone)."""
    var = {s: float(np.var(run_scenario(draws.only(s), shares, inputs, scenario)["cumulative"][:, -1]))
           for s in ("plans", "costs")}
    total = var["plans"] + var["costs"]
    return var["plans"] / total if total > 0 else 1.0


def project(forecasts: pd.DataFrame, start: tuple[int, float], inputs: FinanceInputs) -> Projection:
    """The projection of the forecast (`sendlib.forecast.OUTPUT_COLUMNS` rows, starting at census
    `start` = (year, count)) and of every scenario in `inputs`."""
    draws = draw(forecasts, start, inputs)
    shares = plans.placement_shares(forecasts, int(start[0]))
    unknown = sorted({p for g in inputs.cost_groups.values() for p in g.placements} - set(shares.index))
    if unknown:
        raise ConfigError(f"cost groups name placement group {unknown[0]!r}, which the forecast does not have "
                          f"(it has {', '.join(shares.index)})", file="config/finance.yml")
    scenarios = {BASE: Scenario(), **inputs.scenarios}
    paths = {name: run_scenario(draws, shares, inputs, sc) for name, sc in scenarios.items()}
    split = {name: _variance_share(draws, shares, inputs, sc) for name, sc in scenarios.items()}
    return Projection(inputs, list(draws.totals.columns)[:-1], paths, split)
