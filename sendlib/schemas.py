"""Declared schemas of the ten processed tables that `sendlib clean` writes: the contract between
the cleaning stage and every later stage (cohorts, equality, forecast, reports).

Every schema is strict (no column beyond those declared) and is checked twice: by `clean` before
the tables are written (a mismatch there is a bug in the cleaner) and by :func:`sendlib.cohorts.load`
when they are read back (a mismatch there means the folder was not written by this version of
`sendlib clean`). Personal data never appears here: persons are identified by the pseudonymous
``person_id``, and birth dates are kept only as the first day of the month of birth.
"""
from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pandera.pandas as pa
from pandas.api.types import is_string_dtype

from sendlib import ages, codelists

_SEX = ["M", "F", "U"]
_UNKNOWN = "Unknown"
_PERSON_ID = r"^P[0-9a-f]{16}$"
_INDICATOR = ["1", "0", ""]


def _is_text(values: pd.Series) -> bool:
    return is_string_dtype(values.dropna())


def _text(*, nullable: bool = False, isin=None) -> pa.Column:
    """Text, as pandas ``str`` or as Python strings in an ``object`` column (the cleaner writes both;
    Parquet keeps the difference, so the schema accepts either)."""
    checks = [pa.Check(_is_text, error="values must be text")]
    if isin is not None:
        checks.append(pa.Check.isin(list(isin)))
    return pa.Column(None, checks, nullable=nullable)


def _date(*, nullable: bool = True) -> pa.Column:
    return pa.Column("datetime64[ns]", nullable=nullable)


def _flag() -> pa.Column:
    return pa.Column(bool)


def _person_id() -> pa.Column:
    return pa.Column(None, [pa.Check(_is_text, error="values must be text"), pa.Check.str_matches(_PERSON_ID)])


def _person_columns() -> dict[str, pa.Column]:
    eth = codelists.ethnicities()
    return {
        "person_id": _person_id(),
        "birth_month": pa.Column("datetime64[ns]", nullable=True,
                                 checks=pa.Check(lambda s: (s.dropna().dt.day == 1).all(),
                                                 error="birth_month must be the first of the month")),
        "sex": _text(isin=_SEX),
        "ethnicity": _text(isin=list(eth["code"]) + ["UNKN"]),
        "ethnicity_group_dfe": _text(isin=list(eth["major_group_dfe"]) + [_UNKNOWN]),
        "ethnicity_group_kingston": _text(isin=list(eth["major_group_kingston"]) + [_UNKNOWN]),
    }


def _age_columns() -> dict[str, pa.Column]:
    return {
        "age": pa.Column("Int64", pa.Check.in_range(-5, 30), nullable=True),
        "ncy": pa.Column("Int64", nullable=True),
        "age_band_dfe": _text(isin=ages.DFE_AGE_BANDS + [_UNKNOWN]),
        "age_band_eqia": _text(isin=ages.EQIA_AGE_BANDS + [_UNKNOWN]),
        "school_year": _text(isin=ages.SCHOOL_YEAR_LABELS),
    }


def _need_columns(nullable: bool = False) -> dict[str, pa.Column]:
    needs = codelists.sen_types()
    return {
        "primary_need": _text(nullable=nullable, isin=list(needs["code"]) + ["UNKNOWN"]),
        "primary_need_group": _text(nullable=nullable, isin=list(needs["need_group"]) + [_UNKNOWN]),
    }


def _placement_groups() -> dict[str, pa.Column]:
    return {"placement_group": _text(isin=codelists.placement_group_order("dfe")),
            "placement_group_kingston": _text(isin=codelists.placement_group_order("kingston"))}


def _plan_ids() -> dict[str, pa.Column]:
    return {"plan_id": _text(), "assessment_id": _text(), "request_id": _text(), "person_id": _person_id()}


def _schema(columns: dict[str, pa.Column], unique: list[str] | None = None) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(columns, unique=unique, strict=True, coerce=False)


def persons() -> pa.DataFrameSchema:
    """One row per person in the SEN2 return."""
    return _schema(_person_columns(), unique=["person_id"])


def ehcp_caseload() -> pa.DataFrameSchema:
    """One row per active EHC plan at the census date."""
    cols = {"active_plan_id": _text(), **_person_columns(), **_age_columns(), **_need_columns(),
            "placement_code": _text(nullable=True), "urn": _text(nullable=True),
            "sensetting": _text(nullable=True, isin=codelists.sen_settings()["code"]),
            "establishment_type": _text(nullable=True), **_placement_groups(),
            "resourced_provision": _flag(), "plan_start_date": _date(),
            "years_in_plan": pa.Column(float, nullable=True), "last_review_date": _date(), "request_id": _text()}
    return _schema(cols, unique=["person_id"])


def _pupil_columns(provision: list[str], need_nullable: bool) -> dict[str, pa.Column]:
    return {**_person_columns(), **_age_columns(), "sen_provision": _text(isin=provision),
            **_need_columns(nullable=need_nullable), "ncy_actual": _text(),
            "urn": _text(nullable=True), "establishment_type": _text(nullable=True)}


def sen_support() -> pa.DataFrameSchema:
    """One row per pupil with SEN provision K (SEN support) in the school census."""
    return _schema(_pupil_columns(["K"], need_nullable=False), unique=["person_id"])


def pupils() -> pa.DataFrameSchema:
    """One row per pupil in the school census: the denominator for rates (U: provision blank or
    unrecognised; the primary need is blank for pupils without SEN provision)."""
    return _schema(_pupil_columns(["N", "K", "E", "U"], need_nullable=True), unique=["person_id"])


def requests() -> pa.DataFrameSchema:
    """One row per request for an EHC needs assessment."""
    return _schema({"request_id": _text(), "person_id": _person_id(), "received_date": _date(),
                    "request_source": _text(), "request_outcome": _text(), "request_outcome_date": _date(),
                    "mediation": _text(isin=_INDICATOR), "tribunal": _text(isin=_INDICATOR),
                    "in_period": _flag()}, unique=["request_id"])


def assessments() -> pa.DataFrameSchema:
    """One row per EHC needs assessment, with the weeks to its outcome and to the plan's issue."""
    maybe = pa.Column("boolean", nullable=True)
    weeks = pa.Column(float, nullable=True)
    return _schema({"assessment_id": _text(), "request_id": _text(), "person_id": _person_id(),
                    "received_date": _date(), "assessment_outcome": _text(), "assessment_outcome_date": _date(),
                    "plan_issued_date": _date(), "exception": _flag(), "mediation": _text(isin=_INDICATOR),
                    "tribunal": _text(isin=_INDICATOR), "weeks_to_outcome": weeks, "outcome_within_20_weeks": maybe,
                    "weeks_to_issue": weeks, "within_20_weeks": maybe, "within_20_weeks_excluding_exceptions": maybe,
                    "issued_in_period": _flag(), "outcome_in_period": _flag()}, unique=["assessment_id"])


def new_plans() -> pa.DataFrameSchema:
    """One row per EHC plan issued in the activity year."""
    person = {k: v for k, v in _person_columns().items() if k != "person_id"}
    return _schema({**_plan_ids(), "start_date": _date(nullable=False), **person, **_age_columns(),
                    **_placement_groups(), "establishment_type": _text(nullable=True)}, unique=["plan_id"])


def ceased_plans() -> pa.DataFrameSchema:
    """One row per EHC plan that ceased in the activity year."""
    person = {k: v for k, v in _person_columns().items() if k != "person_id"}
    reasons = codelists.cease_reasons()
    return _schema({**_plan_ids(), "start_date": _date(), "cease_date": _date(nullable=False),
                    "cease_reason": _text(nullable=True, isin=[str(c) for c in reasons]),
                    "cease_reason_label": _text(isin=list(reasons.values()) + [_UNKNOWN]),
                    **person, **_age_columns()}, unique=["plan_id"])


def annual_reviews() -> pa.DataFrameSchema:
    """One row per active plan: whether its annual review is due and was held within 12 months."""
    return _schema({"active_plan_id": _text(), "person_id": _person_id(), "plan_start_date": _date(),
                    "last_review_date": _date(), "review_meeting_date": _date(), "review_outcome": _text(),
                    "review_due": _flag(), "reviewed_within_12_months": _flag(),
                    "months_since_review": pa.Column(float, nullable=True)}, unique=["active_plan_id"])


def population() -> pa.DataFrameSchema:
    """ONS mid-year estimates: one row per year, sex (or All) and single year of age."""
    return _schema({"area_code": _text(), "year": pa.Column("int64"), "sex": _text(isin=_SEX + ["All"]),
                    "age": pa.Column("int64", pa.Check.ge(0)), "population": pa.Column(float, pa.Check.ge(0))})


SCHEMAS: dict[str, Callable[[], pa.DataFrameSchema]] = {
    "persons": persons, "ehcp_caseload": ehcp_caseload, "sen_support": sen_support, "pupils": pupils,
    "requests": requests, "assessments": assessments, "new_plans": new_plans, "ceased_plans": ceased_plans,
    "annual_reviews": annual_reviews, "population": population}
TABLES = list(SCHEMAS)  # the processed tables, in the order the docs list them


def problems(name: str, table: pd.DataFrame) -> pd.DataFrame | None:
    """The failure cases of `table` against the schema of `name` (None when it conforms)."""
    import pandera.errors

    try:
        SCHEMAS[name]().validate(table, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        return exc.failure_cases
    return None


def validate(tables: dict) -> None:
    """Validate the cleaner's tables (population only when present); a mismatch is a bug in the
    cleaner (RuntimeError), never a user mistake."""
    for name in SCHEMAS:
        if name in tables:
            found = problems(name, tables[name])
            if found is not None:
                raise RuntimeError(f"table {name} does not match its schema:\n{found.head(20)}")
