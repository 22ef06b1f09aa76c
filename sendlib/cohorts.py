"""Cohorts of the processed tables and their breakdowns, for notebooks and later stages.

    from sendlib import cohorts
    tables = cohorts.load("data/processed/demo/2025")
    ehcp = cohorts.ehcp_caseload(tables)
    cohorts.breakdown(ehcp, by=["sex"])

Tables are those written by ``sendlib clean`` (see :mod:`sendlib.cleaning`); :func:`load` is the one
door to them: every table it returns has passed its strict schema (:mod:`sendlib.schemas`), and
:func:`census_years` is the one place that finds the census-year folders. The EHCP caseload is
the set of plans active at the census date; SEN support is the school census pupils with SEN
provision K; new plans, ceased plans, requests and assessments are events in a period, by
default the calendar year before the census (the SEN2 activity year). One census year's return
holds the new and ceased plans of its activity year only (a longer period needs the tables of
several years, see :func:`load_years`); requests and assessments also include the older ones
behind active plans.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from sendlib import ages, codelists, schemas
from sendlib.dates import activity_period as activity_period  # the SEN2 activity year, defined once
from sendlib.errors import SendlibInputError

# friendly names accepted by `breakdown`
ALIASES = {"age band": "age_band_dfe", "age_band": "age_band_dfe", "dfe age band": "age_band_dfe",
           "eqia age band": "age_band_eqia", "eqia_age_band": "age_band_eqia",
           "need": "primary_need", "primary need": "primary_need", "need group": "primary_need_group",
           "ethnicity group": "ethnicity_group_dfe", "ethnicity_group": "ethnicity_group_dfe",
           "ethnic group": "ethnicity_group_dfe", "placement": "placement_group",
           "placement group": "placement_group", "school year": "school_year", "year group": "school_year"}


def census_years(root, *, containing: str | None = None, up_to: int | None = None) -> dict[int, Path]:
    """The census-year folders (named YYYY) under `root`, by year, oldest first: those holding the
    file `containing` if given (e.g. ``"ehcp_caseload.parquet"``), up to census year `up_to` if
    given. Raw and processed data share the layout; a missing `root` has no years."""
    root = Path(root)
    if not root.is_dir():
        return {}
    years = {int(d.name): d for d in sorted(root.iterdir())
             if d.is_dir() and d.name.isdigit() and len(d.name) == 4
             and (containing is None or (d / containing).exists())}
    return {y: d for y, d in years.items() if up_to is None or y <= up_to}


def load(processed_dir, names=None) -> dict[str, pd.DataFrame]:
    """The processed tables of one census year (`processed_dir` as written by `sendlib clean`),
    each validated against its schema.

    Returns {table name: DataFrame} for every table present (or those in `names`), plus
    ``"metadata"`` (a dict) when ``metadata.json`` exists. Raises SendlibInputError for a missing
    folder, an unknown table name, or a table that does not match its schema (a folder written by
    another version: clean it again).
    """
    d = Path(processed_dir)
    if not d.is_dir():
        raise SendlibInputError("processed folder not found", file=str(d), hint="run `sendlib clean` first")
    unknown = [n for n in names or () if n not in schemas.SCHEMAS]
    if unknown:
        raise SendlibInputError(f"no processed table {unknown[0]!r}", hint=f"tables: {', '.join(schemas.TABLES)}")
    out: dict = {}
    for name in names or schemas.TABLES:
        p = d / f"{name}.parquet"
        if p.exists():
            out[name] = _validated(name, _read_parquet(p), p)
    meta = d / "metadata.json"
    if meta.exists():
        out["metadata"] = json.loads(meta.read_text(encoding="utf-8"))
    return out


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise SendlibInputError(f"not a readable Parquet table ({str(exc).splitlines()[0][:120]})",
                                file=str(path), hint="rebuild it with `sendlib clean`") from None


def _validated(name: str, table: pd.DataFrame, path: Path) -> pd.DataFrame:
    found = schemas.problems(name, table)
    if found is None:
        return table
    first = found.iloc[0]
    raise SendlibInputError(f"table {name} does not match its schema ({first['check']}: {first['failure_case']})",
                            file=str(path), column=None if pd.isna(first["column"]) else str(first["column"]),
                            hint="clean the raw extracts again with this version of `sendlib clean`")


def load_years(processed_root, names=None) -> dict[int, dict[str, pd.DataFrame]]:
    """`load` for every census-year folder under `processed_root`, by year."""
    return {year: load(d, names) for year, d in census_years(processed_root).items()}


def census_date_of(tables: dict) -> pd.Timestamp | None:
    meta = tables.get("metadata") or {}
    return pd.Timestamp(meta["census_date"]) if meta.get("census_date") else None


def _period(tables, start, end):
    if start is None or end is None:
        census = census_date_of(tables)
        if census is None:
            return None
        s, e = activity_period(census)
        start, end = start or s, end or e
    return pd.Timestamp(start), pd.Timestamp(end)


def _in(df: pd.DataFrame, col: str, period) -> pd.DataFrame:
    if period is None:
        return df.reset_index(drop=True)
    return df[df[col].between(*period)].reset_index(drop=True)


def ehcp_caseload(tables: dict, census_date=None) -> pd.DataFrame:
    """Active EHC plans at the census date, one row per person.

    The caseload is fixed by the census the tables were cleaned for; a `census_date` given here
    must be that date (a different date needs the extract of that census).
    """
    df = tables["ehcp_caseload"]
    own = census_date_of(tables)
    if census_date is not None and own is not None and pd.Timestamp(census_date).normalize() != own:
        raise ValueError(f"these tables hold the caseload at {own.date()}, not {pd.Timestamp(census_date).date()}")
    return df.copy()


def sen_support(tables: dict) -> pd.DataFrame:
    """School census pupils with SEN provision K (SEN support), one row per pupil."""
    return tables["sen_support"].copy()


def pupils(tables: dict) -> pd.DataFrame:
    """All school census pupils (the denominator for rates)."""
    return tables["pupils"].copy()


def new_plans(tables: dict, start=None, end=None) -> pd.DataFrame:
    """EHC plans first issued in the period (default: the calendar year before the census)."""
    return _in(tables["new_plans"], "start_date", _period(tables, start, end))


def ceased_plans(tables: dict, start=None, end=None) -> pd.DataFrame:
    """EHC plans that ceased in the period (default: the calendar year before the census)."""
    return _in(tables["ceased_plans"], "cease_date", _period(tables, start, end))


def requests(tables: dict, start=None, end=None) -> pd.DataFrame:
    """Requests for an EHC needs assessment received in the period (default: the year before the census)."""
    return _in(tables["requests"], "received_date", _period(tables, start, end))


def assessments(tables: dict, start=None, end=None, by: str = "plan_issued_date") -> pd.DataFrame:
    """EHC needs assessments whose `by` date (default: the date the plan was issued) is in the period."""
    return _in(tables["assessments"], by, _period(tables, start, end))


def timeliness(assessments_df: pd.DataFrame) -> dict:
    """The 20-week KPI of plans issued: counts and percentages with and without exceptions (the
    rule of :func:`sendlib.timeliness.twenty_weeks`: a plan whose request date is unknown is left
    out). Percentages here are not disclosure-controlled; reports use `sendlib.timeliness`.

    Returns {plans_issued, within_20_weeks, percent_within_20_weeks, plans_issued_excluding_exceptions,
    within_20_weeks_excluding_exceptions, percent_within_20_weeks_excluding_exceptions}.
    """
    from sendlib.timeliness import twenty_weeks

    within, within_ex = twenty_weeks(assessments_df[assessments_df["plan_issued_date"].notna()])
    return {"plans_issued": within.cases, "within_20_weeks": within.hits,
            "percent_within_20_weeks": within.percent,
            "plans_issued_excluding_exceptions": within_ex.cases,
            "within_20_weeks_excluding_exceptions": within_ex.hits,
            "percent_within_20_weeks_excluding_exceptions": within_ex.percent}


def category_order(column: str) -> list | None:
    """Reporting order of the categories of a cohort column (None when it has no fixed order)."""
    eth = codelists.ethnicities()
    if column == "age_band_dfe":
        return ages.DFE_AGE_BANDS + ["Unknown"]
    if column == "age_band_eqia":
        return ages.EQIA_AGE_BANDS + ["Unknown"]
    if column == "school_year":
        return list(ages.SCHOOL_YEAR_LABELS)
    if column == "primary_need":
        return list(codelists.sen_types()["code"]) + ["UNKNOWN"]
    if column == "primary_need_group":
        groups = list(dict.fromkeys(codelists.sen_types()["need_group"]))
        return groups + ["Unknown"]
    if column == "sex":
        return ["M", "F", "U"]
    if column == "ethnicity":
        return list(eth["code"]) + ["UNKN"]
    if column in ("ethnicity_group_dfe", "ethnicity_group_kingston"):
        col = "major_group_dfe" if column.endswith("dfe") else "major_group_kingston"
        groups = [g for g in dict.fromkeys(eth[col]) if g not in ("Any other ethnic group", "Unknown")]
        return groups + ["Any other ethnic group", "Unknown"]
    if column == "placement_group":
        return codelists.placement_group_order("dfe")
    if column == "placement_group_kingston":
        return codelists.placement_group_order("kingston")
    if column == "cease_reason_label":
        return list(codelists.cease_reasons().values()) + ["Unknown"]
    return None


def breakdown(cohort: pd.DataFrame, by, *, complete: bool = False, dropna: bool = False) -> pd.DataFrame:
    """Counts and percentages of `cohort` by the columns `by` (a name or a list of names).

    Names are cohort columns or the aliases in :data:`ALIASES` ("age band", "need", "ethnicity
    group", "placement", ...). Rows come in reporting order (age bands, school years, code-list
    order). With ``complete=True`` every category of a known code list appears, with count 0 if
    absent. Returns a DataFrame with the `by` columns, ``count`` and ``percent`` (of the cohort's
    total, 0-100, unrounded).
    """
    cols = [ALIASES.get(b, ALIASES.get(str(b).lower(), b)) for b in ([by] if isinstance(by, str) else list(by))]
    missing = [c for c in cols if c not in cohort.columns]
    if missing:
        raise KeyError(f"cohort has no column {missing[0]!r} (columns: {', '.join(cohort.columns)})")
    df = cohort[cols].copy()
    for c in cols:
        if df[c].dtype.name == "category":
            df[c] = df[c].astype(object)
    counts = df.groupby(cols, dropna=dropna, sort=False).size().rename("count").reset_index()
    if complete:
        counts = _with_every_category(counts, cols)
    counts["count"] = counts["count"].astype("int64")
    counts = _in_reporting_order(counts, cols)
    total = len(cohort)
    counts["percent"] = 100.0 * counts["count"] / total if total else 0.0
    return counts


def _with_every_category(counts: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """`counts` with a zero row for every combination of the known categories of `cols`."""
    levels = []
    for c in cols:
        order = category_order(c) or []
        seen = [v for v in counts[c].tolist() if v not in order]
        levels.append(order + sorted(set(seen), key=str))
    full = pd.MultiIndex.from_product(levels, names=cols).to_frame(index=False)
    counts = full.merge(counts, on=cols, how="left")
    counts["count"] = counts["count"].fillna(0)
    return counts


def _in_reporting_order(counts: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """Rows sorted by each column's reporting order (code-list order, else numeric, then text)."""
    sort_keys = []
    for c in cols:
        order = category_order(c)
        if order:
            rank = {v: i for i, v in enumerate(order)}
            counts[f"_{c}_rank"] = counts[c].map(rank).astype(float).fillna(float(len(rank)))
        else:
            counts[f"_{c}_rank"] = pd.to_numeric(counts[c], errors="coerce").astype(float)
        counts[f"_{c}_text"] = counts[c].astype(str)
        sort_keys += [f"_{c}_rank", f"_{c}_text"]
    return counts.sort_values(sort_keys, kind="stable").drop(columns=sort_keys).reset_index(drop=True)
