"""What the equality tables are counted from: three processed tables and the metadata of the
census year (a processed folder as `sendlib clean` writes it, or a dict of data frames)."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from sendlib import codelists, cohorts
from sendlib.errors import SendlibInputError

REQUIRED = {"ehcp_caseload": ["age", "sex", "ethnicity", "primary_need", "placement_group"],
            "sen_support": ["age", "sex", "ethnicity", "primary_need"],
            "pupils": ["age", "sex", "ethnicity", "sen_provision"]}


def read_frames(source) -> dict[str, pd.DataFrame]:
    """The three tables of `source`, each checked for the columns the tables need."""
    if isinstance(source, dict):
        frames = dict(source)
        where = {name: name for name in REQUIRED}
    else:
        frames, where = _read_folder(Path(source))
    for name, cols in REQUIRED.items():
        if name not in frames:
            raise SendlibInputError(f"no {name} table given")
        for col in cols:
            if col not in frames[name].columns:
                raise SendlibInputError("column missing from a processed table", file=where[name],
                                        column=col, hint="rebuild it with `sendlib clean`")
    return frames


def _read_folder(folder: Path) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    frames = cohorts.load(folder, list(REQUIRED))  # the one door: each table checked against its schema
    where = {name: str(folder / f"{name}.parquet") for name in REQUIRED}
    for name, path in where.items():
        if name not in frames:
            raise SendlibInputError("processed table not found", file=path,
                                    hint="run `sendlib clean` on the raw extracts first")
    return frames, where


def metadata(source) -> dict:
    """census_date, la_code, new_la_code, la_name from metadata.json (or the folder name)."""
    if isinstance(source, dict):
        return dict(source.get("metadata", {}))
    folder = Path(source)
    meta = {}
    path = folder / "metadata.json"
    if path.exists():
        try:
            meta = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise SendlibInputError(f"not valid JSON ({exc.msg})", file=str(path), row=exc.lineno,
                                    hint="rebuild it with `sendlib clean`") from None
    if not meta.get("census_date") and folder.name.isdigit():
        meta["census_date"] = codelists.census_date(int(folder.name)).date().isoformat()
    return meta
