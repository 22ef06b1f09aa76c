"""What the High Needs budget report (notebook 6) shows: key points first, the DSG table in the
familiar layout, the cumulative shortfall of every scenario with its band, the intervals, and how
much of the uncertainty comes from the plan forecast."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sendlib.finance.inputs import FinanceInputs, NoFinanceInputs, load_inputs
from sendlib.finance.projection import BASE, MEASURES, Projection, project

CONFIG_ENV = "SENDLIB_FINANCE_CONFIG"  # a finance config kept outside the project
CUMULATIVE = MEASURES["cumulative"]


def config_path(default: str | Path = "config/finance.yml") -> Path:
    """The finance config: $SENDLIB_FINANCE_CONFIG when set, else `default`."""
    return Path(os.environ.get(CONFIG_ENV) or default)


def money(value: float) -> str:
    """GBP m as written in budgets: '12.345' (never '-0.000')."""
    return f"{round(float(value), 3) + 0.0:,.3f}"


@dataclass(frozen=True)
class BudgetReport:
    """The projection of one LA's High Needs Block from its plan forecast."""

    la_name: str
    start: tuple[int, float]  # (census year, plans) the forecast starts from
    projection: Projection
    sources: tuple = ()  # the files read (for provenance)

    @property
    def inputs(self) -> FinanceInputs:
        return self.projection.inputs

    def _cumulative(self) -> pd.DataFrame:
        s = self.projection.summary()
        return s[s["measure"] == CUMULATIVE]

    def final(self, scenario: str = BASE) -> pd.Series:
        """The cumulative shortfall row of `scenario` in the last financial year."""
        c = self._cumulative()
        return c[c["scenario"] == scenario].iloc[-1]

    def key_points(self) -> list[str]:
        """Plain-language findings: where the deficit ends, when it passes the threshold, the gap in
        each year, what each scenario saves and how much of the uncertainty is the forecast's."""
        last = self.final()
        out = [f"With no further action, the cumulative DSG shortfall reaches **£{last['central']:,.1f}m by "
               f"March {int(last['financial_year'][:4]) + 1}** (80% interval £{last['lower80']:,.1f}m to "
               f"£{last['upper80']:,.1f}m), from £{self.inputs.opening_balance:,.1f}m carried in.",
               self._threshold_point(), self._gap_point()]
        out += [self._scenario_point(name) for name in self.projection.scenarios if name != BASE]
        share = self.projection.plans_share[BASE]
        out.append(f"{share * 100:.0f}% of the uncertainty in the final shortfall comes from the plan forecast "
                   f"(from {self.start[1]:,.0f} plans in January {self.start[0]}); the rest from unit-cost uplifts.")
        return out

    def _threshold_point(self) -> str:
        c = self._cumulative()
        base = c[c["scenario"] == BASE]
        limit = self.inputs.deficit_threshold
        over = base[base["central"] > limit]
        if over.empty:
            return f"The shortfall stays below the £{limit:,.1f}m threshold set in the finance config."
        return (f"**The shortfall passes the £{limit:,.1f}m threshold in {over['financial_year'].iloc[0]}**"
                " (set in the finance config).")

    def _gap_point(self) -> str:
        s = self.projection.summary()
        gap = s[(s["scenario"] == BASE) & (s["measure"] == MEASURES["in_year"])]
        years = "; ".join(f"{r.financial_year} £{r.central:,.1f}m" for r in gap.itertuples())
        return f"In-year shortfall after savings: {years}."

    def _scenario_point(self, name: str) -> str:
        saved = self.final()["central"] - self.final(name)["central"]
        verb = "saves" if saved >= 0 else "costs"
        return (f"*{name}*: {verb} £{abs(saved):,.1f}m by {self.final()['financial_year']} "
                f"(cumulative shortfall £{self.final(name)['central']:,.1f}m).")

    def headline(self) -> tuple[str, str]:
        """(value, label) for the cycle's index card: the cumulative shortfall at the horizon."""
        last = self.final()
        return (f"£{last['central']:,.1f}m",
                f"cumulative DSG deficit by March {int(last['financial_year'][:4]) + 1}, no further action "
                f"(80% interval £{last['lower80']:,.1f}m to £{last['upper80']:,.1f}m)")

    def dsg_table(self, scenario: str = BASE) -> pd.DataFrame:
        """The familiar DSG table of `scenario`, GBP m to three decimals, as text."""
        table = self.projection.dsg_table(scenario)
        return table.map(money).reset_index()

    def intervals_table(self) -> pd.DataFrame:
        """Every scenario's spend, in-year and cumulative shortfall with 80% and 95% intervals."""
        s = self.projection.summary()
        return pd.DataFrame({
            "scenario": s["scenario"], "financial year": s["financial_year"], "measure": s["measure"],
            "central £m": s["central"].map(money),
            "80% interval £m": [f"{money(a)} to {money(b)}" for a, b in zip(s["lower80"], s["upper80"])],
            "95% interval £m": [f"{money(a)} to {money(b)}" for a, b in zip(s["lower95"], s["upper95"])]})

    def uncertainty_table(self) -> pd.DataFrame:
        """Share of the final cumulative shortfall's uncertainty from the plan forecast, by scenario."""
        rows = [{"scenario": name, "from the plan forecast %": round(share * 100, 1),
                 "from unit-cost uplifts %": round((1 - share) * 100, 1)}
                for name, share in self.projection.plans_share.items()]
        return pd.DataFrame(rows)

    def plot(self):
        """One panel per scenario: its cumulative DSG shortfall, 80% and 95% bands, the forecast
        with no further action for reference, and the threshold."""
        import textwrap

        import matplotlib.pyplot as plt

        c = self._cumulative()
        names = self.projection.scenarios
        rows = (len(names) + 1) // 2
        fig, axes = plt.subplots(rows, 2, figsize=(9, 3.2 * rows), sharex=True, sharey=True, squeeze=False)
        base = c[c["scenario"] == BASE]
        for ax, name in zip(axes.flat, names):
            g = c[c["scenario"] == name]
            x = list(g["financial_year"])
            ax.fill_between(x, g["lower95"], g["upper95"], color="tab:blue", alpha=0.15, lw=0, label="95% interval")
            ax.fill_between(x, g["lower80"], g["upper80"], color="tab:blue", alpha=0.3, lw=0, label="80% interval")
            ax.plot(x, g["central"], "o-", color="tab:blue", ms=3, label="central")
            if name != BASE:
                ax.plot(x, base["central"], "--", color="0.4", lw=1, label="no further action")
            ax.axhline(self.inputs.deficit_threshold, color="tab:red", ls=":", lw=1, label="threshold")
            ax.set_title("\n".join(textwrap.wrap(name, 45)), fontsize=9)
            ax.tick_params(axis="x", labelsize=8)
        for ax in axes.flat[len(names):]:
            ax.set_visible(False)
        for ax in axes[:, 0]:
            ax.set_ylabel("£m (deficit)")
        axes.flat[0].legend(frameon=False, fontsize=7, loc="upper left")
        fig.suptitle(f"{self.la_name}: cumulative DSG shortfall by scenario", fontweight="bold")
        fig.tight_layout()
        return fig


@dataclass(frozen=True)
class NotConfigured:
    """Report 6 for a cycle without finance inputs: says what to add, shows nothing else."""

    reason: str
    sources: tuple = ()

    def key_points(self) -> list[str]:
        return [f"**No High Needs budget projection for this cycle**: {self.reason}. Add the cycle's "
                "allocations, unit costs and savings to the finance config (see the demo's "
                "config/finance.yml and the README) and run the cycle again."]

    def headline(self) -> None:
        return None

    def dsg_table(self) -> pd.DataFrame:
        return pd.DataFrame({"note": ["no finance inputs"]})

    intervals_table = uncertainty_table = dsg_table

    def plot(self) -> None:
        return None


def report_budget(cycle_id: str, la_code: str, horizon: int = 5, processed_dir=None, data=None,
                  config: str | Path | None = None) -> BudgetReport | NotConfigured:
    """The budget report of a cycle: its finance inputs, the LA's plan forecast (from its own
    latest count when later than the DfE's) and the projection of every scenario; a
    :class:`NotConfigured` report when the finance config holds nothing for the cycle."""
    from sendlib.forecast import local
    from sendlib.sources import dfe
    from sendlib.sources.published import load_dfe

    path = Path(config or config_path())
    try:
        inputs = load_inputs(cycle_id, path)
    except NoFinanceInputs as exc:
        return NotConfigured(str(exc))
    data = data or load_dfe()
    area = dfe.resolve_area(data.table, la_code)
    own = local.local_counts(processed_dir) if processed_dir else pd.Series(dtype="int64")
    forecasts, _ = local.forecast_from_local(data.table, area, own, years_ahead=horizon)
    history = dfe.total_series(data.table, levels=None).loc[area].dropna()
    start = ((int(own.index.max()), float(own.iloc[-1])) if len(own) and own.index.max() > history.index.max()
             else (int(history.index[-1]), float(history.iloc[-1])))
    name = str(dfe.areas(data.table).set_index("area_code").at[area, "la_name"])
    return BudgetReport(name, start, project(forecasts, start, inputs), (str(path), *map(str, data.paths)))
