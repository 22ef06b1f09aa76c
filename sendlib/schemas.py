"""Declared schemas of the processed tables that `sendlib clean` writes (the contract between the
cleaning stage and every later stage: cohorts, equality, forecast, reports).

Columns are validated with pandera when the tables are written and when they are read back.
Personal data never appears here: persons are identified by the pseudonymous `person_id`, and
birth dates are kept only as the first day of the month of birth.
"""
from __future__ import annotations

import pandera.pandas as pa

from sendlib import codelists

_SEX = ["M", "F", "U"]


def _codes(df, col="code"):
    return list(df[col])


def _person_columns() -> dict[str, pa.Column]:
    eth = codelists.ethnicities()
    groups = sorted(set(eth["major_group_dfe"]) | set(eth["major_group_kingston"]))
    return {
        "person_id": pa.Column(str, pa.Check.str_matches(r"^P[0-9a-f]{16}$")),
        "birth_month": pa.Column("datetime64[ns]", nullable=True,
                                 checks=pa.Check(lambda s: (s.dropna().dt.day == 1).all(),
                                                 error="birth_month must be the first of the month")),
        "sex": pa.Column(str, pa.Check.isin(_SEX)),
        "ethnicity": pa.Column(str, pa.Check.isin(_codes(eth) + ["UNKN"])),
        "ethnicity_group_dfe": pa.Column(str, pa.Check.isin(groups)),
        "ethnicity_group_kingston": pa.Column(str, pa.Check.isin(groups)),
    }


def _age_columns() -> dict[str, pa.Column]:
    return {
        "age": pa.Column("Int64", pa.Check.in_range(-5, 30), nullable=True),
        "ncy": pa.Column("Int64", nullable=True),
        "age_band_dfe": pa.Column(str),
        "age_band_eqia": pa.Column(str),
        "school_year": pa.Column(str),
    }


def _need_columns() -> dict[str, pa.Column]:
    needs = codelists.sen_types()
    return {
        "primary_need": pa.Column(str, pa.Check.isin(_codes(needs) + ["UNKNOWN"])),
        "primary_need_group": pa.Column(str),
    }


def persons() -> pa.DataFrameSchema:
    """One row per person in the SEN2 return."""
    return pa.DataFrameSchema(_person_columns(), unique=["person_id"], strict=False, coerce=False)


def ehcp_caseload() -> pa.DataFrameSchema:
    """One row per active EHC plan at the census date."""
    cols = {**_person_columns(), **_age_columns(), **_need_columns(),
            "placement_code": pa.Column(str, nullable=True),
            "placement_group": pa.Column(str),
            "placement_group_kingston": pa.Column(str),
            "establishment_type": pa.Column(str, nullable=True),
            "plan_start_date": pa.Column("datetime64[ns]", nullable=True),
            "years_in_plan": pa.Column(float, nullable=True),
            "last_review_date": pa.Column("datetime64[ns]", nullable=True)}
    return pa.DataFrameSchema(cols, unique=["person_id"], strict=False)


def sen_support() -> pa.DataFrameSchema:
    """One row per pupil with SEN provision K (SEN support) in the school census."""
    cols = {**_person_columns(), **_age_columns(), **_need_columns(),
            "urn": pa.Column(str, nullable=True),
            "establishment_type": pa.Column(str, nullable=True)}
    return pa.DataFrameSchema(cols, unique=["person_id"], strict=False)


def pupils() -> pa.DataFrameSchema:
    """One row per pupil in the school census: the denominator for rates."""
    cols = {**_person_columns(), **_age_columns(),
            "sen_provision": pa.Column(str, pa.Check.isin(["N", "K", "E", "U"])),  # U: blank or unrecognised
            "primary_need": pa.Column(str, nullable=True),
            "urn": pa.Column(str, nullable=True)}
    return pa.DataFrameSchema(cols, unique=["person_id"], strict=False)


SCHEMAS = {"persons": persons, "ehcp_caseload": ehcp_caseload, "sen_support": sen_support,
           "pupils": pupils}


def validate(tables: dict) -> None:
    """Validate the cleaner's tables against their schemas; a mismatch is a bug in the cleaner
    (RuntimeError), never a user mistake."""
    import pandera.errors

    for name, schema in SCHEMAS.items():
        try:
            schema().validate(tables[name], lazy=True)
        except pandera.errors.SchemaErrors as exc:
            raise RuntimeError(f"table {name} does not match its schema:\n{exc.failure_cases.head(20)}") from None
