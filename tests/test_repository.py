"""The repository keeps its promises: pinned environment, notebooks without outputs, no data in git."""
from __future__ import annotations

import re
import subprocess

import yaml

from sendlib import repo_checks
from tests.conftest import ROOT


def _lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            pins[re.sub(r"[-_.]+", "-", name.lower())] = version.strip()
    return pins


def test_environment_yml_matches_lock():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    lock = _lock()
    deps = [d for d in env["dependencies"] if isinstance(d, str) and not d.startswith("python=")]
    assert len(deps) >= 15
    drift = []
    for dep in deps:
        name, version = dep.split("=", 1)
        key = re.sub(r"[-_.]+", "-", name.lower())
        if lock.get(key) != version:
            drift.append(f"{name}: environment.yml {version}, lock {lock.get(key)}")
    assert not drift, drift


def test_every_direct_dependency_is_pinned_in_both():
    import tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    direct = project["dependencies"] + project["optional-dependencies"]["test"]
    env_names = {re.sub(r"[-_.]+", "-", d.split("=")[0].lower())
                 for d in yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
                 if isinstance(d, str)}
    lock = _lock()
    for name in direct:
        key = re.sub(r"[-_.]+", "-", name.lower())
        assert key in lock, f"{name} missing from requirements.lock"
        assert key in env_names, f"{name} missing from environment.yml"


def test_every_lock_line_is_an_exact_pin():
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[A-Za-z0-9_.+\-]+", line.strip()), line


def test_tracked_notebooks_have_no_outputs_and_are_paired():
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    for nb in notebooks:
        assert repo_checks.notebook_problems(nb) == []
        assert nb.with_suffix(".py").exists(), f"{nb.name} is not paired with a .py script"


def test_notebook_check_catches_outputs(tmp_path):
    nb = tmp_path / "x.ipynb"
    nb.write_text('{"cells": [{"cell_type": "code", "execution_count": 3, "outputs": '
                  '[{"output_type": "stream", "text": "secret"}], "source": "", "metadata": {}}], '
                  '"metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    problems = repo_checks.notebook_problems(nb)
    assert any("outputs" in p for p in problems) and any("execution count" in p for p in problems)


def test_no_data_or_reports_tracked():
    out = subprocess.run(["git", "ls-files", "data", "reports"], cwd=ROOT, capture_output=True, text=True)
    # data/external holds public DfE releases (checked in tests/test_dfe.py), nothing personal
    tracked = [f for f in out.stdout.split() if not f.endswith("README.md") and not f.startswith("data/external/")]
    assert tracked == []
    assert repo_checks.data_problems(__import__("pathlib").Path("data/raw/demo/2019/person.csv"))


def test_ci_calls_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make report" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_notebooks_and_their_scripts_hold_the_same_cells():
    import jupytext

    for nb_path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        nb = jupytext.read(nb_path)
        script = jupytext.read(nb_path.with_suffix(".py"))
        cells = lambda n: [(c.cell_type, c.source.strip()) for c in n.cells]  # noqa: E731
        assert cells(nb) == cells(script), f"{nb_path.name} and its .py differ: run `make notebooks`"
        params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(params) == 1, f"{nb_path.name} needs exactly one parameters cell"


def test_census_dates_follow_the_third_thursday_rule():
    from sendlib import codelists

    for year, date in codelists.census_dates().items():
        assert date.weekday() == 3 and 15 <= date.day <= 21, year
    assert str(codelists.census_date(2016).date()) == "2016-01-21"
    assert codelists.census_date(2025) == codelists.census_dates()[2025]


def test_readme_notebook_snippet_runs_from_the_notebooks_folder(cycle_run, tmp_path):
    """The README's Python snippet, run where JupyterLab starts (`notebooks/` of a project whose
    demo cycle has been processed), finds its data and builds the published tables."""
    import sys

    cycle, _ = cycle_run
    snippet = re.search(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S).group(1)
    project = tmp_path / "project"
    (project / "notebooks").mkdir(parents=True)
    (project / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    (project / "data" / "processed" / "demo").mkdir(parents=True)
    (project / "data" / "processed" / "demo" / "2025").symlink_to(cycle.processed_dir / "2025")
    script = snippet + "\nprint(len(tables['ehcp_caseload']), len(published))\n"
    out = subprocess.run([sys.executable, "-c", script], cwd=project / "notebooks", capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    caseload, rows = map(int, out.stdout.split()[-2:])
    assert caseload > 1000 and rows > 50
