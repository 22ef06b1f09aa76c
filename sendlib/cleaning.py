"""`sendlib clean RAW_DIR OUT_DIR --census-date YYYY-MM-DD`: one census year's raw extracts to
validated, pseudonymised tables, with every problem logged.

Stages (one progress line each on stderr): read the extracts (:mod:`sendlib.readers`); normalise
codes (:mod:`sendlib.normalise`) and dates (:mod:`sendlib.dates`); resolve duplicates; reject
orphans; pseudonymise (:mod:`sendlib.pseudonymise`); build the tables; validate them against
:mod:`sendlib.schemas`; write Parquet, ``quality_report.csv``, ``quality_summary.json`` and
``metadata.json``.

Rules (each problem is one row of ``quality_report.csv`` with the rule's name and an action):

- ``date_format`` (corrected): a date not in ISO form but unambiguous (UK day-first, written
  month, Excel serial, ...). ``invalid_date`` (set unknown): an impossible or unreadable date.
- ``whitespace_case`` / ``code_spelling`` (corrected): a code with stray spaces or in the wrong
  case / a label, legacy or free-text spelling (BESD is SEMH, "Autism" is ASD, "White British"
  is WBRI, 1/2 are M/F). ``unknown_code`` (set unknown): a code not in the code lists.
  ``missing_code`` (set unknown): a blank SEN type on a need row, a blank SEN provision, or a
  blank primary need of a school census pupil with provision K or E. (Blank sex and ethnicity
  are "not recorded", not a defect: they count as unknown in ``quality_summary.json``.)
- ``missing_dob``, ``future_dob`` (born after the census date), ``dob_over_25`` (older than 26 at
  31 August before the census: over 25 during the year of the return): the birth date is set unknown (the record is kept; age unknown).
- Duplicates, per file, on the table's key (SEN2 table id; UPN in the school census; URN in the
  establishments lookup): rows whose cells are identical after normalisation (codes and dates
  normalised, other text compared ignoring case and surrounding spaces) are
  ``duplicate_row``: the first in file order is kept, the rest rejected. Rows that share a key but
  differ are ``duplicate_key``: the most complete row (most non-blank cells) is kept, ties going
  to the first in file order, the others rejected. A blank key is ``missing_key`` (rejected).
- ``orphan_key`` (rejected): a row whose link (e.g. ``activeplanstableid`` of ``sen_need``)
  points at no kept row of the parent module; rejection cascades to its own children.
- ``duplicate_rank`` (rejected): a second rank-1 need or placement of the same active plan (the
  first in file order is used). ``duplicate_plan`` (rejected): a second active plan of the same
  person (the one with the latest request is kept). ``missing_primary_need`` /
  ``missing_placement`` (set unknown): an active plan without a rank-1 need / placement.
  ``unknown_urn`` (set unknown): a placement URN not in the establishments lookup.
- ``invalid_number`` (rejected): a population row whose year, age or count is not a number.
- ``duplicate_person`` (corrected): two SEN2 person rows with the same UPN are the same person
  (one ``person_id``); the persons table keeps the first.

Personal data (names, birth dates, UPNs, ULNs, postcodes) is never written: the quality report
shows ``<personal data withheld>`` for such values and identifies rows by SEN2 table id or, in
the school census, by row number and pseudonymous ``person_id``.

Every input row is accounted for: rows read = rows kept + rows rejected, per file.
"""
from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sendlib import __version__, ages, codelists, dates, normalise, pseudonymise, readers, schemas
from sendlib.errors import SendlibInputError

WITHHELD = "<personal data withheld>"
CORRECTED, SET_UNKNOWN, REJECTED = "corrected", "set unknown", "rejected"
MAX_AGE = ages.MAX_AGE
QUALITY_COLUMNS = ["file", "row_number", "key", "column", "value", "rule", "action"]
TABLES = ["persons", "ehcp_caseload", "sen_support", "pupils", "requests", "assessments", "new_plans",
          "ceased_plans", "annual_reviews", "population"]

# personal columns of every raw file (spec/raw_files.yml) + the school census date of birth
_PERSONAL = {name: set(entry.get("personal", []))
             for section in ("sen2", "other") for name, entry in
             readers.spec.raw_files()[section].items()}

# date columns of each raw file
_DATE_COLUMNS = {
    "person": ["personbirthdate"],
    "requests": ["receiveddate", "requestoutcomedate"],
    "assessment": ["assessmentoutcomedate"],
    "named_plan": ["startdate", "ceasedate"],
    "active_plans": ["reviewmeeting", "reviewdraft", "phasetransferduedate", "phasetransferfinaldate",
                     "lastreview"],
    "placement_detail": ["entrydate", "leavingdate"],
    "school_census": ["dateofbirth"],
}
# id columns that are compared as stripped text
_ID_COLUMNS = {
    "person": ["persontableid"], "requests": ["requeststableid", "persontableid"],
    "assessment": ["assessmenttableid", "requeststableid"],
    "named_plan": ["namedplantableid", "assessmenttableid"],
    "plan_detail": ["plandetailtableid", "namedplantableid", "urn"],
    "active_plans": ["activeplanstableid", "requeststableid"],
    "placement_detail": ["placementdetailtableid", "activeplanstableid", "urn"],
    "sen_need": ["senneedtableid", "activeplanstableid"],
    "school_census": ["urn"], "establishments": ["URN"],
}
_KEYS = {"person": "persontableid", "requests": "requeststableid", "assessment": "assessmenttableid",
         "named_plan": "namedplantableid", "plan_detail": "plandetailtableid",
         "active_plans": "activeplanstableid", "placement_detail": "placementdetailtableid",
         "sen_need": "senneedtableid", "school_census": "upn", "establishments": "URN"}
# child module -> (link column, parent module), in an order where parents come first
_LINKS = [("requests", "persontableid", "person"), ("assessment", "requeststableid", "requests"),
          ("named_plan", "assessmenttableid", "assessment"), ("plan_detail", "namedplantableid", "named_plan"),
          ("active_plans", "requeststableid", "requests"),
          ("placement_detail", "activeplanstableid", "active_plans"),
          ("sen_need", "activeplanstableid", "active_plans")]


# ---- quality log -------------------------------------------------------------------------------

class QualityLog:
    """Problems found, one row per cell or row: the contents of ``quality_report.csv``."""

    def __init__(self):
        self._parts: list[pd.DataFrame] = []

    def add(self, t: "Work", mask, column: str, rule: str, action: str, values=None) -> None:
        """Log `rule` for the rows of work table `t` where `mask` is true (mask on t.df's index)."""
        mask = pd.Series(mask, index=t.df.index).fillna(False).astype(bool)
        if not mask.any():
            return
        rows = t.df.index[mask.to_numpy()]
        if values is None:
            values = t.raw.frame[column].reindex(rows) if column in t.raw.frame.columns else pd.Series("", index=rows)
        else:
            values = pd.Series(values, index=t.df.index).reindex(rows)
        if column in _PERSONAL.get(t.name, ()):
            values = pd.Series(WITHHELD, index=rows)
        self._parts.append(pd.DataFrame({
            "file": t.raw.label, "row_number": rows.to_numpy() + 1, "key": t.report_key.reindex(rows).to_numpy(),
            "column": column, "value": values.astype(str).to_numpy(), "rule": rule, "action": action}))

    def frame(self) -> pd.DataFrame:
        """The quality report, sorted by file, row, column and rule."""
        if not self._parts:
            return pd.DataFrame({c: pd.Series(dtype=object if c != "row_number" else "int64") for c in QUALITY_COLUMNS})
        df = pd.concat(self._parts, ignore_index=True)
        df["row_number"] = df["row_number"].astype("int64")
        return df.sort_values(["file", "row_number", "column", "rule"], kind="stable").reset_index(drop=True)


@dataclass
class Work:
    """One raw file being cleaned: the raw cells, the working (normalised) frame and which rows are kept."""
    name: str
    raw: readers.RawFile
    df: pd.DataFrame
    kept: pd.Series
    report_key: pd.Series
    rejected_rule: dict = field(default_factory=dict)

    @classmethod
    def start(cls, raw: readers.RawFile) -> "Work":
        df = raw.frame.copy()
        key = _KEYS.get(raw.name)
        report_key = df[key].str.strip() if key and key not in _PERSONAL.get(raw.name, ()) else pd.Series("", index=df.index)
        return cls(raw.name, raw, df, pd.Series(True, index=df.index), report_key.astype(object))

    def reject(self, log: QualityLog, mask, column: str, rule: str) -> None:
        """Reject the kept rows where `mask` is true, logging `rule`."""
        mask = pd.Series(mask, index=self.df.index).fillna(False).astype(bool) & self.kept
        log.add(self, mask, column, rule, REJECTED, values=pd.Series("", index=self.df.index)
                if column == "" else None)
        self.kept &= ~mask

    @property
    def rows(self) -> pd.DataFrame:
        """The kept rows of the working frame."""
        return self.df[self.kept]


# ---- cell-level normalisation --------------------------------------------------------------------

def _strip_ids(t: Work, log: QualityLog) -> None:
    for col in _ID_COLUMNS.get(t.name, []):
        raw = t.df[col]
        clean = raw.str.strip()
        clean = clean.where(~clean.str.fullmatch(r"\d+\.0+"), clean.str.split(".").str[0])  # 123456.0 from Excel
        log.add(t, clean != raw, col, "whitespace_case", CORRECTED)
        t.df[col] = clean


def _parse_date_column(t: Work, log: QualityLog, col: str) -> pd.Series:
    parsed, status = dates.parse_dates(t.df[col])
    log.add(t, status == dates.CORRECTED, col, "date_format", CORRECTED)
    log.add(t, status == dates.WHITESPACE, col, "whitespace_case", CORRECTED)
    log.add(t, status == dates.INVALID, col, "invalid_date", SET_UNKNOWN)
    return parsed


def _code_column(t: Work, log: QualityLog, col: str, normaliser, report_missing: bool = False) -> pd.Series:
    res = normaliser(t.df[col])
    for rule, action in (("whitespace_case", CORRECTED), ("code_spelling", CORRECTED),
                         ("unknown_code", SET_UNKNOWN)):
        log.add(t, res["rule"] == rule, col, rule, action)
    if report_missing:
        log.add(t, res["rule"] == "missing", col, "missing_code", SET_UNKNOWN)
    return res["code"]


def _rank(t: Work, log: QualityLog, col: str) -> pd.Series:
    raw = t.df[col].str.strip()
    num = pd.to_numeric(raw.where(raw != ""), errors="coerce")
    ok = num.notna() & (num == num.round()) & (num >= 1)
    log.add(t, (raw != "") & ~ok, col, "unknown_code", SET_UNKNOWN)
    log.add(t, ok & (raw != t.df[col]) , col, "whitespace_case", CORRECTED)
    return num.where(ok).astype("Int64")


def _birth_dates(t: Work, log: QualityLog, col: str, census_date: pd.Timestamp) -> pd.Series:
    """Birth dates with the DOB rules applied (missing / future / over 25 set unknown)."""
    dob = _parse_date_column(t, log, col)
    blank = t.df[col].str.strip() == ""
    log.add(t, blank, col, "missing_dob", SET_UNKNOWN)
    future = dob > census_date
    log.add(t, future, col, "future_dob", SET_UNKNOWN)
    age = ages.age_at_31_august(dob, census_date)
    # A plan ceases at the end of the academic year in which the young person turns 25, so a
    # person in last year's ceased plans can be 26 on the 31 August before this census; older
    # is impossible for anyone in a SEN2 return.
    over = (age > MAX_AGE + 1).fillna(False).astype(bool)
    log.add(t, over, col, "dob_over_25", SET_UNKNOWN)
    return dob.mask(future | over)


# ---- duplicates and orphans ------------------------------------------------------------------------

def _resolve_duplicates(t: Work, log: QualityLog, key: str, compare: pd.DataFrame) -> None:
    """Apply the module's duplicate rule on `key`, comparing the normalised cells in `compare`."""
    k = t.df[key]
    t.reject(log, k == "", key, "missing_key")
    live = t.kept
    dup_key = k.duplicated(keep=False) & live
    if not dup_key.any():
        return
    cand = compare[dup_key].astype(str)
    exact = cand.duplicated(keep="first")  # identical to an earlier row after normalisation
    exact_mask = pd.Series(False, index=t.df.index)
    exact_mask[cand.index[exact.to_numpy()]] = True
    t.reject(log, exact_mask, key, "duplicate_row")
    remaining = t.df.index[(k.duplicated(keep=False) & t.kept).to_numpy()]
    if len(remaining):
        filled = (t.raw.frame.loc[remaining].apply(lambda s: s.str.strip() != "")).sum(axis=1)
        order = pd.DataFrame({"key": k[remaining], "filled": filled, "pos": remaining})
        best = order.sort_values(["key", "filled", "pos"], ascending=[True, False, True]).drop_duplicates("key")
        losers = pd.Series(False, index=t.df.index)
        losers[remaining.difference(best["pos"])] = True
        t.reject(log, losers, key, "duplicate_key")


# raw column -> the column holding its normalised value
_NORMALISED = {"personbirthdate": "birth_date", "dateofbirth": "birth_date", "sex": "sex_code",
               "ethnicity": "ethnicity_code", "sentype": "need_code", "primarysentype": "need_code",
               "sentyperank": "rank", "placementrank": "rank", "sensetting": "setting_code",
               "ceasereason": "cease_code", "TypeOfEstablishment (name)": "type_code",
               "senprovision": "provision_code", "upn": "upn_clean"}


def _normalised_cells(t: Work) -> pd.DataFrame:
    """The row's cells as compared for duplicates: each raw cell replaced by its normalised value."""
    cols = {}
    for c in t.raw.frame.columns:
        alt = _NORMALISED.get(c) if _NORMALISED.get(c) in t.df.columns else (
            c + "_date" if c + "_date" in t.df.columns else None)
        cols[c] = t.df[alt] if alt else t.df[c].str.strip().str.upper()  # "SMITH" = "Smith"
    return pd.DataFrame(cols, index=t.df.index)


def _reject_orphans(works: dict[str, Work], log: QualityLog) -> None:
    for child, link, parent in _LINKS:
        c, p = works[child], works[parent]
        parent_keys = set(p.df.loc[p.kept, _KEYS[parent]])
        c.reject(log, ~c.df[link].isin(parent_keys), link, "orphan_key")


# ---- person-level ------------------------------------------------------------------------------

def _person_attributes(t: Work, log: QualityLog, census_date, dob_col: str) -> None:
    """Normalise a person's birth date, sex and ethnicity in place (columns birth_date, sex_code, ...)."""
    t.df["birth_date"] = _birth_dates(t, log, dob_col, census_date)
    t.df["sex_code"] = _code_column(t, log, "sex", normalise.sex)
    t.df["ethnicity_code"] = _code_column(t, log, "ethnicity", normalise.ethnicity)


def _person_columns(df: pd.DataFrame, census_date) -> pd.DataFrame:
    """Columns of schemas._person_columns and _age_columns from birth_date, sex_code, ethnicity_code."""
    birth = pd.to_datetime(df["birth_date"])
    age = ages.age_at_31_august(birth, census_date)
    ncy = ages.ncy_from_age(age)
    out = pd.DataFrame({
        "person_id": df["person_id"].astype(str),
        "birth_month": birth.dt.to_period("M").dt.to_timestamp().astype("datetime64[ns]"),
        "sex": df["sex_code"].astype(str),
        "ethnicity": df["ethnicity_code"].astype(str),
        "ethnicity_group_dfe": normalise.ethnicity_group(df["ethnicity_code"], "dfe").astype(str),
        "ethnicity_group_kingston": normalise.ethnicity_group(df["ethnicity_code"], "kingston").astype(str),
        "age": age,
        "ncy": ncy,
        "age_band_dfe": ages.dfe_age_band(age).astype(object).fillna("Unknown").astype(str),
        "age_band_eqia": ages.eqia_age_band(age).astype(object).fillna("Unknown").astype(str),
        "school_year": ages.school_year(ncy).astype(str),
    }, index=df.index)
    return out


# ---- the pipeline ----------------------------------------------------------------------------------

@dataclass
class CleanResult:
    """What `clean` produced: the tables, the quality report and summary, and the metadata."""
    tables: dict[str, pd.DataFrame]
    quality_report: pd.DataFrame
    summary: dict
    metadata: dict
    out_dir: Path | None = None

    def warnings_by_rule(self) -> dict[str, int]:
        """Number of problems per rule."""
        return {str(k): int(v) for k, v in self.quality_report["rule"].value_counts().sort_index().items()}


def _read_manifest(raw_dir: Path) -> dict:
    for p in (raw_dir / "manifest.json", raw_dir.parent / "manifest.json"):
        if p.is_file():
            try:
                return json.loads(p.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError):
                raise SendlibInputError("manifest.json is not valid JSON", file=str(p)) from None
    return {}


def _census_timestamp(census_date) -> pd.Timestamp:
    """The census date as a Timestamp (ISO, or any unambiguous form of :mod:`sendlib.dates`)."""
    day, status = dates.parse_one(census_date)
    if day is None:
        raise SendlibInputError(f"census date {census_date!r} is not a date", hint="use YYYY-MM-DD, e.g. 2025-01-16")
    return pd.Timestamp(day)


def clean(raw_dir, out_dir=None, census_date=None, *, la_code=None, la_name=None, key_file=None,
          synthetic: bool | None = None, quiet: bool = False) -> CleanResult:
    """Clean one census year's raw extracts in `raw_dir`, writing to `out_dir` (if given).

    Returns a :class:`CleanResult` (tables, quality report, summary, metadata). Raises
    SendlibInputError when the inputs cannot be used.
    """
    started = time.perf_counter()
    raw_dir = Path(raw_dir)
    if census_date is None:
        raise SendlibInputError("a census date is needed", hint="--census-date YYYY-MM-DD")
    census = _census_timestamp(census_date)

    def progress(msg):
        if not quiet:
            print(f"[clean {time.perf_counter() - started:5.1f}s] {msg}", file=sys.stderr, flush=True)

    if not raw_dir.is_dir():
        raise SendlibInputError("raw data folder not found", file=str(raw_dir),
                                hint="give the folder holding one census year's extracts")
    manifest = _read_manifest(raw_dir)
    if synthetic is None:  # the generator's manifest names it; a hand-made one may say "synthetic": true
        synthetic = bool(manifest.get("synthetic")) or str(manifest.get("generator", "")).startswith("sendlib.synthetic")
    is_synthetic = synthetic
    key = pseudonymise.load_key(key_file, synthetic=is_synthetic)

    progress(f"reading extracts in {raw_dir}")
    files = readers.read_all(raw_dir)
    progress("read " + ", ".join(f"{f.label} {len(f.frame):,}" for f in files.values()))
    log = QualityLog()
    works = {name: Work.start(f) for name, f in files.items()}
    _census_person_ids(works["school_census"], key)

    progress("normalising codes and dates")
    for t in works.values():
        _strip_ids(t, log)
    _normalise_sen2(works, log, census)
    _normalise_census(works, log, census, key)

    progress("resolving duplicates and orphans")
    for name, t in works.items():
        if name in _KEYS:
            _resolve_duplicates(t, log, _KEYS[name], _normalised_cells(t))
    _reject_orphans(works, log)

    progress("pseudonymising and building tables")
    # DfE's SEN2 item week20 flags that exceptions to the 20-week limit apply; the synthetic
    # generator's manifest declares that its week20 means "issued within 20 weeks" instead
    week20_convention = str((manifest.get("conventions") or {}).get("week20", ""))
    week20_is_exception = "issued within 20 weeks" not in week20_convention
    tables = _build_tables(works, log, census, key, week20_is_exception)
    if "population" in works:
        tables["population"] = _population(works["population"], log)

    progress("validating")
    _validate(tables)
    report = log.frame()
    params = {**manifest, **(manifest.get("parameters") or {})}
    summary = _summary(works, report, tables, census)
    metadata = {
        "census_date": census.date().isoformat(), "census_year": int(census.year),
        "period_start": _period(census)[0].date().isoformat(), "period_end": _period(census)[1].date().isoformat(),
        "la_code": la_code or params.get("la_code"),
        "new_la_code": params.get("new_la_code"),
        "la_name": la_name or params.get("la_name"),
        "synthetic": is_synthetic, "sendlib_version": __version__,
        "week20": "exceptions apply (DfE SEN2)" if week20_is_exception else
                  "issued within 20 weeks (manifest convention; exceptions not recorded)",
        "inputs": {f.label: {"name": f.name, "sha256": f.sha256, "rows": int(len(f.frame))}
                   for f in sorted(files.values(), key=lambda f: f.label)},
        "tables": {name: int(len(df)) for name, df in sorted(tables.items())},
    }
    result = CleanResult(tables, report, summary, metadata)
    if out_dir is not None:
        progress(f"writing {out_dir}")
        write(result, out_dir)
    counts = result.warnings_by_rule()
    progress(f"done: {sum(counts.values()):,} problems logged")
    return result


def _period(census: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The calendar year before the census: the SEN2 activity period."""
    return pd.Timestamp(year=census.year - 1, month=1, day=1), pd.Timestamp(year=census.year - 1, month=12, day=31)


def _normalise_sen2(works: dict[str, Work], log: QualityLog, census: pd.Timestamp) -> None:
    for name, cols in _DATE_COLUMNS.items():
        if name in works and name != "school_census":
            for col in cols:
                if name == "person" and col == "personbirthdate":
                    continue
                works[name].df[col + "_date"] = _parse_date_column(works[name], log, col)
    person = works["person"]
    _person_attributes(person, log, census, "personbirthdate")
    person.df["upn_clean"] = person.df["upn"].str.strip().str.upper()
    log.add(person, (person.df["upn_clean"] != person.df["upn"]) & (person.df["upn_clean"] != ""),
            "upn", "whitespace_case", CORRECTED)

    need = works["sen_need"]
    need.df["need_code"] = _code_column(need, log, "sentype", normalise.sen_type, report_missing=True)
    need.df["rank"] = _rank(need, log, "sentyperank")

    for name in ("placement_detail", "plan_detail"):
        t = works[name]
        t.df["setting_code"] = _code_column(t, log, "sensetting", normalise.sen_setting)
        t.df["rank"] = _rank(t, log, "placementrank")
        t.df["resourced"] = (normalise.indicator(t.df["resourcedprovisionindicator"])
                             | normalise.indicator(t.df["senunitindicator"]))

    plans = works["named_plan"]
    plans.df["cease_code"] = _code_column(plans, log, "ceasereason", normalise.cease_reason)

    est = works["establishments"]
    est.df["type_code"] = _code_column(est, log, "TypeOfEstablishment (name)", normalise.establishment_type)


def _census_person_ids(t: Work, key: bytes) -> None:
    """Pseudonymous ids of school census pupils (the UPN is the person key); rows are reported by them."""
    t.df["upn_clean"] = t.df["upn"].str.strip().str.upper()
    t.df["person_id"] = pseudonymise.person_ids(t.df["upn_clean"], key).where(t.df["upn_clean"] != "", "")
    t.report_key = t.df["person_id"].astype(object)  # never the UPN


def _normalise_census(works: dict[str, Work], log: QualityLog, census: pd.Timestamp, key: bytes) -> None:
    t = works["school_census"]
    log.add(t, (t.df["upn_clean"] != t.df["upn"]) & (t.df["upn_clean"] != ""), "upn", "whitespace_case", CORRECTED)
    _person_attributes(t, log, census, "dateofbirth")
    t.df["provision_code"] = _code_column(t, log, "senprovision", normalise.sen_provision, report_missing=True)
    has_need = t.df["primarysentype"].str.strip() != ""
    need = normalise.sen_type(t.df["primarysentype"])
    for rule, action in (("whitespace_case", CORRECTED), ("code_spelling", CORRECTED), ("unknown_code", SET_UNKNOWN)):
        log.add(t, need["rule"] == rule, "primarysentype", rule, action)
    sen = t.df["provision_code"].isin(["K", "E"])
    log.add(t, sen & ~has_need, "primarysentype", "missing_code", SET_UNKNOWN)
    t.df["need_code"] = need["code"].where(has_need | sen, None)
    # the census key is the cleaned UPN
    t.df["upn"] = t.df["upn_clean"]


def _dates_for(keys: pd.Series, lookup: pd.Series) -> pd.Series:
    """Dates of `lookup` (indexed by a unique id) for each id in `keys`; NaT where absent."""
    lookup = lookup[~lookup.index.duplicated(keep="last")].astype("datetime64[ns]")
    return pd.Series(lookup.reindex(keys.to_numpy()).to_numpy(), index=keys.index, dtype="datetime64[ns]")


def _text(values) -> pd.Series:
    """A nullable text column (pandas ``str`` dtype, missing as NA), whatever the input's dtype."""
    s = pd.Series(values).astype(object)
    return s.where(s.notna() & (s != ""), None).astype("str")


def _establishment_lookup(works: dict[str, Work]) -> pd.DataFrame:
    est = works["establishments"].rows
    return est[["URN", "type_code"]].rename(columns={"URN": "urn", "type_code": "establishment_type"}).set_index("urn")


def _placements(t: Work, log: QualityLog, lookup: pd.DataFrame, parent: str) -> pd.DataFrame:
    """Rank-1 placement per parent id: placement_code, groups, establishment_type, urn, setting."""
    rows = t.rows
    rank1 = rows[rows["rank"] == 1]
    dup = rank1[parent].duplicated(keep="first")
    mask = pd.Series(False, index=t.df.index)
    mask[rank1.index[dup.to_numpy()]] = True
    t.reject(log, mask, "placementrank", "duplicate_rank")
    main = rank1[~dup.to_numpy()].copy()
    etype = main["urn"].map(lookup["establishment_type"]).astype(object)
    unknown_urn = (main["urn"] != "") & etype.isna()
    m = pd.Series(False, index=t.df.index)
    m[main.index[unknown_urn.to_numpy()]] = True
    log.add(t, m, "urn", "unknown_urn", SET_UNKNOWN)
    etype = etype.where(etype != "", None)
    setting = main["setting_code"].where(main["urn"] == "", "")  # a URN placement is typed by its URN
    setting = setting.where(etype.isna() | (setting == ""), "")
    groups = normalise.placement(etype.fillna(""), main["setting_code"].where(etype.isna(), ""),
                                 main["resourced"])
    return pd.DataFrame({parent: main[parent], "urn": main["urn"].where(main["urn"] != "", None),
                         "sensetting": main["setting_code"].where(main["setting_code"] != "", None),
                         "establishment_type": etype, "resourced_provision": main["resourced"],
                         **{c: groups[c] for c in groups.columns}}).set_index(parent)


def _build_tables(works: dict[str, Work], log: QualityLog, census: pd.Timestamp, key: bytes,
                  week20_is_exception: bool = True) -> dict[str, pd.DataFrame]:
    period_start, period_end = _period(census)
    person = works["person"]
    # pseudonymise: UPN when present, else the LA's person id
    person.df["person_id"] = pseudonymise.person_ids(
        pseudonymise.person_keys(person.df["upn_clean"], person.df["persontableid"]), key)
    prow = person.rows
    dup_person = prow["person_id"].duplicated(keep="first")
    m = pd.Series(False, index=person.df.index)
    m[prow.index[dup_person.to_numpy()]] = True
    log.add(person, m, "upn", "duplicate_person", CORRECTED)
    persons_attr = _person_columns(prow, census)
    persons_attr["persontableid"] = prow["persontableid"]
    pid_of_person = prow.set_index("persontableid")["person_id"]
    persons = persons_attr[~dup_person.to_numpy()]
    persons_table = persons[["person_id", "birth_month", "sex", "ethnicity", "ethnicity_group_dfe",
                             "ethnicity_group_kingston"]].sort_values("person_id").reset_index(drop=True)
    attrs = persons.drop(columns=["persontableid"]).set_index("person_id")

    req = works["requests"].rows.copy()
    req["person_id"] = req["persontableid"].map(pid_of_person)
    request_person = req.set_index("requeststableid")["person_id"]
    request_received = req.set_index("requeststableid")["receiveddate_date"]

    asm = works["assessment"].rows.copy()
    asm["person_id"] = asm["requeststableid"].map(request_person)
    plans = works["named_plan"].rows.copy()
    plans["requeststableid"] = plans["assessmenttableid"].map(asm.set_index("assessmenttableid")["requeststableid"])
    plans["person_id"] = plans["requeststableid"].map(request_person)
    # the start date of the plan issued on each request (latest if several)
    start_by_request = (plans.dropna(subset=["startdate_date"]).sort_values("startdate_date")
                        .drop_duplicates("requeststableid", keep="last").set_index("requeststableid")["startdate_date"])

    # plans issued before the activity year are not in named_plan: their start is the date of the
    # assessment outcome "plan to be issued" on the same request
    agreed = asm[asm["assessmentoutcome"].str.strip().str.upper().isin(["Y", "1", "YES"])]
    agreed_date = (agreed.dropna(subset=["assessmentoutcomedate_date"]).sort_values("assessmentoutcomedate_date")
                   .drop_duplicates("requeststableid", keep="last").set_index("requeststableid")["assessmentoutcomedate_date"])
    start_by_request = start_by_request.combine_first(agreed_date)

    lookup = _establishment_lookup(works)

    # ---- EHCP caseload: active plans at the census date
    ap_work = works["active_plans"]
    ap = ap_work.rows.copy()
    ap["person_id"] = ap["requeststableid"].map(request_person)
    ap["received"] = ap["requeststableid"].map(request_received)
    # one active plan per person: keep the one with the latest request (then the first in file order)
    order = ap.assign(_pos=np.arange(len(ap))).sort_values(["person_id", "received", "_pos"],
                                                           ascending=[True, False, True], na_position="last")
    second = order["person_id"].duplicated(keep="first")
    m = pd.Series(False, index=ap_work.df.index)
    m[order.index[second.to_numpy()]] = True
    ap_work.reject(log, m, "requeststableid", "duplicate_plan")
    ap = ap[~m[ap.index].to_numpy()]

    need = works["sen_need"]
    rank1 = need.rows[need.rows["rank"] == 1]
    dup = rank1["activeplanstableid"].duplicated(keep="first")
    m = pd.Series(False, index=need.df.index)
    m[rank1.index[dup.to_numpy()]] = True
    need.reject(log, m, "sentyperank", "duplicate_rank")
    primary = rank1[~dup.to_numpy()].set_index("activeplanstableid")["need_code"]
    placement = _placements(works["placement_detail"], log, lookup, "activeplanstableid")

    no_need = ~ap["activeplanstableid"].isin(primary.index)
    log.add(ap_work, pd.Series(no_need, index=ap.index).reindex(ap_work.df.index, fill_value=False),
            "sen_need", "missing_primary_need", SET_UNKNOWN, values=pd.Series("", index=ap_work.df.index))
    no_place = ~ap["activeplanstableid"].isin(placement.index)
    log.add(ap_work, pd.Series(no_place, index=ap.index).reindex(ap_work.df.index, fill_value=False),
            "placement_detail", "missing_placement", SET_UNKNOWN, values=pd.Series("", index=ap_work.df.index))

    cl = ap[["activeplanstableid", "person_id"]].copy()
    cl = cl.join(attrs, on="person_id")
    cl["primary_need"] = cl["activeplanstableid"].map(primary).astype(object).fillna(normalise.UNKNOWN_NEED).astype(str)
    cl["primary_need_group"] = normalise.need_group(cl["primary_need"]).astype(str)
    pl = placement.reindex(cl["activeplanstableid"])
    for c in ("placement_code", "urn", "sensetting", "establishment_type"):
        cl[c] = pl[c].to_numpy()
        cl[c] = _text(cl[c])
    cl["placement_group"] = pl["placement_group"].fillna(normalise.UNKNOWN_GROUP).to_numpy().astype(str)
    cl["placement_group_kingston"] = pl["placement_group_kingston"].fillna(normalise.UNKNOWN_GROUP).to_numpy().astype(str)
    cl["resourced_provision"] = pl["resourced_provision"].fillna(False).to_numpy().astype(bool)
    cl["plan_start_date"] = _dates_for(ap["requeststableid"], start_by_request).to_numpy()
    cl["years_in_plan"] = ((census - cl["plan_start_date"]).dt.days / 365.25).round(2).astype(float)
    cl["last_review_date"] = ap["lastreview_date"].astype("datetime64[ns]").to_numpy()
    cl["request_id"] = ap["requeststableid"].to_numpy()
    cl = cl.rename(columns={"activeplanstableid": "active_plan_id"})
    caseload = cl.sort_values("person_id").reset_index(drop=True)

    # ---- annual reviews of the active plans
    twelve_months_ago = census - pd.Timedelta(days=365)
    reviews = caseload[["active_plan_id", "person_id", "plan_start_date", "last_review_date"]].copy()
    reviews["review_meeting_date"] = ap.set_index("activeplanstableid")["reviewmeeting_date"].reindex(
        reviews["active_plan_id"]).to_numpy()
    reviews["review_outcome"] = ap.set_index("activeplanstableid")["reviewoutcome"].reindex(reviews["active_plan_id"]).to_numpy()
    reviews["review_due"] = (reviews["plan_start_date"].isna() | (reviews["plan_start_date"] < twelve_months_ago))
    reviews["reviewed_within_12_months"] = (reviews["last_review_date"] >= twelve_months_ago).fillna(False)
    reviews["months_since_review"] = ((census - reviews["last_review_date"]).dt.days / (365.25 / 12)).round(1)

    # ---- requests, assessments, new and ceased plans
    requests = pd.DataFrame({
        "request_id": req["requeststableid"], "person_id": req["person_id"],
        "received_date": req["receiveddate_date"].astype("datetime64[ns]"),
        "request_source": req["requestsource"].str.strip(), "request_outcome": req["requestoutcome"].str.strip(),
        "request_outcome_date": req["requestoutcomedate_date"].astype("datetime64[ns]"),
        "mediation": req["requestmediation"].str.strip(), "tribunal": req["requesttribunal"].str.strip(),
    })
    requests["in_period"] = requests["received_date"].between(period_start, period_end)
    requests = requests.sort_values("request_id").reset_index(drop=True)

    issued = plans.dropna(subset=["startdate_date"]).sort_values("startdate_date").drop_duplicates(
        "assessmenttableid", keep="first").set_index("assessmenttableid")["startdate_date"]
    assessments = pd.DataFrame({
        "assessment_id": asm["assessmenttableid"], "request_id": asm["requeststableid"], "person_id": asm["person_id"],
        "received_date": _dates_for(asm["requeststableid"], request_received),
        "assessment_outcome": asm["assessmentoutcome"].str.strip().str.upper(),
        "assessment_outcome_date": asm["assessmentoutcomedate_date"].astype("datetime64[ns]"),
        "plan_issued_date": _dates_for(asm["assessmenttableid"], issued),
        # SEN2 week20: "20-week time limit exceptions apply" (1 = yes)
        "exception": normalise.indicator(asm["week20"]) & week20_is_exception,
        "mediation": asm["assessmentmediation"].str.strip(), "tribunal": asm["assessmenttribunal"].str.strip(),
    })
    assessments["weeks_to_outcome"] = ((assessments["assessment_outcome_date"] - assessments["received_date"]).dt.days / 7).round(2)
    assessments["outcome_within_20_weeks"] = (assessments["weeks_to_outcome"] <= 20).astype("boolean").where(
        assessments["weeks_to_outcome"].notna())
    assessments["weeks_to_issue"] = ((assessments["plan_issued_date"] - assessments["received_date"]).dt.days / 7).round(2)
    within = assessments["weeks_to_issue"] <= 20
    assessments["within_20_weeks"] = within.astype("boolean").where(assessments["weeks_to_issue"].notna())
    assessments["within_20_weeks_excluding_exceptions"] = assessments["within_20_weeks"].where(~assessments["exception"])
    assessments["issued_in_period"] = assessments["plan_issued_date"].between(period_start, period_end)
    assessments["outcome_in_period"] = assessments["assessment_outcome_date"].between(period_start, period_end)
    assessments = assessments.sort_values("assessment_id").reset_index(drop=True)

    plan_place = _placements(works["plan_detail"], log, lookup, "namedplantableid")
    base = plans[["namedplantableid", "assessmenttableid", "requeststableid", "person_id"]].rename(
        columns={"namedplantableid": "plan_id", "assessmenttableid": "assessment_id", "requeststableid": "request_id"})
    new = plans["startdate_date"].between(period_start, period_end)
    new_plans = base[new].copy()
    new_plans["start_date"] = plans.loc[new, "startdate_date"].astype("datetime64[ns]")
    new_plans = new_plans.join(attrs, on="person_id")
    pp = plan_place.reindex(new_plans["plan_id"])
    new_plans["placement_group"] = pp["placement_group"].fillna(normalise.UNKNOWN_GROUP).to_numpy().astype(str)
    new_plans["placement_group_kingston"] = pp["placement_group_kingston"].fillna(normalise.UNKNOWN_GROUP).to_numpy().astype(str)
    new_plans["establishment_type"] = pp["establishment_type"].to_numpy()
    new_plans = new_plans.sort_values("plan_id").reset_index(drop=True)

    ceased = plans["ceasedate_date"].between(period_start, period_end)
    ceased_plans = base[ceased].copy()
    ceased_plans["start_date"] = plans.loc[ceased, "startdate_date"].astype("datetime64[ns]")
    ceased_plans["cease_date"] = plans.loc[ceased, "ceasedate_date"].astype("datetime64[ns]")
    ceased_plans["cease_reason"] = plans.loc[ceased, "cease_code"].where(plans.loc[ceased, "cease_code"] != "", None)
    labels = {str(k): v for k, v in codelists.cease_reasons().items()}
    ceased_plans["cease_reason_label"] = ceased_plans["cease_reason"].map(labels).fillna("Unknown")
    ceased_plans = ceased_plans.join(attrs, on="person_id").sort_values("plan_id").reset_index(drop=True)

    # ---- school census: pupils and SEN support
    sc = works["school_census"].rows
    pupils = _person_columns(sc, census)
    pupils["sen_provision"] = sc["provision_code"].astype(str)
    pupils["primary_need"] = _text(sc["need_code"])
    pupils["primary_need_group"] = _text(normalise.need_group(sc["need_code"]).where(sc["need_code"].notna()))
    pupils["ncy_actual"] = sc["ncyearactual"].str.strip()
    pupils["urn"] = _text(sc["urn"].where(sc["urn"] != ""))
    et = sc["urn"].map(lookup["establishment_type"])
    pupils["establishment_type"] = _text(et.where(et.notna() & (et != "")))
    pupils = pupils.sort_values("person_id").reset_index(drop=True)
    support = pupils[pupils["sen_provision"] == "K"].copy()
    support["primary_need"] = support["primary_need"].fillna(normalise.UNKNOWN_NEED).astype(str)
    support["primary_need_group"] = normalise.need_group(support["primary_need"]).astype(str)
    support = support.reset_index(drop=True)

    return {"persons": persons_table, "ehcp_caseload": caseload, "sen_support": support, "pupils": pupils,
            "requests": requests, "assessments": assessments, "new_plans": new_plans,
            "ceased_plans": ceased_plans, "annual_reviews": reviews.reset_index(drop=True)}


def _population(t: Work, log: QualityLog) -> pd.DataFrame:
    """Population estimates: area_code, year, sex (M/F, or All for persons), age, population."""
    totals = t.df["sex"].str.strip().str.upper().isin(["ALL", "PERSONS", "P", "T", "TOTAL"])
    t.df.loc[totals, "sex"] = "U"  # not an unknown code: a total row, relabelled below
    rows = t.rows
    num = {c: pd.to_numeric(rows[c].str.strip(), errors="coerce") for c in ("year", "age", "population")}
    bad = pd.concat(num, axis=1).isna().any(axis=1)
    bad_mask = pd.Series(bad, index=rows.index).reindex(t.df.index, fill_value=False)
    t.reject(log, bad_mask, "population", "invalid_number")
    ok = ~bad
    sex = _code_column(t, log, "sex", normalise.sex)[rows.index]
    sex = sex.where(~totals[rows.index], "All")
    return pd.DataFrame({"area_code": rows.loc[ok, "area_code"].str.strip(), "year": num["year"][ok].astype("int64"),
                         "sex": sex[ok].astype(str), "age": num["age"][ok].astype("int64"),
                         "population": num["population"][ok].astype(float)}
                        ).sort_values(["year", "sex", "age"]).reset_index(drop=True)


def _validate(tables: dict[str, pd.DataFrame]) -> None:
    import pandera.errors

    for name, schema in schemas.SCHEMAS.items():
        try:
            schema().validate(tables[name], lazy=True)
        except pandera.errors.SchemaErrors as exc:  # a bug in the cleaner, not a user mistake
            raise RuntimeError(f"table {name} does not match its schema:\n{exc.failure_cases.head(20)}") from None


def _share(mask: pd.Series) -> float:
    return round(float(mask.mean()), 4) if len(mask) else 0.0


def _summary(works: dict[str, Work], report: pd.DataFrame, tables: dict, census) -> dict:
    files = {}
    for t in sorted(works.values(), key=lambda t: t.raw.label):
        mine = report[report["file"] == t.raw.label]
        kept_rows = set(np.flatnonzero(t.kept.to_numpy()) + 1)
        corrected = set(mine.loc[mine["action"] == CORRECTED, "row_number"]) & kept_rows
        unknown = set(mine.loc[mine["action"] == SET_UNKNOWN, "row_number"]) & kept_rows
        files[t.raw.label] = {"name": t.name, "rows_read": int(len(t.df)), "rows_kept": int(t.kept.sum()),
                              "rows_corrected": len(corrected), "rows_set_unknown": len(unknown),
                              "rows_rejected": int((~t.kept).sum())}
    unknowns = {}
    for cohort in ("ehcp_caseload", "sen_support", "pupils"):
        df = tables[cohort]
        u = {"rows": int(len(df)), "sex": _share(df["sex"] == "U"),
             "ethnicity": _share(df["ethnicity_group_dfe"] == "Unknown"),
             "age": _share(df["age"].isna())}
        if cohort != "pupils":
            u["primary_need"] = _share(df["primary_need"] == normalise.UNKNOWN_NEED)
        if cohort == "ehcp_caseload":
            u["placement_group"] = _share(df["placement_group"] == normalise.UNKNOWN_GROUP)
        unknowns[cohort] = u
    rules = {}
    for (rule, action), n in report.groupby(["rule", "action"]).size().sort_index().items():
        rules.setdefault(rule, {})[action] = int(n)
    return {"census_date": census.date().isoformat(), "files": files, "rules": rules, "unknown_share": unknowns,
            "problems": int(len(report))}


def write(result: CleanResult, out_dir) -> None:
    """Write the tables (Parquet), quality report and summary, and metadata to `out_dir`."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, df in result.tables.items():
        df.to_parquet(out / f"{name}.parquet", index=False, compression="zstd")
    result.quality_report.to_csv(out / "quality_report.csv", index=False, lineterminator="\n")
    (out / "quality_summary.json").write_text(json.dumps(result.summary, indent=2, sort_keys=True) + "\n")
    (out / "metadata.json").write_text(json.dumps(result.metadata, indent=2, sort_keys=True) + "\n")
    result.out_dir = out
