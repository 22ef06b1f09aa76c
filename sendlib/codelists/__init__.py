"""Code lists kept as data: one source of truth for the cleaner, the synthetic generator and the tests.

Each CSV beside this file is read with :func:`load`; the helpers below build the lookups used
throughout the package. Keys are upper-case, stripped strings so that lookups are forgiving of the
spellings real extracts carry.
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

import pandas as pd


@lru_cache(maxsize=None)
def _read(name: str) -> pd.DataFrame:
    with resources.files(__package__).joinpath(f"{name}.csv").open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


def load(name: str) -> pd.DataFrame:
    """Return a copy of the code list `name` (file `sendlib/codelists/<name>.csv`), all columns as str."""
    return _read(name).copy()


def sen_types() -> pd.DataFrame:
    """SEN type (primary need) codes with label and need group."""
    return load("sen_types")


def ethnicities() -> pd.DataFrame:
    """DfE ethnicity codes with both major-group schemes (Chinese within Asian, or separate)."""
    return load("ethnicity")


def establishment_types() -> pd.DataFrame:
    """GIAS TypeOfEstablishment names mapped to DfE placement columns and both placement groupings."""
    return load("establishment_types")


def sen_settings() -> pd.DataFrame:
    """SEN2 non-URN `sensetting` codes mapped to DfE placement columns and groups."""
    return load("sen_settings")


def cease_reasons() -> dict[int, str]:
    """SEN2 cease reason code (1-9) to label."""
    df = load("cease_reasons")
    return {int(c): label for c, label in zip(df["code"], df["label"])}


def census_dates() -> dict[int, pd.Timestamp]:
    """January census year to the census date of the SEN2 / school census return."""
    df = load("census_dates")
    return {int(y): pd.Timestamp(d) for y, d in zip(df["census_year"], df["census_date"])}


def census_date(year: int) -> pd.Timestamp:
    """The census date of `year`: as listed, else the third Thursday of January (the rule every
    listed year follows)."""
    listed = census_dates().get(int(year))
    if listed is not None:
        return listed
    first = pd.Timestamp(year=int(year), month=1, day=1)
    return first + pd.Timedelta(days=(3 - first.weekday()) % 7 + 14)


def placement_group_order(grouping: str = "dfe") -> list[str]:
    """Placement groups of `grouping` ('dfe' or 'kingston') in reporting order."""
    df = load("placement_groups")
    df = df[df["grouping"] == grouping]
    return list(df.sort_values("order", key=lambda s: s.astype(int))["group"])
