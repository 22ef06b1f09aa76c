"""A later release of the same publication: the files as published, with more years in them (the
full 2025 release holds January 2024 and 2025, held back here). The series, the checks and the
forecast must follow the data to its latest year, with nothing fixed to the years seen so far."""
from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from sendlib import cli
from sendlib.errors import SendlibInputError
from sendlib.forecast import forecast_areas
from sendlib.sources import published
from tests.conftest import DFE_2022, DFE_2025

LATER = 2


def with_later_years(source: Path, target: Path, years: int = LATER) -> Path:
    """A copy of a 2025-layout release whose every file repeats its last period for `years` more
    periods (202223 -> 202324, 202425; calendar 2022 -> 2023, 2024), figures unchanged, so that
    every total still agrees with its parts."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.endswith(".csv"):
                rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
                last = max((r[0] for r in rows[1:]), default=None)
                for k in range(1, years + 1) if last else ():
                    period = (f"{int(last[:4]) + k}{(int(last[4:]) + k) % 100:02d}" if len(last) == 6
                              else str(int(last) + k))
                    rows += [[period, *r[1:]] for r in rows[1:] if r[0] == last]
                out = io.StringIO()
                csv.writer(out, lineterminator="\r\n").writerows(rows)
                data = ("\ufeff" + out.getvalue()).encode("utf-8")
            zout.writestr(info, data)
    return target


@pytest.fixture(scope="module")
def later(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("later")
    return [DFE_2022, with_later_years(DFE_2025, folder / "education-health-and-care-plans_2025.zip")]


@pytest.fixture(scope="module")
def data(later):
    return published.from_zips(later)


def test_the_series_and_the_checks_reach_the_latest_year(data):
    kingston = data.table[(data.table["area_code"] == "314") & (data.table["measure"] == "caseload")
                          & (data.table["breakdown_topic"] == "total")].set_index("time_period")["value"]
    assert kingston.index.max() == 2025 and kingston[2023] == kingston[2024] == kingston[2025] == 1630
    # the copied Yorkshire and The Humber error is caught in the later years too, not only in 2022
    copied = data.checks[(data.checks["rule"] == "equals region") & (data.checks["area_code"] == "813")]
    assert set(copied["year"]) == {2022, 2023, 2024}  # calendar years of new plans
    assert copied["action"].str.startswith("repaired to the sum of its parts").all()
    assert (copied["used"] < 300).all()  # its own parts (about 150), not the region's 6,078


def test_the_forecast_starts_from_the_latest_year(later, data, tmp_path):
    out = tmp_path / "out"
    assert cli.main(["forecast", *map(str, later), "--la", "314", str(out)]) == 0
    fc = pd.read_csv(out / "forecasts.csv")
    total = fc[fc["breakdown_topic"] == "total"]
    assert set(total["origin"]) == {2025} and list(total["year"]) == [2026, 2027, 2028, 2029, 2030]
    assert total["point"].is_monotonic_increasing and (total["lower80"] < total["point"]).all()
    # every LA's forecast follows on from its own January 2025 count, with nothing wild or flagged
    every = forecast_areas(data.table, horizon=1, breakdowns=()).set_index("area_code")
    las = every[every["geographic_level"] == "Local authority"]
    caseload = data.table[(data.table["measure"] == "caseload") & (data.table["breakdown_topic"] == "total")
                          & (data.table["time_period"] == 2025)].set_index("area_code")["value"]
    growth = (las["point"] / caseload.reindex(las.index)).dropna()
    assert len(growth) > 140 and growth.between(0.9, 1.25).all(), growth.describe()
    assert las["flag"].fillna("").eq("").mean() > 0.9


def test_the_forward_chain_moves_on_with_the_data(data):
    from sendlib.forecast.backtest import decide_default, forward_chain, run_backtest, selection_cutoffs

    errors, _ = run_backtest(data.table, ["pooled_requests", "national_growth"], horizon=2)
    assert errors["origin"].max() == 2024
    folds = forward_chain(errors)
    assert selection_cutoffs(errors) == (2019, 2020, 2021, 2022) == tuple(f.cutoff for f in folds)
    assert folds[-1].scored_origins == [2023, 2024]  # the latest years are scored, not only 2020-2022
    assert decide_default(folds)[0] in {"pooled_requests", "national_growth"}


def test_an_la_reorganised_away_is_named_not_forecast_nor_a_traceback(later, data, tmp_path, capsys, caplog):
    # Northamptonshire (928) was split in 2021: its series ends there
    with pytest.raises(SendlibInputError, match=r"Northamptonshire \(928\).*January 2025: its series ends in 2021"):
        forecast_areas(data.table, ["928"], horizon=1, breakdowns=())
    assert cli.main(["forecast", *map(str, later), "--la", "928", str(tmp_path / "one")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.splitlines()[-1].startswith("sendlib forecast: error: no forecast: North")
    every = forecast_areas(data.table, horizon=1, breakdowns=())
    assert "928" not in set(every["area_code"]) and "not forecast: Northamptonshire (928)" in caplog.text
    assert forecast_areas(data.table, ["928"], origin=2021, horizon=1, breakdowns=())["point"].notna().all()


def test_breakdowns_are_backtested_for_the_las_published_at_each_origin(data):
    from sendlib.forecast.backtest import backtest_breakdowns

    # age bands are published to 2022; Northamptonshire's series ends in 2021
    errors, summary = backtest_breakdowns(data.table, ["314", "928", "886"], "age", [2020, 2021, 2022], horizon=1)
    assert set(errors["origin"]) == {2020, 2021}
    assert set(errors.loc[errors["area_code"] == "928", "origin"]) == {2020}
    assert summary["mape"].between(0, 100).all()
