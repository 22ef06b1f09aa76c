"""What the equality tables break down, and how their cells are named.

Each cell of the table set is keyed ``(cohort, measure, topic, breakdown)``: measure ``count``
(people in the cohort), ``population`` (pupils in the school census, cohort :data:`PUPILS`) or
``cohort_pupils`` (the cohort's people found in the census).
"""
from __future__ import annotations

from dataclasses import dataclass

UNKNOWN, KNOWN, TOTAL = "Unknown", "Total known", "Total"
SPECIAL = (UNKNOWN, KNOWN, TOTAL)
SEP = " | "  # joins row and column labels of a cross-tabulation in `breakdown`

COHORTS = {"EHCP": ("ehcp_caseload", "E"), "SEN support": ("sen_support", "K")}
PUPILS = "Pupils"  # the school census population, shared by both cohorts
CENSUS_COHORT = "SEN support"  # the cohort that *is* a group of census pupils (no cohort_pupils cells)

# the DfE open-data layout: time and geography, then filters, then indicators (sendlib.equality.opendata)
GEOGRAPHY_COLUMNS = ["time_period", "time_identifier", "geographic_level", "country_code", "country_name",
                     "region_code", "region_name", "old_la_code", "new_la_code", "la_name"]
FILTER_COLUMNS = ["cohort", "breakdown_topic", "breakdown"]
ID_COLUMNS = GEOGRAPHY_COLUMNS + FILTER_COLUMNS
COUNT_COLUMNS = ["count", "percent", "percent_of_known"]
DISPROPORTIONALITY_COLUMNS = ["population", "cohort_pupils", "risk_percent", "risk_ratio",
                              "risk_ratio_lower", "risk_ratio_upper", "disproportionality"]
COLUMNS = ID_COLUMNS + COUNT_COLUMNS + DISPROPORTIONALITY_COLUMNS


@dataclass(frozen=True)
class Topic:
    id: str
    label: str  # `breakdown_topic` in the published tables
    sheet: str  # short name for the Excel sheet
    group: str  # what show_topic() calls it: age, need, sex, ethnicity, placement
    rows: str = ""  # cross-tabulations: the one-way topics of rows and columns
    cols: str = ""
    disproportionality: bool = False

    @property
    def is_cross(self) -> bool:
        return bool(self.rows)


TOPICS = [
    Topic("age_eqia", "Age (EqIA bands)", "Age EqIA", "age", disproportionality=True),
    Topic("age_dfe", "Age (DfE bands)", "Age DfE", "age", disproportionality=True),
    Topic("school_year", "School year", "School year", "age"),
    Topic("need", "Primary need", "Primary need", "need"),
    Topic("sex", "Sex", "Sex", "sex", disproportionality=True),
    Topic("ethnicity_major", "Ethnicity (major group)", "Ethnicity", "ethnicity", disproportionality=True),
    Topic("ethnicity_detailed", "Ethnicity (detailed)", "Ethnicity detailed", "ethnicity",
          disproportionality=True),
    Topic("placement", "Placement group", "Placement", "placement"),
    Topic("need_by_sex", "Primary need by sex", "Need by sex", "need", rows="need", cols="sex"),
    Topic("ethnicity_by_age", "Ethnicity by age band", "Ethnicity by age", "ethnicity",
          rows="ethnicity_major", cols="age_eqia"),
]
TOPIC = {t.id: t for t in TOPICS}
TOPIC_BY_LABEL = {t.label: t for t in TOPICS}
GROUPS = ["age", "need", "sex", "ethnicity", "placement"]


def cell(cohort: str, measure: str, topic: str, breakdown: str) -> tuple[str, str, str, str]:
    """The key of one cell of the table set."""
    return (cohort, measure, topic, breakdown)


def pupils_cell(cohort: str, topic: str, breakdown: str) -> tuple[str, str, str, str]:
    """The cell counting the cohort's people in the school census (for SEN support, its count)."""
    return cell(cohort, "count" if cohort == CENSUS_COHORT else "cohort_pupils", topic, breakdown)


def population_cell(topic: str, breakdown: str) -> tuple[str, str, str, str]:
    """The cell counting all pupils of the census in a group."""
    return cell(PUPILS, "population", topic, breakdown)


def table_cell(cohort: str, measure: str, topic: str, breakdown: str) -> tuple[str, str, str, str]:
    """The cell of a row of a cohort's table: pupils' counts (measure ``population``) are cells of
    :data:`PUPILS`, the same whichever cohort they are shown beside."""
    return population_cell(topic, breakdown) if measure == "population" else cell(cohort, measure, topic, breakdown)


def universe(cohort: str, measure: str) -> tuple[str, str]:
    """The people a table of a cohort and measure counts (all pupils for ``population``)."""
    return (PUPILS, measure) if measure == "population" else (cohort, measure)
