"""Counting every cell of the equality tables before disclosure control."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from sendlib.disclosure import Relation, TableSet
from sendlib.equality.categories import categories, characteristics
from sendlib.equality.inputs import read_frames
from sendlib.equality.relations import relations_for
from sendlib.equality.topics import (
    CENSUS_COHORT,
    COHORTS,
    KNOWN,
    PUPILS,
    SEP,
    SPECIAL,
    TOPICS,
    TOTAL,
    UNKNOWN,
    Topic,
    cell,
)


@dataclass
class CountedTables:
    """True (unsuppressed) counts: the tidy rows, every cell's value and the relations."""

    rows: pd.DataFrame  # cohort, topic, breakdown: the published rows in publication order
    values: dict
    relations: list[Relation]
    protected: set
    grouping: str

    def table_set(self) -> TableSet:
        return TableSet(self.values, self.relations, frozenset(self.protected))


def one_way(series: pd.Series, known: list[str]) -> list[tuple[str, int]]:
    """(breakdown, count) of a one-way table: known categories (and any others seen, sorted),
    then Unknown, Total known and Total."""
    counts = series.value_counts()
    extra = sorted(c for c in counts.index if c not in known and c != UNKNOWN)
    out = [(c, int(counts.get(c, 0))) for c in known + extra]
    unknown = int(counts.get(UNKNOWN, 0))
    n_known = sum(v for _, v in out)
    return out + [(UNKNOWN, unknown), (KNOWN, n_known), (TOTAL, n_known + unknown)]


def cross(rows: pd.Series, cols: pd.Series, row_cats: list[str], col_cats: list[str]) -> list[tuple[str, int]]:
    """(``row | col``, count) of a cross-tabulation, each row with its known total and total."""
    counts = pd.crosstab(rows, cols)
    out = []
    for r in row_cats + [TOTAL]:
        known_sum = 0
        for c in col_cats:
            if r == TOTAL:
                v = int(counts[c].sum()) if c in counts.columns else 0
            else:
                v = int(counts.at[r, c]) if (r in counts.index and c in counts.columns) else 0
            out.append((f"{r}{SEP}{c}", v))
            known_sum += v if c != UNKNOWN else 0
        unknown = dict(out[-len(col_cats):])[f"{r}{SEP}{UNKNOWN}"]
        out += [(f"{r}{SEP}{KNOWN}", known_sum), (f"{r}{SEP}{TOTAL}", known_sum + unknown)]
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
            key = cell(cohort, measure, topic, b)
            if key in self.values and self.values[key] != v:
                raise AssertionError(f"{key}: two counts {self.values[key]} and {v}")
            self.values[key] = v


def count_tables(source, ethnicity_grouping: str = "dfe") -> CountedTables:
    """Count every table before disclosure control.

    `source` is a processed folder (``ehcp_caseload.parquet``, ``sen_support.parquet``,
    ``pupils.parquet`` as written by ``sendlib clean``) or a dict of those three data frames.
    Returns a :class:`CountedTables` whose `rows` list the tidy rows in publication order.
    """
    frames = read_frames(source)
    pupils = characteristics(frames["pupils"], ethnicity_grouping, placement=False)
    provision = frames["pupils"]["sen_provision"].astype(str)
    cells = _Cells()
    for cohort, (frame_name, code) in COHORTS.items():
        chars = characteristics(frames[frame_name], ethnicity_grouping)
        in_census = pupils[provision == code]
        one_way_cats = {}
        for t in TOPICS:
            if not t.is_cross:
                one_way_cats[t.id] = _count_one_way(cells, cohort, t, chars, pupils, in_census, ethnicity_grouping)
        for t in TOPICS:
            if t.is_cross:
                pairs = cross(chars[t.rows], chars[t.cols], one_way_cats[t.rows], one_way_cats[t.cols])
                cells.add(cohort, "count", t.id, pairs)
                cells.rows += [(cohort, t.id, b) for b, _ in pairs]
    relations, protected = relations_for(cells.layout, ethnicity_grouping)
    table = pd.DataFrame(cells.rows, columns=["cohort", "topic", "breakdown"])
    counted = CountedTables(table, cells.values, relations, protected, ethnicity_grouping)
    counted.table_set().check()  # the relations must hold on the counts
    return counted


def _count_one_way(cells: _Cells, cohort: str, t: Topic, chars: pd.DataFrame, pupils: pd.DataFrame,
                   in_census: pd.DataFrame, grouping: str) -> list[str]:
    """Count one one-way table of a cohort (and, for disproportionality, the census pupils of the
    same groups); returns its categories with Unknown, as the cross-tabulations use them."""
    pairs = one_way(chars[t.id], categories(t.id, grouping))
    cells.add(cohort, "count", t.id, pairs)
    if t.disproportionality:
        cats = [b for b, _ in pairs if b not in SPECIAL]
        pop = one_way(pupils[t.id], cats)
        pop_cats = [b for b, _ in pop if b not in SPECIAL]
        if pop_cats != cats:  # a category only the census has: add it to the cohort table
            pairs = one_way(chars[t.id], pop_cats)
            cells.add(cohort, "count", t.id, pairs)
        cells.add(PUPILS, "population", t.id, pop)
        if cohort != CENSUS_COHORT:  # SEN support *is* the census cohort: same cells
            cells.add(cohort, "cohort_pupils", t.id, one_way(in_census[t.id], pop_cats))
    cells.rows += [(cohort, t.id, b) for b, _ in pairs]
    return [b for b, _ in pairs if b not in (KNOWN, TOTAL)]
