"""The review-cycle config: typed, strict, one readable line per mistake, LA values passed on."""
from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
import yaml

from sendlib.errors import ConfigError
from sendlib.reports.config import Cycle, load_cycle
from tests.conftest import ROOT

PROJECT = ROOT / "config" / "cycles.yml"

pytestmark = pytest.mark.fast


def write(tmp_path: Path, doc: dict | str) -> Path:
    path = tmp_path / "config" / "cycles.yml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc, sort_keys=False))
    return path


def project_doc() -> dict:
    return yaml.safe_load(PROJECT.read_text())


def error(tmp_path: Path, doc, cycle_id: str = "demo", **kw) -> str:
    with pytest.raises(ConfigError) as info:
        load_cycle(cycle_id, write(tmp_path, doc), root=tmp_path, **kw)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_the_project_config_is_valid_and_keeps_the_demo_values():
    for cycle_id in ("demo", "demo-defects"):
        cycle = load_cycle(cycle_id, PROJECT, root=ROOT)
        assert cycle.threshold == 5 and cycle.horizon == 5 and cycle.ethnicity_grouping == "dfe"
        assert cycle.targets == {"issued_within_20_weeks": 90, "issued_within_20_weeks_excluding_exceptions": 90,
                                 "annual_reviews_within_12_months": 100}
        assert cycle.comparison_figures == {"sen_support_percent": {"England 2018": 11.7, "Kingston 2018": 8.2},
                                            "tribunal_appeals": {"Kingston 2018": 22}}
        assert cycle.disproportionality == {"cell_size": 10, "group_size": 30}
        assert cycle.local_ethnicity_groups == {"Chinese": ["CHNE"]}
    assert load_cycle("demo", PROJECT, root=ROOT).reports_dir == ROOT / "reports" / "demo"


def test_notebook_defaults_equal_the_demo_cycle():
    """The parameters cell of every notebook holds the demo cycle's values (a notebook opened in
    Lab without papermill shows the demo), and declares only parameters a cycle gives."""
    import jupytext

    params = load_cycle("demo", PROJECT, root=ROOT).notebook_parameters()
    for nb_path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py")):
        cell = next(c for c in jupytext.read(nb_path).cells if "parameters" in c.metadata.get("tags", []))
        values: dict = {}
        exec(cell.source, {}, values)  # noqa: S102 (our own notebook's literal assignments)
        assert set(values) - {"statistical_neighbours"} <= set(params), nb_path.name
        for key in set(values) & set(params) - {"raw_dir", "processed_dir"}:  # the cycle's paths are absolute
            assert values[key] == params[key], f"{nb_path.name}: {key}"


def test_la_values_reach_the_notebooks_and_the_cycle_round_trips():
    cycle = load_cycle("demo", PROJECT, root=ROOT)
    params = cycle.notebook_parameters()
    assert params["targets"]["annual_reviews_within_12_months"] == 100
    assert params["comparison_figures"]["tribunal_appeals"] == {"Kingston 2018": 22}
    assert params["disproportionality"]["group_size"] == 30
    assert Cycle.from_json(cycle.to_json()) == cycle
    assert Cycle.from_json(cycle.to_json()).root == cycle.root


@pytest.mark.parametrize("where, key, closest", [
    ("defaults", "thresold", "threshold"), ("cycle", "census_dat", "census_date"),
    ("cycle", "colour", None), ("defaults", "ethnicity_groupings", "ethnicity_grouping"),
])
def test_unknown_keys_name_the_closest_known_key(tmp_path, where, key, closest):
    doc = project_doc()
    (doc["defaults"] if where == "defaults" else doc["cycles"]["demo"])[key] = 10
    message = error(tmp_path, doc)
    assert f"unknown key {key!r}" in message and "line " in message
    if closest:
        assert f"did you mean {closest!r}?" in message
    else:
        assert "known keys:" in message


@pytest.mark.parametrize("value, unsafe, accepted", [
    (5, False, True), (12, False, True), (4, False, False), (3, True, True), (1, True, True),
    (4.9, False, False), (4.9, True, False), ("five", True, False), (-3, True, False), (0, True, False),
    (5.0, False, False), (True, True, False),
])
def test_the_threshold_is_a_whole_number_of_at_least_five_unless_unsafe(tmp_path, value, unsafe, accepted):
    doc = project_doc()
    doc["cycles"]["demo"]["threshold"] = value
    if accepted:
        cycle = load_cycle("demo", write(tmp_path, doc), root=tmp_path, unsafe=unsafe)
        assert cycle.threshold == value and cycle.unsafe == unsafe
    else:
        assert "threshold" in error(tmp_path, doc, unsafe=unsafe)


def test_dates_must_be_real_and_plausible(tmp_path):
    text = PROJECT.read_text().replace("census_date: 2025-01-16\n    # the", "census_date: 2025-13-01\n    # the")
    assert "census_date '2025-13-01' is not a date" in error(tmp_path, text)
    doc = project_doc()
    for bad in ("16/01/2025", "2099-01-16", "1900-01-18", 20250116):
        doc["cycles"]["demo"]["census_date"] = bad
        assert "census_date" in error(tmp_path, doc)
    doc["cycles"]["demo"]["census_date"] = "2024-01-18"
    assert load_cycle("demo", write(tmp_path, doc), root=tmp_path).census_date == dt.date(2024, 1, 18)


def test_paths_stay_inside_the_project_unless_allowed(tmp_path):
    doc = project_doc()
    doc["paths_outside_project"] = []
    for key, value in (("reports_dir", "../../x"), ("reports_dir", "/tmp/x"), ("raw_dir", "/etc"),
                       ("processed_dir", "data/../../x")):
        original = doc["cycles"]["demo"].get(key)
        doc["cycles"]["demo"][key] = value
        assert "outside the project folder" in error(tmp_path, doc)
        doc["cycles"]["demo"][key] = original
    doc["cycles"]["demo"]["reports_dir"] = "reports/../reports/demo"
    assert load_cycle("demo", write(tmp_path, doc), root=tmp_path).reports_dir == tmp_path / "reports" / "demo"
    doc["paths_outside_project"] = [str(tmp_path.parent / "shared")]
    doc["cycles"]["demo"]["reports_dir"] = str(tmp_path.parent / "shared" / "reports")
    assert load_cycle("demo", write(tmp_path, doc), root=tmp_path).reports_dir == tmp_path.parent / "shared" / "reports"


def test_cycle_ids_are_lower_case_letters_digits_and_hyphens(tmp_path):
    for bad in ("../../x", "Demo", "a b", "-x", "x/y", ""):
        with pytest.raises(ConfigError, match="may hold only"):
            load_cycle(bad, PROJECT, root=ROOT)
    doc = project_doc()
    doc["cycles"]["Spring_2026"] = doc["cycles"]["demo"]
    assert "'Spring_2026' may hold only" in error(tmp_path, doc)
    assert "did you mean 'demo'" in error(tmp_path, project_doc(), cycle_id="dmeo")


@pytest.mark.parametrize("text, expected", [
    ("", "the file is empty"),
    ("cycles:\n  - demo\n", "cycles must be a mapping"),
    ("- a\n", "must be a mapping with a `cycles:` section"),
    ("cycles: [demo\n", "not valid YAML"),
    ("cycles: {}\ncycles: {}\n", "appears twice"),
    ("cycles:\n  demo: 5\n", "must be a mapping of settings"),
    ("cycle:\n  demo: {}\n", "did you mean 'cycles'"),
])
def test_malformed_files_are_one_line(tmp_path, text, expected):
    assert expected in error(tmp_path, text)


def test_non_utf8_and_unreadable_files(tmp_path):
    path = tmp_path / "cycles.yml"
    path.write_bytes(b"cycles:\n  demo:\n    title: \xe9t\xe9\n")
    with pytest.raises(ConfigError, match="line 3: not UTF-8"):
        load_cycle("demo", path, root=tmp_path)
    with pytest.raises(ConfigError, match="cannot be read"):
        load_cycle("demo", tmp_path, root=tmp_path)
    with pytest.raises(ConfigError, match="config file not found"):
        load_cycle("demo", tmp_path / "none.yml", root=tmp_path)


def test_la_values_are_checked(tmp_path):
    doc = project_doc()
    doc["cycles"]["demo"]["targets"] = {**doc["defaults"]["targets"], "issued_within_20_weeks": 150}
    assert "less than or equal to 100" in error(tmp_path, doc)
    doc = project_doc()
    doc["cycles"]["demo"]["comparison_figures"] = {"tribunal_appeal": {"England": 3}}
    assert "did you mean 'tribunal_appeals'" in error(tmp_path, doc)
    doc["cycles"]["demo"]["comparison_figures"] = "none"
    assert load_cycle("demo", write(tmp_path, doc), root=tmp_path).comparison_figures == {}
    doc["cycles"]["demo"]["disproportionality"] = {"cell_size": 0}
    assert "cell_size" in error(tmp_path, doc)


def test_the_local_ethnicity_grouping_is_defined_in_config(tmp_path):
    doc = project_doc()
    doc["cycles"]["demo"]["ethnicity_grouping"] = "local"
    cycle = load_cycle("demo", write(tmp_path, doc), root=tmp_path)
    assert cycle.ethnicity_grouping == "local" and cycle.local_ethnicity_groups == {"Chinese": ["CHNE"]}
    assert cycle.notebook_parameters()["local_ethnicity_groups"] == {"Chinese": ["CHNE"]}
    doc["cycles"]["demo"]["ethnicity_grouping"] = "kingston"
    assert "now called 'local'" in error(tmp_path, doc)
    doc["cycles"]["demo"]["ethnicity_grouping"] = "local"
    doc["cycles"]["demo"]["local_ethnicity_groups"] = {"Chinese": ["CHNE"], "Other": ["CHNE"]}
    assert "more than one group" in error(tmp_path, doc)
    doc["cycles"]["demo"]["local_ethnicity_groups"] = {"Irish": ["WIRI"]}
    assert "can so far apply only" in error(tmp_path, doc)


def test_dataclass_replace_keeps_working_for_callers():
    cycle = load_cycle("demo", PROJECT, root=ROOT)
    other = dataclasses.replace(cycle, reports_dir=Path("/x"))
    assert other.reports_dir == Path("/x") and other.targets == cycle.targets


def test_a_notebook_is_given_only_the_parameters_it_declares():
    from sendlib.reports.execute import declared_parameters

    cycle = load_cycle("demo", PROJECT, root=ROOT)
    budget = declared_parameters(ROOT / "notebooks" / "06_high_needs_budget.ipynb", cycle)
    assert budget["la_code"] == "314" and budget["horizon"] == cycle.horizon
    assert "targets" not in budget and "comparison_figures" not in budget
    quality = declared_parameters(ROOT / "notebooks" / "01_data_quality.ipynb", cycle)
    assert quality["targets"] == cycle.notebook_parameters()["targets"]


@pytest.mark.parametrize("nb", sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")), ids=lambda p: p.stem)
def test_a_notebook_declares_only_parameters_it_uses(nb):
    import re

    import nbformat

    cells = nbformat.read(nb, as_version=4).cells
    declared = next(c for c in cells if "parameters" in c.get("metadata", {}).get("tags", []))
    names = re.findall(r"^(\w+)\s*=", declared.source, re.M)
    code = "\n".join(c.source for c in cells if c.cell_type == "code" and c is not declared)
    unused = [n for n in names if not re.search(rf"\b{n}\b", code)]
    assert names and not unused, f"{nb.name} declares {unused} but never uses them"
