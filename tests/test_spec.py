"""The raw-file spec is the one declaration of the raw columns: the reader, the generator and the
docs follow it, with no Python edit."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from sendlib import normalise, readers, spec
from sendlib.errors import SendlibInputError
from sendlib.spec import docs
from sendlib.synthetic import generate
from tests.cleaning_fixtures import small_la

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.fast


def _edited_spec(tmp_path: Path, edit) -> Path:
    """A copy of the packaged spec with `edit(parsed)` applied."""
    parsed = yaml.safe_load((ROOT / "sendlib" / "spec" / "raw_files.yml").read_text())
    edit(parsed)
    path = tmp_path / "raw_files.yml"
    path.write_text(yaml.safe_dump(parsed, sort_keys=False))
    return path


def _drop_columns(parsed: dict) -> None:
    del parsed["sen2"]["placement_detail"]["columns"]["placementrank"]  # a required column
    del parsed["sen2"]["person"]["columns"]["upnunknown"]  # an optional one


def _section(page: str, name: str) -> str:
    """The part of the docs page about raw file `name`."""
    return page.split(f"### {name}\n", 1)[1].split("###", 1)[0]


def test_docs_page_is_current():
    page = ROOT / "docs" / "raw_files.md"
    assert page.read_text(encoding="utf-8") == docs.render(), "run `make docs` after editing raw_files.yml"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/raw_files.md" in readme


def test_docs_list_every_declared_column():
    page = docs.render()
    for name, declared in spec.files().items():
        assert f"### {name}\n" in page
        for column in declared.columns:
            assert f"| `{column}` |" in page, (name, column)


def test_removing_a_column_from_the_spec_changes_reader_generator_and_docs(tmp_path, monkeypatch):
    raw = small_la(tmp_path / "raw")
    placements = pd.read_csv(raw / "placement_detail.csv", dtype=str, keep_default_na=False)
    placements.drop(columns=["placementrank"]).to_csv(raw / "placement_detail.csv", index=False)
    with pytest.raises(SendlibInputError, match="required column 'placementrank'"):
        readers.read_table(raw / "placement_detail.csv", "placement_detail")
    assert "| `placementrank` |" in _section(docs.render(), "placement_detail")

    monkeypatch.setenv(spec.ENV_VAR, str(_edited_spec(tmp_path, _drop_columns)))
    # the reader no longer requires (nor keeps) the columns
    read = readers.read_table(raw / "placement_detail.csv", "placement_detail")
    assert "placementrank" not in read.columns and len(read) == len(placements)
    assert "upnunknown" not in readers.read_table(raw / "person.csv", "person").columns
    # the generator no longer writes them
    generate(tmp_path / "gen", seed=7, scale=0.1)
    header = pd.read_csv(tmp_path / "gen" / "2025" / "placement_detail.csv", nrows=0).columns
    assert "placementrank" not in header and "sensetting" in header
    assert "upnunknown" not in pd.read_csv(tmp_path / "gen" / "2025" / "person.csv", nrows=0).columns
    # the docs no longer list them
    page = docs.render()
    assert "| `placementrank` |" not in _section(page, "placement_detail")
    assert "| `upnunknown` |" not in _section(page, "person") and "| `placementrank` |" in _section(page, "plan_detail")


def test_aliases_name_the_same_column(tmp_path):
    raw = small_la(tmp_path / "raw")
    census = pd.read_csv(raw / "school_census.csv", dtype=str, keep_default_na=False)
    census = census.rename(columns={"dateofbirth": "DOB", "sex": "Gender", "primarysentype": "SENtype"})
    census.to_csv(raw / "school_census.csv", index=False)
    read = readers.read_table(raw / "school_census.csv", "school_census")
    assert list(read.columns) == spec.columns("school_census")
    assert list(read["dateofbirth"]) == list(census["DOB"])


def test_a_column_twice_under_two_names_is_refused(tmp_path):
    raw = small_la(tmp_path / "raw")
    census = pd.read_csv(raw / "school_census.csv", dtype=str, keep_default_na=False)
    census["DOB"] = census["dateofbirth"]
    census.to_csv(raw / "school_census.csv", index=False)
    with pytest.raises(SendlibInputError, match="appears twice"):
        readers.read_table(raw / "school_census.csv", "school_census")


def test_the_spec_is_consistent():
    for name, declared in spec.files().items():
        for column in declared.columns.values():
            assert column.codes is None or column.codes in normalise.CODE_LISTS, (name, column.name)
            assert column.codes is None or column.type == "code", (name, column.name)
            assert column.role in (None, "birth_date"), (name, column.name)
        for link, parent in declared.links.items():
            assert spec.file(parent).key, (name, link)
        assert declared.key is None or declared.key in declared.required, name
    # parents before children, so that orphans cascade
    order = [child for child, _, _ in spec.links()]
    assert order.index("sen_need") > order.index("active_plans") > order.index("requests")


@pytest.mark.parametrize("edit,message", [
    (lambda p: p["sen2"]["person"]["columns"]["sex"].update(type="category"), "type 'category'"),
    (lambda p: p["sen2"]["person"]["columns"]["sex"].update(requird=True), "unknown field 'requird'"),
    (lambda p: p["sen2"]["requests"].update(links={"persontableid": "people"}), "undeclared file"),
    (lambda p: p["sen2"]["person"].update(key="id"), "key 'id'"),
])
def test_a_broken_spec_is_a_one_line_error(tmp_path, monkeypatch, edit, message):
    monkeypatch.setenv(spec.ENV_VAR, str(_edited_spec(tmp_path, edit)))
    with pytest.raises(SendlibInputError, match=message):
        spec.files()
