"""Auditing the published equality tables from what they show alone: the interval a reader can
infer for every suppressed count (see :func:`sendlib.disclosure.audit`)."""
from __future__ import annotations

import math

import pandas as pd

from sendlib import disclosure
from sendlib.disclosure import Relation
from sendlib.equality.categories import GROUPINGS, categories
from sendlib.equality.groups import members
from sendlib.equality.relations import relations_for
from sendlib.equality.topics import CENSUS_COHORT, PUPILS, SPECIAL, TOPIC, TOPIC_BY_LABEL, UNKNOWN, table_cell
from sendlib.errors import SendlibInputError

MEASURES = {"count": "count", "population": "pupils in the census", "cohort_pupils": "cohort in the census"}


def _grouping(tables: pd.DataFrame) -> str:
    """The ethnicity grouping the tables were published with: the first whose major groups hold
    every major group shown (a local grouping shows groups of its own, such as Chinese)."""
    majors = set(tables.loc[tables["breakdown_topic"] == TOPIC["ethnicity_major"].label, "breakdown"])
    for grouping in ("dfe", *(g for g in GROUPINGS if g != "dfe")):
        names = set(categories("ethnicity_major", grouping)) | {UNKNOWN}
        if all(set(members("ethnicity_major", b, grouping)) <= names for b in majors - set(SPECIAL)):
            return grouping
    raise SendlibInputError("the ethnic groups of the published tables match no known grouping",
                            hint=f"major groups shown: {', '.join(sorted(majors))[:200]}")


def published_cells(tables: pd.DataFrame, ethnicity_grouping: str | None = None) -> tuple[dict, list[Relation]]:
    """Rebuild, from the published tidy table alone, every published count (None where ``c``) and
    the relations a reader knows. Returns (published, relations) for :func:`disclosure.audit`."""
    published: dict = {}
    layout: dict = {}

    def put(cohort, measure, topic, b, text):
        key = table_cell(cohort, measure, topic, b)
        value = None if text == disclosure.SUPPRESSED else int(text)
        if key in published and published[key] != value:
            raise SendlibInputError(f"the published tables show two values for {key}: "
                                    f"{published[key]} and {value}")
        published[key] = value
        breakdowns = layout.setdefault((cohort, measure, topic), [])
        if b not in breakdowns:
            breakdowns.append(b)

    for rec in tables.itertuples(index=False):
        topic = TOPIC_BY_LABEL[rec.breakdown_topic]
        put(rec.cohort, "count", topic.id, rec.breakdown, rec.count)
        if topic.disproportionality:
            put(rec.cohort, "population", topic.id, rec.breakdown, rec.population)
            if rec.cohort != CENSUS_COHORT:
                put(rec.cohort, "cohort_pupils", topic.id, rec.breakdown, rec.cohort_pupils)
    relations, _ = relations_for(layout, ethnicity_grouping or _grouping(tables))
    return published, relations


def audit_tables(tables: pd.DataFrame, threshold: int | None = None) -> disclosure.AuditReport:
    """Audit the published tidy table: the interval of every suppressed count (see
    :func:`sendlib.disclosure.audit`), rebuilt from the published values only."""
    threshold = threshold or tables.attrs.get("threshold", disclosure.THRESHOLD)
    published, relations = published_cells(tables)
    return disclosure.audit(published, relations, threshold, integer=True)


def _narrowest(hidden: pd.DataFrame) -> str:
    narrowest = hidden["possible_values"].min() if len(hidden) else None
    if narrowest is None:
        return "-"
    return "unbounded" if math.isinf(narrowest) else str(int(narrowest))


def audit_summary(tables: pd.DataFrame, threshold: int | None = None,
                  report: disclosure.AuditReport | None = None) -> pd.DataFrame:
    """One row per cohort and measure: cells published and suppressed, the narrowest interval a
    reader can infer for a suppressed cell, and whether the tables pass the audit (`report`, if
    given, is the result of :func:`audit_tables` on the same tables, to save solving again)."""
    threshold = threshold or tables.attrs.get("threshold", disclosure.THRESHOLD)
    published, relations = published_cells(tables)
    if report is None:
        report = disclosure.audit(published, relations, threshold, integer=True)
    rows = []
    groups = sorted({k[:2] for k in published}, key=lambda g: (g[0] == PUPILS, g[0], g[1]))
    for cohort, measure in groups:
        keys = [k for k in published if k[:2] == (cohort, measure)]
        hidden = report.cells.loc[report.cells["cell"].map(lambda c, g=(cohort, measure): c[:2] == g).astype(bool)]
        rows.append({"cohort": cohort, "counts": MEASURES[measure], "cells": len(keys),
                     "suppressed": len(hidden),
                     "fewest values a withheld count could take": _narrowest(hidden),
                     "result": "pass" if not hidden["exposed"].any() else "FAIL"})
    return pd.DataFrame(rows)
