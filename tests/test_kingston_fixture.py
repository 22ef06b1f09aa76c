"""Kingston upon Thames, EHCPs at the end of December 2018 (domain.md section 4), rebuilt as raw
SEN2 module CSVs and taken through the real reader, cleaner, cohort and breakdown code.

Choices for the published "<5" cells (the only ones the fixture has to invent):
- School year: Nursery 2 = 2 (the suppressed 0-4 band is exactly 1,157 - 313 - 463 - 379 = 2),
  Age 23+ = 2, Age 24+ = 1 (the 1,152 published cells leave 5 for the three).
- Primary need: MSI 4, BESD 4, NSA 4. The published need cells cannot add up to 1,157: the
  eleven published counts sum to 1,138 and four "<5" cells can hold at most 16, so 3 records
  are unaccounted for in the source table. The fixture records 7 plans with no recognisable
  need (4 blank, 3 "not known"), and the test asserts every published (unsuppressed) need cell
  exactly. BESD is a legacy code that the cleaner maps to SEMH (rule code_spelling, corrected),
  so SEMH = 153 + 4.
- Sex: 830 male, 327 female (71.7% / 28.3% to one decimal place).
- Ethnicity: the published counts (Chinese kept separate, Kingston's grouping), with the 575
  unknowns recorded as blank, REFU and NOBT, and some codes spelt as real extracts do.
"""
from __future__ import annotations

import random

import pandas as pd
import pytest

from sendlib import ages, cleaning, cohorts
from tests.cleaning_fixtures import Child, census_rows, establishments, sen2_tables, write_raw

CENSUS = pd.Timestamp("2018-12-31")
TOTAL = 1157
SCHOOL_YEARS = {"Nursery 2": 2, "Reception": 21, "Year 1": 40, "Year 2": 34, "Year 3": 71, "Year 4": 64,
                "Year 5": 83, "Year 6": 96, "Year 7": 88, "Year 8": 92, "Year 9": 100, "Year 10": 87,
                "Year 11": 74, "Year 12": 76, "Year 13": 68, "Year 14": 61, "Age 19+": 44, "Age 20+": 25,
                "Age 21+": 17, "Age 22+": 11, "Age 23+": 2, "Age 24+": 1}
PUBLISHED_NEEDS = {"ASD": 399, "SLCN": 250, "SEMH": 153, "MLD": 120, "SPLD": 55, "PD": 50, "SLD": 46,
                   "HI": 21, "PMLD": 18, "OTH": 15, "VI": 11}
INVENTED_NEEDS = {"MSI": 4, "BESD": 4, "NSA": 4}
UNKNOWN_NEEDS = 7
ETHNIC_GROUPS = {"White": 384, "Asian": 83, "Mixed": 58, "Black": 35, "Any other ethnic group": 17,
                 "Chinese": 5, "Unknown": 575}
# how each group's records are spelt in the raw extract (cycled through)
SPELLINGS = {"White": ["WBRI", "White British", "WENG", "WOTH", "wiri"], "Asian": ["AIND", "APKN", "Indian"],
             "Mixed": ["MWAS", "MOTH"], "Black": ["BAFR", "Black Caribbean"], "Any other ethnic group": ["OOTH"],
             "Chinese": ["CHNE", "Chinese"], "Unknown": ["", "REFU", "NOBT", ""]}


def _ncy_of(label: str) -> int:
    return next(n for n in range(-2, 21) if ages.school_year_label(n) == label)


def _birth_date(ncy: int, i: int) -> str:
    """A birth date giving `ncy` on 31 August 2018 (age = ncy + 5), spread over the school year."""
    age = ncy + 5
    start = pd.Timestamp(year=2018 - age - 1, month=9, day=1)
    return (start + pd.Timedelta(days=(i * 37) % 365)).strftime("%Y-%m-%d")


def kingston_children() -> list[Child]:
    rng = random.Random(2018)
    ncys = [_ncy_of(label) for label, n in SCHOOL_YEARS.items() for _ in range(n)]
    needs = [code for code, n in {**PUBLISHED_NEEDS, **INVENTED_NEEDS}.items() for _ in range(n)]
    needs += [""] * 4 + ["not known"] * 3
    # free-text spellings of a few ASD records, as older extracts carry
    asd = [i for i, c in enumerate(needs) if c == "ASD"]
    for j, i in enumerate(asd[:30]):
        needs[i] = ["Autism", "ASC", " asd"][j % 3]
    sexes = ["M"] * 830 + ["F"] * 327
    eth = []
    for group, n in ETHNIC_GROUPS.items():
        eth += [SPELLINGS[group][k % len(SPELLINGS[group])] for k in range(n)]
    for lst in (needs, sexes, eth):
        rng.shuffle(lst)
    assert len(ncys) == len(needs) == len(sexes) == len(eth) == TOTAL
    return [Child(pid=str(1000 + i), dob=_birth_date(ncy, i), sex=sex, ethnicity=e, need=need,
                  urn="100001" if ncy < 12 else "100004", start="2016-06-01", received="2016-01-10",
                  lastreview="2018-06-01")
            for i, (ncy, need, sex, e) in enumerate(zip(ncys, needs, sexes, eth))]


@pytest.fixture(scope="module")
def kingston(tmp_path_factory):
    raw = tmp_path_factory.mktemp("kingston") / "raw"
    tables = sen2_tables(kingston_children())
    tables["school_census"] = census_rows([dict(upn="K000000000001", dob="2010-01-01", provision="N")])
    tables["establishments"] = establishments()
    write_raw(raw, tables, manifest={"synthetic": True})
    out = raw.parent / "processed"
    result = cleaning.clean(raw, out, CENSUS.date().isoformat())
    return result, cohorts.load(out)


def _counts(df, col):
    return dict(zip(df[col], df["count"]))


def test_total(kingston):
    _, tables = kingston
    assert len(cohorts.ehcp_caseload(tables, CENSUS)) == TOTAL


def test_school_years_and_age_bands(kingston):
    _, tables = kingston
    ehcp = cohorts.ehcp_caseload(tables)
    by_year = _counts(cohorts.breakdown(ehcp, by=["school year"]), "school_year")
    assert by_year == SCHOOL_YEARS
    bands = _counts(cohorts.breakdown(ehcp, by="eqia age band"), "age_band_eqia")
    assert bands == {"0-4": 2, "5-10": 313, "11-15": 463, "16+": 379}


def test_primary_need(kingston):
    result, tables = kingston
    needs = _counts(cohorts.breakdown(cohorts.ehcp_caseload(tables), by="need"), "primary_need")
    expected = {**PUBLISHED_NEEDS, "SEMH": 153 + INVENTED_NEEDS["BESD"], "MSI": 4, "NSA": 4,
                "UNKNOWN": UNKNOWN_NEEDS}
    assert needs == expected
    report = result.quality_report
    besd = report[(report["file"] == "sen_need.csv") & (report["value"] == "BESD")]
    assert len(besd) == 4 and set(besd["rule"]) == {"code_spelling"} and set(besd["action"]) == {"corrected"}
    assert (report["rule"] == "unknown_code").sum() == 3  # the "not known" records


def test_sex(kingston):
    _, tables = kingston
    sex = cohorts.breakdown(cohorts.ehcp_caseload(tables), by="sex").set_index("sex")["percent"].round(1)
    assert sex.to_dict() == {"M": 71.7, "F": 28.3}


def test_ethnicity_kingston_grouping(kingston):
    _, tables = kingston
    ehcp = cohorts.ehcp_caseload(tables)
    groups = cohorts.breakdown(ehcp, by="ethnicity_group_kingston")
    assert _counts(groups, "ethnicity_group_kingston") == ETHNIC_GROUPS
    unknown = groups.set_index("ethnicity_group_kingston").loc["Unknown", "percent"]
    assert round(unknown, 1) == 49.7
    # the DfE grouping puts the 5 Chinese records under Asian
    dfe = _counts(cohorts.breakdown(ehcp, by="ethnicity group"), "ethnicity_group_dfe")
    assert dfe["Asian"] == 83 + 5 and "Chinese" not in dfe


def test_every_row_accounted_for(kingston):
    result, _ = kingston
    for name, f in result.summary["files"].items():
        assert f["rows_read"] == f["rows_kept"] + f["rows_rejected"], name
        assert f["rows_rejected"] == 0, name
