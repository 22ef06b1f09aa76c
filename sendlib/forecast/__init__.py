"""EHCP caseload forecasts from the DfE published series, with measured accuracy.

- :mod:`.panel`: the series arranged by area and census year, cut at an origin;
- :mod:`.methods`: the methods (baselines, robust pooled growth panel model, ETS, ARIMA);
- :mod:`.models`: the :class:`~.models.CaseloadModel` / result objects, with the plausibility
  guard (:mod:`.guard`) and prediction intervals calibrated on errors made before the origin
  (:mod:`.intervals`);
- :mod:`.local`: the forecast from the LA's own latest count, and its consistency with the DfE's;
- :mod:`.reconcile`: age-band and placement breakdowns that add up to the total;
- :mod:`.backtest`: the rolling-origin backtest over all LAs;
- `sendlib forecast` and `sendlib backtest` live in :mod:`sendlib.cli.forecast`.

Convenience for reports::

    table = sendlib.sources.published.load_dfe().table   # checked DfE series
    fc = sendlib.forecast.forecast_la(table, "314", horizon=5)
"""
from __future__ import annotations

import os

# The models fit thousands of tiny matrices: multithreaded BLAS only adds overhead, and on a
# shared machine it oversubscribes the cores (the ARIMA backtest ran 6x slower). Takes effect
# when numpy is first imported after this; an explicit setting by the user wins.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import logging  # noqa: E402

import pandas as pd  # noqa: E402 (after the thread settings above)

from sendlib.errors import SendlibInputError  # noqa: E402

log = logging.getLogger(__name__)

OUTPUT_COLUMNS = [
    "geographic_level", "area_code", "old_la_code", "new_la_code", "la_name", "region_code",
    "region_name", "breakdown_topic", "breakdown", "year", "horizon", "point", "lower80", "upper80",
    "lower95", "upper95", "method", "origin", "flag",
]


def forecast_areas(table: pd.DataFrame, areas=None, *, origin: int | None = None, horizon: int = 5,
                   method: str | None = None, breakdowns=("age", "placement")) -> pd.DataFrame:
    """Return forecasts of the total caseload and its breakdowns for `areas` (area codes as in
    :func:`sendlib.sources.dfe.areas`; default every area), made with the data up to `origin`
    (default the latest census year). Columns :data:`OUTPUT_COLUMNS`; breakdowns add up to the total."""
    from sendlib.forecast.models import DEFAULT_METHOD, CaseloadModel
    from sendlib.forecast.panel import Panel

    panel = Panel.from_table(table)
    origin = panel.last_year if origin is None else int(origin)
    model = CaseloadModel(panel, method or DEFAULT_METHOD, max_horizon=max(int(horizon), 1))
    result = model.fit(origin)
    wanted = list(panel.caseload.index) if areas is None else list(areas)
    ended = _without_figure(panel, wanted, origin)
    if ended and areas is not None:
        raise SendlibInputError(f"no forecast: {next(iter(ended.values()))}",
                                hint="choose an --origin up to its last year, or the LA that took its place")
    for why in ended.values():
        log.warning("not forecast: %s", why)
    total = result.forecast(horizon, areas=[a for a in wanted if a in result.log_point.index and a not in ended])
    return with_breakdowns(total, table, breakdowns)


def _without_figure(panel, areas, origin: int) -> dict[str, str]:
    """The `areas` with no published caseload at `origin` (an LA reorganised away, say), and why."""
    out = {}
    for area in areas:
        row = panel.caseload.loc[area].dropna() if area in panel.caseload.index else pd.Series(dtype=float)
        if origin not in row.index:
            last = f"its series ends in {int(row.index.max())}" if len(row) else "it has no published caseload"
            out[area] = (f"{panel.areas['name'].get(area, area)} ({area}) has no published caseload for "
                         f"January {origin}: {last}")
    return out


def with_breakdowns(total: pd.DataFrame, table: pd.DataFrame, breakdowns=("age", "placement")) -> pd.DataFrame:
    """Return the total forecast rows with their reconciled breakdowns, labelled with the areas'
    codes and names, sorted; columns :data:`OUTPUT_COLUMNS`."""
    from sendlib.ages import DFE_AGE_BANDS
    from sendlib.forecast import reconcile
    from sendlib.sources import dfe

    frames = [total.assign(breakdown_topic="total", breakdown="Total")]
    for topic in breakdowns:
        series = dfe.series(table, topic)
        if not series.empty:
            frames.append(reconcile.top_down(total, series, topic).assign(breakdown_topic=topic))
    out = pd.concat(frames, ignore_index=True)
    info = dfe.areas(table).set_index("area_code")
    for col in ("geographic_level", "old_la_code", "new_la_code", "la_name", "region_code", "region_name"):
        out[col] = out["area_code"].map(info[col])
    level_order = {"National": 0, "Regional": 1, "Local authority": 2}
    topic_order = {"total": 0, "age": 1, "placement": 2}
    breakdown_order = {b: i for i, b in enumerate(["Total", *DFE_AGE_BANDS, *dfe.PLACEMENT_GROUPS])}
    out = out.assign(_l=out["geographic_level"].map(level_order), _t=out["breakdown_topic"].map(topic_order),
                     _b=out["breakdown"].map(breakdown_order))
    out = out.sort_values(["_l", "area_code", "_t", "_b", "year"]).drop(columns=["_l", "_t", "_b"])
    return out[OUTPUT_COLUMNS].reset_index(drop=True)


def forecast_la(table: pd.DataFrame, la_code: str, origin: int | None = None, horizon: int = 5,
                method: str | None = None) -> pd.DataFrame:
    """Return the forecasts of one LA (old code such as 314, or new code such as E09000021; a
    region or England work too): total, age bands and placement groups (see :func:`forecast_areas`)."""
    from sendlib.sources import dfe

    area = dfe.resolve_area(table, la_code)
    return forecast_areas(table, [area], origin=origin, horizon=horizon, method=method)
