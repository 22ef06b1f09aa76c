"""The establishment lookup of the synthetic LA and its neighbours, in the public GIAS layout.

One row per establishment: the LA's own schools (the school census covers its state-funded
mainstream, special and alternative provision schools) and the out-of-borough, independent,
non-maintained, further-education and specialist post-16 places that EHC plans name. Extra
columns starting with '_' are the generator's own and are not written.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from sendlib import codelists

NEIGHBOURS = [("991", "Synthetic Neighbour North"), ("992", "Synthetic Neighbour East"),
              ("993", "Synthetic Neighbour South"), ("994", "Synthetic Neighbour West"),
              ("995", "Synthetic Neighbour Central")]

# kind -> (types with weights, phase, low age, high age, name word, number base, type group)
_KINDS = {
    "primary": ({"Community school": .35, "Voluntary aided school": .22, "Voluntary controlled school": .05,
                 "Foundation school": .03, "Academy converter": .25, "Academy sponsor led": .05,
                 "Free schools": .05}, "Primary", 3, 11, "Primary School", 2000),
    "secondary": ({"Academy converter": .6, "Academy sponsor led": .1, "Community school": .1,
                   "Voluntary aided school": .1, "Free schools": .1}, "Secondary", 11, 18, "School", 4000),
    "special": ({"Community special school": .4, "Foundation special school": .1,
                 "Academy special converter": .25, "Academy special sponsor led": .1,
                 "Free schools special": .15}, "Not applicable", 2, 19, "School", 7000),
    "independent_special": ({"Other independent special school": 1.0}, "Not applicable", 5, 19,
                            "School", 6000),
    "non_maintained_special": ({"Non-maintained special school": 1.0}, "Not applicable", 4, 19,
                               "School", 7500),
    "post16_special": ({"Special post 16 institution": 1.0}, "16 plus", 16, 25, "College", None),
    "college": ({"Further education": .6, "Sixth form centres": .2, "Academy 16-19 converter": .1,
                 "Free schools 16 to 19": .1}, "16 plus", 16, 99, "College", None),
    "ap": ({"Pupil referral unit": .5, "Academy alternative provision converter": .3,
            "Academy alternative provision sponsor led": .1, "Free schools alternative provision": .1},
           "Not applicable", 5, 16, "Centre", 1100),
    "independent": ({"Other independent school": 1.0}, "All-through", 3, 18, "School", 6500),
}
# Establishments at scale 1: (kind, in the LA, number)
_COUNTS = [("primary", True, 40), ("secondary", True, 11), ("special", True, 4), ("ap", True, 2),
           ("college", True, 2), ("independent", True, 2), ("independent_special", True, 1),
           ("primary", False, 10), ("secondary", False, 6), ("special", False, 10),
           ("independent_special", False, 12), ("non_maintained_special", False, 5),
           ("post16_special", False, 6), ("college", False, 4), ("independent", False, 3),
           ("ap", False, 2)]

_PLACES = ["Oakfield", "Riverside", "St Mary's", "Hillcrest", "Meadowbank", "Ashgrove", "Beechwood",
           "Castle Hill", "Elmbridge", "Fairfield", "Greenway", "Hawthorn", "Kingsmead", "Larkspur",
           "Maple", "Northfield", "Orchard", "Parkside", "Queensway", "Rosebank", "Southlands",
           "Thornbury", "Upton", "Valley", "Westwood", "Willowbrook", "Yew Tree", "Abbey",
           "Brookside", "Chestnut", "Dovecote", "Everdene", "Foxhill", "Glebe", "Heathside",
           "Ivydene", "Juniper", "Kestrel", "Linden", "Millbrook", "Newlands", "Old Mill",
           "Pinewood", "Quarry Bank", "Redwood", "Sandhill", "Tudor", "Unity", "Victoria", "Woodlands",
           "St John's", "Holy Cross", "St Joseph's", "Christ Church", "St Andrew's", "All Saints"]

_TYPE_GROUP = {
    **dict.fromkeys(["Community school", "Voluntary aided school", "Voluntary controlled school", "Foundation school",
                     "Pupil referral unit"], "Local authority maintained schools"),
    "Community special school": "Special schools", "Foundation special school": "Special schools",
    "Non-maintained special school": "Special schools", "Special post 16 institution": "Special schools",
    "Other independent school": "Independent schools", "Other independent special school": "Independent schools",
    "Further education": "Colleges", "Sixth form centres": "Colleges",
}


def _type_group(t: str) -> str:
    if t in _TYPE_GROUP:
        return _TYPE_GROUP[t]
    return "Free Schools" if t.startswith("Free schools") else "Academies"


def _chosen(rng: np.random.Generator, scale: float) -> pd.DataFrame:
    """One row per establishment: its kind, whether in the LA, its GIAS type and naming parts."""
    rows = []
    for kind, in_la, n in _COUNTS:
        n = max(1, int(round(n * scale)))
        types, phase, low, high, word, base = _KINDS[kind]
        tnames, tp = list(types), np.array(list(types.values()))
        if kind in ("ap", "college") and in_la:
            # the LA always has a pupil referral unit and a general FE college
            first = ["Pupil referral unit"] if kind == "ap" else ["Further education"]
            chosen = first + list(rng.choice(tnames, size=n - 1, p=tp / tp.sum()))
        else:
            chosen = list(rng.choice(tnames, size=n, p=tp / tp.sum()))
        for i, t in enumerate(chosen):
            rows.append((kind, in_la, t, phase, low, high, word, base, i))
    return pd.DataFrame(rows, columns=["_kind", "_in_la", "type", "phase", "low", "high", "word", "base", "i"])


def _identify(df: pd.DataFrame, rng: np.random.Generator, la_code: str, la_name: str) -> None:
    """URN, LA, establishment number and name of each establishment (in place)."""
    n = len(df)
    df["URN"] = np.sort(rng.choice(np.arange(100000, 150000), size=n, replace=False))[rng.permutation(n)]
    neighbour = rng.integers(0, len(NEIGHBOURS), n)
    df["LA (code)"] = np.where(df["_in_la"], la_code, [NEIGHBOURS[k][0] for k in neighbour])
    df["LA (name)"] = np.where(df["_in_la"], la_name, [NEIGHBOURS[k][1] for k in neighbour])
    number = df["base"].fillna(0).astype(int) + df.groupby(["_kind", "_in_la"]).cumcount() + 1
    df["EstablishmentNumber"] = np.where(df["base"].notna(), number.astype(str), "")
    place = np.array(_PLACES)[rng.integers(0, len(_PLACES), n)]
    word = df["word"].to_numpy(dtype=object)
    word = np.where(df["type"].str.contains("special", case=False) & (df["_kind"] != "post16_special"),
                    "Special School", word)
    word = np.where(df["type"].isin(["Academy converter", "Academy sponsor led"]) & (df["_kind"] == "secondary"),
                    "Academy", word)
    df["EstablishmentName"] = [f"{p} {w}" for p, w in zip(place, word)]


def _provision(df: pd.DataFrame, rng: np.random.Generator) -> None:
    """Nursery classes in 60% of primaries; resourced provision / SEN units in some mainstream
    schools; at least one of each in the LA, even at tiny scales (in place)."""
    n = len(df)
    mainstream = df["_kind"].isin(["primary", "secondary"]).to_numpy()
    df["_nursery"] = (df["_kind"] == "primary").to_numpy() & (rng.random(n) < 0.6)
    primary = df["_kind"] == "primary"
    df.loc[primary, "StatutoryLowAge"] = np.where(df.loc[primary, "_nursery"], "3", "4")
    rp_rate = np.where(df["_kind"] == "primary", 0.15, 0.35)
    has_rp = mainstream & (rng.random(n) < rp_rate)
    rp_kind = rng.choice(["Resourced provision", "SEN unit", "Resourced provision and SEN unit"], size=n,
                         p=[0.6, 0.3, 0.1])
    df["TypeOfResourcedProvision (name)"] = np.where(has_rp, rp_kind, "Not applicable")
    df["_rp"] = has_rp
    df["_in_census"] = df["_in_la"] & df["_kind"].isin({"primary", "secondary", "special", "ap"})
    for kind in ("primary", "secondary"):
        sel = (df["_kind"] == kind) & df["_in_la"]
        if not (df.loc[sel, "_rp"]).any():
            df.loc[df.index[sel][0], ["_rp", "TypeOfResourcedProvision (name)"]] = [True, "Resourced provision"]
    sel = (df["_kind"] == "primary") & df["_in_la"]
    if not df.loc[sel, "_nursery"].any():
        df.loc[df.index[sel][0], ["_nursery", "StatutoryLowAge"]] = [True, "3"]


def build(rng: np.random.Generator, scale: float, la_code: str, la_name: str) -> pd.DataFrame:
    """The establishment table: GIAS columns (those of the raw-file spec are written) plus generator
    columns `_kind`, `_in_la`, `_in_census`, `_nursery`, `_rp` (resourced provision / SEN unit
    type) and `_size` (relative roll)."""
    df = _chosen(rng, scale)
    _identify(df, rng, la_code, la_name)
    df["TypeOfEstablishment (name)"] = df["type"]
    df["EstablishmentTypeGroup (name)"] = df["type"].map(_type_group)
    df["EstablishmentStatus (name)"] = "Open"
    df["PhaseOfEducation (name)"] = df["phase"]
    df["StatutoryLowAge"] = df["low"].astype(str)
    df["StatutoryHighAge"] = df["high"].astype(str)
    _provision(df, rng)
    df["URN"] = df["URN"].astype(np.int64)
    known: set[str] = set(codelists.establishment_types()["gias_type"])
    if not set(df["TypeOfEstablishment (name)"]) <= known:
        raise ValueError("establishment type outside the code list")
    df["_size"] = rng.lognormal(0.0, 0.35, len(df))  # relative roll, for choosing schools
    df = df.drop(columns=["type", "phase", "low", "high", "word", "base", "i"])
    return df.sort_values("URN").reset_index(drop=True)
