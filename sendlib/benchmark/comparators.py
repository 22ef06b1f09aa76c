"""The LAs an LA is compared with.

- The DfE children's services **statistical neighbours**, when the user supplies the list (it is
  not bundled): the layout of the DfE's benchmarking tool, one row per LA with its code and name
  followed by its neighbours (columns such as ``SN1`` ... ``SN10``, by name or code), as CSV or
  Excel. Codes and names are matched to the DfE series (old or new LA code, or name).
- Otherwise sendlib's own **nearest neighbours on SEND indicators**: the LAs closest to this one
  on published SEND figures of the latest year with the LA's figures (size as log plans, growth
  over 5 years, and placement mix: shares in mainstream, special, independent or non-maintained
  special and further education), each standardised across LAs; ties broken by LA code, so the
  list is always the same for the same data. They are never called statistical neighbours.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sendlib.errors import SendlibInputError
from sendlib.sources import dfe

STATISTICAL = "DfE children's services statistical neighbours"
NEAREST = "nearest neighbours on SEND indicators (sendlib)"
FEATURES = ("plans", "plans_change_5y", "share_mainstream", "share_special", "share_independent_special",
            "share_fe")
DEFAULT_K = 10


@dataclass
class Comparators:
    """The comparator LAs (area codes, nearest first), how they were chosen, and (for nearest
    neighbours) the year and distance of each."""

    codes: list[str]
    method: str
    table: pd.DataFrame  # area_code, rank, distance (NaN for a supplied list)
    year: int | None = None


def nearest(indicators: pd.DataFrame, area: str, k: int = DEFAULT_K) -> Comparators:
    """The `k` LAs nearest `area` on :data:`FEATURES` in the latest year all are known for it."""
    las = indicators[(indicators["geographic_level"] == "Local authority") & indicators["indicator"].isin(FEATURES)]
    wide = las.pivot_table(index=["time_period", "area_code"], columns="indicator", values="value", aggfunc="first")
    wide = wide.reindex(columns=list(FEATURES))
    own = wide.xs(area, level="area_code", drop_level=False) if area in wide.index.unique("area_code") else wide[:0]
    known = own.dropna()
    if known.empty:
        raise SendlibInputError(f"LA {area} has no year with every indicator needed to find its neighbours "
                                f"({', '.join(FEATURES)})", hint="supply the DfE statistical neighbours list")
    year = int(known.index.get_level_values("time_period").max())
    x = wide.xs(year, level="time_period").dropna()
    x["plans"] = np.log(x["plans"])
    z = (x - x.mean()) / x.std(ddof=0).replace(0, 1)
    distance = np.sqrt(((z - z.loc[area]) ** 2).sum(axis=1)).drop(area)
    order = pd.DataFrame({"area_code": distance.index, "distance": distance.to_numpy().round(6)})
    order = order.sort_values(["distance", "area_code"], kind="stable").head(k).reset_index(drop=True)
    order.insert(1, "rank", np.arange(1, len(order) + 1))
    return Comparators(list(order["area_code"]), NEAREST, order, year)


def read_statistical_neighbours(path, area: str, table: pd.DataFrame) -> Comparators:
    """The statistical neighbours of `area` from a list in the DfE's published layout."""
    path = Path(path)
    frame = _read_list(path)
    lookup = _lookup(table)
    own = [i for i, (code, name) in enumerate(zip(frame.iloc[:, 0], frame.iloc[:, 1]))
           if area in (lookup.get(_key(code)), lookup.get(_key(name)))]
    if not own:
        raise SendlibInputError(f"LA {area} is not in the statistical neighbours list", file=str(path))
    columns = [c for c in frame.columns if re.fullmatch(r"(?i)\s*(sn|neighbou?r)\s*_?\d+.*", str(c))]
    if not columns:
        raise SendlibInputError("no neighbour columns (SN1 ... SN10) in the statistical neighbours list",
                                file=str(path), row=1)
    row, codes = frame.iloc[own[0]], []
    for col in columns:
        cell = row[col]
        if pd.isna(cell) or not str(cell).strip():
            continue
        if _key(cell) not in lookup:
            raise SendlibInputError(f"neighbour {str(cell).strip()!r} is not an LA of the DfE series",
                                    file=str(path), row=own[0] + 2, column=str(col))
        codes.append(lookup[_key(cell)])
    out = pd.DataFrame({"area_code": codes, "rank": np.arange(1, len(codes) + 1), "distance": np.nan})
    return Comparators(codes, STATISTICAL, out)


def _key(cell) -> str:
    return re.sub(r"\s+", " ", str(cell)).strip().lower()


def _lookup(table: pd.DataFrame) -> dict[str, str]:
    """LA old code, every new code and name (lower case) -> area code."""
    las = dfe.areas(table)
    las = las[las["geographic_level"] == "Local authority"]
    out: dict[str, str] = {}
    for row in las.itertuples():
        keys = [row.area_code, row.old_la_code, row.name, *str(row.new_la_codes).split(";")]
        out.update({_key(k): str(row.area_code) for k in keys if isinstance(k, str) and k})
    return out


def _read_list(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise SendlibInputError("the statistical neighbours list does not exist", file=str(path))
    try:
        if path.suffix.lower() in {".xlsx", ".xlsm", ".xls"}:
            frame = pd.read_excel(path, dtype=str)
        else:
            frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise SendlibInputError(f"cannot read the statistical neighbours list ({exc})", file=str(path)) from None
    if frame.shape[1] < 3:
        raise SendlibInputError("expected an LA code, its name and its neighbours in each row", file=str(path), row=1)
    return frame

