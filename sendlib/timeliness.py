"""Statutory timeliness from the person-level SEN2 tables: requests, assessments, EHCPs issued
within 20 weeks (with and without exceptions), annual reviews within 12 months, and tribunal
appeals, each census year, against the targets of the SEND plan (domain primer section 4)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from sendlib import normalise

# Kingston's plan: 20-week baseline 61% (2018) with targets rising from 75% to 90%; annual
# reviews baseline 11% with a target of 100%.
TARGETS = {"Issued within 20 weeks": 90.0, "Issued within 20 weeks (excluding exceptions)": 90.0,
           "Annual reviews within 12 months": 100.0}
MINIMUM_COUNT = 5  # percentages from fewer cases than this are not shown (disclosure control)


def _share(flags: pd.Series) -> tuple[float | None, int]:
    flags = flags.dropna().astype(bool)
    n = len(flags)
    hits = int(flags.sum())
    small = 0 < hits < MINIMUM_COUNT or 0 < n - hits < MINIMUM_COUNT
    return (None if n == 0 or small else round(100 * hits / n, 1)), n


def year_kpis(year_dir: Path) -> dict:
    """The timeliness indicators of one processed census year."""
    read = lambda name: pd.read_parquet(year_dir / f"{name}.parquet")  # noqa: E731
    requests, assessments, reviews = read("requests"), read("assessments"), read("annual_reviews")
    new_plans, ceased = read("new_plans"), read("ceased_plans")
    issued = assessments[assessments["issued_in_period"].fillna(False)]
    in_period = requests[requests["in_period"].fillna(False)]
    within, n_issued = _share(issued["within_20_weeks"])
    within_ex, n_ex = _share(issued["within_20_weeks_excluding_exceptions"])
    due = reviews[reviews["review_due"].fillna(False)]
    on_time, n_due = _share(due["reviewed_within_12_months"])
    # appeals: against a decision not to assess (on the request) or about the assessment or plan
    # (on the assessment), for requests received in the year
    asm_of_period = assessments[assessments["request_id"].isin(in_period["request_id"])]
    tribunal = int(normalise.indicator(in_period["tribunal"]).sum()
                   + normalise.indicator(asm_of_period["tribunal"]).sum())
    return {
        "Requests for assessment": len(in_period),
        "Assessments completed": int(assessments["outcome_in_period"].fillna(False).sum()),
        "New EHCPs issued": len(new_plans),
        "EHCPs ceased": len(ceased),
        "Tribunal appeals": int(tribunal),
        "Issued within 20 weeks": within,
        "Issued within 20 weeks (excluding exceptions)": within_ex,
        "Annual reviews within 12 months": on_time,
        "Plans issued (20-week denominator)": n_issued,
        "Annual reviews due": n_due,
    }


def load_kpis(processed_dir) -> pd.DataFrame:
    """One row per census year with every indicator (percentages may be missing when too few cases)."""
    rows = []
    for d in sorted(Path(processed_dir).iterdir()):
        if d.is_dir() and d.name.isdigit() and (d / "assessments.parquet").exists():
            rows.append({"census year": int(d.name), **year_kpis(d)})
    return pd.DataFrame(rows).set_index("census year")


def _suppress(n):
    return "c" if n is not None and 0 < n < MINIMUM_COUNT else n


def key_points(kpis: pd.DataFrame, year: int) -> list[str]:
    """Plain-language findings on timeliness in the year before census `year`."""
    if year not in kpis.index:
        return []
    first = int(kpis.index.min())
    out = []
    for name, target in TARGETS.items():
        now, then = kpis.loc[year, name], kpis.loc[first, name]
        if pd.isna(now):
            continue
        gap = now - target
        status = "meets the target" if gap >= 0 else f"{-gap:.0f} points below the {target:.0f}% target"
        trend = f", from {then:.0f}% in {first}" if pd.notna(then) and year > first else ""
        out.append(f"**{name}: {now:.0f}%**{trend}; {status}.")
    appeals = kpis.loc[year, "Tribunal appeals"]
    if appeals >= MINIMUM_COUNT:
        out.append(f"{int(appeals)} tribunal appeals were lodged (Kingston 2018: 22).")
    return out


def kpi_table(kpis: pd.DataFrame, year: int) -> pd.DataFrame:
    """Percentage indicators of `year` against target, and the change on the year before."""
    rows = []
    for name, target in TARGETS.items():
        now = kpis.loc[year, name] if year in kpis.index else None
        before = kpis.loc[year - 1, name] if year - 1 in kpis.index else None
        rows.append({"indicator": name, "value": now, "target": target,
                     "gap to target (points)": None if pd.isna(now) else round(now - target, 1),
                     f"{year - 1}": before})
    return pd.DataFrame(rows)


def activity_table(kpis: pd.DataFrame) -> pd.DataFrame:
    """Counts by census year (counts of 1-4 shown as 'c')."""
    cols = ["Requests for assessment", "Assessments completed", "New EHCPs issued", "EHCPs ceased",
            "Tribunal appeals"]
    out = kpis[cols].T
    out = out.apply(lambda col: col.map(_suppress)).astype(object)
    out.columns = [str(c) for c in out.columns]
    return out.reset_index(names="activity in the year before the census")


def plot_kpi_trend(kpis: pd.DataFrame):
    """Line chart of the three percentage indicators against their targets."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    for name in TARGETS:
        s = kpis[name].astype(float)
        ax.plot(s.index, s.values, marker="o", label=name)
    ax.axhline(90, color="grey", ls="--", lw=1)
    ax.text(kpis.index.min(), 91, "20-week target 90%", color="grey", fontsize=9)
    ax.set(ylim=(0, 105), xlabel="census year", ylabel="%", title="Timeliness against target")
    ax.set_xticks(list(kpis.index))
    ax.legend(frameon=False, loc="lower right")
    return ax
