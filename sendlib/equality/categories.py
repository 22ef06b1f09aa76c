"""The categories of each characteristic, in reporting order, and each person's category."""
from __future__ import annotations

from functools import cache

import pandas as pd

from sendlib import ages, codelists
from sendlib.equality.topics import UNKNOWN
from sendlib.errors import SendlibInputError

GROUPINGS = {"dfe": "major_group_dfe", "kingston": "major_group_kingston"}  # ethnicity grouping -> column


def school_year_labels(max_ncy: int = 20) -> list[str]:
    return [ages.school_year_label(n) for n in range(-2, max_ncy + 1)]


@cache
def age_set(topic: str, label: str) -> frozenset[int]:
    """Ages (at 31 August) that the age-type category `label` covers (empty for Unknown)."""
    if label == UNKNOWN:
        return frozenset()
    universe = range(-5, 31)
    if topic == "school_year":
        return frozenset(a for a in universe if ages.school_year_label(a - ages.NCY_OFFSET) == label)
    band = ages.eqia_age_band if topic == "age_eqia" else ages.dfe_age_band
    s = pd.Series(list(universe))
    return frozenset(int(a) for a, b in zip(s, band(s)) if b == label)


@cache
def ethnicity_lookup(grouping: str) -> tuple[dict, dict, list[str], list[str]]:
    """(code -> detailed label, detailed label -> major group, detailed order, major order)."""
    col = GROUPINGS.get(grouping)
    if col is None:
        raise SendlibInputError(f"unknown ethnicity grouping {grouping!r}", hint=f"use {' or '.join(GROUPINGS)}")
    eth = codelists.ethnicities()
    known = eth[eth["known"] == "True"]
    label = dict(zip(known["code"], known["label"]))
    major = dict(zip(known["label"], known[col]))
    return label, major, list(known["label"]), list(dict.fromkeys(known[col]))


def need_lookup() -> tuple[dict, list[str]]:
    st = codelists.sen_types()
    return dict(zip(st["code"], st["label"])), list(st["label"])


def categories(topic: str, grouping: str = "dfe") -> list[str]:
    """Known categories of a one-way topic in reporting order (Unknown not included)."""
    fixed = {"age_eqia": ages.EQIA_AGE_BANDS, "age_dfe": ages.DFE_AGE_BANDS, "sex": ["Male", "Female"]}
    if topic in fixed:
        return list(fixed[topic])
    if topic == "school_year":
        return school_year_labels()
    if topic == "need":
        return need_lookup()[1]
    if topic in ("ethnicity_major", "ethnicity_detailed"):
        return list(ethnicity_lookup(grouping)[3 if topic == "ethnicity_major" else 2])
    if topic == "placement":
        return [g for g in codelists.placement_group_order("dfe") if g != UNKNOWN]
    raise KeyError(topic)


def _ages(df: pd.DataFrame, out: pd.DataFrame) -> None:
    age = pd.to_numeric(df["age"], errors="coerce").astype("Int64")
    for topic, band in (("age_eqia", ages.eqia_age_band), ("age_dfe", ages.dfe_age_band)):
        out[topic] = band(age).astype(object).where(age.notna(), UNKNOWN).fillna(UNKNOWN)
    out["school_year"] = [UNKNOWN if pd.isna(a) else ages.school_year_label(int(a) - ages.NCY_OFFSET)
                          for a in age]


def _need(primary_need: pd.Series) -> pd.Series:
    """Code-list label of each need; a code outside the list keeps its code (UNKNOWN is unknown)."""
    need = primary_need.map(need_lookup()[0]).where(primary_need.notna(), UNKNOWN)
    extra = primary_need.notna() & need.isna() & (primary_need != "UNKNOWN")
    return need.where(~extra, primary_need).fillna(UNKNOWN)


def _placement(df: pd.DataFrame) -> pd.Series:
    if "placement_group" in df:
        group = df["placement_group"]
    elif "establishment_type" in df:
        from sendlib import normalise
        group = normalise.placement(df["establishment_type"], None)["placement_group"]
    else:
        group = pd.Series(UNKNOWN, index=df.index)
    return group.fillna(UNKNOWN).astype(object)


def characteristics(df: pd.DataFrame, grouping: str = "dfe", placement: bool = True) -> pd.DataFrame:
    """One column per one-way topic: the category label of each person (``Unknown`` where missing)."""
    out = pd.DataFrame(index=df.index)
    _ages(df, out)
    out["need"] = _need(df["primary_need"])
    out["sex"] = df["sex"].map({"M": "Male", "F": "Female"}).fillna(UNKNOWN)
    eth_label, eth_major, _, _ = ethnicity_lookup(grouping)
    out["ethnicity_detailed"] = df["ethnicity"].map(eth_label).fillna(UNKNOWN)
    out["ethnicity_major"] = out["ethnicity_detailed"].map(eth_major).fillna(UNKNOWN)
    if placement:
        out["placement"] = _placement(df)
    return out.astype(object)
