"""Tables redesigned before suppression, in the statistical offices' order: small groups are first
combined into a stated group, and only what is still small is suppressed (with complementary cells
chosen by :mod:`sendlib.disclosure`).

A group is *small* when any count shown in its row (people in the cohort; for the
disproportionality topics also the pupils of the census and the cohort's people in it) is from 1
to ``threshold - 1``. Each cohort gets its own design:

- **Age bands and school years** (ordered): a small band is combined with its smaller neighbour
  (one that is not empty if there is one): ``0-4`` and ``5-10`` become ``0-10``. Bands are combined
  within the combined bands of the coarser table (DfE bands within EqIA bands, school years within
  DfE bands), so every table still adds up to the one above it.
- **Need, ethnicity, placement** (unordered): a small group is combined with the smallest group of
  the same area (a need's area in the SEND Code of Practice, a detailed ethnicity's major group),
  else with the smallest group: "Other White (Traveller of Irish heritage; Gypsy / Roma)". Detailed
  ethnic groups are combined only within their (combined) major group.
- **Unknown**: a small number of unknowns is counted with the topic's "other" group where it has
  one ("Any other ethnic group or unknown"), else with its largest group ("Male or unknown"); the
  table then has no "Total known" row.
- **Cross-tabulations** start from the one-way designs of their rows and columns and combine rows
  or columns further, one at a time, choosing the combination that leaves fewest small cells.

With every group of at least `threshold` people, one-way tables need no suppression at all, and a
cross-tabulation only where combining could not help. The combining itself tells readers that
some member of a combined group was small (or was combined to protect one), never which or how
small; the published labels say what every row holds (:mod:`sendlib.equality.groups`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sendlib.equality.groups import AGE_TOPICS, Group, atoms, group_label
from sendlib.equality.topics import TOPIC, UNKNOWN

PARENT = {"age_dfe": "age_eqia", "school_year": "age_dfe", "ethnicity_detailed": "ethnicity_major"}
OTHER = {"need": "Other difficulty or disability", "placement": "Other arrangements",
         "ethnicity_major": "Any other ethnic group", "ethnicity_detailed": "Any other ethnic group"}
Counts = list[dict[str, int]]  # per measure shown in a row: category -> people


@dataclass
class Design:
    """The groups of every table of one cohort: rows of one-way tables, rows and columns of
    cross-tabulations (each a list of :class:`Group` in reporting order, Unknown last)."""

    axes: dict[str, list[Group]] = field(default_factory=dict)
    cross: dict[str, tuple[list[Group], list[Group]]] = field(default_factory=dict)
    categories: dict[str, list[str]] = field(default_factory=dict)  # one-way topic -> every category


def combine(topic: str, cats: list[str], counts: Counts, threshold: int | None, grouping: str = "dfe",
            parent: list[Group] | None = None) -> list[Group]:
    """The groups of a one-way table: `cats` (reporting order, Unknown last) combined so that no
    group is small, within the groups of `parent` (the coarser table's design) if given.
    With `threshold` None every category stays its own group."""
    if threshold is None:
        return [Group(c, (c,)) for c in cats]
    out: list[list[str]] = []
    for block in _blocks(topic, cats, parent, grouping):
        out += _combine_block(topic, [[c] for c in block], counts, threshold)
    return _groups(topic, out, cats, grouping)


def _blocks(topic: str, cats: list[str], parent: list[Group] | None, grouping: str) -> list[list[str]]:
    """The categories that may be combined with each other: those within one parent group."""
    if parent is None:
        return [cats]
    coarse = PARENT[topic]
    blocks = [[c for c in cats if atoms(topic, c, grouping) <= _atoms(coarse, p.members, grouping)]
              for p in parent]
    placed = {c for b in blocks for c in b}
    return [b for b in blocks if b] + [[c] for c in cats if c not in placed]


def _atoms(topic: str, members: tuple[str, ...], grouping: str) -> frozenset:
    return frozenset().union(*(atoms(topic, m, grouping) for m in members))


def _size(g: list[str], counts: Counts) -> int:
    return sum(counts[0].get(c, 0) for c in g)


def small(g: list[str], counts: Counts, threshold: int) -> bool:
    """Whether any count shown for the group is from 1 to threshold - 1."""
    return any(0 < sum(m.get(c, 0) for c in g) < threshold for m in counts)


def _combine_block(topic: str, groups: list[list[str]], counts: Counts, threshold: int) -> list[list[str]]:
    """Combine small groups of a block with their partners until none is small (or none can be)."""
    while len(groups) > 1:
        g = next((g for g in groups if small(g, counts, threshold)), None)
        if g is None:
            break
        partner = _partner(topic, g, groups, counts)
        if partner is None:
            break
        groups = _merged(groups, g, partner)
    return groups


def _merged(groups: list[list[str]], a: list[str], b: list[str]) -> list[list[str]]:
    """`groups` with `a` and `b` replaced by their union, at the place of the first of them."""
    i, j = sorted((groups.index(a), groups.index(b)))
    out = [g for n, g in enumerate(groups) if n not in (i, j)]
    out.insert(i, groups[i] + groups[j])
    return out


def _partner(topic: str, g: list[str], groups: list[list[str]], counts: Counts) -> list[str] | None:
    """The group to combine `g` with (None if there is none)."""
    return next(iter(_partners(topic, g, groups, counts)), None)


def _partners(topic: str, g: list[str], groups: list[list[str]], counts: Counts) -> list[list[str]]:
    """The groups `g` may be combined with, preferred first: for Unknown the topic's other group,
    else the largest; for an age band its neighbours; otherwise groups of the same area first,
    then the smallest (empty groups last, since they change nothing)."""
    known = [h for h in groups if h is not g and h != [UNKNOWN]]
    if g == [UNKNOWN]:
        return sorted(known, key=lambda h: (OTHER.get(topic) not in h, -_size(h, counts), groups.index(h)))
    if topic in AGE_TOPICS:
        i = groups.index(g)
        known = [h for h in (groups[i - 1] if i > 0 else None, groups[i + 1] if i + 1 < len(groups) else None)
                 if h is not None and h != [UNKNOWN]]
    area = {_area_of(topic, c) for c in g}
    return sorted(known, key=lambda h: (_size(h, counts) == 0, {_area_of(topic, c) for c in h} != area,
                                        _size(h, counts), groups.index(h)))


def _area_of(topic: str, category: str):
    from sendlib.equality.groups import need_areas

    return need_areas().get(category) if topic == "need" else None


# ---- cross-tabulations ------------------------------------------------------------------------


def combine_cross(topic: str, rows: list[Group], cols: list[Group], cells: dict[tuple[str, str], int],
                  threshold: int | None, grouping: str = "dfe",
                  order: tuple[list[str], list[str]] | None = None) -> tuple[list[Group], list[Group]]:
    """Rows and columns of a cross-tabulation (starting from the one-way designs `rows` and
    `cols`), combined one at a time while that reduces the number of small cells. `cells` counts
    people by (row category, column category); `order` gives the categories of rows and columns
    in reporting order (by default, as the groups list them)."""
    if threshold is None:
        return rows, cols
    t = TOPIC[topic]
    axes = {t.rows: [list(g.members) for g in rows], t.cols: [list(g.members) for g in cols]}
    while True:
        now = _small_cells(axes[t.rows], axes[t.cols], cells, threshold)
        if not now:
            break
        options = []
        for name, own in ((t.rows, 0), (t.cols, 1)):
            margin = [_margin(cells, own)]
            for g in {id(c[own]): c[own] for c in now}.values():
                for rank, partner in enumerate(_partners(name, g, axes[name], margin)):
                    if [UNKNOWN] not in (g, partner) and _known_groups(axes[name]) <= 2:
                        continue  # a cross-tabulation keeps two rows and two columns
                    trial = dict(axes)
                    trial[name] = _merged(axes[name], g, partner)
                    left = len(_small_cells(trial[t.rows], trial[t.cols], cells, threshold))
                    options.append((left, _size(g + partner, margin), own, rank, trial))
        best = min(options, key=lambda o: o[:4], default=None)
        if best is None or best[0] >= len(now):
            break
        axes = best[4]
    cats = order or tuple([m for g in start for m in g.members] for start in (rows, cols))
    return _groups(t.rows, axes[t.rows], cats[0], grouping), _groups(t.cols, axes[t.cols], cats[1], grouping)


def _known_groups(groups: list[list[str]]) -> int:
    return sum(any(m != UNKNOWN for m in g) for g in groups)


def _margin(cells: dict[tuple[str, str], int], axis: int) -> dict[str, int]:
    out: dict[str, int] = {}
    for key, n in cells.items():
        out[key[axis]] = out.get(key[axis], 0) + n
    return out


def _small_cells(rows: list[list[str]], cols: list[list[str]], cells: dict, threshold: int) -> list:
    out = []
    for r in rows:
        for c in cols:
            n = sum(cells.get((a, b), 0) for a in r for b in c)
            if 0 < n < threshold:
                out.append((r, c))
    return out


def _groups(topic: str, groups: list[list[str]], cats: list[str], grouping: str) -> list[Group]:
    """Groups with their members in reporting order, ordered by their first member (Unknown last)."""
    position = {c: i for i, c in enumerate(cats)}
    ordered = sorted((sorted(g, key=position.__getitem__) for g in groups),
                     key=lambda g: (g == [UNKNOWN], position[g[0]]))
    return [Group(group_label(topic, tuple(g), grouping), tuple(g)) for g in ordered]
