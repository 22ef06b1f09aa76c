"""The comparable indicators of every area (England, regions, LAs) from the checked DfE series.

Every indicator is computed from the totals the checks kept or repaired (a figure set missing by
the checks gives no indicator, never the raw cell), for every area and year the releases publish.
Each row keeps its numerator, its denominator and where they came from (release and file), so a
report can source every figure. No population denominators: ONS mid-year estimates by LA are not
bundled with sendlib, so rates per head are not shown; counts and shares are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sendlib.sources import dfe

CENSUS, CALENDAR = "January census", "Calendar year"


@dataclass(frozen=True)
class Indicator:
    """One indicator: `numerator` (and `denominator`, for a percentage) name columns of the wide
    table of totals (:func:`totals`); `lag` > 0 compares with the figure `lag` years before."""

    label: str
    unit: str  # "" for a count, "%" for a percentage
    period: str  # CENSUS or CALENDAR
    numerator: str
    denominator: str = ""
    lag: int = 0
    higher: str = ""  # what a high value means, in plain words, for the key points
    lower: str = ""  # and a low one


_P = "placement:"
INDICATORS: dict[str, Indicator] = {
    "plans": Indicator("EHC plans", "", CENSUS, "caseload"),
    "plans_change_1y": Indicator(
        "Change in EHC plans over 1 year",
        "%",
        CENSUS,
        "caseload",
        lag=1,
        higher="faster growth in plans",
        lower="slower growth in plans",
    ),
    "plans_change_5y": Indicator(
        "Change in EHC plans over 5 years",
        "%",
        CENSUS,
        "caseload",
        lag=5,
        higher="faster growth in plans",
        lower="slower growth in plans",
    ),
    "share_mainstream": Indicator(
        "Plans in mainstream schools",
        "%",
        CENSUS,
        _P + "Mainstream",
        "caseload",
        higher="more plans met in mainstream schools",
        lower="fewer plans met in mainstream schools",
    ),
    "share_special": Indicator(
        "Plans in special schools (all)",
        "%",
        CENSUS,
        _P + "Special",
        "caseload",
        higher="more plans in special schools",
        lower="fewer plans in special schools",
    ),
    "share_independent_special": Indicator(
        "Plans in independent or non-maintained special schools",
        "%",
        CENSUS,
        _P + dfe.INDEPENDENT_SPECIAL,
        "caseload",
        higher="more of the costliest placements",
        lower="fewer of the costliest placements",
    ),
    "share_ap": Indicator(
        "Plans in alternative provision or PRUs", "%", CENSUS, _P + "Alternative provision / PRU", "caseload"
    ),
    "share_fe": Indicator("Plans in further education", "%", CENSUS, _P + "Further education", "caseload"),
    "share_neet": Indicator(
        "Plans of young people not in education, employment or training",
        "%",
        CENSUS,
        _P + "NEET",
        "caseload",
        higher="more young people with a plan who are NEET",
        lower="fewer young people with a plan who are NEET",
    ),
    "share_other": Indicator(
        "Plans in other arrangements (incl. home education, awaiting provision)",
        "%",
        CENSUS,
        _P + "Other arrangements",
        "caseload",
    ),
    "new_plans": Indicator("New EHC plans made", "", CALENDAR, "new_plans"),
    "requests": Indicator("Requests for an EHC needs assessment", "", CALENDAR, "requests"),
    "requests_not_refused": Indicator(
        "Requests not refused an assessment",
        "%",
        CALENDAR,
        "requests_not_refused",
        "requests",
        higher="more requests going on to assessment",
        lower="more requests refused an assessment",
    ),
    "assessments_to_plan": Indicator(
        "Assessments ending with a plan",
        "%",
        CALENDAR,
        "assessments_plan",
        "assessments_decided",
        higher="more assessments ending with a plan",
        lower="more assessments ending without a plan",
    ),
    "new_plans_per_request": Indicator(
        "New plans per 100 requests (same year)",
        "%",
        CALENDAR,
        "new_plans",
        "requests",
        higher="more requests ending with a plan",
        lower="fewer requests ending with a plan",
    ),
    "timeliness_20wk": Indicator(
        "Plans issued within 20 weeks (exceptions included)",
        "%",
        CALENDAR,
        "issued_20wk",
        "issued",
        higher="more plans on time",
        lower="fewer plans on time",
    ),
    "timeliness_20wk_noexc": Indicator(
        "Plans issued within 20 weeks (exceptions excluded)",
        "%",
        CALENDAR,
        "issued_noexc_20wk",
        "issued_noexc",
        higher="more plans on time",
        lower="fewer plans on time",
    ),
    "ceased": Indicator("EHC plans ceased", "", CALENDAR, "ceased"),
    "ceased_per_plan": Indicator(
        "Plans ceased per 100 plans held in January",
        "%",
        CALENDAR,
        "ceased",
        "caseload",
        higher="more plans ceasing",
        lower="fewer plans ceasing",
    ),
}
COLUMNS = ["indicator", "time_period", "geographic_level", "area_code", "value", "numerator", "denominator", "source"]


def totals(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(values, sources): the checked totals and placement groups as wide frames indexed by
    (area_code, time_period), one column per measure (placements as ``placement:<group>``), and
    for each cell the release and file it came from."""
    t = table[table["breakdown_topic"].isin(["total", "placement", "placement_detail"])]
    t = t[(t["breakdown_topic"] == "total") | (t["measure"] == "caseload")]
    column = t["measure"].where(t["breakdown_topic"] == "total", _P + t["breakdown"])
    t = t.assign(column=column, source="release " + t["release"] + ": " + t["file"].str.removeprefix("data/"))
    values = t.pivot_table(
        index=["area_code", "time_period"], columns="column", values="value", aggfunc="first", dropna=False
    ).astype(float)
    sources = t.pivot_table(index=["area_code", "time_period"], columns="column", values="source", aggfunc="first")
    values = values.reindex(columns=sorted(set(values.columns) | {"requests_refused", "assessments_no_plan"}))
    values["requests_not_refused"] = values["requests"] - values["requests_refused"]
    values["assessments_decided"] = values["assessments_plan"] + values["assessments_no_plan"]
    for derived, parts in (
        ("requests_not_refused", ("requests", "requests_refused")),
        ("assessments_decided", ("assessments_plan", "assessments_no_plan")),
    ):
        sources[derived] = _join(*(sources.get(p) for p in parts))
    return values, sources.reindex(index=values.index)


def _join(*columns: pd.Series | None) -> pd.Series:
    """Cell by cell, the distinct non-blank texts of `columns` joined with '; '."""
    present = [c for c in columns if c is not None]
    cells = zip(*(c.astype(object).to_numpy() for c in present))
    joined = ["; ".join(dict.fromkeys(str(v) for v in row if isinstance(v, str))) or None for row in cells]
    return pd.Series(joined, index=present[0].index, dtype="string")


def compute(table: pd.DataFrame) -> pd.DataFrame:
    """Return every indicator of every area and year (columns :data:`COLUMNS`), sorted."""
    values, sources = totals(table)
    levels = dfe.areas(table).set_index("area_code")["geographic_level"]
    frames = [_one(name, ind, values, sources) for name, ind in INDICATORS.items()]
    out = pd.concat(frames, ignore_index=True)
    out = out[out["value"].notna()]
    out["geographic_level"] = out["area_code"].map(levels)
    order = {name: i for i, name in enumerate(INDICATORS)}
    out = out.assign(_i=out["indicator"].map(order)).sort_values(["_i", "area_code", "time_period"])
    return out[COLUMNS].reset_index(drop=True)


def _one(name: str, ind: Indicator, values: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """One indicator for every (area, year) of the wide totals."""
    if ind.numerator not in values:
        return pd.DataFrame(columns=COLUMNS)
    num = values[ind.numerator]
    src = sources.get(ind.numerator)
    if ind.lag:
        before = pd.MultiIndex.from_arrays(
            [values.index.get_level_values(0), values.index.get_level_values(1) - ind.lag]
        )
        den = num.reindex(before).set_axis(num.index)
        value = (num / den - 1) * 100
        src = _join(src, src.reindex(before).set_axis(num.index)) if src is not None else None
    elif ind.denominator:
        den = values[ind.denominator] if ind.denominator in values else pd.Series(np.nan, index=values.index)
        value = num / den * 100
        src = _join(src, sources.get(ind.denominator))
    else:
        den, value = pd.Series(np.nan, index=num.index), num
    value = value.where(np.isfinite(value))
    frame = pd.DataFrame(
        {"value": value, "numerator": num, "denominator": den, "source": src if src is not None else pd.NA}
    ).reset_index()
    return frame.assign(indicator=name)
