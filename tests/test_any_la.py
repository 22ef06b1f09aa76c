"""Reports for any LA: the synthetic person data run as another LA (Kent, 886) name only that LA,
and the run says plainly that the local caseload cannot be Kent's DfE series."""
from __future__ import annotations

import logging

import yaml

from tests.conftest import ROOT, write_config
from tests.test_reports import NOTEBOOKS, visible_text


def test_a_kent_cycle_names_no_other_la_and_warns_that_its_data_are_not_kents(demo_raw, tmp_path, caplog, capsys):
    from sendlib.reports import runner
    from sendlib.reports.config import load_cycle

    path = write_config(tmp_path, demo_raw, "kent")
    cfg = yaml.safe_load(path.read_text())
    cfg["cycles"]["kent"].update(la_code="886", new_la_code="E10000016", la_name="Kent (synthetic person-level data)")
    path.write_text(yaml.safe_dump(cfg))
    cycle = load_cycle("kent", path, root=ROOT)
    with caplog.at_level(logging.INFO):
        runner.run_cycle(cycle)
    said = caplog.text + "".join(capsys.readouterr())
    assert "LA 886" in said and "differ from the DfE figures" in said  # 1,962 EHCPs locally, 18,931 in Kent's series

    pages = sorted(cycle.reports_dir.rglob("*.html")) + [cycle.reports_dir.parent / "index.html"]
    assert len(pages) >= 2 * len(NOTEBOOKS) + 2
    texts = {str(p.relative_to(tmp_path)): p.read_text(encoding="utf-8") for p in pages}
    assert {name: text.count("Kingston") for name, text in texts.items() if "kingston" in text.lower()} == {}
    for name in NOTEBOOKS:
        assert "Kent" in visible_text(texts[f"reports/kent/{name}.html"]), name
    forecast = visible_text(texts["reports/kent/04_ehcp_forecast.html"])
    assert "differ from the DfE figures" in forecast
    published = (cycle.reports_dir / "tables" / "equality_tables.csv").read_text(encoding="utf-8")
    assert "Kingston" not in published and ",886," in published
