"""The additive relations a reader knows between the cells of the equality tables.

The same function serves the builder (true counts) and the auditor (published values), so both
see the same structure: each table adds up to its totals, every table of a cohort shows the same
grand total, age bands are sums of finer age categories, major ethnic groups are sums of detailed
ones, and a cross-tabulation's margins are the one-way tables.
"""
from __future__ import annotations

from collections.abc import Callable

from sendlib import ages
from sendlib.disclosure import Relation
from sendlib.equality.categories import age_set, ethnicity_lookup
from sendlib.equality.topics import KNOWN, SEP, SPECIAL, TOPIC, TOTAL, UNKNOWN, cell

Key = Callable[[str, str], tuple]  # (topic, breakdown) -> cell key of one cohort and measure
AGE_TOPICS = ("school_year", "age_dfe", "age_eqia")  # finest first


def relations_for(layout: dict[tuple, list[str]], grouping: str = "dfe") -> tuple[list[Relation], set]:
    """The additive relations between the cells of a table layout, and the protected (total) cells.

    `layout` maps (cohort, measure, topic) to the ordered breakdowns of that table: for a one-way
    table its known categories, then Unknown, Total known, Total; for a cross-tabulation every
    ``row | col`` label.
    """
    rels: list[Relation] = []
    protected: set = set()
    by_measure: dict[tuple, dict[str, list[str]]] = {}
    for (cohort, measure, topic), breakdowns in layout.items():
        by_measure.setdefault((cohort, measure), {})[topic] = breakdowns
    for (cohort, measure), topics in by_measure.items():
        def k(topic, b, cohort=cohort, measure=measure):
            return cell(cohort, measure, topic, b)
        rels += _one_way(k, topics, protected)
        rels += _age_nesting(k, topics)
        rels += _ethnicity_nesting(k, topics, grouping)
        for topic in topics:
            if TOPIC[topic].is_cross:
                rels += _cross(k, topic, topics, protected)
    return rels, protected


def _one_way(k: Key, topics: dict[str, list[str]], protected: set) -> list[Relation]:
    """Each one-way table adds up to its known total and total; all show the same total."""
    rels = []
    first = None
    for topic, breakdowns in topics.items():
        if TOPIC[topic].is_cross:
            continue
        known = [b for b in breakdowns if b not in SPECIAL]
        rels.append(Relation(k(topic, KNOWN), tuple(k(topic, b) for b in known)))
        rels.append(Relation(k(topic, TOTAL), (k(topic, KNOWN), k(topic, UNKNOWN))))
        protected.add(k(topic, TOTAL))
        if first is None:
            first = topic
        else:  # every table of a cohort shows the same grand total
            rels.append(Relation(k(first, TOTAL), (k(topic, TOTAL),)))
    return rels


def _age_nesting(k: Key, topics: dict[str, list[str]]) -> list[Relation]:
    """Age bands are sums of finer age categories (school years, or DfE bands within EqIA ones)."""
    rels = []
    present = [t for t in AGE_TOPICS if t in topics]
    for fine_i, fine in enumerate(present):
        for coarse in present[fine_i + 1:]:
            if fine_i > 0 and present[0] == "school_year":
                continue  # both bands already tied to school years
            rels.extend(_nesting(k, fine, topics[fine], coarse, topics[coarse]))
    return rels


def _nesting(k: Key, fine: str, fine_labels: list[str], coarse: str, coarse_labels: list[str]) -> list[Relation]:
    """Relations coarse band = sum of the fine categories whose ages lie within it.

    Ages run to 25 (EHCPs end at 25), or further where a finer category shows older ages; a band
    gets a relation only if the fine categories cover it exactly without straddling its edges.
    """
    rels = []
    fine_sets = {b: age_set(fine, b) for b in fine_labels if b not in SPECIAL}
    top = max([ages.MAX_AGE] + [max(s) for s in fine_sets.values() if s])
    for c in coarse_labels:
        if c in (KNOWN, TOTAL):
            continue
        if c == UNKNOWN:
            rels.append(Relation(k(coarse, UNKNOWN), (k(fine, UNKNOWN),)))
            continue
        cs = age_set(coarse, c)
        parts = [b for b, s in fine_sets.items() if s and s <= cs]
        covered = set().union(*(fine_sets[b] for b in parts))
        straddling = [b for b, s in fine_sets.items() if s and (s & cs) and not s <= cs]
        if not straddling and covered >= {a for a in cs if a <= top}:
            rels.append(Relation(k(coarse, c), tuple(k(fine, b) for b in parts)))
    return rels


def _ethnicity_nesting(k: Key, topics: dict[str, list[str]], grouping: str) -> list[Relation]:
    """Each major ethnic group is the sum of its detailed groups."""
    if "ethnicity_detailed" not in topics or "ethnicity_major" not in topics:
        return []
    _, eth_major, _, _ = ethnicity_lookup(grouping)
    detailed = [b for b in topics["ethnicity_detailed"] if b not in SPECIAL]
    rels = [Relation(k("ethnicity_major", g), tuple(k("ethnicity_detailed", d) for d in detailed
                                                     if eth_major.get(d) == g))
            for g in topics["ethnicity_major"] if g not in SPECIAL]
    rels.append(Relation(k("ethnicity_major", UNKNOWN), (k("ethnicity_detailed", UNKNOWN),)))
    return rels


def _cross(k: Key, topic: str, topics: dict[str, list[str]], protected: set) -> list[Relation]:
    """A cross-tabulation adds up along rows and columns; its margins are the one-way tables."""
    t = TOPIC[topic]
    pairs = [b.split(SEP) for b in topics[topic]]
    rows = list(dict.fromkeys(r for r, _ in pairs))
    cols = list(dict.fromkeys(c for _, c in pairs))
    known_cols = [c for c in cols if c not in SPECIAL]
    inner_rows = [r for r in rows if r != TOTAL]

    def x(r, c):
        return k(topic, f"{r}{SEP}{c}")
    rels = []
    for r in rows:
        rels.append(Relation(x(r, KNOWN), tuple(x(r, c) for c in known_cols)))
        rels.append(Relation(x(r, TOTAL), (x(r, KNOWN), x(r, UNKNOWN))))
    for c in cols:
        rels.append(Relation(x(TOTAL, c), tuple(x(r, c) for r in inner_rows)))
    protected.add(x(TOTAL, TOTAL))
    if t.rows in topics:
        rels += [Relation(k(t.rows, r), (x(r, TOTAL),)) for r in inner_rows]
    if t.cols in topics:
        rels += [Relation(k(t.cols, c), (x(TOTAL, c),)) for c in cols]
    return rels
