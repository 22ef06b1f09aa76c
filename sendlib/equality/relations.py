"""The additive relations a reader knows between the cells of the equality tables.

The same function serves the builder (true counts) and the auditor (published values), so both
see the same structure, read from the tables' labels alone (:mod:`sendlib.equality.groups`):

- each table adds up to its known total and its total; a cross-tabulation along rows and columns;
- every table of the same people shows the same grand total;
- two tables that break the same people down by the same characteristic (age bands and school
  years; major and detailed ethnic groups; a one-way table and a cross-tabulation's margin; the
  pupils of the census as shown beside each cohort) agree on every set of people that both can
  express: for each connected set of overlapping rows, the rows of one table add up to the rows of
  the other.
"""
from __future__ import annotations

from sendlib.disclosure import Relation
from sendlib.equality.groups import atoms, family, is_known
from sendlib.equality.topics import KNOWN, SEP, TOPIC, TOTAL, table_cell, universe

Partition = list[tuple[tuple, frozenset]]  # (cell, the atoms it counts) covering all of a table's people


def relations_for(layout: dict[tuple, list[str]], grouping: str = "dfe") -> tuple[list[Relation], set]:
    """The additive relations between the cells of a table layout, and the protected (total) cells.

    `layout` maps (cohort, measure, topic) to the ordered breakdowns of that table: for a one-way
    table its groups, then Unknown and Total known where the unknowns are shown apart, then Total;
    for a cross-tabulation every ``row | col`` label. Pupils' tables (measure ``population``) are
    laid out once beside each cohort; they count the same pupils.
    """
    rels: list[Relation] = []
    protected: set = set()
    tables: dict[tuple, list[tuple]] = {}
    for table in layout:
        tables.setdefault(universe(*table[:2]), []).append(table)
    for ids in tables.values():
        totals: list = []
        partitions: dict[str, list[Partition]] = {}
        for cohort, measure, topic in ids:
            def k(b, cohort=cohort, measure=measure, topic=topic):
                return table_cell(cohort, measure, topic, b)
            breakdowns = layout[(cohort, measure, topic)]
            if TOPIC[topic].is_cross:
                rels += _cross(k, topic, breakdowns, partitions, grouping)
            else:
                rels += _one_way(k, topic, breakdowns, grouping)
                groups = [b for b in breakdowns if b not in (KNOWN, TOTAL)]
                _add(partitions, family(topic), [(k(b), atoms(topic, b, grouping)) for b in groups])
            totals.append(k(f"{TOTAL}{SEP}{TOTAL}" if TOPIC[topic].is_cross else TOTAL))
        protected.update(totals)
        first = totals[0]
        rels += [Relation(first, (t,)) for t in dict.fromkeys(totals[1:]) if t != first]
        for parts in partitions.values():
            rels += _agreements(parts)
    return _distinct(rels), protected


def _add(partitions: dict[str, list[Partition]], name: str, partition: Partition) -> None:
    known = partitions.setdefault(name, [])
    if [c for c, _ in partition] not in [[c for c, _ in p] for p in known]:
        known.append(partition)


def _one_way(k, topic: str, breakdowns: list[str], grouping: str) -> list[Relation]:
    """A one-way table adds up to its known total (where shown) and its total."""
    groups = [b for b in breakdowns if b not in (KNOWN, TOTAL)]
    if KNOWN not in breakdowns:
        return [Relation(k(TOTAL), tuple(k(b) for b in groups))]
    known = [b for b in groups if is_known(topic, b, grouping)]
    unknown = [b for b in groups if b not in known]
    return [Relation(k(KNOWN), tuple(k(b) for b in known)),
            Relation(k(TOTAL), (k(KNOWN), *(k(b) for b in unknown)))]


def _cross(k, topic: str, breakdowns: list[str], partitions: dict[str, list[Partition]],
           grouping: str) -> list[Relation]:
    """A cross-tabulation adds up along rows and columns; its margins break the same people down
    as the one-way tables of its rows and of its columns."""
    t = TOPIC[topic]
    pairs = [b.split(SEP) for b in breakdowns]
    rows = list(dict.fromkeys(r for r, _ in pairs))
    cols = list(dict.fromkeys(c for _, c in pairs))
    inner_rows = [r for r in rows if r != TOTAL]
    col_groups = [c for c in cols if c not in (KNOWN, TOTAL)]

    def x(r, c):
        return k(f"{r}{SEP}{c}")
    rels = [rel for r in rows for rel in _one_way(lambda c, r=r: x(r, c), t.cols, cols, grouping)]
    rels += [Relation(x(TOTAL, c), tuple(x(r, c) for r in inner_rows)) for c in cols]
    _add(partitions, family(t.rows), [(x(r, TOTAL), atoms(t.rows, r, grouping)) for r in inner_rows])
    _add(partitions, family(t.cols), [(x(TOTAL, c), atoms(t.cols, c, grouping)) for c in col_groups])
    return rels


def _agreements(partitions: list[Partition]) -> list[Relation]:
    """Relations between every two tables breaking the same people down by one characteristic:
    for each connected set of overlapping rows, the rows of one add up to the rows of the other.

    Only what every table can hold counts: ages beyond the oldest school year shown, for example,
    are in no table of school years, so no one has them."""
    common = frozenset.intersection(*(frozenset().union(*(a for _, a in p)) for p in partitions))
    parts = [[(cell, a & common) for cell, a in p] for p in partitions]
    rels = []
    for i, left in enumerate(parts):
        for right in parts[i + 1:]:
            for lhs, rhs in _components(left, right):
                if lhs != rhs and lhs:
                    rels.append(Relation(lhs[0], tuple(rhs), tuple(lhs[1:])))
    return rels


def _components(left: Partition, right: Partition) -> list[tuple[list, list]]:
    """Connected sets of overlapping rows of two tables: (cells of the left, cells of the right)."""
    parent = list(range(len(left) + len(right)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, (_, a) in enumerate(left):
        for j, (_, b) in enumerate(right):
            if a & b:
                parent[find(len(left) + j)] = find(i)
    comps: dict[int, tuple[list, list]] = {}
    for i, (cell, a) in enumerate(left):
        if a:
            comps.setdefault(find(i), ([], []))[0].append(cell)
    for j, (cell, b) in enumerate(right):
        if b:
            comps.setdefault(find(len(left) + j), ([], []))[1].append(cell)
    return list(comps.values())


def _distinct(rels: list[Relation]) -> list[Relation]:
    """The relations without repeats (the same equation written twice, or either way round) and
    without those that say nothing (0 = 0)."""
    seen = set()
    out = []
    for r in rels:
        coef = r.coefficients()
        if not coef:
            continue
        key = min(tuple(sorted(coef)), tuple(sorted((k, -c) for k, c in coef)))
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out
