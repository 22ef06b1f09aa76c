"""The DfE open-data layout of the published equality tables: the geography of the LA and the
metadata file that describes every column as the DfE's data screener expects (one row per filter
and indicator: ``col_name, col_type, label, indicator_grouping, indicator_unit, indicator_dp,
filter_hint, filter_grouping_column``)."""
from __future__ import annotations

from functools import cache

import pandas as pd

from sendlib.equality.topics import COLUMNS

COUNTRY = {"country_code": "E92000001", "country_name": "England"}
META_COLUMNS = ["col_name", "col_type", "label", "indicator_grouping", "indicator_unit", "indicator_dp",
                "filter_hint", "filter_grouping_column"]
COUNTS, SHARES, DISPROPORTIONALITY = "Counts", "Percentages", "Disproportionality (school census)"
# col_name -> (col_type, label, indicator_grouping, indicator_unit, indicator_dp, filter_hint, filter_grouping_column)
METADATA = {
    "cohort": ("Filter", "Cohort", "", "", "", "EHCP: young people with an education, health and care plan; "
               "SEN support: pupils with special educational needs and no plan", ""),
    "breakdown": ("Filter", "Breakdown", "", "", "", "Groups of the characteristic; combined groups say what "
                  "they hold", "breakdown_topic"),
    "count": ("Indicator", "Number", COUNTS, "", "0", "", ""),
    "percent": ("Indicator", "Percentage of the total", SHARES, "%", "1", "", ""),
    "percent_of_known": ("Indicator", "Percentage of those whose value is known", SHARES, "%", "1", "", ""),
    "population": ("Indicator", "Pupils of the group in the school census", DISPROPORTIONALITY, "", "0", "", ""),
    "cohort_pupils": ("Indicator", "Pupils of the group in the school census who are in the cohort",
                      DISPROPORTIONALITY, "", "0", "", ""),
    "risk_percent": ("Indicator", "Risk: percentage of the group's pupils in the cohort", DISPROPORTIONALITY,
                     "%", "2", "", ""),
    "risk_ratio": ("Indicator", "Risk ratio against all other pupils", DISPROPORTIONALITY, "", "2", "", ""),
    "risk_ratio_lower": ("Indicator", "Risk ratio, 95% interval, lower", DISPROPORTIONALITY, "", "2", "", ""),
    "risk_ratio_upper": ("Indicator", "Risk ratio, 95% interval, upper", DISPROPORTIONALITY, "", "2", "", ""),
    "disproportionality": ("Filter", "Disproportionality", "", "", "", "Higher or Lower when the group is large "
                           "enough to judge and the 95% interval excludes 1", ""),
}


def metadata() -> pd.DataFrame:
    """The metadata file (``equality_tables.meta.csv``): one row per filter and indicator, in the
    order of the data file's columns (a filter's grouping column has no row of its own)."""
    rows = [(name, *METADATA[name]) for name in COLUMNS if name in METADATA]
    return pd.DataFrame(rows, columns=META_COLUMNS)


@cache
def region(la_code: str) -> tuple[str, str]:
    """(region_code, region_name) of an LA from the DfE published series; blank if not found."""
    from sendlib.sources.published import load_dfe

    if not la_code:
        return "", ""
    table = load_dfe().table
    rows = table[(table["geographic_level"] == "Local authority") & (table["old_la_code"] == str(la_code))
                 & table["region_code"].notna()]
    if rows.empty:
        return "", ""
    last = rows.sort_values("time_period").iloc[-1]
    return str(last["region_code"]), str(last["region_name"])


def geography(la_code: str) -> dict[str, str]:
    """Country and region columns of an LA (the LA's own codes and name are added by the caller)."""
    code, name = region(la_code)
    return {**COUNTRY, "region_code": code, "region_name": name}

