"""How an LA compares: its published SEND indicators beside its region, England and comparator LAs.

- :mod:`~sendlib.benchmark.indicators`: every comparable indicator of every area and year from the
  checked DfE series (counts, growth, placement mix, requests, assessments, 20-week timeliness,
  ceased plans), each with its numerator, denominator and source;
- :mod:`~sendlib.benchmark.comparators`: the DfE statistical neighbours when the user supplies the
  list, otherwise sendlib's nearest neighbours on SEND indicators (labelled as such);
- :mod:`~sendlib.benchmark.ranks`: where the LA stands among all LAs, and the key points;
- :mod:`~sendlib.benchmark.tables`: the tables in the DfE open-data layout.

Usage::

    from sendlib.sources.published import load_dfe
    from sendlib import benchmark
    b = benchmark.build(load_dfe(), "314")
    benchmark.write_tables(b, "out/")
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from sendlib.benchmark import comparators as comparators_
from sendlib.benchmark.comparators import Comparators
from sendlib.benchmark.indicators import INDICATORS, compute
from sendlib.errors import SendlibInputError
from sendlib.sources import dfe
from sendlib.sources.published import DfeData

GROUPS = ("Local authority", "Comparator", "Region", "England")
ENGLAND = "E92000001"

__all__ = ["Benchmark", "build", "INDICATORS", "GROUPS", "write_tables"]


@dataclass
class Benchmark:
    """Everything the report and the tables need: the LA (`area`), its `region`, the `areas`
    (names and codes), every indicator of every area (`indicators`), the `comparators`, the
    findings of the checks about the areas shown (`checks`) and the releases read (`sources`)."""

    area: str
    region: str
    areas: pd.DataFrame
    indicators: pd.DataFrame
    comparators: Comparators
    checks: pd.DataFrame
    sources: list[dict] = field(default_factory=list)

    def name(self, code: str) -> str:
        return str(self.areas.loc[code, "name"]) if code in self.areas.index else code

    def selection(self) -> pd.DataFrame:
        """The indicators of the LA, its comparators, its region and England, with `group`."""
        groups = {self.area: GROUPS[0], self.region: GROUPS[2], ENGLAND: GROUPS[3],
                  **{c: GROUPS[1] for c in self.comparators.codes}}
        rows = self.indicators[self.indicators["area_code"].isin(groups)]
        return rows.assign(group=rows["area_code"].map(groups))

    def comparator_median(self) -> pd.DataFrame:
        """Per indicator and year: the median of the comparators' values and how many there are."""
        rows = self.indicators[self.indicators["area_code"].isin(self.comparators.codes)]
        g = rows.groupby(["indicator", "time_period"])["value"]
        return pd.DataFrame({"median": g.median(), "n": g.count()}).reset_index()


def build(data: DfeData, la: str, *, neighbours=None, k: int = comparators_.DEFAULT_K) -> Benchmark:
    """The benchmark of LA `la` (old or new code, or name) from the checked series `data`; the
    comparators are the statistical neighbours in the list at `neighbours` when given, else the
    `k` nearest neighbours on SEND indicators."""
    table = data.table
    area = dfe.resolve_area(table, la)
    areas = dfe.areas(table).set_index("area_code")
    if areas.loc[area, "geographic_level"] != "Local authority":
        raise SendlibInputError(f"{la!r} is not a local authority", hint="give an LA code such as 314 or E09000021")
    indicators = compute(table)
    chosen = (comparators_.read_statistical_neighbours(neighbours, area, table) if neighbours
              else comparators_.nearest(indicators, area, k))
    region = str(areas.loc[area, "region_code"])
    shown = {area, region, ENGLAND, *chosen.codes}
    checks = data.checks[data.checks["area_code"].isin(shown)].reset_index(drop=True)
    return Benchmark(area, region, areas, indicators, chosen, checks, list(data.sources))


def write_tables(b: Benchmark, out_dir) -> list:
    """Write the benchmark tables (DfE open-data layout) to `out_dir`; returns the paths."""
    from sendlib.benchmark.tables import write

    return write(b, out_dir)
