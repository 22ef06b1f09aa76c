"""Disclosure control: the auditor, primary and secondary suppression (sendlib.disclosure)."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from sendlib.disclosure import Relation, TableSet, audit, suppress

# ---- small table builders -------------------------------------------------------------------


def one_way(counts: list[int]) -> TableSet:
    """A one-way table: categories 0..n-1 and their total T (protected)."""
    values = {i: int(v) for i, v in enumerate(counts)}
    values["T"] = sum(values.values())
    return TableSet(values, [Relation("T", tuple(range(len(counts))))], frozenset({"T"}))


def two_way(a: np.ndarray) -> TableSet:
    """A two-way table with row totals (i, 'T'), column totals ('T', j) and grand total ('T', 'T')."""
    r, c = a.shape
    values, rels = {}, []
    for i in range(r):
        for j in range(c):
            values[(i, j)] = int(a[i, j])
    for i in range(r):
        values[(i, "T")] = int(a[i].sum())
        rels.append(Relation((i, "T"), tuple((i, j) for j in range(c))))
    for j in range(c):
        values[("T", j)] = int(a[:, j].sum())
        rels.append(Relation(("T", j), tuple((i, j) for i in range(r))))
    values[("T", "T")] = int(a.sum())
    rels.append(Relation(("T", "T"), tuple((i, "T") for i in range(r))))
    rels.append(Relation(("T", "T"), tuple(("T", j) for j in range(c))))
    return TableSet(values, rels, frozenset({("T", "T")}))


def publish(ts: TableSet, hidden) -> dict:
    return {k: (None if k in hidden else v) for k, v in ts.values.items()}


# ---- Kingston, December 2018 (domain primer, section 4) -------------------------------------

KINGSTON_AGE = {"0-4": 2, "5-10": 313, "11-15": 463, "16+": 379}
# school years: the cells published as "<5" take values consistent with the age table
KINGSTON_YEARS = {"Nursery 2": 2, "Reception": 21, "Year 1": 40, "Year 2": 34, "Year 3": 71,
                  "Year 4": 64, "Year 5": 83, "Year 6": 96, "Year 7": 88, "Year 8": 92,
                  "Year 9": 100, "Year 10": 87, "Year 11": 74, "Year 12": 76, "Year 13": 68,
                  "Year 14": 61, "Age 19+": 44, "Age 20+": 25, "Age 21+": 17, "Age 22+": 11,
                  "Age 23+": 2, "Age 24+": 1}
BAND_OF_YEAR = {**{y: "0-4" for y in ["Nursery 2"]},
                **{y: "5-10" for y in ["Reception", "Year 1", "Year 2", "Year 3", "Year 4", "Year 5"]},
                **{y: "11-15" for y in ["Year 6", "Year 7", "Year 8", "Year 9", "Year 10"]}}


def kingston_age_set(with_years: bool) -> TableSet:
    values = {("age", b): v for b, v in KINGSTON_AGE.items()}
    values[("age", "Total")] = 1157
    rels = [Relation(("age", "Total"), tuple(("age", b) for b in KINGSTON_AGE))]
    protected = {("age", "Total")}
    if with_years:
        values.update({("year", y): v for y, v in KINGSTON_YEARS.items()})
        values[("year", "Total")] = 1157
        rels.append(Relation(("year", "Total"), tuple(("year", y) for y in KINGSTON_YEARS)))
        rels.append(Relation(("age", "Total"), (("year", "Total"),)))
        for band in KINGSTON_AGE:
            years = [y for y in KINGSTON_YEARS if BAND_OF_YEAR.get(y, "16+") == band]
            rels.append(Relation(("age", band), tuple(("year", y) for y in years)))
        protected.add(("year", "Total"))
    return TableSet(values, rels, frozenset(protected))


def test_kingston_figures_are_consistent():
    ts = kingston_age_set(with_years=True)
    ts.check()  # every relation holds: the school years add up to the age bands and to 1,157
    assert sum(KINGSTON_AGE.values()) == 1157


def test_auditor_catches_the_kingston_2018_age_table():
    ts = kingston_age_set(with_years=False)
    report = audit(publish(ts, {("age", "0-4")}), ts.relations, threshold=5)
    assert not report.passed
    row = report.cells.set_index("cell").loc[[("age", "0-4")]].iloc[0]
    assert (row["lower"], row["upper"], row["possible_values"]) == (2, 2, 1)
    assert report.exposed == [("age", "0-4")]


def test_auditor_catches_kingston_school_years_published_with_only_small_cells_hidden():
    ts = kingston_age_set(with_years=True)
    small = {k for k, v in ts.values.items() if 0 < v < 5}
    assert small == {("age", "0-4"), ("year", "Nursery 2"), ("year", "Age 23+"), ("year", "Age 24+")}
    report = audit(publish(ts, small), ts.relations, threshold=5)
    assert not report.passed
    bounds = report.cells.set_index("cell")
    # the three small school years add up to 1,157 - 1,152 = 5, and Nursery 2 equals the 0-4 band
    assert bounds.loc[[("year", "Nursery 2")], "upper"].iloc[0] == 2
    assert set(report.exposed) == small


@pytest.mark.parametrize("with_years", [False, True])
def test_suppression_of_kingston_tables_passes_the_auditor(with_years):
    ts = kingston_age_set(with_years)
    result = suppress(ts, threshold=5)
    assert result.primary == frozenset(k for k, v in ts.values.items() if 0 < v < 5)
    assert result.secondary, "the small cells alone must not be enough"
    assert not result.suppressed & ts.protected  # the total of 1,157 stays published
    report = audit(result.published, ts.relations, threshold=5)
    assert report.passed
    assert (report.cells["possible_values"] >= 5).all()


# ---- the auditor against brute-force enumeration of integer solutions ----------------------


def enumerate_interval(ts: TableSet, hidden, key, cap: int):
    """(min, max) of `key` over all integer assignments 1..cap of the hidden cells that satisfy
    every relation, by brute force (no linear programming)."""
    hidden = sorted(hidden, key=str)
    pub = publish(ts, hidden)
    found = []
    for combo in itertools.product(range(1, cap + 1), repeat=len(hidden)):
        trial = {**pub, **dict(zip(hidden, combo))}
        if all(trial[r.total] == sum(trial[p] for p in r.parts) for r in ts.relations):
            found.append(trial[key])
    return min(found), max(found)


def test_auditor_intervals_equal_brute_force_enumeration():
    rng = np.random.default_rng(11)
    checked = 0
    for _ in range(12):
        a = rng.integers(0, 6, size=(2, 3))
        ts = two_way(a)
        nonzero = [k for k in ts.values if ts.values[k] > 0 and k != ("T", "T")]
        if len(nonzero) < 4:
            continue
        hidden = set(rng.choice(len(nonzero), size=4, replace=False))
        hidden = {nonzero[i] for i in hidden}
        report = audit(publish(ts, hidden), ts.relations, threshold=3).cells.set_index("cell")
        cap = int(ts.values[("T", "T")])  # no hidden cell can exceed the grand total here
        for key in hidden:
            lo, hi = enumerate_interval(ts, hidden, key, cap)
            got = report.loc[[key]].iloc[0]
            assert (got["lower"], got["upper"]) == pytest.approx((lo, hi)), (a, hidden, key)
            checked += 1
    assert checked >= 20


def test_integer_auditor_agrees_with_lp_on_two_way_tables():
    rng = np.random.default_rng(3)
    for _ in range(5):
        ts = two_way(rng.integers(0, 9, size=(3, 3)))
        result = suppress(ts, threshold=4)
        lp = audit(result.published, ts.relations, 4).cells
        ip = audit(result.published, ts.relations, 4, integer=True).cells
        assert list(lp["possible_values"]) == list(ip["possible_values"])


def test_auditor_rejects_published_values_that_contradict_a_relation():
    ts = one_way([3, 10, 12])
    bad = publish(ts, set())
    bad[1] = 11
    with pytest.raises(ValueError, match="contradict"):
        audit(bad, ts.relations)


def test_suppressed_cells_are_known_to_be_at_least_one():
    # 10 = x + y with both hidden: each lies in 1..9, not 0..10 (zeros would have been shown)
    ts = one_way([4, 6])
    report = audit(publish(ts, {0, 1}), ts.relations, threshold=5)
    assert list(report.cells["lower"]) == [1, 1] and list(report.cells["upper"]) == [9, 9]
    assert list(report.cells["possible_values"]) == [9, 9]


def test_unbounded_cells_pass():
    # no published total: the hidden cell is only known to be >= 1
    ts = TableSet({"a": 2, "b": 7}, [], frozenset())
    report = audit(publish(ts, {"a"}), ts.relations, threshold=5)
    assert report.passed and report.cells["possible_values"].iloc[0] == float("inf")


# ---- primary suppression --------------------------------------------------------------------


def test_primary_suppression_hides_one_to_threshold_minus_one_and_shows_zeros():
    ts = one_way([0, 1, 4, 5, 20, 0, 30])
    result = suppress(ts, threshold=5)
    assert result.primary == {1, 2}
    assert 0 not in result.suppressed and 5 not in result.suppressed
    assert result.published[0] == 0 and result.published[5] == 0


def test_nothing_to_hide():
    ts = one_way([0, 5, 9, 12])
    result = suppress(ts, threshold=5)
    assert result.suppressed == frozenset() and result.method == "none"


# ---- secondary suppression: safety and optimality on random tables -------------------------


def brute_force_optimum(ts: TableSet, threshold: int):
    """Cost (cells, total count) of the cheapest pattern that passes the auditor, trying every
    subset of the non-zero, non-protected cells in order of cost (independent of suppress())."""
    primary = {k for k, v in ts.values.items() if 0 < v < threshold}
    cands = [k for k, v in ts.values.items() if v > 0 and k not in primary and k not in ts.protected]
    subsets = []
    for mask in range(1 << len(cands)):
        chosen = [cands[i] for i in range(len(cands)) if mask >> i & 1]
        subsets.append((len(primary) + len(chosen),
                        sum(ts.values[k] for k in primary) + sum(ts.values[k] for k in chosen), mask))
    subsets.sort()
    for n, total, mask in subsets:
        hidden = primary | {cands[i] for i in range(len(cands)) if mask >> i & 1}
        if audit(publish(ts, hidden), ts.relations, threshold).passed:
            return n, total
    return None


def random_tables(seed: int, n: int):
    rng = np.random.default_rng(seed)
    for i in range(n):
        threshold = int(rng.integers(2, 7))
        if i % 3 == 0:
            ts = one_way(list(rng.integers(0, 3 * threshold, size=int(rng.integers(2, 6)))))
        else:
            shape = [(2, 2), (2, 3), (3, 2), (3, 3)][int(rng.integers(0, 4))]
            ts = two_way(rng.integers(0, 3 * threshold, size=shape))
        yield threshold, ts


def test_random_tables_pass_the_auditor_and_hide_no_more_than_needed():
    compared = 0
    for threshold, ts in random_tables(seed=2024, n=45):
        result = suppress(ts, threshold)
        report = audit(result.published, ts.relations, threshold)
        assert report.passed, (ts.values, threshold, report.exposed)
        assert all(ts.values[k] > 0 for k in result.suppressed)  # zeros are never hidden
        assert result.primary == {k for k, v in ts.values.items() if 0 < v < threshold}
        if len(ts.values) <= 12 or result.secondary:
            optimum = brute_force_optimum(ts, threshold)
            assert optimum is not None
            assert result.cost == optimum, (ts.values, threshold, sorted(result.suppressed, key=str))
            compared += 1
    assert compared >= 20


def test_greedy_search_is_always_safe():
    # the search used for large tables, forced onto small ones: never optimal by proof, always safe
    for threshold, ts in random_tables(seed=7, n=40):
        result = suppress(ts, threshold, exact_limit=0)
        assert audit(result.published, ts.relations, threshold).passed, (ts.values, threshold)


def test_greedy_search_is_safe_on_larger_tables():
    rng = np.random.default_rng(99)
    for _ in range(3):
        ts = two_way(rng.integers(0, 15, size=(7, 5)))
        result = suppress(ts, 5)
        assert result.method == "greedy"
        assert audit(result.published, ts.relations, 5).passed


def test_tables_linked_only_through_a_published_total_are_suppressed_separately():
    # two one-way tables of the same cohort sharing the (published) grand total
    values = {("a", 0): 2, ("a", 1): 30, ("a", 2): 40, ("b", 0): 50, ("b", 1): 22,
              ("a", "T"): 72, ("b", "T"): 72}
    rels = [Relation(("a", "T"), (("a", 0), ("a", 1), ("a", 2))),
            Relation(("b", "T"), (("b", 0), ("b", 1))), Relation(("a", "T"), (("b", "T"),))]
    ts = TableSet(values, rels, frozenset({("a", "T"), ("b", "T")}))
    result = suppress(ts, 5)
    assert result.suppressed == {("a", 0), ("a", 1)}  # table b is untouched
    assert audit(result.published, rels, 5).passed


def test_suppression_is_deterministic():
    rng = np.random.default_rng(5)
    ts = two_way(rng.integers(0, 12, size=(6, 5)))
    first = suppress(ts, 5)
    for _ in range(2):
        again = suppress(TableSet(dict(ts.values), list(ts.relations), ts.protected), 5)
        assert again.suppressed == first.suppressed
