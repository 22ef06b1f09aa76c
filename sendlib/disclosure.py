"""Statistical disclosure control for published count tables: primary and secondary suppression,
and an auditor that proves no suppressed count can be worked out from what is published.

A *table set* is what one release publishes about a population: a set of cells (each a count of
people, identified by any hashable key) and the additive relations that a reader knows hold between
them (``total = part_1 + ... + part_n``): the rows and columns of a table add up to its margins,
every table of a cohort adds up to the same grand total, a cross-tabulation's margins are the
one-way tables, age bands are sums of school years, and so on. An equality relation (two tables
showing the same count) is a relation with one part.

Rules (domain primer, section 5):

- **Primary suppression**: counts from 1 to ``threshold - 1`` are suppressed. Zeros are shown.
- Every suppressed cell is published as the same symbol (``c``), whether it was suppressed as a
  small count or to protect one: a reader must not be able to tell the two apart, otherwise the
  small ones would be known to lie in 1..threshold-1 whatever the totals say.
- Because zeros are shown, a reader knows that a suppressed cell is **at least 1**; the auditor
  uses that bound (and no upper bound).
- **Protection criterion**: for every suppressed cell, the integer values consistent with
  everything published (all published cells, all relations, every suppressed cell >= 1) must
  number at least ``threshold``: ``floor(max) - ceil(min) + 1 >= threshold``, where min and max
  are the linear-programming bounds of the cell. Kingston's December 2018 age table (ages 5-10,
  11-15, 16+ and the total published, 0-4 suppressed) gives the interval [2, 2]: one possible
  value, so it fails.
- **Secondary suppression** chooses further (complementary) cells until the criterion holds,
  hiding as little as possible. Cost of a suppression pattern: first the number of *expensive*
  cells it hides (large counts, which the table set lists: hiding 551 girls to protect 4 people
  of unknown sex tells readers less than hiding a few small groups), then the number of suppressed
  cells, then the sum of their counts (so that, between patterns hiding as many cells, the one
  hiding smaller counts wins). Cells listed as *protected* (grand totals) are hidden only as a last
  resort, and zero cells never (a zero is never secret, and hiding one would break the >= 1 bound).
  Suppression comes last: tables are first redesigned so that little needs hiding
  (:mod:`sendlib.equality.design` combines small groups).

The auditor solves two linear programmes per suppressed cell (scipy's HiGHS). For one-way tables,
two-way tables and nested groupings the constraint matrix is a network matrix, so the LP bounds are
integers and exact; for arbitrary relations (two groupings of the same people that do not nest,
as the redesigned equality tables can have) the LP bounds can only be wider than the integer ones,
and ``audit(..., integer=True)`` solves the integer programmes instead. :func:`suppress` ends with
the integer check.

What the auditor does not model: inequalities between different populations (for example that a
group's EHCP pupils in the school census cannot exceed its pupils), rounding of published
percentages (percentages are published only where numerator and denominator are both published, so
they add nothing), and reasoning about the suppression algorithm itself.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

SUPPRESSED = "c"  # DfE symbol for a confidential (suppressed) value
THRESHOLD = 5  # counts from 1 to THRESHOLD - 1 are suppressed, unless a cycle's config says otherwise


@dataclass(frozen=True)
class Relation:
    """``total + sum(also) = sum(parts)``: an additive relation that readers of the tables know
    holds. `also` is empty for the usual ``total = part_1 + ... + part_n``; it holds further cells
    on the left where two groupings of the same people meet without one nesting in the other
    (``0-10 + 11-15 = 0-4 + 5-15``)."""

    total: Hashable
    parts: tuple
    also: tuple = ()

    def members(self) -> tuple:
        return (self.total, *self.also, *self.parts)

    def coefficients(self) -> list[tuple[Hashable, int]]:
        """(cell, coefficient) pairs of ``total + sum(also) - sum(parts) = 0``; repeated cells are
        combined."""
        coef: dict = {}
        for k in (self.total, *self.also):
            coef[k] = coef.get(k, 0) + 1
        for p in self.parts:
            coef[p] = coef.get(p, 0) - 1
        return [(k, c) for k, c in coef.items() if c != 0]

    def holds(self, values: Mapping) -> bool:
        """Whether the relation holds on `values` (cell -> count)."""
        return sum(c * values[k] for k, c in self.coefficients()) == 0


@dataclass
class TableSet:
    """Cells with their true counts, and the relations between them.

    `values` keeps the order in which cells were added; that order breaks ties when choosing
    complementary cells, so the same table set always gives the same suppression.
    `protected` cells (grand totals) are suppressed only if nothing else can protect a cell;
    `expensive` cells (large counts) only if no pattern of cheaper cells protects it.
    """

    values: dict
    relations: list[Relation]
    protected: frozenset = frozenset()
    expensive: frozenset = frozenset()

    def check(self) -> None:
        """Raise ValueError if a relation refers to an unknown cell or does not hold on the counts."""
        for r in self.relations:
            missing = [k for k in r.members() if k not in self.values]
            if missing:
                raise ValueError(f"relation {r} refers to unknown cells {missing}")
            if not r.holds(self.values):
                lhs = sum(self.values[k] for k in (r.total, *r.also))
                raise ValueError(f"relation does not hold: {r.total}={lhs} but its parts sum to "
                                 f"{sum(self.values[p] for p in r.parts)}")
        negative = [k for k, v in self.values.items() if v < 0 or int(v) != v]
        if negative:
            raise ValueError(f"counts must be non-negative integers: {negative[:3]}")


@dataclass
class AuditReport:
    """Result of :func:`audit`: one row per suppressed cell of the interval a reader can infer."""

    cells: pd.DataFrame  # columns: cell, lower, upper, possible_values, exposed
    threshold: int

    @property
    def passed(self) -> bool:
        """True when no suppressed cell can be narrowed to fewer than `threshold` values."""
        return not bool(self.cells["exposed"].any()) if len(self.cells) else True

    @property
    def exposed(self) -> list:
        """Keys of the suppressed cells that the published values narrow too far."""
        return list(self.cells.loc[self.cells["exposed"], "cell"])


@dataclass
class Suppression:
    """Result of :func:`suppress`."""

    primary: frozenset
    secondary: frozenset
    values: dict = field(repr=False)
    method: str = "none"  # how the complementary cells were chosen: none, exact, greedy

    @property
    def suppressed(self) -> frozenset:
        return self.primary | self.secondary

    @property
    def published(self) -> dict:
        """Cell -> published count, or None for a suppressed cell (written as ``c``)."""
        return {k: (None if k in self.suppressed else v) for k, v in self.values.items()}

    @property
    def cost(self) -> tuple[int, int]:
        """(number of suppressed cells, sum of their counts): what the suppression minimises."""
        return suppression_cost(self.values, self.suppressed)


def suppression_cost(values: Mapping, cells: Iterable) -> tuple[int, int]:
    """(number of cells, sum of their counts): the cost of hiding `cells`, compared lexicographically."""
    cells = list(cells)
    return len(cells), int(sum(values[k] for k in cells))


def primary_cells(values: Mapping, threshold: int) -> set:
    """Cells whose count is from 1 to threshold - 1 (zeros are shown)."""
    return {k for k, v in values.items() if 0 < v < threshold}


def possible_values(lower: float, upper: float) -> float:
    """Number of integers in [lower, upper] (inf when unbounded above)."""
    if math.isinf(upper):
        return math.inf
    return max(0, math.floor(upper + 1e-6) - math.ceil(lower - 1e-6) + 1)


# --------------------------------------------------------------------------------------------
# The linear system a reader can write down


class _System:
    """The published values and relations restricted to the suppressed cells.

    Each relation with a suppressed member becomes one equation over the suppressed cells (the
    published members moved to the right-hand side). Suppressed cells are grouped into connected
    components (cells linked through equations), which are audited independently.
    """

    def __init__(self, published: Mapping, relations: Sequence[Relation], check: bool = True):
        self.hidden = [k for k, v in published.items() if v is None]
        self.index = {k: i for i, k in enumerate(self.hidden)}
        self.rows: list[tuple[list[int], list[int], float]] = []  # (var idx, coefs, rhs)
        for r in relations:
            idx, coefs, rhs = [], [], 0.0
            for k, c in r.coefficients():
                if k not in published:
                    raise ValueError(f"relation {r} refers to a cell that is not published: {k!r}")
                v = published[k]
                if v is None:
                    idx.append(self.index[k])
                    coefs.append(c)
                else:
                    rhs -= c * v
            if idx:
                self.rows.append((idx, coefs, rhs))
            elif check and abs(rhs) > 1e-9:
                raise ValueError(f"published values contradict the relation {r.total!r} = sum of {r.parts!r}")
        # connected components of hidden cells (union-find over equations)
        parent = list(range(len(self.hidden)))

        def find(i):
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for idx, _, _ in self.rows:
            for j in idx[1:]:
                a, b = find(idx[0]), find(j)
                if a != b:
                    parent[max(a, b)] = min(a, b)
        comps: dict[int, list[int]] = {}
        for i in range(len(self.hidden)):
            comps.setdefault(find(i), []).append(i)
        self.components = list(comps.values())
        self.component_of = {i: n for n, comp in enumerate(self.components) for i in comp}
        self._matrices: dict[int, tuple] = {}

    def pinned(self) -> dict[int, float]:
        """Hidden cells that an equation with a single hidden member fixes exactly (index -> value)."""
        out: dict[int, float] = {}
        for idx, coefs, rhs in self.rows:
            if len(idx) == 1:
                out.setdefault(idx[0], rhs / coefs[0])
        return out

    def _matrix(self, comp_no: int):
        if comp_no not in self._matrices:
            comp = self.components[comp_no]
            local = {g: i for i, g in enumerate(comp)}
            eqs = [(idx, coefs, rhs) for idx, coefs, rhs in self.rows if idx[0] in local]
            a = np.zeros((len(eqs), len(comp)))
            b = np.zeros(len(eqs))
            for r, (idx, coefs, rhs) in enumerate(eqs):
                for j, c in zip(idx, coefs):
                    a[r, local[j]] += c
                b[r] = rhs
            self._matrices[comp_no] = (local, a, b)
        return self._matrices[comp_no]

    def bounds(self, i: int, integer: bool = False) -> tuple[float, float]:
        """(min, max) of hidden cell `i` over every solution with all hidden cells >= 1."""
        local, a, b = self._matrix(self.component_of[i])
        n = len(local)
        c = np.zeros(n)
        c[local[i]] = 1.0
        lo = _optimise(c, a, b, n, integer)
        hi = -_optimise(-c, a, b, n, integer)
        return lo, hi


    def safe(self, i: int, value: int, threshold: int, integer: bool = False) -> tuple[bool, float]:
        """Whether hidden cell `i` (true count `value`) has at least `threshold` possible values,
        and how many it has (inf when it is safe by its maximum alone).

        The maximum is solved first: since the minimum is at most the true count, a maximum at
        least threshold - 1 above the count settles it with one linear programme instead of two.
        """
        local, a, b = self._matrix(self.component_of[i])
        n = len(local)
        c = np.zeros(n)
        c[local[i]] = 1.0
        hi = -_optimise(-c, a, b, n, integer)
        if possible_values(value, hi) >= threshold:
            return True, math.inf
        count = possible_values(_optimise(c, a, b, n, integer), hi)
        return count >= threshold, count


def _optimise(c, a, b, n, integer) -> float:
    """Minimum of c.x subject to a x = b, x >= 1 (-inf if unbounded below)."""
    from scipy.optimize import Bounds, LinearConstraint, linprog, milp

    if len(b) == 0:
        return 1.0 if c.min() >= 0 else -math.inf
    if integer:
        res = milp(c, constraints=LinearConstraint(a, b, b), integrality=np.ones(n),
                   bounds=Bounds(np.ones(n), np.full(n, np.inf)))
    else:
        res = linprog(c, A_eq=a, b_eq=b, bounds=(1, None), method="highs")
    if res.status == 3 or (integer and res.status == 4 and res.x is None):
        return -math.inf
    if res.status == 2:
        raise ValueError("the published values are inconsistent: no counts of at least 1 fit the "
                         "suppressed cells")
    if res.status != 0:
        raise RuntimeError(f"linear programme failed: {res.message}")
    return float(res.fun)


# --------------------------------------------------------------------------------------------
# Auditor


def audit(published: Mapping, relations: Sequence[Relation], threshold: int = 5, *,
          integer: bool = False, stop_at_first: bool = False) -> AuditReport:
    """Audit a published table set.

    `published` maps every cell to its published count, or to None where it is suppressed;
    `relations` are the additive relations a reader knows. Returns an :class:`AuditReport` with, for
    each suppressed cell, the smallest and largest values consistent with everything published
    (suppressed cells at least 1), the number of possible integer values, and whether that number is
    below `threshold` (exposed). Raises ValueError if the published values contradict a relation.
    """
    system = _System(published, relations)
    pinned = system.pinned()
    rows = []
    for i, key in enumerate(system.hidden):
        if i in pinned:
            lo = hi = pinned[i]
        else:
            lo, hi = system.bounds(i, integer=integer)
        n = possible_values(lo, hi)
        rows.append((key, lo, hi, n, n < threshold))
        if stop_at_first and n < threshold:
            break
    cells = pd.DataFrame(rows, columns=["cell", "lower", "upper", "possible_values", "exposed"])
    return AuditReport(cells, threshold)


def cell_interval(published: Mapping, relations: Sequence[Relation], key) -> tuple[float, float]:
    """(min, max) of one suppressed cell given everything published (suppressed cells >= 1)."""
    system = _System(published, relations, check=False)
    i = system.index[key]
    pinned = system.pinned()
    if i in pinned:
        return pinned[i], pinned[i]
    return system.bounds(i)


# --------------------------------------------------------------------------------------------
# Suppression


def suppress(table_set: TableSet, threshold: int = 5, *, exact_limit: int = 20,
             exact_budget: int = 3000) -> Suppression:
    """Choose the cells to publish as ``c``.

    Returns a :class:`Suppression` whose published values pass :func:`audit` at `threshold`.
    Primary cells are counts 1..threshold-1; complementary cells are chosen independently in each
    part of the table set that is linked by relations (grand totals, being published, do not link).
    A part with at most `exact_limit` candidate cells is solved exactly, by trying patterns in order
    of cost (fewest cells, then smallest total count) until one passes the auditor, within
    `exact_budget` audits, first among the cells that are not expensive, then among all; larger
    parts use a greedy search (repair the first exposed cell with the cheapest helpful cell, then
    drop every complementary cell that is not needed). Both end with a full audit, so the result is
    always safe, whatever the search found.
    """
    table_set.check()
    values = table_set.values
    order = {k: n for n, k in enumerate(values)}
    relations = table_set.relations
    primary = frozenset(primary_cells(values, threshold))
    if not primary or threshold <= 1:
        return Suppression(primary, frozenset(), dict(values), "none")

    suppressed = set(primary)
    methods = set()
    for part in _parts(table_set, primary):
        part_primary = [k for k in part if k in primary]
        if not part_primary:
            continue
        part_rel = [r for r in relations if any(m in part for m in r.members())]
        candidates = [k for k in part if k not in primary and values[k] > 0
                      and k not in table_set.protected]
        near = {m for r in part_rel for m in r.members()}
        last_resort = frozenset(k for k in table_set.protected
                                if k in near and k not in primary and values[k] > 0)
        found = None
        cheap = [k for k in candidates if k not in table_set.expensive]
        for pool in dict.fromkeys((tuple(cheap), tuple(candidates))):
            if found is None and len(pool) <= exact_limit:
                found = _exact(values, part_rel, set(part_primary), list(pool), threshold, order,
                               exact_budget)
        if found is not None:
            methods.add("exact")
        else:
            found = _greedy(values, part_rel, set(part_primary), candidates, threshold, order,
                            last_resort, table_set.expensive)
            methods.add("greedy")
        suppressed |= found

    # whole-set check: parts are independent only while protected cells stay published
    if not _Oracle(values, relations, threshold, order, integer=True).passes(suppressed):
        allowed = [k for k in values if k not in primary and values[k] > 0]
        suppressed = _greedy(values, relations, suppressed, allowed, threshold, order, frozenset(),
                             table_set.expensive, integer=True)
        methods.add("greedy")
    secondary = frozenset(suppressed - primary)
    method = "greedy" if "greedy" in methods else ("exact" if methods else "none")
    return Suppression(primary, secondary, dict(values), method)


def protect(table_set: TableSet, threshold: int = THRESHOLD) -> dict:
    """Suppress, then audit: the published values of `table_set` (None where suppressed).

    For tables whose published values are not read back and audited elsewhere (the equality
    tables are, from their own CSV). Raises RuntimeError if the audit fails, which cannot happen
    (:func:`suppress` ends with the same audit)."""
    suppression = suppress(table_set, threshold)
    report = audit(suppression.published, table_set.relations, threshold)
    if not report.passed:
        raise RuntimeError(f"disclosure audit failed for {report.exposed[:3]}")
    return suppression.published


def _parts(table_set: TableSet, primary=frozenset()) -> list[list]:
    """Groups of cells linked by relations, not counting links through protected cells (which stay
    published, so they are constants to a reader) unless they are small enough to be hidden."""
    keys = list(table_set.values)
    pos = {k: i for i, k in enumerate(keys)}
    parent = list(range(len(keys)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for r in table_set.relations:
        linked = [pos[m] for m in r.members() if m not in table_set.protected or m in primary]
        for j in linked[1:]:
            a, b = find(linked[0]), find(j)
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups: dict[int, list] = {}
    for k in keys:
        groups.setdefault(find(pos[k]), []).append(k)
    return list(groups.values())


def _publish(values, suppressed):
    return {k: (None if k in suppressed else v) for k, v in values.items()}


def _single_hidden(relations, suppressed) -> list[Relation]:
    """Relations with exactly one suppressed member: each gives that member away."""
    out = []
    for r in relations:
        hidden = {k for k, _ in r.coefficients() if k in suppressed}
        if len(hidden) == 1:
            out.append(r)
    return out


class _Oracle:
    """Answers "which suppressed cell is exposed first?" during one search, remembering the answer
    for each group of linked suppressed cells: adding a cell only changes the group it joins, so
    the other groups need no new linear programmes."""

    def __init__(self, values, relations, threshold, order, integer: bool = False):
        self.values, self.relations, self.threshold, self.order = values, relations, threshold, order
        self.integer = integer  # integer programmes: exact where the linear bounds are not
        self.cache: dict[frozenset, object] = {}

    def first_exposed(self, suppressed):
        single = _single_hidden(self.relations, suppressed)
        if single:
            return min((k for r in single for k in r.members() if k in suppressed),
                       key=self.order.__getitem__)
        system = _System(_publish(self.values, suppressed), self.relations, check=False)
        first = None
        for comp in system.components:
            keys = frozenset(system.hidden[i] for i in comp)
            if keys not in self.cache:
                found = None
                for key in sorted(keys, key=self.order.__getitem__):
                    if not system.safe(system.index[key], self.values[key], self.threshold, self.integer)[0]:
                        found = key
                        break
                self.cache[keys] = found
            found = self.cache[keys]
            if found is not None and (first is None or self.order[found] < self.order[first]):
                first = found
        return first

    def passes(self, suppressed) -> bool:
        return self.first_exposed(suppressed) is None


def _exact(values, relations, primary, candidates, threshold, order, budget):
    """Cheapest passing pattern (fewest cells, then smallest total) or None if over budget."""
    oracle = _Oracle(values, relations, threshold, order)
    audits = 0
    patterns = 0
    for size in range(len(candidates) + 1):
        patterns += math.comb(len(candidates), size)
        if patterns > 30 * budget:  # too many patterns to list: leave it to the greedy search
            return None
        combos = sorted(itertools.combinations(candidates, size),
                        key=lambda c: (sum(values[k] for k in c), sorted(order[k] for k in c)))
        for combo in combos:
            suppressed = primary | set(combo)
            if _single_hidden(relations, suppressed):
                continue
            audits += 1
            if audits > budget:
                return None
            if oracle.passes(suppressed):
                return suppressed
    return None


def _greedy(values, relations, primary, candidates, threshold, order, protected, expensive=frozenset(),
            improve_budget=1500, integer: bool = False):
    """A passing pattern found by repairing exposed cells one at a time, then pruned; the cost of
    a cell ranks protected cells last, then expensive ones, then by count."""
    oracle = _Oracle(values, relations, threshold, order, integer)
    suppressed = set(primary)
    pool = list(candidates) + sorted((k for k in protected if k in values and values[k] > 0
                                      and k not in candidates and k not in primary),
                                     key=order.__getitem__)
    members: dict[Hashable, list[Relation]] = {}
    for r in relations:
        for k in r.members():
            members.setdefault(k, []).append(r)

    def cost(k):
        return (k in protected, k in expensive, values[k], order[k])

    while True:
        giving_away = _cell_in_giving_away_relations(relations, suppressed, pool, cost)
        if giving_away is not None:
            suppressed.add(giving_away)
            continue
        exposed = oracle.first_exposed(suppressed)
        if exposed is None:
            break
        near = {k for r in members.get(exposed, []) for k in r.members()}
        near |= {k for s in suppressed for r in members.get(s, []) for k in r.members()}
        options = sorted((k for k in pool if k not in suppressed and k in near), key=cost)
        if not options:
            options = sorted((k for k in pool if k not in suppressed), key=cost)
        if not options:
            raise RuntimeError("no suppression pattern protects every cell")  # cannot happen
        suppressed.add(_widening_cell(values, relations, suppressed, exposed, options, threshold, members))

    # prune: drop complementary cells that turned out not to be needed, most costly first
    for k in sorted(suppressed - primary, key=cost, reverse=True):
        trial = suppressed - {k}
        if oracle.passes(trial):
            suppressed = trial
    return _improve(suppressed, primary, pool, members, cost, oracle, improve_budget)


def _cell_in_giving_away_relations(relations, suppressed, pool, cost):
    """Where relations have a single suppressed member (which they give away): the cell of the
    pool in as many of them as possible, then the cheapest; None if there is none to hide."""
    score: dict = {}
    for r in _single_hidden(relations, suppressed):
        for k in r.members():
            if k not in suppressed and k in pool:
                score[k] = score.get(k, 0) + 1
    if not score:
        return None  # nothing left to hide in those relations: the general repair takes over
    return min(score, key=lambda k: (*cost(k)[:2], -score[k], *cost(k)[2:]))


def _widening_cell(values, relations, suppressed, exposed, options, threshold, members):
    """The first of `options` (cheapest first) that gives the exposed cell enough possible
    values, else the one that widens it most."""
    best, best_n = None, _count_values(values, relations, suppressed, exposed, threshold)
    for k in options:
        n = _count_values(values, relations, suppressed | {k}, exposed, threshold)
        if n >= threshold:
            return k
        if n > best_n:
            best, best_n = k, n
    if best is None:
        # no single cell widens it yet (its partners are pinned themselves): take the cheapest
        # cell sharing a relation with it and let the next rounds protect that one too
        own = {k for r in members.get(exposed, []) for k in r.members()}
        best = next((k for k in options if k in own), options[0])
    return best


def _count_values(values, relations, suppressed, key, threshold) -> float:
    """Possible values of suppressed cell `key` (inf once it is at least `threshold`)."""
    system = _System(_publish(values, suppressed), relations, check=False)
    i = system.index[key]
    if i in system.pinned():
        return 1
    return system.safe(i, values[key], threshold)[1]


def _improve(suppressed, primary, pool, members, cost, oracle, budget):
    """Local search after the greedy one: replace two linked complementary cells by one cell
    near them, or one by a smaller one, while the pattern still passes (at most `budget` trials)."""
    def near(cells):
        return {k for c in cells for r in members.get(c, []) for k in r.members()
                if k in pool and k not in suppressed}

    trials = 0
    improved = True
    while improved and trials < budget:
        improved = False
        secondary = sorted(suppressed - primary, key=cost, reverse=True)
        pairs = [(a, b) for i, a in enumerate(secondary) for b in secondary[i + 1:]
                 if any(b in r.members() for r in members.get(a, []))]
        moves: list[tuple[tuple, Hashable]] = [((a, b), c) for a, b in pairs for c in sorted(near((a, b)), key=cost)]
        moves += [((a,), c) for a in secondary for c in sorted(near((a,)), key=cost)
                  if cost(c) < cost(a)]
        for removed, added in moves:
            trials += 1
            if trials > budget:
                break
            trial = (suppressed - set(removed)) | {added}
            if oracle.passes(trial):
                suppressed = trial
                improved = True
                break
    return suppressed
