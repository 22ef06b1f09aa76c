"""Pupils of the school census (the denominator for rates) and the SEN support cohort (provision K).

School census rows are identified in the quality report by their pseudonymous ``person_id`` (the
UPN is the person key), never by the UPN. ``missing_code`` (set unknown): a blank primary need of a
pupil with SEN provision K or E; the primary need of other pupils is blank by design.
"""
from __future__ import annotations

import pandas as pd

from sendlib import normalise, pseudonymise
from sendlib.cleaning.cells import id_text
from sendlib.cleaning.frames import text
from sendlib.cleaning.persons import person_columns
from sendlib.cleaning.quality import SET_UNKNOWN, QualityLog, Work

_SEN = ["K", "E"]  # provision of pupils who have a primary need: SEN support or an EHC plan


def identify(t: Work, key: bytes) -> None:
    """Give school census rows their pseudonymous ``person_id`` (blank without a UPN); rows are
    reported by it."""
    upn = id_text(t.df["upn"], upper=True)
    t.df["person_id"] = pseudonymise.person_ids(upn, key).where(upn != "", "")
    t.report_key = t.df["person_id"].astype(object)  # never the UPN


def primary_need_rule(t: Work, log: QualityLog) -> None:
    """A blank primary need is a problem only for a pupil with SEN provision (K or E)."""
    has_need = t.df["primarysentype"].str.strip() != ""
    sen = t.df["senprovision_clean"].isin(_SEN)
    log.add(t, sen & ~has_need, "primarysentype", "missing_code", SET_UNKNOWN)
    t.df["primarysentype_clean"] = t.df["primarysentype_clean"].where(has_need | sen, None)


def urn_from_laestab(t: Work, log: QualityLog, by_laestab: pd.Series) -> None:
    """A pupil's school given as LAEstab (school census exports' name for LA code and establishment
    number) instead of URN takes the URN of that establishment; an LAEstab the establishments file
    does not hold is ``unknown_urn`` (set unknown)."""
    given = (t.df["urn"] == "") & (t.df["laestab"] != "") & t.kept
    found = t.df["laestab"].map(by_laestab)
    log.add(t, given & found.isna(), "laestab", "unknown_urn", SET_UNKNOWN)
    t.df["urn"] = t.df["urn"].where(~given, found.fillna("").astype(str))


def build(t: Work, types: pd.Series, census: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(pupils, SEN support): one row per kept pupil, and those with provision K."""
    sc = t.rows
    need = sc["primarysentype_clean"]
    pupils = person_columns(t, sc, census)
    pupils["sen_provision"] = sc["senprovision_clean"].astype(str)
    pupils["primary_need"] = text(need)
    pupils["primary_need_group"] = text(normalise.need_group(need).where(need.notna()))
    pupils["ncy_actual"] = sc["ncyearactual"].str.strip()
    pupils["urn"] = text(sc["urn"].where(sc["urn"] != ""))
    et = sc["urn"].map(types)
    pupils["establishment_type"] = text(et.where(et.notna() & (et != "")))
    pupils = pupils.sort_values("person_id").reset_index(drop=True)
    support = pupils[pupils["sen_provision"] == "K"].copy()
    support["primary_need"] = support["primary_need"].fillna(normalise.UNKNOWN_NEED).astype(str)
    support["primary_need_group"] = normalise.need_group(support["primary_need"]).astype(str)
    return pupils, support.reset_index(drop=True)
