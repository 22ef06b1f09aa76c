"""The published equality tables: counts after disclosure control, with the percentages, risks
and ratios that can be shown, in the DfE's tidy layout (all values as strings)."""
from __future__ import annotations

import math

import pandas as pd

from sendlib import ages, disclosure
from sendlib.equality import opendata
from sendlib.equality.counts import CountedTables, count_tables
from sendlib.equality.groups import is_known
from sendlib.equality.inputs import metadata
from sendlib.equality.risk import disproportionality
from sendlib.equality.topics import (
    COLUMNS,
    DISPROPORTIONALITY_COLUMNS,
    KNOWN,
    PUPILS,
    SEP,
    SPECIAL,
    TOPIC,
    TOTAL,
    cell,
    population_cell,
    pupils_cell,
    table_cell,
)
from sendlib.errors import SendlibInputError

SUPPRESSED = disclosure.SUPPRESSED
NOT_APPLICABLE = "z"
NOT_AVAILABLE = "x"  # a ratio with no pupils to compare
RATIO_COLUMNS = ("risk_ratio", "risk_ratio_lower", "risk_ratio_upper", "disproportionality")


def _denominators(pub: dict, cohort, topic, b) -> tuple[tuple | None, tuple | None]:
    """Cells whose counts `percent` and `percent_of_known` of a row are computed from (the second
    None for a row that is not a group of known values, or a table that shows no known total)."""
    def k(label):
        return cell(cohort, "count", topic, label)
    if TOPIC[topic].is_cross:
        r, c = b.split(SEP)
        known = k(f"{r}{SEP}{KNOWN}")
        return k(f"{r}{SEP}{TOTAL}"), known if known in pub and is_known(TOPIC[topic].cols, c) else None
    return k(TOTAL), k(KNOWN) if k(KNOWN) in pub and is_known(topic, b) else None


def _fmt_percent(num, den, published: dict, digits: int = 1) -> str:
    if num is None or den is None:
        return NOT_APPLICABLE
    pn, pd_ = published[num], published[den]
    if pn == 0 and pd_ != 0:  # none of a withheld (so non-zero) total is still 0%
        return f"{0:.{digits}f}"
    if pn is None or pd_ is None:
        return SUPPRESSED
    if pd_ == 0:
        return NOT_APPLICABLE
    return f"{100 * pn / pd_:.{digits}f}"


def _fmt_count(value) -> str:
    return SUPPRESSED if value is None else str(int(value))


def _fmt_ratio(x: float) -> str:
    return NOT_AVAILABLE if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.2f}"


def _count_columns(pub: dict, cohort: str, topic: str, b: str) -> dict:
    key = cell(cohort, "count", topic, b)
    den, den_known = _denominators(pub, cohort, topic, b)
    rec = {"cohort": cohort, "breakdown_topic": TOPIC[topic].label, "breakdown": b,
           "count": _fmt_count(pub[key]), "percent": _fmt_percent(key, den, pub),
           "percent_of_known": _fmt_percent(key, den_known, pub)}
    if b == TOTAL or (TOPIC[topic].is_cross and b.endswith(SEP + TOTAL)):
        rec["percent"] = SUPPRESSED if pub[key] is None else "100.0" if pub[key] else NOT_APPLICABLE
    return rec


def _disproportionality_columns(pub: dict, cohort: str, topic: str, b: str, d: pd.Series) -> dict:
    """Counts in the census, risk and ratio of a row; the ratio only where every count it is
    computed from is published."""
    a_key, n_key = pupils_cell(cohort, topic, b), population_cell(topic, b)
    rec = {"population": _fmt_count(pub[n_key]), "cohort_pupils": _fmt_count(pub[a_key]),
           "risk_percent": _fmt_percent(a_key, n_key, pub, digits=2)}
    if b in SPECIAL:
        return rec
    if pub[n_key] == 0:  # no pupils of the group in the census (a band beyond school age)
        return {**rec, **dict.fromkeys(RATIO_COLUMNS, NOT_APPLICABLE)}
    needed = [a_key, n_key, pupils_cell(cohort, topic, TOTAL), population_cell(topic, TOTAL)]
    if any(pub[k] is None for k in needed):
        return {**rec, **dict.fromkeys(RATIO_COLUMNS, SUPPRESSED)}
    return {**rec, "risk_ratio": _fmt_ratio(d["risk_ratio"]), "risk_ratio_lower": _fmt_ratio(d["risk_ratio_lower"]),
            "risk_ratio_upper": _fmt_ratio(d["risk_ratio_upper"]), "disproportionality": d["disproportionality"]}


def publish(counted: CountedTables, suppression: disclosure.Suppression, *, time_period: str = "",
            new_la_code: str = "", old_la_code: str = "", la_name: str = "",
            cell_size: int = 10, n_size: int = 30) -> pd.DataFrame:
    """The tidy published table (all values as strings, suppressed ones ``c``) in DfE layout."""
    pub = suppression.published
    dispro = disproportionality(counted, cell_size, n_size).set_index(["cohort", "topic", "breakdown"])
    records = []
    for cohort, topic, b in counted.rows.itertuples(index=False):
        rec = {**_count_columns(pub, cohort, topic, b), **dict.fromkeys(DISPROPORTIONALITY_COLUMNS, NOT_APPLICABLE)}
        if TOPIC[topic].disproportionality:
            rec.update(_disproportionality_columns(pub, cohort, topic, b, dispro.loc[(cohort, topic, b)]))
        records.append(rec)
    out = pd.DataFrame(records)
    ids = {"time_period": time_period, "time_identifier": "Academic year", "geographic_level": "Local authority",
           **opendata.geography(old_la_code), "old_la_code": old_la_code, "new_la_code": new_la_code,
           "la_name": la_name}
    for i, (column, value) in enumerate(ids.items()):
        out.insert(i, column, value)
    return out[COLUMNS].astype(str)


def protect_tables(source, threshold: int = disclosure.THRESHOLD, ethnicity_grouping: str = "dfe", *,
                   redesign: bool = True) -> tuple[CountedTables, disclosure.Suppression]:
    """The counted tables (redesigned for `threshold` unless `redesign` is False) and the cells to
    suppress in them."""
    if threshold < 1:
        raise SendlibInputError(f"threshold must be at least 1, not {threshold}")
    counted = count_tables(source, ethnicity_grouping, threshold if redesign else None)
    return counted, disclosure.suppress(counted.table_set(cost=redesign), threshold)


def hidden_counts(counted: CountedTables, suppression: disclosure.Suppression) -> pd.DataFrame:
    """Every count of the tables with its table's total and whether it is suppressed: cohort,
    measure, topic, breakdown, count, table_total, share (of the table total), suppressed."""
    rows = []
    for (cohort, measure, topic), breakdowns in counted.layout.items():
        keys = [table_cell(cohort, measure, topic, b) for b in breakdowns]
        total = max(counted.values[k] for k in keys)
        rows += [(cohort, measure, topic, b, counted.values[k], total, k in suppression.suppressed)
                 for k, b in zip(keys, breakdowns)]
    out = pd.DataFrame(rows, columns=["cohort", "measure", "topic", "breakdown", "count", "table_total", "suppressed"])
    out.insert(6, "share", out["count"] / out["table_total"].where(out["table_total"] > 0))
    out.loc[out["measure"] == "population", "cohort"] = PUPILS  # one cell, shown beside each cohort
    return out.drop_duplicates(subset=["cohort", "measure", "topic", "breakdown"]).reset_index(drop=True)


def academic_year_code(census_date) -> str:
    """DfE `time_period` of a census date: the academic year, e.g. 202425 for January 2025."""
    start = ages.august_31_before(census_date).year
    return f"{start}{(start + 1) % 100:02d}"


def build_tables(source, threshold: int = disclosure.THRESHOLD, ethnicity_grouping: str = "dfe", *,
                 la_code: str | None = None, new_la_code: str | None = None,
                 la_name: str | None = None, census_date=None, cell_size: int = 10,
                 n_size: int = 30, redesign: bool = True) -> pd.DataFrame:
    """The published equality tables of a processed folder (or dict of frames), suppressed.

    With `redesign` (the default) small groups are combined before suppression and hiding a large
    count is expensive (:mod:`sendlib.equality.design`); without, every category is its own row
    and complementary cells are chosen by count alone (kept to measure what the redesign gains).

    Returns the tidy table (columns :data:`COLUMNS`, all strings, ``c`` where suppressed) in
    publication order. Its ``attrs`` carry the threshold, the grouping and the suppression (cells
    counted as primary and secondary) for :func:`audit_summary`.
    LA codes, name and census date come from the arguments, else from ``metadata.json`` in the
    processed folder, else (census date only) from a folder named by its census year.
    """
    meta = metadata(source)
    census_date = census_date or meta.get("census_date")
    counted, suppression = protect_tables(source, threshold, ethnicity_grouping, redesign=redesign)
    tables = publish(counted, suppression,
                     time_period=academic_year_code(census_date) if census_date else "",
                     new_la_code=str(new_la_code or meta.get("new_la_code") or ""),
                     old_la_code=str(la_code or meta.get("la_code") or ""),
                     la_name=str(la_name or meta.get("la_name") or ""),
                     cell_size=cell_size, n_size=n_size)
    tables.attrs.update(threshold=threshold, ethnicity_grouping=ethnicity_grouping,
                        census_date=str(pd.Timestamp(census_date).date()) if census_date else "",
                        primary=len(suppression.primary), secondary=len(suppression.secondary),
                        method=suppression.method)
    return tables
