"""Defects that real extracts carry, injected into the clean files and listed in defects.csv.

With rate r, roughly r of the eligible cells of each column (and r of the rows of the files that
take row defects) get one defect; no cell gets two. Kinds and what the cleaner should do:

| kind | where | expected_action |
|---|---|---|
| date_format | any date: 01/03/2019, 1 Mar 2019 or an Excel serial | corrected |
| code_spelling | SEN type, ethnicity, sex: an alias from the code lists ("Autism", "BESD", "1"/"2") | corrected |
| whitespace_case | codes with leading/trailing spaces or lower case | corrected |
| missing_dob, future_dob, dob_over_25 | birth dates | set unknown |
| unknown_code | a code in no code list ("XYZ") | set unknown |
| duplicate_row | an exact or near-exact (surname case) copy of a person row | rejected |
| orphan_key | an extra sen_need / placement_detail row pointing at a plan that is not there | rejected |

`row_number` is the 1-based data row of the written file (header excluded); `row_key` is the
table id for SEN2 modules and the row number for the other files.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from sendlib import codelists, spec

ACTION = {"date_format": "corrected", "code_spelling": "corrected", "whitespace_case": "corrected",
          "missing_dob": "set unknown", "future_dob": "set unknown", "dob_over_25": "set unknown",
          "unknown_code": "set unknown", "duplicate_row": "rejected", "orphan_key": "rejected"}
DEFECT_COLUMNS = ["file", "row_key", "row_number", "column", "kind", "value", "expected_action"]

_MONTHS = np.array(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], object)
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")


def _aliases() -> dict[str, dict[str, list[str]]]:
    """Other spellings of each code, by kind of code, as real extracts write them."""
    def nice(a: str) -> str:
        return a if len(a) <= 4 else a.title().replace("'S", "'s")
    need: dict[str, list[str]] = {}
    for a, c in zip(*codelists.load("sen_type_aliases")[["alias", "code"]].to_numpy().T):
        need.setdefault(c, []).append(nice(a))
    eth: dict[str, list[str]] = {}
    for a, c in zip(*codelists.load("ethnicity_aliases")[["alias", "code"]].to_numpy().T):
        eth.setdefault(c, []).append(nice(a))
    sex = {"M": ["1", "Male"], "F": ["2", "Female"], "U": ["9", "Unknown"]}
    return {"need": need, "ethnicity": eth, "sex": sex}


# Defects of a code column, by its code list: (kinds, probabilities, which alias list)
_CODE_DEFECTS = {
    "sen_type": (["code_spelling", "whitespace_case", "unknown_code"], [0.45, 0.4, 0.15], "need"),
    "ethnicity": (["code_spelling", "whitespace_case", "unknown_code"], [0.45, 0.4, 0.15], "ethnicity"),
    "sex": (["code_spelling", "whitespace_case", "unknown_code"], [0.5, 0.35, 0.15], "sex"),
    "population_sex": (["code_spelling"], [1.0], "sex"),
    "sen_provision": (["whitespace_case"], [1.0], None),
    "sen_setting": (["whitespace_case"], [1.0], None),
    "establishment_type": (["whitespace_case"], [1.0], None),
}


def _column_kinds(file: str, column: str):
    """(kinds, probabilities, which alias list) for an eligible column of the raw-file spec, or None."""
    declared = spec.file(file).columns[column]
    if declared.role == "birth_date":
        return ["date_format", "missing_dob", "future_dob", "dob_over_25"], [0.5, 0.2, 0.15, 0.15], None
    if declared.type == "date":
        return ["date_format"], [1.0], None
    if declared.type == "code":
        return _CODE_DEFECTS.get(declared.codes or "")
    return None


def _reformat_dates(rng, iso_values: np.ndarray) -> np.ndarray:
    d = iso_values.astype("datetime64[D]")
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    m = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (d - d.astype("datetime64[M]")).astype(np.int64) + 1
    style = rng.integers(0, 3, len(d))
    slash = np.array([f"{a:02d}/{b:02d}/{c}" for a, b, c in zip(day, m, y)], object)
    text = np.array([f"{a} {_MONTHS[b - 1]} {c}" for a, b, c in zip(day, m, y)], object)
    serial = (d - _EXCEL_EPOCH).astype(np.int64).astype(str).astype(object)
    return np.select([style == 0, style == 1], [slash, text], serial)


def _whitespace_case(rng, values: np.ndarray) -> np.ndarray:
    style = rng.integers(0, 4, len(values))
    out = np.empty(len(values), object)
    for i, (v, s) in enumerate(zip(values, style)):
        low = v.lower() if v.lower() != v else v.upper()
        out[i] = [low, " " + v, v + " ", " " + low + "  "][s]
    return out


def _cell_defects(df: pd.DataFrame, name: str, key: str | None, rate: float, rng: np.random.Generator,
                  aliases: dict, census: np.datetime64) -> list[tuple]:
    """Put defects into the eligible cells of `df` (in place); returns (position, kind, column,
    value, key) of each."""
    rows: list[tuple] = []
    for column in df.columns:
        plan = _column_kinds(name, column)
        if plan is None:
            continue
        kinds, p, alias_kind = plan
        values = df[column].to_numpy(object)
        eligible = np.flatnonzero((values != "") & (rng.random(len(values)) < rate))
        if len(eligible) == 0:
            continue
        kind = np.array(kinds, object)[rng.choice(len(kinds), size=len(eligible), p=p)]
        new = values[eligible].copy()
        if alias_kind:  # a spelling only where the code list has one
            kind = _spellings(rng, kind, new, aliases[alias_kind])
        for k in ("date_format", "whitespace_case"):
            sel = np.flatnonzero(kind == k)
            if len(sel):
                fn = _reformat_dates if k == "date_format" else _whitespace_case
                new[sel] = fn(rng, values[eligible[sel]].astype(str))
        _birth_date_defects(rng, kind, new, census)
        new[np.flatnonzero(kind == "unknown_code")] = {"sex": "X", "ethnicity": "ZZZZ"}.get(column, "XYZ")
        values = values.copy()
        values[eligible] = new
        df[column] = values
        keys = df[key].to_numpy(object)[eligible] if key else None
        for j, (pos, k, v) in enumerate(zip(eligible, kind, new)):
            rows.append((float(pos), k, column, v, keys[j] if keys is not None else None))
    return rows


def _spellings(rng: np.random.Generator, kind: np.ndarray, new: np.ndarray, table: dict) -> np.ndarray:
    """Spell the `code_spelling` cells of `new` another way (in place); cells whose code has no other
    spelling get whitespace_case instead. Returns the kinds."""
    has = np.array([bool(table.get(v)) for v in new])
    kind = np.where((kind == "code_spelling") & ~has, "whitespace_case", kind)
    sel = np.flatnonzero(kind == "code_spelling")
    pick = rng.random(len(sel))
    new[sel] = [table[v][int(r * len(table[v]))] for v, r in zip(new[sel], pick)]
    return kind


def _birth_date_defects(rng: np.random.Generator, kind: np.ndarray, new: np.ndarray, census: np.datetime64) -> None:
    new[np.flatnonzero(kind == "missing_dob")] = ""
    sel = np.flatnonzero(kind == "future_dob")
    new[sel] = np.datetime_as_string(census + rng.integers(30, 3000, len(sel)), unit="D").astype(object)
    sel = np.flatnonzero(kind == "dob_over_25")
    new[sel] = np.datetime_as_string(census - rng.integers(29 * 366, 60 * 365, len(sel)), unit="D").astype(object)


def _row_defects(df: pd.DataFrame, name: str, key: str | None, rate: float,
                 rng: np.random.Generator) -> tuple[list[pd.DataFrame], list[tuple]]:
    """Extra rows: near-copies of person rows, and sen_need / placement_detail rows whose plan is
    not there. Returns (the extra rows, their (position, kind, column, value, key))."""
    if name == "person" and len(df):
        dup = np.flatnonzero(rng.random(len(df)) < rate)
        copy = df.iloc[dup].copy()
        near = rng.random(len(copy)) < 0.5
        copy.loc[near, "surname"] = copy.loc[near, "surname"].str.upper()
        copy["_pos"] = dup + 0.5
        return [copy], [(p + 0.5, "duplicate_row", "persontableid", k, k) for p, k in zip(dup, copy["persontableid"])]
    if name in ("sen_need", "placement_detail") and len(df) and key:
        link = "activeplanstableid"
        orphan = np.flatnonzero(rng.random(len(df)) < rate)
        copy = df.iloc[orphan].copy()
        copy[key] = (df[key].astype(np.int64).max() + 1 + np.arange(len(copy))).astype(str)
        dangling = (df[link].astype(np.int64).max() + 1000 + np.arange(len(copy))).astype(str)
        copy[link] = dangling
        copy["_pos"] = orphan + 0.5
        return [copy], [(p + 0.5, "orphan_key", link, v, k) for p, v, k in zip(orphan, dangling, copy[key])]
    return [], []


def inject(files: dict[str, pd.DataFrame], rate: float, rng: np.random.Generator,
           census_dates: dict[str, int]) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Return (defective copies of `files`, the defect list). `files` maps relative paths like
    '2021/sen_need.csv' to frames of strings; `census_dates` maps the year folder to its census day."""
    aliases = _aliases()
    out, listed = {}, []
    for path in sorted(files):
        df = files[path].copy()
        year, name = path.split("/")[0], path.split("/")[1][:-4]
        declared = spec.file(name)
        key = declared.key if declared.section == "sen2" else None  # other files: the row number
        rows = _cell_defects(df, name, key, rate, rng, aliases, np.datetime64(int(census_dates[year]), "D"))
        df["_pos"] = np.arange(len(df), dtype=float)
        extra, extra_rows = _row_defects(df, name, key, rate, rng)
        rows += extra_rows
        if extra:
            df = pd.concat([df] + extra, ignore_index=True)
        df = df.sort_values("_pos", kind="stable").reset_index(drop=True)
        number = {p: i + 1 for i, p in enumerate(df["_pos"])}
        out[path] = df.drop(columns="_pos")
        for pos, kind, column, value, k in rows:
            row_number = number[pos]
            listed.append((path, str(k) if key else str(row_number), row_number, column, kind, value, ACTION[kind]))
    defects = pd.DataFrame(listed, columns=DEFECT_COLUMNS)
    defects = defects.sort_values(["file", "row_number", "column"], kind="stable").reset_index(drop=True)
    defects["row_number"] = defects["row_number"].astype(str)
    return out, defects
