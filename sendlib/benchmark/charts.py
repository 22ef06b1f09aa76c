"""Charts of report 7: rank charts (every LA as a dot, in rank order, with the LA, its comparators,
England and its region marked) and trend lines of the LA against its comparators' median and
England."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import pandas as pd

from sendlib.benchmark import ENGLAND, Benchmark
from sendlib.benchmark.indicators import INDICATORS

LA_COLOUR, COMPARATOR_COLOUR, ENGLAND_COLOUR, REGION_COLOUR, OTHER_COLOUR = (
    "#d55e00", "#0072b2", "#000000", "#009e73", "#bbbbbb")


def _grid(n: int, cols: int = 3, height: float = 2.6):
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, height * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:n])


def rank_chart(b: Benchmark, ranks: pd.DataFrame, names: list[str] | None = None):
    """One dot plot per indicator of the latest year: every LA's value in rank order (1 = highest),
    the LA and its comparators marked, England (solid) and the region (dashed) as lines."""
    names = [n for n in (names or list(ranks["indicator"])) if n in set(ranks["indicator"])]
    fig, axes = _grid(len(names))
    latest = ranks.set_index("indicator")
    for ax, name in zip(axes, names):
        year = int(latest.loc[name, "time_period"])
        rows = b.indicators[(b.indicators["indicator"] == name) & (b.indicators["time_period"] == year)]
        las = rows[rows["geographic_level"] == "Local authority"].sort_values(["value", "area_code"],
                                                                                ascending=[False, True])
        las = las.assign(rank=range(1, len(las) + 1))
        other = ~las["area_code"].isin([b.area, *b.comparators.codes])
        ax.scatter(las.loc[other, "rank"], las.loc[other, "value"], s=8, color=OTHER_COLOUR, label="other LAs")
        comp = las[las["area_code"].isin(b.comparators.codes)]
        ax.scatter(comp["rank"], comp["value"], s=18, color=COMPARATOR_COLOUR, label="comparators")
        own = las[las["area_code"] == b.area]
        ax.scatter(own["rank"], own["value"], s=60, color=LA_COLOUR, zorder=3, label=b.name(b.area))
        values = rows.set_index("area_code")["value"]
        for code, colour, style, label in ((ENGLAND, ENGLAND_COLOUR, "-", "England"),
                                           (b.region, REGION_COLOUR, "--", b.name(b.region))):
            if code in values.index:
                ax.axhline(values[code], color=colour, linestyle=style, linewidth=1, label=label)
        ind = INDICATORS[name]
        ax.set_title(f"{_short(ind.label)} ({year})", fontsize=9)
        ax.set_xlabel("rank among LAs (1 = highest)", fontsize=8)
        ax.set_ylabel(ind.unit or "count", fontsize=8)
        ax.tick_params(labelsize=7)
    if axes:
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=5, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


def trend_chart(b: Benchmark, names: list[str]):
    """One line chart per indicator: the LA, its comparators' median and England over the years."""
    own = b.indicators[b.indicators["area_code"] == b.area].groupby("indicator")["time_period"].nunique()
    names = [n for n in names if n in INDICATORS and own.get(n, 0) >= 2]  # a trend needs two years
    fig, axes = _grid(len(names))
    median = b.comparator_median()
    for ax, name in zip(axes, names):
        rows = b.indicators[b.indicators["indicator"] == name]
        for code, colour, label in ((b.area, LA_COLOUR, b.name(b.area)), (ENGLAND, ENGLAND_COLOUR, "England")):
            s = rows[rows["area_code"] == code].set_index("time_period")["value"].sort_index()
            ax.plot(s.index, s.to_numpy(), marker="o", markersize=3, color=colour, label=label)
        m = median[(median["indicator"] == name) & (median["n"] >= 3)].set_index("time_period")["median"]
        ax.plot(m.index, m.to_numpy(), color=COMPARATOR_COLOUR, linestyle="--", label="comparators' median")
        ind = INDICATORS[name]
        ax.set_title(_short(ind.label), fontsize=9)
        ax.set_ylabel(ind.unit or "count", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.xaxis.get_major_locator().set_params(integer=True)
    if axes:
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


def _short(label: str, width: int = 48) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"
