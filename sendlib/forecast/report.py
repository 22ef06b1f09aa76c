"""What the forecast report (notebook 4) shows for one LA: the published series and the chosen
method's forecast with intervals, the reconciled breakdowns, the backtest record of this LA, and
the person-level (Markov cohort) projection compared with the aggregate methods."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

METHOD_LABELS = {"pooled_requests_damped90": "Pooled growth model with requests (chosen)",
                 "pooled_growth_damped90": "Pooled growth model without requests",
                 "last_value": "Baseline: no growth", "own_growth_3y": "Baseline: LA's own 3-year growth",
                 "markov_cohort": "Person-level Markov cohort model", "arima": "ARIMA on the LA's own series"}


@dataclass
class ForecastReport:
    """The forecast of one LA with its history and backtest; methods return tables and charts."""

    area_code: str
    la_name: str
    history: pd.Series  # total caseload by census year
    forecasts: pd.DataFrame  # forecast_la output: total and breakdowns
    errors: pd.DataFrame  # backtest errors of this LA (chosen method and baselines)
    checks: pd.DataFrame = field(default_factory=pd.DataFrame)  # DfE checks findings about this LA
    dfe_paths: list = field(default_factory=list)  # the DfE files read (for provenance)

    @property
    def total(self) -> pd.DataFrame:
        return self.forecasts[self.forecasts["breakdown_topic"] == "total"].sort_values("year")

    @property
    def method(self) -> str:
        return str(self.total["method"].iloc[0])

    def key_points(self) -> list[str]:
        """Plain-language findings: next year's forecast and the end of the horizon, with intervals."""
        fc, h = self.total, self.history.dropna()
        first, last = fc.iloc[0], fc.iloc[-1]
        chosen = self.errors[self.errors["method"] == self.method]
        one_year = chosen[chosen["horizon"] == 1]["ape"].mean() if not chosen.empty else float("nan")
        out = [f"The latest published figure is **{h.iloc[-1]:,.0f} EHCPs** (January {int(h.index[-1])}).",
               f"Forecast for January {int(first['year'])}: **{first['point']:,.0f}** "
               f"(80% interval {first['lower80']:,.0f} to {first['upper80']:,.0f}).",
               f"Forecast for January {int(last['year'])}: **{last['point']:,.0f}** "
               f"(80% interval {last['lower80']:,.0f} to {last['upper80']:,.0f}); the range widens the further ahead."]
        if one_year == one_year:
            out.append(f"Forecasting one year ahead from past years, this method was out by {one_year:.1f}% "
                       f"on average for {self.la_name}.")
        return out

    def plot(self):
        """History, point forecast and 80% / 95% interval bands."""
        import matplotlib.pyplot as plt

        fc, h = self.total, self.history.dropna()
        fig, ax = plt.subplots()
        x = [h.index[-1], *fc["year"]]
        last = h.iloc[-1]
        ax.fill_between(x, [last, *fc["lower95"]], [last, *fc["upper95"]], alpha=0.15, lw=0,
                        color="tab:blue", label="95% interval")
        ax.fill_between(x, [last, *fc["lower80"]], [last, *fc["upper80"]], alpha=0.3, lw=0,
                        color="tab:blue", label="80% interval")
        ax.plot(h.index, h.to_numpy(), "o-", color="black", ms=3, label="published (DfE)")
        ax.plot(x, [last, *fc["point"]], "o--", color="tab:blue", ms=3, label="forecast")
        ax.set(title=f"{self.la_name}: EHCPs at the January census", xlabel="census year",
               ylabel="EHC plans")
        ax.legend(frameon=False, loc="upper left")
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        return ax

    def table(self) -> pd.DataFrame:
        """The total forecast by year, rounded to whole plans."""
        fc = self.total
        return pd.DataFrame({
            "January census": fc["year"].astype(int).to_numpy(),
            "forecast": fc["point"].round().astype(int).to_numpy(),
            "80% interval": [f"{lo:,.0f} to {hi:,.0f}" for lo, hi in zip(fc["lower80"], fc["upper80"])],
            "95% interval": [f"{lo:,.0f} to {hi:,.0f}" for lo, hi in zip(fc["lower95"], fc["upper95"])],
            "growth on last published %": ((fc["point"] / self.history.dropna().iloc[-1] - 1) * 100).round(1).to_numpy(),
        })

    def breakdown_table(self) -> pd.DataFrame:
        """Point forecasts by age band and placement group (rows) and year (columns)."""
        parts = self.forecasts[self.forecasts["breakdown_topic"] != "total"]
        wide = parts.pivot_table(index=["breakdown_topic", "breakdown"], columns="year", values="point",
                                 sort=False).round().astype("Int64")
        wide.columns = [str(c) for c in wide.columns]
        wide = wide.reset_index().rename(columns={"breakdown_topic": "by", "breakdown": "group"})
        wide["by"] = wide["by"].map({"age": "age band", "placement": "placement group"}).fillna(wide["by"])
        return wide

    def accuracy_table(self) -> pd.DataFrame:
        """This LA's out-of-sample errors per method and horizon (years ahead)."""
        e = self.errors
        if e.empty:
            return pd.DataFrame({"note": ["no backtest: the series is too short"]})
        g = e.groupby(["method", "horizon"])
        out = pd.DataFrame({"forecasts tested": g.size(), "mean abs. error %": g["ape"].mean().round(1),
                            "bias %": g["pe"].mean().round(1),
                            "inside 80% interval %": (g["covered80"].mean() * 100).round(0)}).reset_index()
        out["method"] = out["method"].map(METHOD_LABELS).fillna(out["method"])
        out.loc[~out["method"].str.contains("chosen"), "inside 80% interval %"] = None
        return out.rename(columns={"horizon": "years ahead"})


def report_forecast(la_code: str, horizon: int = 5, data=None) -> ForecastReport:
    """Forecast and backtest one LA from the checked DfE series (default
    :func:`sendlib.sources.published.load_dfe`: the bundled releases and the fetch-dfe cache)."""
    from sendlib.forecast import forecast_la
    from sendlib.forecast.backtest import run_backtest
    from sendlib.forecast.models import DEFAULT_METHOD
    from sendlib.sources import dfe
    from sendlib.sources.published import load_dfe

    data = data or load_dfe()
    table = data.table
    area = dfe.resolve_area(table, la_code)
    info = dfe.areas(table).set_index("area_code").loc[area]
    history = dfe.total_series(table, levels=None).loc[area]
    forecasts = forecast_la(table, area, horizon=horizon)
    errors, _ = run_backtest(table, [DEFAULT_METHOD, "last_value", "own_growth_3y"], areas=[area])
    return ForecastReport(area, str(info.get("la_name") or area), history, forecasts, errors,
                          data.checks_for(area), list(data.paths))


def person_level_comparison(processed_dir, holdout: int = 2, n_sims: int = 500):
    """Markov cohort projection from the yearly caseloads in `processed_dir` against aggregate
    methods, holding out the last `holdout` census years. Draws a chart and returns the table."""
    import matplotlib.pyplot as plt

    from sendlib.forecast.markov import caseload_from_tables, compare_with_aggregate

    tables = {int(d.name): pd.read_parquet(d / "ehcp_caseload.parquet")
              for d in sorted(Path(processed_dir).iterdir())
              if d.is_dir() and d.name.isdigit() and (d / "ehcp_caseload.parquet").exists()}
    caseload = caseload_from_tables(tables)
    comparison = compare_with_aggregate(caseload, holdout=holdout, n_sims=n_sims)
    actual = caseload.groupby("census_year")["person_id"].nunique()
    fig, ax = plt.subplots()
    ax.plot(actual.index, actual.to_numpy(), "o-", color="black", label="actual")
    for method, g in comparison.groupby("method", sort=False):
        ax.plot(g["year"], g["point"], "o--", ms=4, label=METHOD_LABELS.get(method, method))
    markov = comparison[comparison["method"] == "markov_cohort"]
    ax.fill_between(markov["year"], markov["lower80"], markov["upper80"], alpha=0.2, label="Markov 80% interval")
    ax.set(title=f"Person-level projection against aggregate methods (last {holdout} years held out)",
           xlabel="census year", ylabel="EHC plans")
    ax.set_xticks(list(actual.index))
    ax.legend(frameon=False, fontsize=8)
    table = comparison.assign(method=comparison["method"].map(METHOD_LABELS).fillna(comparison["method"]))
    table = table[["method", "year", "point", "actual", "pe"]].rename(columns={"pe": "error %"})
    table["point"] = table["point"].round().astype(int)
    table["actual"] = table["actual"].astype(int)
    table["error %"] = table["error %"].round(1)
    return table
