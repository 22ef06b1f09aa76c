"""The forecast from the LA's own latest count, its consistency with the DfE figures, and what
report 4 shows."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from sendlib.forecast import local
from sendlib.forecast.models import CaseloadModel
from sendlib.forecast.panel import Panel
from sendlib.sources import dfe, published


@pytest.fixture(scope="module")
def data():
    return published.load_dfe()


def test_consistency_and_warning_words():
    own = pd.Series({2022: 1571, 2023: 1654, 2024: 1789})
    dfe_total = pd.Series({2021: 1424.0, 2022: 1550.0, 2023: 1630.0})
    table = local.consistency(own, dfe_total)
    assert list(table["year"]) == [2022, 2023] and table["agrees"].all()
    assert local.warnings_for(table, "314") == []
    wrong = local.consistency(own, dfe_total * 1.2)
    lines = local.warnings_for(wrong, "886", "Kent")
    assert len(lines) == 1 and "LA 886 (Kent)" in lines[0] and "2 of 2 years" in lines[0]
    assert "2023: 1,654 against 1,956 (-15.4%)" in lines[0]


def test_a_kent_cycle_on_kingston_sized_data_warns(cycle_run, data, capsys):
    """The synthetic data are Kingston-sized: as LA 886 (Kent, about 19,000 plans) every year
    disagrees; as 314 none does. The runner prints the warning at the start of the cycle."""
    from sendlib import log
    from sendlib.reports import runner

    log.configure()  # as the command line does: the runner's warnings reach stderr, whichever test ran before
    cycle, _ = cycle_run
    table, lines = local.check_cycle(cycle.processed_dir, "314", data=data)
    assert lines == [] and len(table) == 5 and table["agrees"].all()  # 2019-2023 in both
    table, lines = local.check_cycle(cycle.processed_dir, "886", "Kent", data=data)
    assert len(lines) == 1 and (~table["agrees"]).all() and "Kent" in lines[0]
    runner.check_dfe_consistency(dataclasses.replace(cycle, la_code="886", la_name="Kent"))
    err = capsys.readouterr().err
    assert "WARNING: local EHCP counts differ from the DfE figures for LA 886" in err
    runner.check_dfe_consistency(cycle)
    assert "WARNING" not in capsys.readouterr().err


def test_forecast_starts_from_the_local_count_five_years_past_it(cycle_run, data):
    cycle, _ = cycle_run
    own = local.local_counts(cycle.processed_dir)
    assert list(own.index) == list(range(2019, 2026))
    fc, result = local.forecast_from_local(data.table, "314", own)
    total = fc[fc["breakdown_topic"] == "total"]
    assert list(total["year"]) == [2026, 2027, 2028, 2029, 2030]
    assert total["method"].str.endswith("from local count").all()
    # the growth the model expects from January 2025 on, applied to the local count of January 2025
    path = result.log_point.loc["314"]
    expected = own[2025] * np.exp(path[3] - path[2])
    assert total["point"].iloc[0] == pytest.approx(expected)
    assert ((total["lower80"] < total["point"]) & (total["point"] < total["upper80"])).all()
    for topic in ("age", "placement"):
        parts = fc[fc["breakdown_topic"] == topic].groupby("year")["point"].sum()
        assert np.allclose(parts.to_numpy(), total["point"].to_numpy())
    # without a later local census it is the usual forecast from the DfE origin, five years ahead
    fc, _ = local.forecast_from_local(data.table, "314", own[own.index <= 2023], years_ahead=3)
    assert list(fc.loc[fc["breakdown_topic"] == "total", "year"]) == [2024, 2025, 2026, 2027, 2028]


def test_starting_later_leaves_only_the_uncertainty_of_the_growth_since(data):
    result = CaseloadModel(Panel.from_table(data.table), max_horizon=4).fit(2023)
    late = result.forecast_from("314", 2025, 1630.0, 2)  # the same size as at the origin
    early = result.forecast(2, areas=["314"])
    width = lambda f: np.log(f["upper80"] / f["lower80"]).to_numpy()  # noqa: E731
    far = result.forecast(4, areas=["314"])
    assert (width(late) >= width(early) - 1e-12).all() and (width(late) <= width(far)[2:] + 1e-12).all()
    with pytest.raises(Exception, match="cannot start"):
        result.forecast_from("314", 2025, 1962.0, 3)


def test_report_4_shows_checks_guard_accuracy_and_the_local_start(cycle_run):
    cycle, status = cycle_run
    assert status == 0
    nb = json.loads((cycle.reports_dir / "executed" / "04_ehcp_forecast.ipynb").read_text())
    text = "\n".join("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/html", ""))
                     + "".join(o.get("data", {}).get("text/markdown", ""))
                     for c in nb["cells"] for o in c.get("outputs", []))
    assert "starts from" in text and "January 2025" in text and "1,962" in text
    assert "DfE checks findings for this LA" in text and "Plausibility guard flags" in text
    assert "Out-of-time accuracy" in text and "by origin" in text
    assert "Baseline: England&#x27;s latest growth" in text or "Baseline: England's latest growth" in text
    assert "the LA&#x27;s own count" in text or "LA's own count" in text


def test_data_quality_report_shows_the_dfe_checks(cycle_run):
    cycle, _ = cycle_run
    nb = json.loads((cycle.reports_dir / "executed" / "01_data_quality.ipynb").read_text())
    text = json.dumps([c.get("outputs", []) for c in nb["cells"]])
    assert "DfE checks findings for this LA" in text and "checks findings" in text
    assert dfe.resolve_area(published.load_dfe().table, cycle.la_code) == "314"
