"""The EHCP caseload at the census date and the annual reviews of its plans.

``duplicate_plan`` (rejected): a second active plan of the same person (the one with the latest
request is kept, then the first in file order). ``duplicate_rank`` (rejected): a second rank-1
need of the same plan (the first in file order is used). ``missing_primary_need`` /
``missing_placement`` (set unknown): an active plan without a rank-1 need / placement.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from sendlib import normalise
from sendlib.cleaning.events import Events
from sendlib.cleaning.frames import dates_for, text, unknown_as
from sendlib.cleaning.quality import SET_UNKNOWN, QualityLog, Work
from sendlib.cleaning.rows import first_of_each

_BLANK = ""


def active_plans(t: Work, log: QualityLog, ev: Events) -> pd.DataFrame:
    """Kept active plans, one per person (the one with the latest request), with person_id."""
    ap = t.rows.copy()
    ap["person_id"] = ap["requeststableid"].map(ev.person_of_request)
    ap["received"] = dates_for(ap["requeststableid"], ev.received)
    order = ap.assign(_pos=np.arange(len(ap))).sort_values(["person_id", "received", "_pos"],
                                                           ascending=[True, False, True], na_position="last")
    kept = first_of_each(t, log, order, "person_id", "requeststableid", "duplicate_plan")
    return ap[ap.index.isin(kept.index)]


def primary_needs(t: Work, log: QualityLog) -> pd.Series:
    """The rank-1 need of each active plan, by active plan id."""
    rows = t.rows
    rank1 = first_of_each(t, log, rows[rows["sentyperank_clean"] == 1], "activeplanstableid", "sentyperank",
                          "duplicate_rank")
    return rank1.set_index("activeplanstableid")["sentype_clean"]


def _log_missing(t: Work, log: QualityLog, ap: pd.DataFrame, found: pd.Index, column: str, rule: str) -> None:
    missing = ~ap["activeplanstableid"].isin(found)
    blank = pd.Series(_BLANK, index=t.df.index)
    log.add(t, t.at(ap.index[missing.to_numpy()]), column, rule, SET_UNKNOWN, values=blank)


def build(t: Work, log: QualityLog, ap: pd.DataFrame, needs: pd.Series, placements: pd.DataFrame,
          attributes: pd.DataFrame, plan_start: pd.Series, census: pd.Timestamp) -> pd.DataFrame:
    """One row per active plan (`ap`, kept rows of work table `t`): the person, primary need, main
    placement (`placements`, by active plan id), plan start and last review."""
    _log_missing(t, log, ap, needs.index, "sen_need", "missing_primary_need")
    _log_missing(t, log, ap, placements.index, "placement_detail", "missing_placement")
    cl = ap[["activeplanstableid", "person_id"]].copy().join(attributes, on="person_id")
    cl["primary_need"] = cl["activeplanstableid"].map(needs).astype(object).fillna(normalise.UNKNOWN_NEED).astype(str)
    cl["primary_need_group"] = normalise.need_group(cl["primary_need"]).astype(str)
    pl = placements.reindex(cl["activeplanstableid"])
    for c in ("placement_code", "urn", "sensetting", "establishment_type"):
        cl[c] = text(pd.Series(pl[c].to_numpy(), index=cl.index))
    cl["placement_group"] = unknown_as(pl["placement_group"], normalise.UNKNOWN_GROUP)
    cl["placement_group_kingston"] = unknown_as(pl["placement_group_kingston"], normalise.UNKNOWN_GROUP)
    cl["resourced_provision"] = pl["resourced_provision"].fillna(False).to_numpy().astype(bool)
    cl["plan_start_date"] = dates_for(ap["requeststableid"], plan_start).to_numpy()
    cl["years_in_plan"] = ((census - cl["plan_start_date"]).dt.days / 365.25).round(2).astype(float)
    cl["last_review_date"] = ap["lastreview_clean"].astype("datetime64[ns]").to_numpy()
    cl["request_id"] = ap["requeststableid"].to_numpy()
    return cl.rename(columns={"activeplanstableid": "active_plan_id"}).sort_values("person_id").reset_index(drop=True)


def annual_reviews(caseload: pd.DataFrame, ap: pd.DataFrame, census: pd.Timestamp) -> pd.DataFrame:
    """One row per active plan: whether its annual review is due and was held within 12 months."""
    twelve_months_ago = census - pd.Timedelta(days=365)
    by_plan = ap.set_index("activeplanstableid")
    reviews = caseload[["active_plan_id", "person_id", "plan_start_date", "last_review_date"]].copy()
    reviews["review_meeting_date"] = by_plan["reviewmeeting_clean"].reindex(reviews["active_plan_id"]).to_numpy()
    reviews["review_outcome"] = by_plan["reviewoutcome"].reindex(reviews["active_plan_id"]).to_numpy()
    reviews["review_due"] = (reviews["plan_start_date"].isna() | (reviews["plan_start_date"] < twelve_months_ago))
    reviews["reviewed_within_12_months"] = (reviews["last_review_date"] >= twelve_months_ago).fillna(False)
    reviews["months_since_review"] = ((census - reviews["last_review_date"]).dt.days / (365.25 / 12)).round(1)
    return reviews.reset_index(drop=True)
