"""Combined groups of categories: how a group is labelled, and which categories a published label
stands for.

A table may show a *group* of categories in place of its members ("0-10" for the bands 0-4 and
5-10; "Other sensory and/or physical needs (Visual impairment; Multi-sensory impairment)"; "Male
or unknown"). The label says what it holds, so that a reader (and the disclosure auditor, which
works from the published file alone) can tell which people each row counts:

- age bands and school years are ranges: ``0-10``, ``16+``, ``Under 11``, ``16 to 25``,
  ``Nursery 1 to Reception``;
- other groups list their members: ``<name> (<member>; <member>; ...)``;
- a group that also holds the people whose value is unknown ends in `` or unknown``.

The *atoms* of a label are the finest things it counts: single ages (at 31 August), detailed
ethnic groups, needs, sexes, placement groups, and :data:`UNKNOWN`.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from sendlib import ages
from sendlib.equality.categories import age_set, categories, ethnicity_lookup
from sendlib.equality.topics import KNOWN, TOPIC, TOTAL, UNKNOWN

OR_UNKNOWN = " or unknown"
MEMBERS = re.compile(r"^(?P<name>.+) \((?P<members>[^()]+)\)$")
AGE_TOPICS = ("school_year", "age_dfe", "age_eqia")
OPEN_ENDED = {"age_eqia": "16+"}  # bands without an upper age in their label


@dataclass(frozen=True)
class Group:
    """A row (or column) of a table: its label and the categories it counts."""

    label: str
    members: tuple[str, ...]

    @property
    def known(self) -> bool:
        """False for a group that counts people whose value is unknown."""
        return UNKNOWN not in self.members


def singletons(cats: list[str]) -> list[Group]:
    """Every category its own group (the table as designed, nothing combined)."""
    return [Group(c, (c,)) for c in cats]


# ---- labels ---------------------------------------------------------------------------------


def _span(topic: str, band: str) -> tuple[int, int]:
    """Lowest and highest age (0 to 25) of an age band."""
    s = [a for a in age_set(topic, band) if 0 <= a <= ages.MAX_AGE]
    return min(s), max(s)


def _area(topic: str, category: str, grouping: str) -> str | None:
    """The broader group a category belongs to (a need's area, a detailed ethnicity's major group)."""
    if topic == "need":
        return need_areas().get(category)
    if topic == "ethnicity_detailed":
        return ethnicity_lookup(grouping)[1].get(category)
    return None


NAMES = {"need": "Other needs", "placement": "Other placements", "ethnicity_major": "Other ethnic groups",
         "ethnicity_detailed": "Other ethnic groups", "sex": "Combined"}


def group_label(topic: str, members: tuple[str, ...], grouping: str = "dfe") -> str:
    """The label of a group of categories (members in reporting order)."""
    known = tuple(m for m in members if m != UNKNOWN)
    suffix = OR_UNKNOWN if len(known) < len(members) else ""
    if not known:
        return UNKNOWN
    if len(known) == 1:
        return known[0] + suffix
    if topic == "school_year":
        return f"{known[0]} to {known[-1]}{suffix}"
    if topic in AGE_TOPICS:
        lo, hi = _span(topic, known[0])[0], _span(topic, known[-1])[1]
        if topic == "age_eqia":
            return (f"{lo}+" if known[-1] == OPEN_ENDED[topic] else f"{lo}-{hi}") + suffix
        return (f"Under {hi + 1}" if lo == 0 else f"{lo} to {hi}") + suffix
    return f"{_name(topic, known, grouping)} ({'; '.join(known)}){suffix}"


def _name(topic: str, known: tuple[str, ...], grouping: str) -> str:
    """What a group of several categories is called: after their area when they share one ("Other
    White", or "White" when it holds the whole area), else after the topic ("Other needs")."""
    areas = {_area(topic, m, grouping) for m in known}
    area = areas.pop() if len(areas) == 1 else None
    if area is None:
        return NAMES.get(topic, "Other groups")
    whole = {c for c in categories(topic, grouping) if _area(topic, c, grouping) == area} <= set(known)
    if topic == "need":
        return "Other needs" if area == "Other" else f"{'' if whole else 'Other '}{area.lower()} needs".capitalize()
    return area if whole else f"Other {area}"


@cache
def need_areas() -> dict[str, str]:
    """Need label -> its area of need (SEND Code of Practice)."""
    from sendlib import codelists

    st = codelists.sen_types()
    return dict(zip(st["label"], st["need_group"]))


# ---- reading a label back ---------------------------------------------------------------------


def members(topic: str, label: str, grouping: str = "dfe") -> tuple[str, ...]:
    """The categories a published label counts (itself for a category of the code list, or for a
    value outside it)."""
    if label == UNKNOWN:
        return (UNKNOWN,)
    base, unknown = (label[:-len(OR_UNKNOWN)], (UNKNOWN,)) if label.endswith(OR_UNKNOWN) else (label, ())
    cats = categories(topic, grouping)
    if base in cats:
        return (base, *unknown)
    found = _range_members(topic, base, cats) if topic in AGE_TOPICS else _listed_members(base, cats)
    return (*(found or (base,)), *unknown)


AGE_RANGES: list[tuple[str, Callable[..., tuple[int, int]]]] = [
    (r"(\d+)-(\d+)", lambda a, b: (a, b)), (r"(\d+)\+", lambda a: (a, ages.MAX_AGE)),
    (r"Under (\d+)", lambda a: (0, a - 1)), (r"(\d+) to (\d+)", lambda a, b: (a, b))]  # label -> (lowest, highest) age


def _range_members(topic: str, label: str, cats: list[str]) -> tuple[str, ...] | None:
    if topic == "school_year":
        parts = label.split(" to ")
        if len(parts) == 2 and all(p in cats for p in parts):
            return tuple(cats[cats.index(parts[0]):cats.index(parts[1]) + 1])
        return None
    for pattern, span in AGE_RANGES:
        m = re.fullmatch(pattern, label)
        if m:
            lo, hi = span(*map(int, m.groups()))
            inside = tuple(c for c in cats if lo <= _span(topic, c)[0] and _span(topic, c)[1] <= hi)
            covered = sorted(a for c in inside for a in range(_span(topic, c)[0], _span(topic, c)[1] + 1))
            return inside if covered == list(range(lo, hi + 1)) else None
    return None


def _listed_members(label: str, cats: list[str]) -> tuple[str, ...] | None:
    m = MEMBERS.match(label)
    if not m:
        return None
    listed = tuple(m.group("members").split("; "))
    return listed if all(c in cats for c in listed) else None


def atoms(topic: str, label: str, grouping: str = "dfe") -> frozenset:
    """The finest categories a label counts: single ages for age topics, detailed ethnic groups
    for ethnicity, the category itself otherwise; :data:`UNKNOWN` for the unknowns."""
    out: set = set()
    for m in members(topic, label, grouping):
        if m == UNKNOWN:
            out.add(UNKNOWN)
        elif topic in AGE_TOPICS and m in categories(topic, grouping):
            out |= age_set(topic, m)
        elif topic == "ethnicity_major":
            _, major, detailed, _ = ethnicity_lookup(grouping)
            out |= {d for d in detailed if major[d] == m} or {m}
        else:
            out.add(m)
    return frozenset(out)


def is_known(topic: str, label: str, grouping: str = "dfe") -> bool:
    """Whether a row of a table counts only people whose value is known (not a total)."""
    return label not in (KNOWN, TOTAL) and UNKNOWN not in members(topic, label, grouping)


def family(topic: str) -> str:
    """What a one-way topic breaks down: age, need, sex, ethnicity or placement."""
    return TOPIC[topic].group
