"""The benchmark tables in the DfE open-data layout.

- ``benchmark.csv``: one row per year and area (the LA, each comparator, its region, England),
  with the DfE geography columns, a ``comparison`` filter saying which the row is, and one column
  per indicator (``x`` where the figure is not published or the checks set it missing);
  ``benchmark.meta.csv`` describes every column as the DfE's data screener expects;
- ``benchmark_ranks.csv``: the LA's latest value of each indicator, its rank among LAs, England,
  the region, the comparators' median, whether it is an outlier, and the source;
- ``benchmark_comparators.csv``: the comparator LAs and how they were chosen;
- ``benchmark_sources.csv``: per indicator, its definition and the releases and files it is read from.

The same data and arguments always give byte-identical files.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from sendlib.benchmark import GROUPS, Benchmark
from sendlib.benchmark.indicators import INDICATORS
from sendlib.benchmark.ranks import RANK_COLUMNS, latest
from sendlib.render.tabular import write_csv

NAMES = ("benchmark.csv", "benchmark.meta.csv", "benchmark_ranks.csv", "benchmark_comparators.csv",
         "benchmark_sources.csv")
GEOGRAPHY = ["time_period", "time_identifier", "geographic_level", "country_code", "country_name", "region_code",
             "region_name", "new_la_code", "old_la_code", "la_name", "comparison"]
META_COLUMNS = ["col_name", "col_type", "label", "indicator_grouping", "indicator_unit", "indicator_dp",
                "filter_hint", "filter_grouping_column"]


def _number(value: float, unit: str) -> str:
    if pd.isna(value):
        return "x"
    return f"{value:.1f}" if unit == "%" else f"{value:.0f}"


def open_data(b: Benchmark) -> pd.DataFrame:
    """``benchmark.csv``: geography columns, the comparison filter, one column per indicator."""
    sel = b.selection()
    wide = sel.pivot_table(index=["time_period", "area_code", "group"], columns="indicator", values="value",
                           aggfunc="first").reset_index()
    order = {g: i for i, g in enumerate(GROUPS)}
    rank = {c: i for i, c in enumerate(b.comparators.codes)}
    wide = wide.assign(_g=wide["group"].map(order), _r=wide["area_code"].map(rank).fillna(-1))
    wide = wide.sort_values(["time_period", "_g", "_r", "area_code"], kind="stable").reset_index(drop=True)
    a = b.areas.reindex(wide["area_code"])
    level = a["geographic_level"].to_numpy()
    is_la = level == "Local authority"
    out = pd.DataFrame({
        "time_period": wide["time_period"].astype(int).to_numpy(), "time_identifier": "Calendar year",
        "geographic_level": level, "country_code": "E92000001", "country_name": "England",
        "region_code": a["region_code"].fillna("").to_numpy(), "region_name": a["region_name"].fillna("").to_numpy(),
        "new_la_code": a["new_la_code"].where(is_la, "").fillna("").to_numpy(),
        "old_la_code": a["old_la_code"].where(is_la, "").fillna("").to_numpy(),
        "la_name": a["la_name"].where(is_la, "").fillna("").to_numpy(),
        "comparison": wide["group"].replace({"Comparator": f"Comparator: {b.comparators.method}"}).to_numpy()})
    for name, ind in INDICATORS.items():
        column = wide[name] if name in wide else pd.Series(float("nan"), index=wide.index)
        out[name] = [_number(v, ind.unit) for v in column]
    return out


def metadata(b: Benchmark) -> pd.DataFrame:
    """``benchmark.meta.csv``: the comparison filter and one row per indicator."""
    rows = [("comparison", "Filter", "Comparison", "", "", "", "The local authority, its comparators ("
             + b.comparators.method + "), its region or England", "")]
    for name, ind in INDICATORS.items():
        label = f"{ind.label} ({ind.period.lower()})"
        rows.append((name, "Indicator", label, "Placement mix" if name.startswith("share_") else "",
                     ind.unit, "1" if ind.unit == "%" else "0", "", ""))
    return pd.DataFrame(rows, columns=META_COLUMNS)


def ranks_table(b: Benchmark) -> pd.DataFrame:
    """``benchmark_ranks.csv``: the latest rank table with figures rounded as published."""
    r = latest(b)
    out = r[RANK_COLUMNS].copy()
    for col in ("value", "england", "region", "comparator_median"):
        out[col] = [_number(v, u) for v, u in zip(r[col], r["unit"])]
    return out.rename(columns={"value": b.name(b.area), "region": b.name(b.region)})


def comparators_table(b: Benchmark) -> pd.DataFrame:
    """``benchmark_comparators.csv``: rank, codes, name, region, distance and method."""
    t = b.comparators.table
    a = b.areas.reindex(t["area_code"])
    return pd.DataFrame({
        "rank": t["rank"].to_numpy(), "old_la_code": a["old_la_code"].to_numpy(),
        "new_la_code": a["new_la_code"].to_numpy(), "la_name": a["la_name"].to_numpy(),
        "region_name": a["region_name"].to_numpy(),
        "distance": [f"{d:.3f}" if pd.notna(d) else "" for d in t["distance"]],
        "method": b.comparators.method,
        "year": "" if b.comparators.year is None else str(b.comparators.year)})


def sources_table(b: Benchmark) -> pd.DataFrame:
    """``benchmark_sources.csv``: per indicator its definition, and per source the years it gives."""
    own = b.indicators[b.indicators["area_code"] == b.area]
    rows = []
    for name, ind in INDICATORS.items():
        mine = own[own["indicator"] == name]
        for source, years in mine.groupby("source", sort=True)["time_period"]:
            definition = ind.numerator + (f" / {ind.denominator} x 100" if ind.denominator else "")
            if ind.lag:
                definition = f"{ind.numerator} against {ind.lag} year(s) before, % change"
            rows.append({"indicator": name, "label": ind.label, "period": ind.period, "definition": definition,
                         "source": source, "years": f"{years.min()}-{years.max()}"})
    return pd.DataFrame(rows, columns=["indicator", "label", "period", "definition", "source", "years"])


def write(b: Benchmark, out_dir) -> list[Path]:
    """Write :data:`NAMES` to `out_dir`; returns their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    frames = [open_data(b), metadata(b), ranks_table(b), comparators_table(b), sources_table(b)]
    paths = [out_dir / name for name in NAMES]
    for frame, path in zip(frames, paths):
        write_csv(frame, path)
    return paths
