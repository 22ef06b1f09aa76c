"""Persons of the SEN2 return: pseudonymous ``person_id``, month of birth, sex, ethnicity, age.

``duplicate_person`` (corrected): two SEN2 person rows with the same UPN are the same person (one
``person_id``); the persons table keeps the first.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sendlib import ages, normalise, pseudonymise
from sendlib.cleaning.quality import CORRECTED, QualityLog, Work

PERSON_COLUMNS = ["person_id", "birth_month", "sex", "ethnicity", "ethnicity_group_dfe", "ethnicity_group_kingston"]


def person_columns(t: Work, rows: pd.DataFrame, census: pd.Timestamp) -> pd.DataFrame:
    """Person and age columns (schemas: person_id ... school_year) of kept `rows` of work table `t`."""
    birth = pd.to_datetime(rows[f"{t.declared.with_role('birth_date')}_clean"])
    ethnicity = rows["ethnicity_clean"]
    age = ages.age_at_31_august(birth, census)
    ncy = ages.ncy_from_age(age)
    return pd.DataFrame({
        "person_id": rows["person_id"].astype(str),
        "birth_month": birth.dt.to_period("M").dt.to_timestamp().astype("datetime64[ns]"),
        "sex": rows["sex_clean"].astype(str),
        "ethnicity": ethnicity.astype(str),
        "ethnicity_group_dfe": normalise.ethnicity_group(ethnicity, "dfe").astype(str),
        "ethnicity_group_kingston": normalise.ethnicity_group(ethnicity, "kingston").astype(str),
        "age": age,
        "ncy": ncy,
        "age_band_dfe": ages.dfe_age_band(age).astype(object).fillna("Unknown").astype(str),
        "age_band_eqia": ages.eqia_age_band(age).astype(object).fillna("Unknown").astype(str),
        "school_year": ages.school_year(ncy).astype(str),
    }, index=rows.index)


@dataclass
class People:
    """The persons table, each person's attributes by ``person_id`` and the ``person_id`` of each
    SEN2 person record."""
    table: pd.DataFrame
    attributes: pd.DataFrame
    of_record: pd.Series


def build(person: Work, log: QualityLog, census: pd.Timestamp, key: bytes) -> People:
    """Pseudonymise the SEN2 persons (UPN when present, else the LA's person id) and build their table."""
    person.df["person_id"] = pseudonymise.person_ids(
        pseudonymise.person_keys(person.df["upn"], person.df["persontableid"]), key)
    rows = person.rows
    dup_person = rows["person_id"].duplicated(keep="first")
    log.add(person, person.at(rows.index[dup_person.to_numpy()]), "upn", "duplicate_person", CORRECTED)
    persons = person_columns(person, rows, census)[~dup_person.to_numpy()]
    table = persons[PERSON_COLUMNS].sort_values("person_id").reset_index(drop=True)
    return People(table, persons.set_index("person_id"), rows.set_index("persontableid")["person_id"])
