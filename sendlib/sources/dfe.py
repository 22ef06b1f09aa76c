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
that file simply gives no requests.

Breakdowns of the caseload:

- ``total``: all plans. Before 2018 this counts statements of SEN as well as EHC plans (DfE's own
  continued series, and the figures Kingston publishes: 641 in January 2010).
- ``age``: DfE age bands (:data:`sendlib.ages.DFE_AGE_BANDS`), 2022 release only (2010-2022);
  the 2025 release as held here publishes no age breakdown of the caseload.
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

import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from sendlib.ages import DFE_AGE_BANDS
from sendlib.errors import SendlibInputError

SYMBOLS = ("c", "x", "z", "low", "u")

TIDY_COLUMNS = [
    "measure", "time_period", "geographic_level", "country_code", "region_code", "region_name",
    "old_la_code", "new_la_code", "la_name", "area_code", "breakdown_topic", "breakdown",
    "value", "symbol", "release",
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

def parse_values(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Return (value, symbol) for published cells: value float (NaN when not a number, 0 for
    ``low``), symbol the DfE symbol (or <NA> for a number). Unknown text raises, so a new symbol is
    never silently read as missing."""
    text = cells.astype("string").str.strip()
    value = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce").astype(float)
    symbol = text.mask(value.notna() | (text == "")).str.lower()
    unknown = (symbol.notna() & ~symbol.isin(SYMBOLS)).fillna(False).astype(bool)
    if unknown.any():
        bad = sorted(set(text[unknown]))[:5]
        row = int(np.flatnonzero(unknown.to_numpy())[0])
        raise SendlibInputError(f"unexpected text in a numeric cell: {bad}", row=row,
                                column=str(cells.name) if cells.name is not None else None,
                                hint="expected a number or one of the DfE symbols c, x, z, low, u")
    value = value.mask((symbol == "low").fillna(False).astype(bool), 0.0)
    return value, symbol


def _blank_to_na(df: pd.DataFrame, cols) -> pd.DataFrame:
    for c in cols:
        df[c] = df[c].astype("string").str.strip().replace("", pd.NA)
    return df


# ---------------------------------------------------------------------------------------------
# reading one release

def _read_csv(zf: zipfile.ZipFile, member: str, encoding: str, source: str) -> pd.DataFrame:
    try:
        raw = zf.read(member)
    except KeyError as exc:
        raise SendlibInputError(f"{member} missing from the zip", file=source,
                                hint="is this a DfE 'Education, health and care plans' release?") from exc
    return pd.read_csv(io.BytesIO(raw), encoding=encoding, dtype=str, keep_default_na=False)


def _release_year(zf: zipfile.ZipFile, fallback: int) -> int:
    """The reporting year printed in data-guidance.txt ('2022 Reporting year', 'Reporting year 2025')."""
    try:
        text = zf.read("data-guidance/data-guidance.txt").decode("latin-1")
    except KeyError:
        return fallback
    m = re.search(r"(\d{4})\s+Reporting year|Reporting year\s+(\d{4})", text[:400])
    return int(m.group(1) or m.group(2)) if m else fallback


def _area_code(df: pd.DataFrame) -> pd.Series:
    level = df["geographic_level"]
    return (df["old_la_code"].where(level == "Local authority")
            .fillna(df["region_code"].where(level == "Regional"))
            .fillna(df["country_code"]))


def _tidy(df: pd.DataFrame, topic: str, breakdown: pd.Series, cells: pd.Series, release: str,
          measure: str = "caseload") -> pd.DataFrame:
    value, symbol = parse_values(cells)
    out = df[["time_period", *_GEO_COLUMNS]].copy()
    out.insert(0, "measure", measure)
    out["area_code"] = _area_code(out)
    out["breakdown_topic"] = topic
    out["breakdown"] = breakdown.to_numpy()
    out["value"] = value.to_numpy()
    out["symbol"] = symbol.to_numpy()
    out["release"] = release
    return out


def _read_2022(zf: zipfile.ZipFile, source: str, release: str) -> pd.DataFrame:
    age = _read_csv(zf, "data/sen2_age_caseload.csv", "latin-1", source)
    estab = _read_csv(zf, "data/sen2_estab_caseload.csv", "latin-1", source)
    frames = []
    for df in (age, estab):
        df["time_period"] = pd.to_numeric(df["time_period"], errors="raise").astype(int)
        _blank_to_na(df, _GEO_COLUMNS)
    is_total = age["characteristic_age"] == "Total"
    frames.append(_tidy(age[is_total], "total", pd.Series("Total", index=age.index[is_total]),
                        age.loc[is_total, "Total_all"], release))
    bands = age[~is_total]
    unknown = set(bands["characteristic_age"]) - set(_AGE_2022)
    if unknown:
        raise SendlibInputError(f"unknown age band(s) {sorted(unknown)}", file=source,
                                column="characteristic_age")
    frames.append(_tidy(bands, "age", bands["characteristic_age"].map(_AGE_2022),
                        bands["Total_all"], release))

    leaves = estab[estab["establishment_type"] != "Total"]
    unknown = set(leaves["establishment_group"]) - set(_ESTAB_GROUP_2022)
    if unknown:
        raise SendlibInputError(f"unknown establishment group(s) {sorted(unknown)}", file=source,
                                column="establishment_group")
    placement = _tidy(leaves, "placement", leaves["establishment_group"].map(_ESTAB_GROUP_2022),
                      leaves["Total_all"], release)
    frames.append(_sum_groups(placement))

    new = _read_csv(zf, "data/sen2_age_new_plans.csv", "latin-1", source)
    new = new[new["characteristic_age"] == "Total"].copy()
    new["time_period"] = pd.to_numeric(new["time_period"], errors="raise").astype(int)
    _blank_to_na(new, _GEO_COLUMNS)
    frames.append(_tidy(new, "total", pd.Series("Total", index=new.index), new["Total_new_all"],
                        release, measure="new_plans"))
    # requests are optional (the caseload is not): a release without them simply gives none
    mi = _read_csv(zf, "data/sen2_mi.csv", "latin-1", source) if "data/sen2_mi.csv" in zf.namelist() else None
    if mi is not None and "InreqEHC" in mi.columns:
        frames.append(_requests(mi, "InreqEHC", release))
    return pd.concat(frames, ignore_index=True)


def _requests(df: pd.DataFrame, column: str, release: str) -> pd.DataFrame:
    """Return the tidy `requests` rows (calendar year totals, in `column`) of a published table."""
    df = df.copy()
    df["time_period"] = pd.to_numeric(df["time_period"].str.strip(), errors="raise").astype(int)
    _blank_to_na(df, _GEO_COLUMNS)
    return _tidy(df, "total", pd.Series("Total", index=df.index), df[column], release, measure="requests")


def _read_2025(zf: zipfile.ZipFile, source: str, release: str) -> pd.DataFrame:
    df = _read_csv(zf, "data/caseload.csv", "utf-8-sig", source)
    df = df[(df["breakdown_topic"] == "All EHC plans") & (df["breakdown"] == "All EHC plans")].copy()
    tp = df["time_period"].str.strip()
    if not tp.str.fullmatch(r"\d{6}").all():
        raise SendlibInputError("time_period is not an academic year such as 202223", file=source,
                                column="time_period")
    # 202223 is the academic year 2022/23, whose January census is January 2023
    df["time_period"] = tp.str[:4].astype(int) + 1
    _blank_to_na(df, _GEO_COLUMNS)
    frames = [_tidy(df, "total", pd.Series("Total", index=df.index), df["ehcplans"], release)]
    missing = set(_PLACEMENT_2025) - set(df.columns)
    if missing:
        raise SendlibInputError(f"placement column(s) {sorted(missing)} missing", file=source)
    parts = [_tidy(df, "placement", pd.Series(group, index=df.index), df[col], release)
             for col, group in _PLACEMENT_2025.items()]
    frames.append(_sum_groups(pd.concat(parts, ignore_index=True)))

    new = _read_csv(zf, "data/newplans.csv", "utf-8-sig", source)
    new = new[(new["breakdown_topic"] == "New EHC plans") & (new["breakdown"] == "New EHC plans")].copy()
    new["time_period"] = pd.to_numeric(new["time_period"].str.strip(), errors="raise").astype(int)
    _blank_to_na(new, _GEO_COLUMNS)
    frames.append(_tidy(new, "total", pd.Series("Total", index=new.index), new["new_ehc_plans"],
                        release, measure="new_plans"))
    req = _read_csv(zf, "data/requests.csv", "utf-8-sig", source) if "data/requests.csv" in zf.namelist() else None
    if req is not None and {"breakdown", "requests_received_in_year"} <= set(req.columns):
        req = req[req["breakdown"] == "All requests for EHC needs assessments"]
        frames.append(_requests(req, "requests_received_in_year", release))
    return pd.concat(frames, ignore_index=True)


def _sum_groups(parts: pd.DataFrame) -> pd.DataFrame:
    """Sum leaf placement types into groups. A group is NaN (symbol of its first non-number leaf)
    only when none of its leaves is a number: an `x` leaf is a type not collected that year."""
    keys = ["measure", "time_period", *_GEO_COLUMNS, "area_code", "breakdown_topic", "breakdown", "release"]
    parts = parts.copy()
    parts["_n"] = parts["value"].notna().astype(int)
    g = parts.groupby(keys, dropna=False, sort=False)
    out = g.agg(value=("value", "sum"), _n=("_n", "sum"), symbol=("symbol", "first")).reset_index()
    out["value"] = out["value"].where(out["_n"] > 0)
    out["symbol"] = out["symbol"].where(out["_n"] == 0)
    return out.drop(columns="_n")


def read_release(path) -> pd.DataFrame:
    """Return one published release zip as a tidy long table (columns :data:`TIDY_COLUMNS`)."""
    path = Path(path)
    if not path.exists():
        raise SendlibInputError("file not found", file=str(path), hint="give the path of a DfE release zip")
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise SendlibInputError("not a zip file", file=str(path),
                                hint="download the release with `sendlib fetch-dfe`") from exc
    with zf:
        try:
            table = _read_any(zf, path)
        except SendlibInputError as exc:
            if exc.file is None:  # name the zip in errors raised while parsing its cells
                raise SendlibInputError(str(exc), file=str(path)) from exc
            raise
    table["time_period"] = table["time_period"].astype(int)
    for col in ("measure", "breakdown_topic", "breakdown", "symbol", "release"):
        table[col] = table[col].astype("string")
    return table[TIDY_COLUMNS]


def _read_any(zf: zipfile.ZipFile, path: Path) -> pd.DataFrame:
    """Return the tidy rows of an open release zip, recognising its layout by the files it holds."""
    names = set(zf.namelist())
    if "data/sen2_age_caseload.csv" in names:
        return _read_2022(zf, str(path), str(_release_year(zf, 2022)))
    if "data/caseload.csv" in names:
        return _read_2025(zf, str(path), str(_release_year(zf, 2025)))
    raise SendlibInputError("no caseload file (data/sen2_age_caseload.csv or data/caseload.csv)",
                            file=str(path), hint="is this an 'Education, health and care plans' release?")


# ---------------------------------------------------------------------------------------------
# several releases

def load_releases(paths, *, keep_all: bool = False) -> pd.DataFrame:
    """Return the tidy caseload table of all `paths` (release zips), one row per census year,
    geography, breakdown: where releases overlap the later release (by reporting year) wins.

    With ``keep_all=True`` every release's rows are kept (for comparing overlaps).
    Rows are sorted, so the same zips always give the same table.
    """
    paths = [paths] if isinstance(paths, (str, Path)) else list(paths)
    if not paths:
        raise SendlibInputError("no DfE release given", hint="pass one or more release zips")
    table = pd.concat([read_release(p) for p in paths], ignore_index=True)
    table = table.sort_values([*_KEY, "release"], kind="stable")
    if not keep_all:
        table = table.drop_duplicates(_KEY, keep="last")
    order = {"National": 0, "Regional": 1, "Local authority": 2}
    table = table.assign(_lvl=table["geographic_level"].map(order))
    table = table.sort_values(["measure", "_lvl", "area_code", "breakdown_topic", "breakdown", "time_period",
                               "release"],
                              kind="stable").drop(columns="_lvl")
    return table.reset_index(drop=True)


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
    out["new_la_codes"] = g["new_la_code"].agg(lambda s: ";".join(sorted(set(s.dropna()))))
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
