"""What the forecast report (notebook 4) shows for one LA: the published series and the chosen
method's forecast with intervals, the reconciled breakdowns, the backtest record of this LA, and
the person-level (Markov cohort) projection compared with the aggregate methods."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sendlib import disclosure

METHOD_LABELS = {"pooled_requests": "Pooled growth model with requests",
                 "pooled_requests_damped90": "Pooled growth model with requests, damped",
                 "pooled_growth": "Pooled growth model (no requests)",
                 "pooled_growth_damped90": "Pooled growth model, damped",
                 "national_growth": "Baseline: England's latest growth",
                 "last_value": "Baseline: no growth", "own_growth_3y": "Baseline: LA's own 3-year growth",
                 "markov_cohort": "Person-level Markov cohort model", "arima": "ARIMA on the LA's own series",
                 "ets_damped": "ETS on the LA's own series"}
COMPARED_IN_REPORT = ("national_growth", "pooled_growth", "own_growth_3y")


def label(method: str) -> str:
    """A method's name for readers (the default marked as chosen)."""
    from sendlib.forecast.models import DEFAULT_METHOD

    base = method.replace(" from local count", "")
    text = METHOD_LABELS.get(base, base) + (" (chosen)" if base == DEFAULT_METHOD else "")
    return text + (", from the LA's own count" if method.endswith("from local count") else "")


@dataclass
class ForecastReport:
    """The forecast of one LA with its history, checks, guard and out-of-time record."""

    area_code: str
    la_name: str
    history: pd.Series  # DfE total caseload by census year (checked)
    forecasts: pd.DataFrame  # total and breakdowns (sendlib.forecast.OUTPUT_COLUMNS)
    local: pd.Series = field(default_factory=lambda: pd.Series(dtype="int64"))  # the LA's own counts
    consistency: pd.DataFrame = field(default_factory=pd.DataFrame)  # local against DfE, by year
    flags: pd.DataFrame = field(default_factory=pd.DataFrame)  # the guard's flags for this LA
    checks: pd.DataFrame = field(default_factory=pd.DataFrame)  # DfE checks findings about this LA
    errors: pd.DataFrame = field(default_factory=pd.DataFrame)  # backtest errors, every LA, compared methods
    dfe_paths: list = field(default_factory=list)  # the DfE files read (for provenance)

    @property
    def total(self) -> pd.DataFrame:
        return self.forecasts[self.forecasts["breakdown_topic"] == "total"].sort_values("year")

    @property
    def method(self) -> str:
        return str(self.total["method"].iloc[0])

    @property
    def start(self) -> tuple[int, float, str]:
        """(year, count, source) the forecast starts from."""
        local = self.local.dropna()
        if len(local) and int(local.index.max()) > int(self.history.dropna().index.max()):
            return int(local.index.max()), float(local.iloc[-1]), "the LA's own cleaned SEN2 data"
        h = self.history.dropna()
        return int(h.index[-1]), float(h.iloc[-1]), "the DfE's published figures"

    def key_points(self) -> list[str]:
        """Plain-language findings: where the forecast starts, next year and the end of the horizon,
        consistency with the DfE, guard flags, checks and the out-of-time record."""
        fc, (year, count, source) = self.total, self.start
        first, last = fc.iloc[0], fc.iloc[-1]
        h = self.history.dropna()
        out = [f"The forecast starts from **{count:,.0f} EHCPs in January {year}** ({source}); the DfE's latest "
               f"published figure is {h.iloc[-1]:,.0f} (January {int(h.index[-1])}).",
               f"Forecast for January {int(first['year'])}: **{first['point']:,.0f}** "
               f"(80% interval {first['lower80']:,.0f} to {first['upper80']:,.0f}).",
               f"Forecast for January {int(last['year'])}: **{last['point']:,.0f}** "
               f"(80% interval {last['lower80']:,.0f} to {last['upper80']:,.0f}); the range widens the further ahead.",
               self._consistency_point(), self._guard_point(),
               f"{len(self.checks)} finding(s) of the checks of the DfE figures concern {self.la_name}"
               + (": see the table below." if len(self.checks) else ".")]
        accuracy = self.accuracy_point()
        return out + ([accuracy] if accuracy else [])

    def _consistency_point(self) -> str:
        c = self.consistency
        if c is None or c.empty:
            return "No year is held both in the LA's own data and in the DfE series, so they cannot be compared."
        bad = c[~c["agrees"]]
        if bad.empty:
            years = f"{int(c['year'].min())}-{int(c['year'].max())}"
            return (f"The LA's own counts agree with the DfE figures for {years} "
                    f"(largest difference {c['difference_pct'].abs().max():.1f}%).")
        return (f"**Warning**: the LA's own counts differ from the DfE figures by more than 5% in "
                f"{len(bad)} year(s) (up to {bad['difference_pct'].abs().max():.0f}%): "
                "check the LA code and the extract.")

    def _guard_point(self) -> str:
        if self.flags is None or self.flags.empty:
            return ("The plausibility guard raised no flag: the forecast lies within what this LA's and "
                    "England's history support.")
        found = "; ".join(f"{r.flag} ({r.detail}), {r.action}" for r in self.flags.itertuples())
        return f"**Plausibility guard**: {found}."

    def accuracy_point(self) -> str:
        """The default method's out-of-time record across LAs, in a sentence."""
        table = self.out_of_time_summary()
        if table.empty:
            return ""
        row = table[table["method"] == table["method"].iloc[0]].set_index("horizon")
        two = f" and {row.at[2, 'mape']:.1f}% two years ahead" if 2 in row.index else ""
        return (f"Tested on years the choice of method never saw (origins {self._scored_text()}), it was out by "
                f"{row.at[1, 'mape']:.1f}% on average one year ahead{two} across all LAs; its 80% intervals held "
                f"{row.at[1, 'coverage80']:.0f}% of outcomes one year ahead.")

    def _fold(self):
        """The forward chain's latest fold that scores a full SCORED_ORIGINS origins (chosen on
        forecasts known by 2019 and scored on 2020-2022, for data to January 2023)."""
        from sendlib.forecast.backtest import SCORED_ORIGINS, forward_chain

        if self.errors is None or self.errors.empty:
            return None
        folds = forward_chain(self.errors, candidates=[self.method.replace(" from local count", "")])
        full = [f for f in folds if len(f.scored_origins) == SCORED_ORIGINS]
        return (full or folds)[-1] if folds else None

    def _scored_text(self) -> str:
        fold = self._fold()
        if fold is None:
            return ""
        return f"{min(fold.scored_origins)}-{max(fold.scored_origins)}, chosen up to {fold.cutoff}"

    def out_of_time_summary(self) -> pd.DataFrame:
        """Scores on the latest fold's out-of-time origins, the default method first."""
        fold = self._fold()
        if fold is None:
            return pd.DataFrame()
        s = fold.summary
        order = {m: i for i, m in enumerate([fold.chosen, *COMPARED_IN_REPORT])}
        s = s[s["method"].isin(order)].assign(_o=lambda d: d["method"].map(order))
        return s.sort_values(["_o", "horizon"]).drop(columns="_o").reset_index(drop=True)

    def accuracy_table(self) -> pd.DataFrame:
        """Out-of-time accuracy: every LA and this LA, per method and years ahead."""
        s = self.out_of_time_summary()
        if s.empty:
            return pd.DataFrame({"note": ["no out-of-time record: the series is too short"]})
        fold = self._fold()
        e = self.errors
        mine = e[(e["area_code"] == self.area_code) & e["origin"].isin(fold.scored_origins)]
        own = mine.groupby(["method", "horizon"])["ape"].mean()
        return pd.DataFrame({
            "method": s["method"].map(label), "years ahead": s["horizon"].astype(int),
            "forecasts tested": s["n"].astype(int), "mean abs. error % (all LAs)": s["mape"].round(1),
            "inside 80% interval %": s["coverage80"].round(0), "inside 95% interval %": s["coverage95"].round(0),
            f"mean abs. error % ({self.la_name})": [round(own.get((m, h), float("nan")), 1)
                                                    for m, h in zip(s["method"], s["horizon"])]})

    def coverage_by_origin_table(self) -> pd.DataFrame:
        """The default method's out-of-time coverage origin by origin (intervals must hold at the
        most recent origins, not only on average)."""
        fold = self._fold()
        if fold is None:
            return pd.DataFrame({"note": ["no out-of-time record"]})
        b = fold.by_origin[fold.by_origin["method"] == fold.chosen]
        return pd.DataFrame({"forecast made in January": b["origin"].astype(int).astype(str),
                             "years ahead": b["horizon"].astype(int),
                             "LAs": b["n"].astype(int), "mean abs. error %": b["mape"].round(1),
                             "inside 80% interval %": b["coverage80"].round(0),
                             "inside 95% interval %": b["coverage95"].round(0)})

    def coverage_band_point(self) -> str:
        """What one year's coverage can be expected to be, from how much the spread of errors changed
        from year to year before the fold's cutoff (:func:`sendlib.forecast.intervals.coverage_band`)."""
        fold = self._fold()
        if fold is None or not fold.bands:
            return ""
        (low80, high80), (low95, high95) = fold.bands["coverage80"], fold.bands["coverage95"]
        return (f"One year's coverage is not exactly its level: how widely LAs' forecasts were out changed by "
                f"about {100 * (np.exp(fold.spread_change) - 1):.0f}% from one year to the next (known by "
                f"{fold.cutoff}), with no sign beforehand of which way. So in nine years out of ten, one year's 80% "
                f"intervals can be expected to hold between {low80:.0f}% and {high80:.0f}% of outcomes, and its 95% "
                f"intervals between {low95:.0f}% and {high95:.0f}%; each year's figure is in the table above.")

    def consistency_table(self) -> pd.DataFrame:
        """The LA's own counts against the DfE figures, year by year."""
        c = self.consistency
        if c is None or c.empty:
            return pd.DataFrame({"note": ["no year in both the LA's own data and the DfE series"]})
        return pd.DataFrame({"January census": c["year"].astype(int).astype(str),
                             "LA's own count": c["local"].round().astype(int),
                             "DfE figure": c["dfe"].round().astype(int), "difference %": c["difference_pct"].round(1),
                             "within 5%": c["agrees"].map({True: "yes", False: "NO"})})

    def flags_table(self) -> pd.DataFrame:
        """The plausibility guard's flags for this LA."""
        if self.flags is None or self.flags.empty:
            return pd.DataFrame({"note": ["no flag: the forecast lies within what the history supports"]})
        return self.flags[["flag", "detail", "action"]].reset_index(drop=True)

    def plot(self):
        """DfE history, the LA's own counts, point forecast and 80% / 95% interval bands."""
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator

        fc, h = self.total, self.history.dropna()
        year, count, _ = self.start
        fig, ax = plt.subplots()
        x = [year, *fc["year"]]
        for level, alpha in (("95", 0.15), ("80", 0.3)):
            ax.fill_between(x, [count, *fc[f"lower{level}"]], [count, *fc[f"upper{level}"]], alpha=alpha, lw=0,
                            color="tab:blue", label=f"{level}% interval")
        ax.plot(h.index, h.to_numpy(), "o-", color="black", ms=3, label="published (DfE, checked)")
        if len(self.local.dropna()):
            ax.plot(self.local.index, self.local.to_numpy(), "s:", color="tab:orange", ms=3, label="LA's own count")
        ax.plot(x, [count, *fc["point"]], "o--", color="tab:blue", ms=3, label="forecast")
        ax.set(title=f"{self.la_name}: EHCPs at the January census", xlabel="census year", ylabel="EHC plans")
        ax.legend(frameon=False, loc="upper left")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        return ax

    def table(self) -> pd.DataFrame:
        """The total forecast by year, rounded to whole plans."""
        fc, (_, count, _) = self.total, self.start
        return pd.DataFrame({
            "January census": fc["year"].astype(int).to_numpy(),
            "forecast": fc["point"].round().astype(int).to_numpy(),
            "80% interval": [f"{lo:,.0f} to {hi:,.0f}" for lo, hi in zip(fc["lower80"], fc["upper80"])],
            "95% interval": [f"{lo:,.0f} to {hi:,.0f}" for lo, hi in zip(fc["lower95"], fc["upper95"])],
            "growth on the starting count %": ((fc["point"] / count - 1) * 100).round(1).to_numpy(),
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


def report_forecast(la_code: str, horizon: int = 5, processed_dir=None, data=None,
                    threshold: int = disclosure.THRESHOLD) -> ForecastReport:
    """Forecast one LA from the checked DfE series (default :func:`sendlib.sources.published.load_dfe`),
    starting from its own latest count in `processed_dir` when that is later than the DfE's; with
    the guard's flags, the checks findings and the out-of-time record of the default method. The
    LA's own counts are shown through the disclosure engine with `threshold`."""
    from sendlib.forecast import local as local_counts
    from sendlib.forecast.backtest import run_backtest
    from sendlib.forecast.models import DEFAULT_METHOD
    from sendlib.sources import dfe
    from sendlib.sources.published import load_dfe

    data = data or load_dfe()
    table = data.table
    area = dfe.resolve_area(table, la_code)
    info = dfe.areas(table).set_index("area_code").loc[area]
    history = dfe.total_series(table, levels=None).loc[area]
    own = local_counts.local_counts(processed_dir) if processed_dir else pd.Series(dtype="int64")
    forecasts, result = local_counts.forecast_from_local(table, area, own, years_ahead=horizon)
    methods = [DEFAULT_METHOD, *[m for m in COMPARED_IN_REPORT if m != DEFAULT_METHOD]]
    errors, _ = run_backtest(table, methods, horizon=2)
    shown = local_counts.published(own, threshold)
    return ForecastReport(area, str(info.get("la_name") or area), history, forecasts, shown,
                          local_counts.consistency(shown, history), result.flags[result.flags["area_code"] == area],
                          data.checks_for(area), errors, list(data.paths))


def person_level_comparison(processed_dir, holdout: int = 2, n_sims: int = 500):
    """Markov cohort projection from the yearly caseloads in `processed_dir` against aggregate
    methods, holding out the last `holdout` census years. Draws a chart and returns the table."""
    import matplotlib.pyplot as plt

    from sendlib import cohorts
    from sendlib.forecast.markov import caseload_from_tables, compare_with_aggregate

    tables = {year: cohorts.load(d, ["ehcp_caseload"])["ehcp_caseload"]
              for year, d in cohorts.census_years(processed_dir, containing="ehcp_caseload.parquet").items()}
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
