"""Statutory timeliness from the person-level SEN2 tables: requests, assessments, EHCPs issued
within 20 weeks (with and without exceptions), annual reviews within 12 months, and tribunal
appeals, each census year, against the targets of the SEND plan (domain primer section 4).

Every figure shown goes through the disclosure engine (:mod:`sendlib.disclosure`) with the
cycle's threshold: the activity counts are cells, and each percentage is the share of `hits` in
`cases` (``cases = hits + misses``), shown only where both its hits and its misses are published.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sendlib import cohorts, disclosure, normalise
from sendlib.disclosure import Relation, TableSet
from sendlib.render import compared

# Default targets (the statutory expectation); a cycle's config gives its own plan's (targets_of).
TARGETS = {"Issued within 20 weeks": 90.0, "Issued within 20 weeks (excluding exceptions)": 90.0,
           "Annual reviews within 12 months": 100.0}
ACTIVITIES = ["Requests for assessment", "Assessments completed", "New EHCPs issued", "EHCPs ceased",
              "Tribunal appeals"]
SHARES = list(TARGETS)  # the percentage indicators
CASES = {"Issued within 20 weeks": "Plans issued (20-week denominator)",
         "Annual reviews within 12 months": "Annual reviews due"}  # denominators shown beside them
TABLES = ["requests", "assessments", "annual_reviews", "new_plans", "ceased_plans"]


@dataclass(frozen=True)
class Share:
    """`hits` of `cases`: the cases whose outcome is known."""

    hits: int
    cases: int

    @property
    def misses(self) -> int:
        return self.cases - self.hits

    @property
    def percent(self) -> float | None:
        return round(100 * self.hits / self.cases, 1) if self.cases else None


def share(flags: pd.Series) -> Share:
    """Share of true flags among the known ones (missing flags are left out)."""
    known = flags.dropna().astype(bool)
    return Share(int(known.sum()), len(known))


def twenty_weeks(issued: pd.DataFrame) -> tuple[Share, Share]:
    """The 20-week KPI of the plans `issued` (assessments with their plan issued): those issued
    within 20 weeks of the request, of all plans and of the plans without an exception. A plan
    whose request date is unknown has no known timeliness and is left out of both."""
    return share(issued["within_20_weeks"]), share(issued["within_20_weeks_excluding_exceptions"])


def year_counts(tables: dict) -> dict:
    """The true counts of one census year's tables (`cohorts.load`): activity counts, and each
    percentage indicator as a :class:`Share`. Never shown as they are: see :func:`publish`."""
    requests, assessments, reviews = tables["requests"], tables["assessments"], tables["annual_reviews"]
    issued = assessments[assessments["issued_in_period"].fillna(False)]
    in_period = requests[requests["in_period"].fillna(False)]
    within, within_ex = twenty_weeks(issued)
    due = reviews[reviews["review_due"].fillna(False)]
    # appeals: against a decision not to assess (on the request) or about the assessment or plan
    # (on the assessment), for requests received in the year
    asm_of_period = assessments[assessments["request_id"].isin(in_period["request_id"])]
    tribunal = int(normalise.indicator(in_period["tribunal"]).sum()
                   + normalise.indicator(asm_of_period["tribunal"]).sum())
    activity = [len(in_period), int(assessments["outcome_in_period"].fillna(False).sum()),
                len(tables["new_plans"]), len(tables["ceased_plans"]), tribunal]
    shares = [within, within_ex, share(due["reviewed_within_12_months"])]
    return {**dict(zip(ACTIVITIES, activity)), **dict(zip(SHARES, shares))}


def load_counts(processed_dir) -> pd.DataFrame:
    """True counts (:func:`year_counts`) of every census year with SEN2 assessments, by year."""
    years = cohorts.load_years(processed_dir, TABLES)
    rows = [{"census year": year, **year_counts(tables)} for year, tables in years.items()
            if "assessments" in tables]
    return pd.DataFrame(rows).set_index("census year")


def table_set(counts: pd.DataFrame) -> TableSet:
    """The cells that the timeliness figures publish: each activity count of each year, and the
    hits, misses and cases (protected: hidden only as a last resort) of each percentage."""
    values: dict = {}
    relations: list[Relation] = []
    protected = set()
    for year, row in counts.iterrows():
        values.update({(year, name): int(row[name]) for name in ACTIVITIES})
        for name in SHARES:
            s = row[name]
            values.update({(year, name, "cases"): s.cases, (year, name, "hits"): s.hits,
                           (year, name, "misses"): s.misses})
            relations.append(Relation((year, name, "cases"), ((year, name, "hits"), (year, name, "misses"))))
            protected.add((year, name, "cases"))
    return TableSet(values, relations, frozenset(protected))


def _shown(value):
    return disclosure.SUPPRESSED if value is None else value


def _percent(published: dict, year, name) -> float | None:
    hits, misses, cases = (published[(year, name, part)] for part in ("hits", "misses", "cases"))
    if hits is None or misses is None or not cases:
        return None
    return Share(hits, cases).percent


def publish(counts: pd.DataFrame, threshold: int = disclosure.THRESHOLD) -> pd.DataFrame:
    """The indicators that may be shown, one row per census year: activity counts (``c`` where
    suppressed), percentages (missing where withheld) and the denominators of two of them."""
    published = disclosure.protect(table_set(counts), threshold)
    rows = []
    for year in counts.index:
        row: dict = {"census year": year}
        row.update({name: _shown(published[(year, name)]) for name in ACTIVITIES})
        row.update({name: _percent(published, year, name) for name in SHARES})
        row.update({label: _shown(published[(year, name, "cases")]) for name, label in CASES.items()})
        rows.append(row)
    return pd.DataFrame(rows).set_index("census year")


def load_kpis(processed_dir, threshold: int = disclosure.THRESHOLD) -> pd.DataFrame:
    """One row per census year with every indicator as it may be shown (see :func:`publish`)."""
    return publish(load_counts(processed_dir), threshold)


def year_kpis(year_dir: Path, threshold: int = disclosure.THRESHOLD) -> dict:
    """The indicators of one processed census year as they may be shown (see :func:`publish`)."""
    counts = pd.DataFrame([year_counts(cohorts.load(year_dir, TABLES))])
    return publish(counts, threshold).iloc[0].to_dict()


def targets_of(config: dict | None) -> dict[str, float]:
    """Indicator -> target (%): the cycle's ``targets`` (keys such as ``issued_within_20_weeks``)
    over :data:`TARGETS`."""
    config = config or {}
    return {name: float(config.get(_key(name), target)) for name, target in TARGETS.items()}


def _key(name: str) -> str:
    return name.lower().replace("(", "").replace(")", "").replace(" ", "_")


def key_points(kpis: pd.DataFrame, year: int, targets: dict | None = None,
               comparisons: dict | None = None) -> list[str]:
    """Plain-language findings on timeliness in the year before census `year`, against the cycle's
    `targets` (:func:`targets_of`) and with its comparison figures (``tribunal_appeals``)."""
    if year not in kpis.index:
        return []
    first = int(kpis.index.min())
    out = []
    for name, target in targets_of(targets).items():
        now, then = kpis.loc[year, name], kpis.loc[first, name]
        if pd.isna(now):
            continue
        gap = now - target
        status = "meets the target" if gap >= 0 else f"{-gap:.0f} points below the {target:.0f}% target"
        trend = f", from {then:.0f}% in {first}" if pd.notna(then) and year > first else ""
        out.append(f"**{name}: {now:.0f}%**{trend}; {status}.")
    appeals = kpis.loc[year, "Tribunal appeals"]
    if appeals != disclosure.SUPPRESSED and appeals > 0:
        beside = compared((comparisons or {}).get("tribunal_appeals"))
        out.append(f"{int(appeals)} tribunal appeals were lodged{beside}.")
    return out


def kpi_table(kpis: pd.DataFrame, year: int, targets: dict | None = None) -> pd.DataFrame:
    """Percentage indicators of `year` against target, and their value in the census year before
    (column ``value in <year - 1>``)."""
    rows = []
    for name, target in targets_of(targets).items():
        now = kpis.loc[year, name] if year in kpis.index else None
        before = kpis.loc[year - 1, name] if year - 1 in kpis.index else None
        rows.append({"indicator": name, "value": now, "target": target,
                     "gap to target (points)": None if now is None or pd.isna(now) else round(float(now) - target, 1),
                     f"value in {year - 1}": before})
    return pd.DataFrame(rows)


def activity_table(kpis: pd.DataFrame) -> pd.DataFrame:
    """Counts by census year, as published (suppressed counts shown as 'c')."""
    out = kpis[ACTIVITIES].T.astype(object)
    out.columns = [str(c) for c in out.columns]
    return out.reset_index(names="activity in the year before the census")


def plot_kpi_trend(kpis: pd.DataFrame, targets: dict | None = None):
    """Line chart of the three percentage indicators against the 20-week target."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    for name in TARGETS:
        s = kpis[name].astype(float)
        ax.plot(s.index, s.values, marker="o", label=name)
    target = targets_of(targets)["Issued within 20 weeks"]
    ax.axhline(target, color="grey", ls="--", lw=1)
    ax.text(kpis.index.min(), target + 1, f"20-week target {target:.0f}%", color="grey", fontsize=9)
    ax.set(ylim=(0, 105), xlabel="census year", ylabel="%", title="Timeliness against target")
    ax.set_xticks(list(kpis.index))
    ax.legend(frameon=False, loc="lower right")
    return ax
