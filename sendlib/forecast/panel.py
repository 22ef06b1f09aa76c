"""The DfE series arranged for forecasting: one row per area, one column per census year.

A forecast made at origin year O may use only what was published with the January O census:
the caseload up to O and the new plans and assessment requests of calendar years up to O - 1. :meth:`Panel.upto` cuts a
panel there, and every model in :mod:`sendlib.forecast.models` sees nothing else.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sendlib.sources import dfe

NATIONAL_LEVEL = "National"
LA_LEVEL = "Local authority"


@dataclass(frozen=True)
class Panel:
    """Caseload, new-plan and request series of every area, aligned on the census year.

    caseload: index area_code, columns census years, EHC plans (and statements before 2018) in January.
    new_plans: same shape; the column for census year Y holds the new plans of calendar year Y - 1
        (published with, and so known at, the January Y census).
    areas: one row per area (see :func:`sendlib.sources.dfe.areas`), index area_code.
    requests: same shape as new_plans; requests for an EHC needs assessment in calendar year Y - 1
        (NaN before they were published; None for a panel built without them).
    """

    caseload: pd.DataFrame
    new_plans: pd.DataFrame
    areas: pd.DataFrame
    requests: pd.DataFrame | None = None

    @classmethod
    def from_table(cls, table: pd.DataFrame) -> Panel:
        """Build the panel from the tidy table of :func:`sendlib.sources.dfe.load_releases`."""
        levels = [NATIONAL_LEVEL, "Regional", LA_LEVEL]
        caseload = dfe.total_series(table, levels=levels)

        def by_census_year(measure: str) -> pd.DataFrame:
            flow = dfe.total_series(table, levels=levels, measure=measure)
            flow.columns = [c + 1 for c in flow.columns]  # calendar year Y-1 -> census year Y
            return flow.reindex(index=caseload.index, columns=caseload.columns)

        area_table = dfe.areas(table).set_index("area_code").reindex(caseload.index)
        return cls(caseload=caseload, new_plans=by_census_year("new_plans"), areas=area_table,
                   requests=by_census_year("requests"))

    @property
    def years(self) -> list[int]:
        return [int(c) for c in self.caseload.columns]

    @property
    def last_year(self) -> int:
        return max(c for c in self.years if self.caseload[c].notna().any())

    @property
    def national_code(self) -> str:
        return str(self.areas.index[self.areas["geographic_level"] == NATIONAL_LEVEL][0])

    def la_codes(self) -> list[str]:
        return list(self.areas.index[self.areas["geographic_level"] == LA_LEVEL])

    def upto(self, origin: int) -> Panel:
        """Return the panel as it was known at the January `origin` census (later years dropped)."""
        cols = [c for c in self.years if c <= origin]
        requests = None if self.requests is None else self.requests[cols]
        return Panel(self.caseload[cols], self.new_plans[cols], self.areas, requests)

    def log_caseload(self) -> np.ndarray:
        """Log caseload (areas x years); NaN where not published or not positive."""
        v = self.caseload.to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(v > 0, np.log(np.where(v > 0, v, 1.0)), np.nan)
