"""Counting every cell of the equality tables before disclosure control, in the groups of each
cohort's table design (:mod:`sendlib.equality.design`)."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from sendlib.disclosure import Relation, TableSet
from sendlib.equality.categories import categories, characteristics
from sendlib.equality.design import PARENT, Design, combine, combine_cross
from sendlib.equality.groups import Group
from sendlib.equality.inputs import read_frames
from sendlib.equality.relations import relations_for
from sendlib.equality.topics import (
    CENSUS_COHORT,
    COHORTS,
    KNOWN,
    SEP,
    TOPICS,
    TOTAL,
    UNKNOWN,
    Topic,
    table_cell,
)

LARGE = 100  # a hidden count above this, or above LARGE_SHARE of its table, costs a great deal
LARGE_SHARE = 0.10


@dataclass
class CountedTables:
    """True (unsuppressed) counts: the tidy rows, every cell's value, the relations and each
    cohort's table design."""

    rows: pd.DataFrame  # cohort, topic, breakdown: the published rows in publication order
    values: dict
    relations: list[Relation]
    protected: set
    grouping: str
    designs: dict[str, Design] = field(default_factory=dict)
    layout: dict = field(default_factory=dict)

    def table_set(self, cost: bool = True) -> TableSet:
        """The table set to suppress; with `cost`, counts above :data:`LARGE` or above
        :data:`LARGE_SHARE` of their table's total are expensive to hide."""
        return TableSet(self.values, self.relations, frozenset(self.protected),
                        self.expensive() if cost else frozenset())

    def expensive(self) -> frozenset:
        """Cells whose count is above :data:`LARGE`, or above :data:`LARGE_SHARE` of their table."""
        out = set()
        for (cohort, measure, topic), breakdowns in self.layout.items():
            keys = [table_cell(cohort, measure, topic, b) for b in breakdowns]
            total = max(self.values[k] for k in keys)
            out |= {k for k in keys if self.values[k] > min(LARGE, LARGE_SHARE * total)}
        return frozenset(out)


def one_way(series: pd.Series, groups: list[Group]) -> list[tuple[str, int]]:
    """(breakdown, count) of a one-way table: its groups, then (where the unknowns are shown
    apart) Unknown and Total known, then Total. `series` holds each person's category."""
    counts = _grouped(series, groups).value_counts()
    out = [(g.label, int(counts.get(g.label, 0))) for g in groups]
    total = sum(v for _, v in out)
    if any(g.label == UNKNOWN for g in groups):
        known = sum(v for (b, v), g in zip(out, groups) if g.known)
        out = [p for p in out if p[0] != UNKNOWN] + [(UNKNOWN, dict(out)[UNKNOWN]), (KNOWN, known)]
    return out + [(TOTAL, total)]


def cross(rows: pd.Series, cols: pd.Series, row_groups: list[Group], col_groups: list[Group]) -> list[tuple[str, int]]:
    """(``row | col``, count) of a cross-tabulation: each row (and a Total row) laid out as a
    one-way table of the columns."""
    r = _grouped(rows, row_groups)
    out = []
    for label in [g.label for g in row_groups] + [TOTAL]:
        inside = cols if label == TOTAL else cols[r == label]
        out += [(f"{label}{SEP}{b}", n) for b, n in one_way(inside, col_groups)]
    return out


def _grouped(series: pd.Series, groups: list[Group]) -> pd.Series:
    """Each person's group label."""
    label = {m: g.label for g in groups for m in g.members}
    out = series.map(label)
    if out.isna().any():
        raise AssertionError(f"categories in no group: {sorted(set(series[out.isna()]))[:5]}")
    return out


@dataclass
class _Cells:
    """Cells as they are counted: values (in the order that breaks ties in suppression), the
    layout of each table, and the published rows."""

    values: dict = field(default_factory=dict)
    layout: dict = field(default_factory=dict)
    rows: list = field(default_factory=list)

    def add(self, cohort: str, measure: str, topic: str, pairs: list[tuple[str, int]]) -> None:
        self.layout[(cohort, measure, topic)] = [b for b, _ in pairs]
        for b, v in pairs:
            key = table_cell(cohort, measure, topic, b)
            if key in self.values and self.values[key] != v:
                raise AssertionError(f"{key}: two counts {self.values[key]} and {v}")
            self.values[key] = v


def count_tables(source, ethnicity_grouping: str = "dfe", threshold: int | None = None) -> CountedTables:
    """Count every table before disclosure control.

    `source` is a processed folder (``ehcp_caseload.parquet``, ``sen_support.parquet``,
    ``pupils.parquet`` as written by ``sendlib clean``) or a dict of those three data frames.
    With a `threshold`, each cohort's tables are redesigned first (small groups combined, see
    :mod:`sendlib.equality.design`); without, every category is its own row (the analyst's view).
    Returns a :class:`CountedTables` whose `rows` list the tidy rows in publication order.
    """
    frames = read_frames(source)
    pupils = characteristics(frames["pupils"], ethnicity_grouping, placement=False)
    provision = frames["pupils"]["sen_provision"].astype(str)
    cells = _Cells()
    designs = {}
    for cohort, (frame_name, code) in COHORTS.items():
        shown = {"count": characteristics(frames[frame_name], ethnicity_grouping)}
        if any(t.disproportionality for t in TOPICS):
            shown["population"] = pupils
            if cohort != CENSUS_COHORT:  # SEN support *is* the census cohort: same cells
                shown["cohort_pupils"] = pupils[provision == code]
        design = designs[cohort] = _design(shown, threshold, ethnicity_grouping)
        for t in TOPICS:
            if t.is_cross:
                rows, cols = design.cross[t.id]
                chars = shown["count"]
                pairs = cross(chars[t.rows], chars[t.cols], rows, cols)
                cells.add(cohort, "count", t.id, pairs)
            else:
                pairs = _count_one_way(cells, cohort, t, shown, design.axes[t.id])
            cells.rows += [(cohort, t.id, b) for b, _ in pairs]
    relations, protected = relations_for(cells.layout, ethnicity_grouping)
    table = pd.DataFrame(cells.rows, columns=["cohort", "topic", "breakdown"])
    counted = CountedTables(table, cells.values, relations, protected, ethnicity_grouping, designs, cells.layout)
    counted.table_set().check()  # the relations must hold on the counts
    return counted


def _count_one_way(cells: _Cells, cohort: str, t: Topic, shown: dict[str, pd.DataFrame],
                   groups: list[Group]) -> list[tuple[str, int]]:
    """Count one one-way table of a cohort and, for disproportionality, the census pupils of the
    same groups (all pupils, and the cohort's); returns the cohort's rows."""
    measures = [m for m in shown if t.disproportionality or m == "count"]
    for measure in measures:
        cells.add(cohort, measure, t.id, one_way(shown[measure][t.id], groups))
    return one_way(shown["count"][t.id], groups)


def _design(shown: dict[str, pd.DataFrame], threshold: int | None, grouping: str) -> Design:
    """The groups of every table of one cohort, coarser tables first (their groups bound the
    finer ones)."""
    design = Design()
    for t in sorted((t for t in TOPICS if not t.is_cross), key=lambda t: t.id in PARENT):
        measures = [m for m in shown if t.disproportionality or m == "count"]
        every = [shown[m][t.id].value_counts().to_dict() for m in measures]
        seen = {c for m in every for c in m}
        # the pupils' counts shape the groups only in a table of at least ten times the threshold:
        # a handful of pupils are suppressed in their own table rather than coarsening the cohort's
        # (in so small a table any complementary cell is over a tenth of it anyway)
        counts = [every[0]] + [m for m in every[1:] if threshold and sum(m.values()) >= 10 * threshold]
        known = categories(t.id, grouping)
        cats = known + sorted(c for c in seen if c not in known and c != UNKNOWN) + [UNKNOWN]
        parent = design.axes.get(PARENT.get(t.id, ""))
        design.axes[t.id] = combine(t.id, cats, counts, threshold, grouping, parent)
        design.categories[t.id] = cats
    for t in TOPICS:
        if t.is_cross:
            chars = shown["count"]
            cells = chars.groupby([t.rows, t.cols]).size().to_dict()
            design.cross[t.id] = combine_cross(t.id, design.axes[t.rows], design.axes[t.cols], cells, threshold,
                                               grouping, (design.categories[t.rows], design.categories[t.cols]))
    return design
