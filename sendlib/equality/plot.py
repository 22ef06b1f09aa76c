"""The forest plot of published risk ratios."""
from __future__ import annotations

import pandas as pd

from sendlib.equality.risk import FLAGS
from sendlib.equality.topics import COHORTS, TOPIC

RATIO = ["risk_ratio", "risk_ratio_lower", "risk_ratio_upper"]
TICKS = [0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 4, 8]


def _published_ratios(tables: pd.DataFrame, label: str) -> pd.DataFrame:
    sub = tables[(tables["breakdown_topic"] == label)].copy()
    for col in RATIO:
        sub[col] = pd.to_numeric(sub[col], errors="coerce")
    return sub.dropna(subset=RATIO)


def _forest(ax, c: pd.DataFrame, groups: list[str], cohort: str) -> None:
    """One cohort's ratios with their intervals on a log scale, flagged groups in red."""
    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator

    y = list(range(len(groups)))
    flagged = c["disproportionality"].isin(FLAGS).to_numpy()
    ax.errorbar(c["risk_ratio"], y, xerr=[c["risk_ratio"] - c["risk_ratio_lower"],
                                          c["risk_ratio_upper"] - c["risk_ratio"]],
                fmt="none", ecolor="0.5", capsize=3)
    ax.scatter(c["risk_ratio"], y, c=["tab:red" if f else "tab:blue" for f in flagged], zorder=3)
    ax.axvline(1, color="black", lw=1)
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator(TICKS))
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:g}")
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_yticks(y, groups)
    ax.set(title=f"{cohort}")


def plot_risk_ratios(tables: pd.DataFrame, topic: str = "ethnicity_major"):
    """Forest plot of the published risk ratios (with 95% intervals) of one topic, both cohorts:
    groups right of 1 are more likely than other pupils to be in the cohort. Suppressed or
    too-small groups are left out, as in the tables."""
    import textwrap

    import matplotlib.pyplot as plt

    label = TOPIC[topic].label
    sub = _published_ratios(tables, label)
    cohorts = [c for c in COHORTS if c in set(sub["cohort"])]
    fig, axes = plt.subplots(1, max(len(cohorts), 1), figsize=(9, 0.35 * sub["breakdown"].nunique() + 1.6),
                             sharey=True, squeeze=False)
    groups = list(dict.fromkeys(sub["breakdown"]))
    for ax, cohort in zip(axes[0], cohorts):
        _forest(ax, sub[sub["cohort"] == cohort].set_index("breakdown").reindex(groups),
                [textwrap.fill(g, 36) for g in groups], cohort)
    axes[0][0].invert_yaxis()
    fig.suptitle(f"{label}: likelihood of being in the cohort (red: flagged)", fontsize=11)
    fig.supxlabel("risk ratio against all other pupils (log scale)", fontsize=10)
    fig.tight_layout()
    return axes
