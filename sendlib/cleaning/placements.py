"""Placements: the rank-1 placement of each active plan (placement_detail) or named plan
(plan_detail), typed by its establishment (URN, through the GIAS lookup) or its SEN setting.

``duplicate_rank`` (rejected): a second rank-1 placement of the same plan (the first in file order
is used). ``unknown_urn`` (set unknown): a placement URN not in the establishments lookup.
"""
from __future__ import annotations

import pandas as pd

from sendlib import normalise
from sendlib.cleaning.quality import SET_UNKNOWN, QualityLog, Work
from sendlib.cleaning.rows import first_of_each


def establishment_types(establishments: Work) -> pd.Series:
    """The normalised GIAS type of each kept establishment, by URN."""
    est = establishments.rows
    return est.set_index("URN")["TypeOfEstablishment (name)_clean"].rename_axis("urn").rename("establishment_type")


def urns_by_laestab(establishments: Work) -> pd.Series:
    """The URN of each kept establishment by its LAEstab (LA code and establishment number, e.g.
    3142001); where a closed and an open school share one, the open school's."""
    est = establishments.rows
    la, number = est["LA (code)"].str.strip(), est["EstablishmentNumber"].str.strip()
    closed = est["EstablishmentStatus (name)"].str.strip().str.lower().str.startswith("closed")
    table = pd.DataFrame({"laestab": (la + number).to_numpy(), "urn": est["URN"].to_numpy(),
                          "closed": closed.to_numpy()})[((la != "") & (number != "")).to_numpy()]
    table = table.sort_values(["laestab", "closed"], kind="stable").drop_duplicates("laestab")
    return table.set_index("laestab")["urn"]


def main_placements(t: Work, log: QualityLog, types: pd.Series, parent: str) -> pd.DataFrame:
    """Rank-1 placement per `parent` id: urn, sensetting, establishment_type, resourced_provision and
    the placement columns of :func:`sendlib.normalise.placement`."""
    rows = t.rows
    main = first_of_each(t, log, rows[rows["placementrank_clean"] == 1], parent, "placementrank",
                         "duplicate_rank").copy()
    etype = main["urn"].map(types).astype(object)
    log.add(t, t.at(main.index[((main["urn"] != "") & etype.isna()).to_numpy()]), "urn", "unknown_urn", SET_UNKNOWN)
    etype = etype.where(etype != "", None)
    setting = main["sensetting_clean"]
    resourced = (main["resourcedprovisionindicator_clean"] == "1") | (main["senunitindicator_clean"] == "1")
    groups = normalise.placement(etype.fillna(""), setting.where(etype.isna(), ""), resourced)
    return pd.DataFrame({parent: main[parent], "urn": main["urn"].where(main["urn"] != "", None),
                         "sensetting": setting.where(setting != "", None),
                         "establishment_type": etype, "resourced_provision": resourced,
                         **{c: groups[c] for c in groups.columns}}).set_index(parent)
