"""Every breakdown of a cohort that the reports show, under one disclosure policy.

The equality tables (report 3) are the census year's designed and protected table set: small
groups combined first, then small counts and their complements withheld, proved by the auditor
(:mod:`sendlib.equality`). The other reports speak about the same people: the data-quality
report's unknown shares, the profile's need and placement mix over the years, the forecast's local
counts. A figure shown in one report can undo another's suppression: "EHCP sex unknown 0.2%" of
1,962 says 3 or 4, and pins cells the equality tables withheld. So every such figure is read from
one place, the equality tables of its census year (:func:`year_tables`, built for every census
year the same way), and a share is shown only where its count and its total are both published
(:func:`share`). Nothing else about a cohort's breakdown is computed from the raw counts.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from sendlib import disclosure

EHCP = "EHCP"  # the equality tables' label of the EHCP caseload
TOTAL = "Total"
UNKNOWN = "Unknown"


def year_dirs(processed_dir) -> dict[int, Path]:
    """Census year -> folder of its processed tables (those with an EHCP caseload)."""
    root = Path(processed_dir)
    return {int(d.name): d for d in sorted(root.iterdir()) if d.is_dir() and d.name.isdigit()
            and (d / "ehcp_caseload.parquet").exists()} if root.is_dir() else {}


def year_tables(processed_dir, threshold: int = disclosure.THRESHOLD, ethnicity_grouping: str = "dfe",
                years=None, **options) -> dict[int, pd.DataFrame]:
    """The published equality tables of every census year in `processed_dir` (or of `years`), as
    :func:`sendlib.equality.build_tables` builds them for the census year's report (`options`
    go to it as well)."""
    from sendlib import equality

    dirs = year_dirs(processed_dir)
    return {y: equality.build_tables(d, threshold=threshold, ethnicity_grouping=ethnicity_grouping, **options)
            for y, d in dirs.items() if years is None or y in years}


def breakdown(tables: pd.DataFrame, topic: str, cohort: str = EHCP) -> pd.Series:
    """One published one-way table: group -> count as published (an int, or None where withheld),
    Total last. `topic` is the tables' label ("Sex", "Primary need", ...)."""
    rows = tables[(tables["cohort"] == cohort) & (tables["breakdown_topic"] == topic)]
    values = [None if v == disclosure.SUPPRESSED else int(v) for v in rows["count"]]
    return pd.Series(values, index=list(rows["breakdown"]), dtype=object, name=topic)


def share(tables: pd.DataFrame, topic: str, group: str, cohort: str = EHCP) -> float | None:
    """The percentage of the cohort in `group`, one decimal, where the group's count and the total
    are both published; None otherwise. A group the tables do not show at all (unknowns combined
    with another group, or none shown because there are none) gives None unless no row of the
    table can hold it."""
    table = breakdown(tables, topic, cohort)
    total = table.get(TOTAL)
    if not total:
        return None
    if group not in table.index:
        return 0.0 if group == UNKNOWN and not any(UNKNOWN.lower() in str(b).lower() for b in table.index) else None
    n = table[group]
    return None if n is None else round(100 * n / total, 1)


def mix(by_year: dict[int, pd.DataFrame], topic: str, cohort: str = EHCP) -> pd.DataFrame:
    """Shares (%) of each published group of `topic` in `cohort`, one row per census year, groups
    as the equality tables of that year show them; withheld groups together as "not shown" (they
    add up to the total less the groups shown, which a reader knows)."""
    shares = {}
    for year, tables in sorted(by_year.items()):
        table = breakdown(tables, topic, cohort)
        total = table.get(TOTAL)
        if not total:
            continue
        groups = table.drop([b for b in table.index if b in (TOTAL, "Total known")])
        shown = {b: 100 * n / total for b, n in groups.items() if n}
        hidden = total - sum(n for n in groups if n)
        if hidden and any(n is None for n in groups):
            shown[not_shown(tables.attrs.get("threshold", disclosure.THRESHOLD))] = 100 * hidden / total
        shares[year] = pd.Series(shown, dtype=float)
    df = pd.DataFrame(shares).T.fillna(0)
    if df.empty:
        return df
    order = [c for c in df.mean().sort_values(ascending=False).index if not str(c).startswith(NOT_SHOWN)]
    return df[order + [c for c in df.columns if str(c).startswith(NOT_SHOWN)]]


NOT_SHOWN = "not shown"


def not_shown(threshold: int = disclosure.THRESHOLD) -> str:
    """What a chart says in place of a withheld count."""
    return f"{NOT_SHOWN} (fewer than {threshold}, or to protect one)"
