"""The forecast from the LA's own latest count, and whether that count agrees with the DfE's.

An LA's cleaned SEN2 data (one folder per census year, each with ``ehcp_caseload.parquet``) often
hold a later census than the DfE's latest release. The forecast then starts from the LA's own count
at its latest census, with the DfE series as history (:func:`forecast_from_local`). Where both
sources give a year, they should agree: :func:`consistency` compares them and :func:`warnings_for`
words a warning when they differ by more than :data:`TOLERANCE` (a wrong LA code in the cycle's
config, or a data problem in the extract).
"""
from __future__ import annotations

import pandas as pd

from sendlib import cohorts
from sendlib.errors import SendlibInputError

TOLERANCE = 0.05       # local and DfE counts for the same January may differ by this share
MIN_YEARS_AHEAD = 5    # the forecast runs at least this many years past the LA's latest data


def local_counts(processed_dir) -> pd.Series:
    """EHC plans at each census in the cycle's cleaned data: index census year, the number of
    people on the caseload (empty when nothing is cleaned yet)."""
    counts = {year: int(cohorts.load(d, ["ehcp_caseload"])["ehcp_caseload"]["person_id"].nunique())
              for year, d in cohorts.census_years(processed_dir, containing="ehcp_caseload.parquet").items()}
    return pd.Series(counts, dtype="int64", name="local").rename_axis("year")


def published(local: pd.Series, threshold: int) -> pd.Series:
    """The local counts as a report may show them: through the disclosure engine with the cycle's
    threshold, as the profile's totals are (NaN where withheld). The model reads the counts
    themselves; only what is shown is protected."""
    from sendlib import disclosure
    from sendlib.disclosure import TableSet

    shown = disclosure.protect(TableSet({int(y): int(n) for y, n in local.items()}, []), threshold)
    return pd.Series([shown[int(y)] for y in local.index], index=local.index, dtype="float64", name=local.name)


def consistency(local: pd.Series, dfe_total: pd.Series, tolerance: float = TOLERANCE) -> pd.DataFrame:
    """Per census year held by both: local count, DfE figure, difference (% of the DfE figure)
    and `agrees` (within `tolerance`)."""
    both = pd.concat({"local": local.astype(float), "dfe": dfe_total.astype(float)}, axis=1).dropna()
    both["difference_pct"] = (both["local"] / both["dfe"] - 1) * 100
    both["agrees"] = both["difference_pct"].abs() <= tolerance * 100
    return both.rename_axis("year").reset_index()


def warnings_for(table: pd.DataFrame, la_code: str, la_name: str = "") -> list[str]:
    """One warning line when the local counts and the DfE figures disagree in any year (else none)."""
    bad = table[~table["agrees"]]
    if bad.empty:
        return []
    who = f"LA {la_code}" + (f" ({la_name})" if la_name else "")
    years = ", ".join(f"{int(r.year)}: {r.local:,.0f} against {r.dfe:,.0f} ({r.difference_pct:+.1f}%)"
                      for r in bad.itertuples())
    return [f"local EHCP counts differ from the DfE figures for {who} by more than {TOLERANCE:.0%} in "
            f"{len(bad)} of {len(table)} years ({years}): check the LA code in config/cycles.yml and the extract"]


def check_cycle(processed_dir, la_code: str, la_name: str = "", data=None) -> tuple[pd.DataFrame, list[str]]:
    """The consistency table of a cycle's cleaned data with the DfE series, and its warning lines
    (for the caller to print). `data` defaults to :func:`sendlib.sources.published.load_dfe`."""
    from sendlib.sources import dfe
    from sendlib.sources.published import load_dfe

    data = data or load_dfe()
    try:
        area = dfe.resolve_area(data.table, la_code)
    except SendlibInputError:
        line = f"LA code {la_code} is not in the DfE series: the forecast cannot use published data for it"
        return pd.DataFrame(columns=["year", "local", "dfe", "difference_pct", "agrees"]), [line]
    table = consistency(local_counts(processed_dir), dfe.total_series(data.table, levels=None).loc[area])
    return table, warnings_for(table, la_code, la_name)


def forecast_from_local(table: pd.DataFrame, area: str, local: pd.Series, *, years_ahead: int = MIN_YEARS_AHEAD,
                        method: str | None = None, breakdowns=("age", "placement")):
    """Forecast `area` for `years_ahead` years past the later of its local and DfE latest census
    (at least :data:`MIN_YEARS_AHEAD`). When the local data hold a later census than the DfE
    series, the forecast starts from the local count there (method name gains "from local count");
    otherwise it is the usual forecast from the DfE origin. Returns (forecasts with columns
    :data:`sendlib.forecast.OUTPUT_COLUMNS`, the model result with the guard's flags)."""
    from sendlib.forecast import with_breakdowns
    from sendlib.forecast.models import DEFAULT_METHOD, CaseloadModel
    from sendlib.forecast.panel import Panel

    panel = Panel.from_table(table)
    origin = int(panel.caseload.loc[area].dropna().index.max())
    years_ahead = max(int(years_ahead), MIN_YEARS_AHEAD)
    local = local.dropna()
    start = int(local.index.max()) if len(local) else origin
    gap = max(start - origin, 0)
    model = CaseloadModel(panel, method or DEFAULT_METHOD, max_horizon=gap + years_ahead)
    result = model.fit(origin)
    if gap:
        total = result.forecast_from(area, start, float(local[start]), years_ahead)
        total["method"] = total["method"] + " from local count"
    else:
        total = result.forecast(years_ahead, areas=[area])
    return with_breakdowns(total, table, breakdowns), result
