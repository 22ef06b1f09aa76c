"""Events of the SEN2 return: requests, assessments, new plans and ceased plans, each linked to the
pseudonymous person, with the 20-week measures of assessments."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sendlib import codelists, normalise
from sendlib.cleaning.frames import dates_for, unknown_as, when_in
from sendlib.cleaning.quality import Work

_AGREED = ["Y", "1", "YES"]  # assessment outcome: a plan is to be issued


@dataclass
class Events:
    """The kept request, assessment and named-plan rows, each with its ``person_id``."""
    requests: pd.DataFrame
    assessments: pd.DataFrame
    plans: pd.DataFrame

    @property
    def person_of_request(self) -> pd.Series:
        return self.requests.set_index("requeststableid")["person_id"]

    @property
    def received(self) -> pd.Series:
        """Date each request was received, by request id."""
        return self.requests.set_index("requeststableid")["receiveddate_clean"]

    def plan_start_by_request(self) -> pd.Series:
        """Start date of the plan issued on each request (the latest if several). Plans issued before
        the activity year are not in named_plan: their start is the date of the assessment outcome
        "plan to be issued" on the same request."""
        plans, asm = self.plans, self.assessments
        start = (plans.dropna(subset=["startdate_clean"]).sort_values("startdate_clean")
                 .drop_duplicates("requeststableid", keep="last").set_index("requeststableid")["startdate_clean"])
        agreed = asm[asm["assessmentoutcome"].str.strip().str.upper().isin(_AGREED)]
        agreed_date = (agreed.dropna(subset=["assessmentoutcomedate_clean"])
                       .sort_values("assessmentoutcomedate_clean").drop_duplicates("requeststableid", keep="last")
                       .set_index("requeststableid")["assessmentoutcomedate_clean"])
        return start.combine_first(agreed_date)


def link(works: dict[str, Work], person_of_record: pd.Series) -> Events:
    """Requests, assessments and named plans linked to the person of their request."""
    req = works["requests"].rows.copy()
    req["person_id"] = req["persontableid"].map(person_of_record)
    request_person = req.set_index("requeststableid")["person_id"]
    asm = works["assessment"].rows.copy()
    asm["person_id"] = asm["requeststableid"].map(request_person)
    plans = works["named_plan"].rows.copy()
    plans["requeststableid"] = plans["assessmenttableid"].map(asm.set_index("assessmenttableid")["requeststableid"])
    plans["person_id"] = plans["requeststableid"].map(request_person)
    return Events(req, asm, plans)


def requests(ev: Events, period: tuple[pd.Timestamp, pd.Timestamp]) -> pd.DataFrame:
    """One row per request for an EHC needs assessment; ``in_period`` when received in the period."""
    req = ev.requests
    out = pd.DataFrame({
        "request_id": req["requeststableid"], "person_id": req["person_id"],
        "received_date": req["receiveddate_clean"].astype("datetime64[ns]"),
        "request_source": req["requestsource"].str.strip(), "request_outcome": req["requestoutcome"].str.strip(),
        "request_outcome_date": req["requestoutcomedate_clean"].astype("datetime64[ns]"),
        "mediation": req["requestmediation_clean"].astype(str), "tribunal": req["requesttribunal_clean"].astype(str),
    })
    out["in_period"] = out["received_date"].between(*period)
    return out.sort_values("request_id").reset_index(drop=True)


def assessments(ev: Events, period: tuple[pd.Timestamp, pd.Timestamp], week20_is_exception: bool) -> pd.DataFrame:
    """One row per assessment with the weeks from request to outcome and to the plan's issue."""
    asm, plans = ev.assessments, ev.plans
    issued = plans.dropna(subset=["startdate_clean"]).sort_values("startdate_clean").drop_duplicates(
        "assessmenttableid", keep="first").set_index("assessmenttableid")["startdate_clean"]
    out = pd.DataFrame({
        "assessment_id": asm["assessmenttableid"], "request_id": asm["requeststableid"], "person_id": asm["person_id"],
        "received_date": dates_for(asm["requeststableid"], ev.received),
        "assessment_outcome": asm["assessmentoutcome"].str.strip().str.upper(),
        "assessment_outcome_date": asm["assessmentoutcomedate_clean"].astype("datetime64[ns]"),
        "plan_issued_date": dates_for(asm["assessmenttableid"], issued),
        # SEN2 week20: "20-week time limit exceptions apply" (1 = yes)
        "exception": (asm["week20_clean"] == "1") & week20_is_exception,
        "mediation": asm["assessmentmediation_clean"].astype(str),
        "tribunal": asm["assessmenttribunal_clean"].astype(str),
    })
    out["weeks_to_outcome"] = _weeks(out["received_date"], out["assessment_outcome_date"])
    out["outcome_within_20_weeks"] = _within_20(out["weeks_to_outcome"])
    out["weeks_to_issue"] = _weeks(out["received_date"], out["plan_issued_date"])
    out["within_20_weeks"] = _within_20(out["weeks_to_issue"])
    out["within_20_weeks_excluding_exceptions"] = out["within_20_weeks"].where(~out["exception"])
    out["issued_in_period"] = out["plan_issued_date"].between(*period)
    out["outcome_in_period"] = out["assessment_outcome_date"].between(*period)
    return out.sort_values("assessment_id").reset_index(drop=True)


def _weeks(start: pd.Series, end: pd.Series) -> pd.Series:
    return ((end - start).dt.days / 7).round(2)


def _within_20(weeks: pd.Series) -> pd.Series:
    return (weeks <= 20).astype("boolean").where(weeks.notna())


def _plan_rows(plans: pd.DataFrame, when: pd.Series) -> pd.DataFrame:
    base = plans.loc[when, ["namedplantableid", "assessmenttableid", "requeststableid", "person_id"]]
    return base.rename(columns={"namedplantableid": "plan_id", "assessmenttableid": "assessment_id",
                                "requeststableid": "request_id"})


def new_plans(ev: Events, attributes: pd.DataFrame, named: pd.DataFrame,
              period: tuple[pd.Timestamp, pd.Timestamp]) -> pd.DataFrame:
    """Plans issued in the period, with the person and the placement the plan names (`named`: the
    main placement of each named plan, by plan id)."""
    plans = ev.plans
    new = when_in(plans["startdate_clean"], period)
    out = _plan_rows(plans, new)
    out["start_date"] = plans.loc[new, "startdate_clean"].astype("datetime64[ns]")
    out = out.join(attributes, on="person_id")
    pp = named.reindex(out["plan_id"])
    out["placement_group"] = unknown_as(pp["placement_group"], normalise.UNKNOWN_GROUP)
    out["placement_group_kingston"] = unknown_as(pp["placement_group_kingston"], normalise.UNKNOWN_GROUP)
    out["establishment_type"] = pp["establishment_type"].to_numpy()
    return out.sort_values("plan_id").reset_index(drop=True)


def ceased_plans(ev: Events, attributes: pd.DataFrame, period: tuple[pd.Timestamp, pd.Timestamp]) -> pd.DataFrame:
    """Plans that ceased in the period, with their reason and the person."""
    plans = ev.plans
    ceased = when_in(plans["ceasedate_clean"], period)
    out = _plan_rows(plans, ceased)
    out["start_date"] = plans.loc[ceased, "startdate_clean"].astype("datetime64[ns]")
    out["cease_date"] = plans.loc[ceased, "ceasedate_clean"].astype("datetime64[ns]")
    reason = plans.loc[ceased, "ceasereason_clean"]
    out["cease_reason"] = reason.where(reason != "", None)
    labels = {str(k): v for k, v in codelists.cease_reasons().items()}
    out["cease_reason_label"] = out["cease_reason"].map(labels).fillna("Unknown")
    return out.join(attributes, on="person_id").sort_values("plan_id").reset_index(drop=True)
