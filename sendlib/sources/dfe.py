"""Read the DfE "Education, health and care plans" releases exactly as published.

Two layouts are understood, recognised by the files inside the zip:

- the **2022 release** (`data/sen2_age_caseload.csv`, `data/sen2_estab_caseload.csv`; Latin-1;
  `time_period` is the calendar year of the January census, 2010-2022; one row per age band or
  establishment type with counts in `Total_all` = statements of SEN + EHC plans);
- the **2025 release** (`data/caseload.csv`; UTF-8 with BOM; `time_period` is the academic year,
  `201819` = January 2019 census; one row per geography with one column per placement type).

Both become one tidy long table (:func:`load_releases`), one row per measure, year, geography,
breakdown and release, with the published value and, when the cell is not a number, the DfE symbol:
``c`` confidential, ``x`` not available, ``z`` not applicable, ``low`` rounds to zero, ``u`` low
reliability. ``low`` becomes 0 (it rounds to zero); the others become NaN with the symbol kept.

Measures: ``caseload`` (active plans at the January census; `time_period` is the census year) and
``new_plans`` (new plans made in a calendar year; `time_period` is that calendar year, so the
new plans of 2022 are published with, and known at, the January 2023 census). New plans are read
as totals only. ``requests`` (initial requests for an EHC needs assessment received in a calendar
year; totals only; `time_period` is that calendar year, published with the next January census
like new plans) come from `sen2_mi.csv` (`InreqEHC`, 2016-2021) of the 2022 release and
`requests.csv` (`requests_received_in_year`, 2019-2022) of the 2025 release; a release without
that file simply gives no requests. The other calendar-year flows (:data:`_FLOWS_2022`,
:data:`_FLOWS_2025`), totals only and known with the next January census like new plans:
``requests_refused`` (requests where the LA decided not to assess), ``assessments_plan`` and
``assessments_no_plan`` (assessments ending with and without a plan), ``issued`` and
``issued_20wk`` (plans issued in the year, and of them within 20 weeks, exceptions included),
``issued_noexc`` and ``issued_noexc_20wk`` (the same without exceptions; the release's
`timeliness_20_week.csv`, and `sen2_mi.csv` of 2022), ``ceased`` (plans ceased; 2025 layout only).

Breakdowns of the caseload:

- ``total``: all plans. Before 2018 this counts statements of SEN as well as EHC plans (DfE's own
  continued series, and the figures Kingston publishes: 641 in January 2010).
- ``age``: DfE age bands (:data:`sendlib.ages.DFE_AGE_BANDS`), 2022 release only (2010-2022);
  the 2025 release as held here publishes no age breakdown of the caseload.
- ``placement_detail``: independent or non-maintained special schools (a part of Special), both releases;
- ``placement``: the DfE placement groups of ``sendlib/codelists/placement_groups.csv``.
  Mapping limits, documented because older years cannot be mapped exactly:
  further education is not collected before 2015 (no row, not zero); NEET is separate only from
  2019 (before, young people not in education sit in "awaiting provision", mapped to Other
  arrangements); elective home education is separate only from 2020 (before, within "other
  arrangements by parents"); the 2016 "Unknown" group of the 2022 release (apprenticeships,
  traineeships, supported internships) stays Unknown; hospital schools count as Special.
  Placement groups sum to the total in every year of both releases except 2016 and 2018 of the
  2022 release, where DfE's establishment file itself does not add up to its published total
  (England 2018: 312,626 by establishment against 319,819 in total); see
  :func:`check_placement_sums`.

Geography: national (``country_code``), regional (``region_code``) and LA. An LA keeps its old
(three-digit) code across boundary-neutral recoding of its new (ONS) code — Gateshead, Northumberland
and Buckinghamshire changed new code — so series are keyed by ``area_code``: the old LA code for LAs,
the region code for regions, the country code for England (see :func:`areas`).
"""
from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sendlib.ages import DFE_AGE_BANDS
from sendlib.errors import SendlibInputError
from sendlib.sources import dfe_parts, dfe_zip

SYMBOLS = ("c", "x", "z", "low", "u")

TIDY_COLUMNS = [
    "measure", "time_period", "geographic_level", "country_code", "region_code", "region_name",
    "old_la_code", "new_la_code", "la_name", "area_code", "breakdown_topic", "breakdown",
    "value", "symbol", "release", "file",
]
_GEO_COLUMNS = ["geographic_level", "country_code", "region_code", "region_name",
                "old_la_code", "new_la_code", "la_name"]
_KEY = ["measure", "time_period", "geographic_level", "area_code", "breakdown_topic", "breakdown"]

PLACEMENT_GROUPS = ["Mainstream", "Special", "Alternative provision / PRU", "Further education",
                    "Other arrangements", "NEET", "Early years", "Unknown"]

# 2022 release, sen2_age_caseload.csv `characteristic_age` -> DfE age band
_AGE_2022 = {
    "Under 5": DFE_AGE_BANDS[0], "Age 5 to 10": DFE_AGE_BANDS[1], "Age 11 to 15": DFE_AGE_BANDS[2],
    "Age 16 to 19": DFE_AGE_BANDS[3], "Age 20 to 25": DFE_AGE_BANDS[4],
}

# 2022 release, sen2_estab_caseload.csv (establishment_group, establishment_type) -> placement group.
# Only leaf types are mapped; "Awaiting provision - total" is a leaf before 2019 and is replaced by
# its six components from 2019 (never both in one year), so summing leaves never double counts.
_ESTAB_GROUP_2022 = {
    "Mainstream school": "Mainstream",
    "Special school": "Special",
    "Alternative provision/Pupil referral unit": "Alternative provision / PRU",
    "Further education": "Further education",
    "Educated elsewhere": "Other arrangements",
    "NEET": "NEET",
    "Non-maintained early years": "Early years",
    "Other": "Other arrangements",
    "Unknown": "Unknown",
}

# Independent and non-maintained special schools, within Special: a placement detail of their own
# (topic ``placement_detail``), the costliest placements
INDEPENDENT_SPECIAL = "Independent or non-maintained special"
_INDEPENDENT_SPECIAL_2022 = ("Special - Independent", "Special - Non-maintained")
_INDEPENDENT_SPECIAL_2025 = ("special_independent", "special_non_maintained")

# 2025 release, caseload.csv placement columns -> placement group. The *_total columns and
# ed_elsewhere are sums of these and are not used (ed_elsewhere also folds NEET in).
_PLACEMENT_2025 = {
    "mainstream_la_maintained": "Mainstream",
    "mainstream_la_maintained_resourced_provision": "Mainstream",
    "mainstream_la_maintained_senunit": "Mainstream",
    "mainstream_academy": "Mainstream",
    "mainstream_academy_resourced_provision": "Mainstream",
    "mainstream_academy_senunit": "Mainstream",
    "mainstream_free_school": "Mainstream",
    "mainstream_free_school_resourced_provision": "Mainstream",
    "mainstream_free_school_senunit": "Mainstream",
    "mainstream_independent": "Mainstream",
    "special_la_maintained": "Special",
    "special_academy_free": "Special",
    "special_independent": "Special",
    "special_non_maintained": "Special",
    "ap_pru_academy": "Alternative provision / PRU",
    "ap_pru_free_school": "Alternative provision / PRU",
    "ap_pru_la_maintained": "Alternative provision / PRU",
    "general_fe_tertiary_colleges": "Further education",
    "specialist_post_16_institutions": "Further education",
    "ukrlp_provider": "Further education",
    "elective_home_education": "Other arrangements",
    "other_arrangements_la": "Other arrangements",
    "other_arrangements_parents": "Other arrangements",
    "online_provider": "Other arrangements",
    "w_settings": "Other arrangements",
    "other_schools": "Other arrangements",
    "other_placement_settings": "Other arrangements",
    "await_prov_2022": "Other arrangements",
    "perm_ex_2022": "Other arrangements",
    "neet": "NEET",
    "neet_ntci": "NEET",
    "neet_other": "NEET",
    "neet_other_csa": "NEET",
    "nm_early_years": "Early years",
    "placement_unknown": "Unknown",
}


# ---------------------------------------------------------------------------------------------
# cells and symbols

def parse_values(cells: pd.Series, file: str | None = None) -> tuple[pd.Series, pd.Series]:
    """Return (value, symbol) for published cells: value float (NaN when not a number, 0 for
    ``low``), symbol the DfE symbol (or <NA> for a number). Unknown text and negative counts raise
    (row = the line of the CSV file, the header being line 1), so a new symbol is never silently
    read as missing."""
    text = cells.astype("string").str.strip()
    value = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce").astype(float)
    symbol = text.mask(value.notna() | (text == "")).str.lower()
    column = str(cells.name) if cells.name is not None else None
    unknown = (symbol.notna() & ~symbol.isin(SYMBOLS)).fillna(False).astype(bool)
    if unknown.any():
        bad = sorted(set(text[unknown]))[:5]
        raise SendlibInputError(f"unexpected text in a numeric cell: {bad}", file=file, row=_line(cells, unknown),
                                column=column, hint="expected a number or one of the DfE symbols c, x, z, low, u")
    negative = (value < 0).fillna(False).astype(bool)
    if negative.any():
        raise SendlibInputError(f"negative count {text[negative].iloc[0]}", file=file, row=_line(cells, negative),
                                column=column, hint="a published count is never below zero")
    value = value.mask((symbol == "low").fillna(False).astype(bool), 0.0)
    return value, symbol


def _line(cells: pd.Series, mask: pd.Series) -> int:
    """The CSV line of the first masked cell (rows keep the index pandas gave them on reading)."""
    label = cells.index[int(np.flatnonzero(mask.to_numpy())[0])]
    return int(label) + 2 if isinstance(label, (int, np.integer)) else 0


# ---------------------------------------------------------------------------------------------
# reading one release

_GEO_REQUIRED = ("time_period", *_GEO_COLUMNS)
_2022 = {"age": "data/sen2_age_caseload.csv", "estab": "data/sen2_estab_caseload.csv",
         "new": "data/sen2_age_new_plans.csv", "mi": "data/sen2_mi.csv"}
_2025 = {"caseload": "data/caseload.csv", "new": "data/newplans.csv"}
# placement group totals and their percentage of the total (2025 layout); ed_elsewhere folds NEET in
_GROUP_PC_2025 = {"mainstream_total": "mainstream_total_pc", "special_total": "special_total_pc",
                  "ap_pru_total": "AP_PRU_total_pc", "fe_total": "fe_total_pc", "ed_elsewhere": "ed_elsewhere_pc",
                  "nm_early_years": "nm_early_years_pc", "placement_unknown": "placement_unknown_pc"}
_GROUP_TOTALS_2025 = [*_GROUP_PC_2025, "await_prov_2022", "perm_ex_2022"]
# calendar-year flows, one measure per column (totals only; all EHC, statements excluded):
# requests received and refused, assessments ending with and without a plan, plans issued in the
# year with and without exceptions and those of them issued within 20 weeks, plans ceased
_FLOWS_2022 = {"InreqEHC": "requests", "AssRefusedEHC": "requests_refused", "NewallEHC": "assessments_plan",
               "AssnoneEHC": "assessments_no_plan", "TotIncExcEHC": "issued", "IncExc20weekEHC": "issued_20wk",
               "TotNoExcEHC": "issued_noexc", "NoExc20weekEHC": "issued_noexc_20wk"}
_FLOWS_2025 = {
    "data/requests.csv": ("All requests for EHC needs assessments",
                          {"requests_received_in_year": "requests",
                           "requests_decided_not_to_assess": "requests_refused"}),
    "data/assessments.csv": ("All EHC needs assessments",
                             {"assess_issued": "assessments_plan", "assess_not_issued": "assessments_no_plan"}),
    "data/timeliness_20_week.csv": ("All EHC plans issued",
                                    {"plans_issued_den": "issued", "plans_issued_within_20_weeks": "issued_20wk",
                                     "plans_issued_den_ex": "issued_noexc",
                                     "plans_issued_20_weeks_ex": "issued_noexc_20wk"}),
    "data/ceased_plans.csv": ("All ceased EHC plans", {"total_ceased": "ceased"}),
}
_TOPICS_2025 = {"Sex": "sex", "Age when plan started": "age when plan started", "Ethnicity": "ethnicity"}


@dataclass
class Release:
    """One release as read: its tidy rows (:data:`TIDY_COLUMNS`) and what its parts say each total
    should be (:data:`sendlib.sources.dfe_parts.PARTS_COLUMNS`)."""

    tidy: pd.DataFrame
    parts: pd.DataFrame


def _blank_to_na(df: pd.DataFrame, cols) -> pd.DataFrame:
    for c in cols:
        df[c] = df[c].astype("string").str.strip().replace("", pd.NA)
    return df


def _read(zf: zipfile.ZipFile, member: str, encoding: str, source: str, required=()) -> pd.DataFrame:
    """A member with its geography tidied and `area_code` added (time_period still as published)."""
    df = dfe_zip.read_member(zf, member, encoding, source, (*_GEO_REQUIRED, *required))
    _blank_to_na(df, _GEO_COLUMNS)
    df["time_period"] = df["time_period"].astype("string").str.strip()
    if not df["time_period"].str.fullmatch(r"\d{4}|\d{6}").all():
        bad = df["time_period"][~df["time_period"].str.fullmatch(r"\d{4}|\d{6}").fillna(False)]
        raise SendlibInputError(f"time_period {bad.iloc[0]!r} is not a year", file=f"{source}:{member}",
                                row=int(bad.index[0]) + 2, column="time_period")
    df["area_code"] = _area_code(df)
    df.attrs["file"], df.attrs["where"] = member, f"{source}:{member}"
    return df


def _release_year(zf: zipfile.ZipFile, fallback: int) -> int:
    """The reporting year printed in data-guidance.txt ('2022 Reporting year', 'Reporting year 2025')."""
    if "data-guidance/data-guidance.txt" not in zf.namelist():
        return fallback
    text = dfe_zip.member_bytes(zf, "data-guidance/data-guidance.txt", "").decode("latin-1")
    m = re.search(r"(\d{4})\s+Reporting year|Reporting year\s+(\d{4})", text[:400])
    return int(m.group(1) or m.group(2)) if m else fallback


def _area_code(df: pd.DataFrame) -> pd.Series:
    level = df["geographic_level"]
    return (df["old_la_code"].where(level == "Local authority")
            .fillna(df["region_code"].where(level == "Regional"))
            .fillna(df["country_code"]))


def _tidy(df: pd.DataFrame, topic: str, breakdown, cells: pd.Series, release: str,
          measure: str = "caseload") -> pd.DataFrame:
    value, symbol = parse_values(cells, df.attrs.get("where"))
    out = df[["time_period", *_GEO_COLUMNS, "area_code"]].copy()
    out["time_period"] = out["time_period"].astype(int)
    out.insert(0, "measure", measure)
    out["breakdown_topic"] = topic
    out["breakdown"] = breakdown.to_numpy() if isinstance(breakdown, pd.Series) else breakdown
    out["value"] = value.to_numpy()
    out["symbol"] = symbol.to_numpy()
    out["release"] = release
    out["file"] = df.attrs.get("file", "")
    return out


def _read_2022(zf: zipfile.ZipFile, source: str, release: str) -> Release:
    age = _read(zf, _2022["age"], "latin-1", source, ("characteristic_age", "Total_st", "Total_ehc", "Total_all"))
    estab = _read(zf, _2022["estab"], "latin-1", source, ("establishment_type", "establishment_group", "Total_all"))
    new = _read(zf, _2022["new"], "latin-1", source,
                ("characteristic_age", "Total_new_st", "Total_new_ehc", "Total_new_all"))
    caseload, parts = _totals_and_bands_2022(age, "Total_", release, "caseload")
    new_plans, new_parts = _totals_and_bands_2022(new, "Total_new_", release, "new_plans")
    leaves = estab[estab["establishment_type"] != "Total"]
    unknown = set(leaves["establishment_group"]) - set(_ESTAB_GROUP_2022)
    if unknown:
        raise SendlibInputError(f"unknown establishment group(s) {sorted(unknown)}", file=f"{source}:{_2022['estab']}",
                                column="establishment_group")
    placement = _sum_groups(_tidy(leaves, "placement", leaves["establishment_group"].map(_ESTAB_GROUP_2022),
                                  leaves["Total_all"], release))
    costly = leaves[leaves["establishment_type"].isin(_INDEPENDENT_SPECIAL_2022)]
    independent = _sum_groups(_tidy(costly, "placement_detail", INDEPENDENT_SPECIAL, costly["Total_all"], release))
    frames = [*caseload, placement, independent, new_plans[0]]
    # requests and the other flows are optional (the caseload is not): a release without them gives none
    if dfe_zip.has_member(zf, _2022["mi"]):
        mi = _read(zf, _2022["mi"], "latin-1", source)
        frames += [_tidy(mi, "total", "Total", mi[col], release, measure=measure)
                   for col, measure in _FLOWS_2022.items() if col in mi.columns]
    evidence = [*parts, *new_parts, dfe_parts.sums(placement, "placement columns", exact=False)]
    return Release(pd.concat(frames, ignore_index=True), dfe_parts.combine(evidence))


def _totals_and_bands_2022(df: pd.DataFrame, prefix: str, release: str, measure: str):
    """Tidy totals and age bands of a 2022 age file, and the evidence of its bands and of
    statements + plans for each total."""
    is_total = df["characteristic_age"] == "Total"
    bands = df[~is_total]
    unknown = set(bands["characteristic_age"]) - set(_AGE_2022)
    if unknown:
        raise SendlibInputError(f"unknown age band(s) {sorted(unknown)}", file=df.attrs["file"],
                                column="characteristic_age")
    total = _tidy(df[is_total], "total", "Total", df.loc[is_total, prefix + "all"], release, measure)
    by_age = _tidy(bands, "age", bands["characteristic_age"].map(_AGE_2022), bands[prefix + "all"], release, measure)
    kinds = [_tidy(df[is_total], "kind", kind, df.loc[is_total, prefix + kind], release, measure)
             for kind in ("st", "ehc")]
    parts = [dfe_parts.sums(by_age, "age bands"), dfe_parts.sums(pd.concat(kinds), "statements and plans")]
    return ([total, by_age] if measure == "caseload" else [total]), parts


def _read_2025(zf: zipfile.ZipFile, source: str, release: str) -> Release:
    placement_cols = (*_PLACEMENT_2025, *_GROUP_TOTALS_2025, *_GROUP_PC_2025.values())
    df = _read(zf, _2025["caseload"], "utf-8-sig", source,
               ("breakdown_topic", "breakdown", "ehcplans", *placement_cols))
    df = df[(df["breakdown_topic"] == "All EHC plans") & (df["breakdown"] == "All EHC plans")].copy()
    if not df["time_period"].str.fullmatch(r"\d{6}").all():
        raise SendlibInputError("time_period is not an academic year such as 202223",
                                file=f"{source}:{_2025['caseload']}", column="time_period")
    # 202223 is the academic year 2022/23, whose January census is January 2023
    df["time_period"] = (df["time_period"].str[:4].astype(int) + 1).astype(str)
    total = _tidy(df, "total", "Total", df["ehcplans"], release)
    groups = [_tidy(df, "placement", group, df[col], release) for col, group in _PLACEMENT_2025.items()]
    placement = _sum_groups(pd.concat(groups, ignore_index=True))
    independent = _sum_groups(pd.concat([_tidy(df, "placement_detail", INDEPENDENT_SPECIAL, df[col], release)
                                         for col in _INDEPENDENT_SPECIAL_2025], ignore_index=True))
    frames, evidence = [total, placement, independent], _placement_evidence_2025(df, total, release)

    new = _read(zf, _2025["new"], "utf-8-sig", source,
                ("breakdown_topic", "breakdown", "new_ehc_plans", *placement_cols))
    all_new = new[(new["breakdown_topic"] == "New EHC plans") & (new["breakdown"] == "New EHC plans")]
    new_total = _tidy(all_new, "total", "Total", all_new["new_ehc_plans"], release, measure="new_plans")
    frames.append(new_total)
    evidence += _placement_evidence_2025(all_new, new_total, release)
    for topic, name in _TOPICS_2025.items():
        rows = new[new["breakdown_topic"] == topic]
        evidence.append(dfe_parts.sums(_tidy(rows, topic, rows["breakdown"], rows["new_ehc_plans"], release,
                                             measure="new_plans"), name))
    frames += _flows_2025(zf, source, release)
    return Release(pd.concat(frames, ignore_index=True), dfe_parts.combine(evidence))


def _flows_2025(zf: zipfile.ZipFile, source: str, release: str) -> list[pd.DataFrame]:
    """The calendar-year totals of the optional files of the 2025 layout (:data:`_FLOWS_2025`)."""
    frames = []
    for member, (everything, columns) in _FLOWS_2025.items():
        if not dfe_zip.has_member(zf, member):
            continue
        df = _read(zf, member, "utf-8-sig", source, ("breakdown", *columns))
        df = df[df["breakdown"] == everything]
        frames += [_tidy(df, "total", "Total", df[col], release, measure=measure) for col, measure in columns.items()]
    return frames


def _placement_evidence_2025(df: pd.DataFrame, total: pd.DataFrame, release: str) -> list[pd.DataFrame]:
    """Placement columns (the larger of the leaves' and the group totals' sums: each misses the
    types published as ``x``) and placement percentages, as evidence for each total of `df`."""
    key = total[["measure", "time_period", "area_code", "release", "file"]]
    sums = []
    for cols in (list(_PLACEMENT_2025), _GROUP_TOTALS_2025):
        values = np.column_stack([parse_values(df[c], df.attrs.get("where"))[0].to_numpy() for c in cols])
        sums.append(np.where(np.isfinite(values).any(axis=1), np.nansum(values, axis=1), np.nan))
    rows = key.assign(value=np.fmax(*sums), symbol=pd.NA)
    pc = df[list(_GROUP_PC_2025.values())].apply(lambda s: s.where(~s.str.strip().str.lower().isin(SYMBOLS)))
    pairs = pd.concat([df[list(_GROUP_PC_2025)], pc], axis=1)
    return [dfe_parts.sums(rows, "placement columns", exact=False),
            dfe_parts.percentage_interval(pairs, _GROUP_PC_2025, key, "placement percentages")]


def _sum_groups(parts: pd.DataFrame) -> pd.DataFrame:
    """Sum leaf placement types into groups. A group is NaN (symbol of its first non-number leaf)
    only when none of its leaves is a number: an `x` leaf is a type not collected that year."""
    keys = ["measure", "time_period", *_GEO_COLUMNS, "area_code", "breakdown_topic", "breakdown", "release", "file"]
    parts = parts.copy()
    parts["_n"] = parts["value"].notna().astype(int)
    g = parts.groupby(keys, dropna=False, sort=False)
    out = g.agg(value=("value", "sum"), _n=("_n", "sum"), symbol=("symbol", "first")).reset_index()
    out["value"] = out["value"].where(out["_n"] > 0)
    out["symbol"] = out["symbol"].where(out["_n"] == 0)
    return out.drop(columns="_n")


def read(path) -> Release:
    """Return one published release zip as read: tidy rows and the evidence of its parts."""
    path = Path(path)
    with dfe_zip.open_release(path) as zf:
        try:
            release = _read_any(zf, path)
        except SendlibInputError as exc:
            if exc.file is None:  # name the zip in errors raised while parsing its cells
                raise SendlibInputError(str(exc), file=str(path)) from None
            raise
    table = release.tidy
    table["time_period"] = table["time_period"].astype(int)
    for col in ("measure", "breakdown_topic", "breakdown", "symbol", "release", "file"):
        table[col] = table[col].astype("string")
    return Release(table[TIDY_COLUMNS], release.parts)


def read_release(path) -> pd.DataFrame:
    """Return one published release zip as a tidy long table (columns :data:`TIDY_COLUMNS`)."""
    return read(path).tidy


def _read_any(zf: zipfile.ZipFile, path: Path) -> Release:
    """Return the rows of an open release zip, recognising its layout by the files it holds."""
    names = set(zf.namelist())
    if _2022["age"] in names:
        return _read_2022(zf, str(path), str(_release_year(zf, 2022)))
    if _2025["caseload"] in names:
        return _read_2025(zf, str(path), str(_release_year(zf, 2025)))
    raise SendlibInputError("no caseload file (data/sen2_age_caseload.csv or data/caseload.csv)",
                            file=str(path), hint="is this an 'Education, health and care plans' release?")


# ---------------------------------------------------------------------------------------------
# several releases

def combine_releases(tables: list[pd.DataFrame], *, keep_all: bool = False) -> pd.DataFrame:
    """Return the tidy rows of several releases, sorted; unless `keep_all`, one row per census
    year, geography and breakdown, where releases overlap the later release (by reporting year)
    wins (the order of `tables` breaks ties: a later table wins)."""
    table = pd.concat([t.assign(_source=i) for i, t in enumerate(tables)], ignore_index=True)
    table = table.sort_values([*_KEY, "release", "_source"], kind="stable")
    if not keep_all:
        table = table.drop_duplicates(_KEY, keep="last")
    order = {"National": 0, "Regional": 1, "Local authority": 2}
    table = table.assign(_lvl=table["geographic_level"].map(order))
    table = table.sort_values(["measure", "_lvl", "area_code", "breakdown_topic", "breakdown", "time_period",
                               "release", "_source"], kind="stable").drop(columns=["_lvl", "_source"])
    return table.reset_index(drop=True)


def load_releases(paths, *, keep_all: bool = False) -> pd.DataFrame:
    """Return the tidy table of all `paths` (release zips) as published, one row per census year,
    geography, breakdown: where releases overlap the later release (by reporting year) wins.

    With ``keep_all=True`` every release's rows are kept (for comparing overlaps).
    Rows are sorted, so the same zips always give the same table. The figures are as published,
    unchecked: the product reads DfE data through :func:`sendlib.sources.published.load_dfe`.
    """
    paths = [paths] if isinstance(paths, (str, Path)) else list(paths)
    if not paths:
        raise SendlibInputError("no DfE release given", hint="pass one or more release zips")
    return combine_releases([read_release(p) for p in sorted(paths, key=str)], keep_all=keep_all)


def overlap_differences(paths) -> pd.DataFrame:
    """Return the cells published by more than one release with their values side by side
    (columns one per release) and `agree` (True when all releases give the same value)."""
    table = load_releases(paths, keep_all=True)
    wide = table.pivot_table(index=_KEY, columns="release", values="value", aggfunc="first", dropna=False)
    both = wide.dropna(thresh=2)
    both = both.assign(agree=both.nunique(axis=1, dropna=True) == 1)
    return both.reset_index()


def areas(table: pd.DataFrame) -> pd.DataFrame:
    """Return one row per area (England, region, LA): area_code, geographic_level, names, and the
    latest published new code (`new_la_code`) with every new code the LA has had (`new_la_codes`)."""
    t = table.sort_values("time_period")
    g = t.groupby("area_code", sort=False)
    out = g[["geographic_level", "country_code", "region_code", "region_name", "old_la_code",
             "new_la_code", "la_name"]].last()
    codes = t[["area_code", "new_la_code"]].dropna().drop_duplicates().sort_values(["area_code", "new_la_code"])
    joined = codes.groupby("area_code", sort=False)["new_la_code"].agg(";".join)
    out["new_la_codes"] = joined.reindex(out.index).fillna("")
    out["first_year"] = g["time_period"].min()
    out["last_year"] = g["time_period"].max()
    out["name"] = out["la_name"].fillna(out["region_name"]).fillna("England")
    order = {"National": 0, "Regional": 1, "Local authority": 2}
    out = out.reset_index()
    out = out.assign(_lvl=out["geographic_level"].map(order)).sort_values(["_lvl", "area_code"])
    return out.drop(columns="_lvl").reset_index(drop=True)


def resolve_area(table: pd.DataFrame, code: str) -> str:
    """Return the area_code for an old LA code (314), any new code it has had (E09000021), a
    region code, England's code (E92000001) or a name ('Kingston upon Thames', 'England')."""
    want = str(code).strip()
    a = areas(table)
    for col in ("area_code", "old_la_code", "new_la_code"):
        hit = a.loc[a[col].astype("string").str.upper() == want.upper(), "area_code"]
        if len(hit):
            return str(hit.iloc[0])
    hit = a.loc[a["new_la_codes"].str.upper().str.split(";").apply(lambda cs: want.upper() in cs), "area_code"]
    if len(hit):
        return str(hit.iloc[0])
    hit = a.loc[a["name"].str.lower() == want.lower(), "area_code"]
    if len(hit):
        return str(hit.iloc[0])
    raise SendlibInputError(f"no local authority or region with code {want!r} in the DfE data",
                            hint="give the old LA code (e.g. 314), the new code (e.g. E09000021) or 'all'")


def series(table: pd.DataFrame, topic: str = "total", *, levels=None, measure: str = "caseload") -> pd.DataFrame:
    """Return `measure` as a wide frame: index (area_code, breakdown), one column per year (int),
    values float (NaN when not published). `levels` restricts geographic levels."""
    t = table[(table["breakdown_topic"] == topic) & (table["measure"] == measure)]
    if levels is not None:
        t = t[t["geographic_level"].isin([levels] if isinstance(levels, str) else list(levels))]
    wide = t.pivot_table(index=["area_code", "breakdown"], columns="time_period", values="value",
                         aggfunc="first", dropna=False)
    wide.columns = [int(c) for c in wide.columns]
    return wide.sort_index().astype(float)


def total_series(table: pd.DataFrame, *, levels="Local authority", measure: str = "caseload") -> pd.DataFrame:
    """Return the total of `measure` per area: index area_code, one column per year."""
    wide = series(table, "total", levels=levels, measure=measure)
    return wide.droplevel("breakdown")


def complete_las(table: pd.DataFrame, first: int, last: int, *, same_new_code: bool = False) -> list[str]:
    """Return the area codes of LAs with a published total for every year first..last.

    With ``same_new_code=True`` LAs whose new code changed are excluded too (the 145-LA panel the
    project's benchmarks quote, which keyed LAs by new code)."""
    tot = total_series(table)
    years = list(range(first, last + 1))
    ok = tot.reindex(columns=years).notna().all(axis=1)
    codes = [c for c in tot.index[ok]]
    if same_new_code:
        a = areas(table).set_index("area_code")
        codes = [c for c in codes if ";" not in a.at[c, "new_la_codes"]]
    return sorted(codes)


def check_placement_sums(table: pd.DataFrame, tolerance: float = 0.5) -> pd.DataFrame:
    """Return the rows (area, year) where placement groups do not add up to the total."""
    table = table[table["measure"] == "caseload"]
    tot = table[table["breakdown_topic"] == "total"].set_index(["area_code", "time_period"])["value"]
    pl = table[table["breakdown_topic"] == "placement"].groupby(["area_code", "time_period"])["value"].sum(min_count=1)
    both = pd.concat({"total": tot, "placement_sum": pl}, axis=1).dropna()
    return both[(both["total"] - both["placement_sum"]).abs() > tolerance].reset_index()
