"""A harness for hostile-input cases: each case runs the real `sendlib` command in a small project
of its own and is held to the same promises (issue 14):

- the exit status is the one expected (2 for a user's mistake in the inputs or config, 1 for a
  report that failed, 0 for an input that must be accepted);
- an error is exactly one line on stderr, naming what is wrong (`expect`), and no traceback
  appears anywhere;
- no personal value of the raw data (UPN, ULN, postcode, date of birth, full name) reaches
  stdout, stderr or any file the command wrote.

Adding a case takes a few lines::

    Case("threshold-five", ["run-cycle", "demo", "--dry-run"], 2, "whole number",
         setup=lambda ws: ws.set_cycle(threshold="five"))

`setup` receives the :class:`Workspace` (a project folder with `config/cycles.yml` and the demo
raw data under `data/raw/demo`, each census year linked, not copied, until
:meth:`Workspace.own_year` copies it for editing); it may return a function that undoes what it
did (run after the case, e.g. to make a folder writable again). Test modules list their cases
and parametrise one test over them with :func:`run_case` (fixtures `demo_raw` and
`personal_values` come from conftest).
"""
from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from tests.conftest import ROOT

SENDLIB = ROOT / ".venv" / "bin" / "sendlib"
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|^\s+File \"", re.M)
TEXT_SUFFIXES = {".csv", ".json", ".html", ".txt", ".log", ".md", ".ipynb", ".yml", ".yaml"}


@dataclass(frozen=True)
class Case:
    """One hostile (or tricky but valid) input and what the command must do with it."""

    name: str
    args: list[str]
    exit: int
    expect: str = ""  # a piece of the one-line error (or of stdout, for an accepted input)
    setup: Callable[[Workspace], Any] | None = None
    timeout: float = 120

    def __str__(self) -> str:
        return self.name


@dataclass
class Workspace:
    """A project folder for one case: config/cycles.yml with one cycle `demo` on data/raw/demo."""

    root: Path
    demo_raw: Path
    config: dict = field(default_factory=dict)

    @classmethod
    def create(cls, root: Path, demo_raw: Path) -> Workspace:
        ws = cls(root, demo_raw)
        raw = root / "data" / "raw" / "demo"
        raw.mkdir(parents=True)
        for year in sorted(p for p in demo_raw.iterdir() if p.is_dir()):
            (raw / year.name).symlink_to(year, target_is_directory=True)
        project = yaml.safe_load((ROOT / "config" / "cycles.yml").read_text(encoding="utf-8"))
        ws.config = {"defaults": project["defaults"], "cycles": {"demo": {
            "title": "Battery cycle", "census_date": "2025-01-16", "la_code": "314", "new_la_code": "E09000021",
            "la_name": "Battery LA", "raw_dir": "data/raw/demo", "synthetic": True}}}
        ws.save()
        return ws

    @property
    def config_path(self) -> Path:
        return self.root / "config" / "cycles.yml"

    @property
    def raw(self) -> Path:
        return self.root / "data" / "raw" / "demo"

    def save(self) -> None:
        self.config_path.parent.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(yaml.safe_dump(self.config, sort_keys=False), encoding="utf-8")

    def set_cycle(self, **values) -> None:
        """Set keys of cycle `demo` (a value of None removes the key)."""
        self._set(self.config["cycles"]["demo"], values)

    def set_defaults(self, **values) -> None:
        self._set(self.config["defaults"], values)

    def _set(self, target: dict, values: dict) -> None:
        for key, value in values.items():
            if value is None:
                target.pop(key, None)
            else:
                target[key] = value
        self.save()

    def write_config_text(self, text: str | bytes) -> None:
        """Replace the config file by `text` as it is (for files that are not valid YAML)."""
        data = text.encode("utf-8") if isinstance(text, str) else text
        self.config_path.write_bytes(data)

    def own_year(self, year: int) -> Path:
        """Replace the link to census year `year` by a copy that the case may edit."""
        link = self.raw / str(year)
        target = link.resolve()
        link.unlink()
        shutil.copytree(target, link)
        return link


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str
    written: list[Path]


def run(case: Case, ws: Workspace) -> Result:
    """Run the case's command in the workspace; `written` are the files it left outside the raw data."""
    before = set(_files(ws.root))
    env = {k: v for k, v in os.environ.items() if k != "SENDLIB_DEBUG"}
    proc = subprocess.run([str(SENDLIB), *case.args], cwd=ws.root, capture_output=True, text=True,
                          timeout=case.timeout, env=env)
    written = [p for p in _files(ws.root) if p not in before or p.name in ("cycle.json", "index.html")]
    return Result(proc.returncode, proc.stdout, proc.stderr, written)


def _files(root: Path) -> Iterator[Path]:
    for dirpath, _, names in os.walk(root):  # symlinked raw years are not followed
        for name in names:
            yield Path(dirpath) / name


# ---------------------------------------------------------------------------------------------
# Personal values


@dataclass(frozen=True)
class PersonalValues:
    """What identifies a person in the raw data, in the forms it could leak in."""

    ids: frozenset[str]  # UPNs, ULNs, postcodes (with and without the space)
    birth_dates: frozenset[str]  # ISO dates of birth (those that cannot be a period or census date)
    names: frozenset[str]  # "Forename Surname"

    @classmethod
    def of(cls, raw: Path) -> PersonalValues:
        ids: set[str] = set()
        dates: set[str] = set()
        names: set[str] = set()
        for year in sorted(p for p in raw.iterdir() if p.is_dir()):
            for name, dob in (("person.csv", "personbirthdate"), ("school_census.csv", "dateofbirth")):
                df = pd.read_csv(year / name, dtype=str, keep_default_na=False)
                for col in ("upn", "uniquelearnernumber", "postcode"):
                    if col in df:
                        ids |= {v for v in df[col] if len(v) >= 6}
                        ids |= {v.replace(" ", "") for v in df[col] if len(v) >= 6}
                dates |= {d for d in df[dob] if re.fullmatch(r"\d{4}-\d\d-\d\d", d)}
                names |= set(df["forename"] + " " + df["surname"])
        ordinary = re.compile(r"\d{4}-(01-01|12-31|08-31|09-01|01-1[5-9]|01-2[01])")  # periods, census dates
        return cls(frozenset(ids), frozenset(d for d in dates if not ordinary.fullmatch(d)), frozenset(names))

    def found_in(self, text: str) -> set[str]:
        """The personal values that occur in `text`."""
        tokens = set(re.findall(r"[A-Z0-9]{5,13}|[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}", text))
        found = tokens & self.ids
        found |= set(re.findall(r"\d{4}-\d\d-\d\d", text)) & self.birth_dates
        found |= set(re.findall(r"[A-Z][a-z'\-]+ [A-Z][a-z'\-]+", text)) & self.names
        return found


def texts(path: Path) -> Iterator[str]:
    """The text of an output file, whatever its kind (tables read back, workbooks unzipped)."""
    if path.suffix == ".parquet":
        yield pd.read_parquet(path).astype(str).to_csv(index=False)
    elif path.suffix == ".xlsx":
        with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as z:
            for member in z.namelist():
                yield z.read(member).decode("utf-8", errors="replace")
    else:
        yield path.read_bytes().decode("utf-8", errors="replace")


def check(case: Case, ws: Workspace, personal: PersonalValues) -> Result:
    """Run `case` and assert every promise; returns the result for further checks."""
    result = run(case, ws)
    where = f"case {case.name}: exit {result.code}, stderr {result.stderr!r}"
    assert result.code == case.exit, where
    assert not TRACEBACK.search(result.stderr) and not TRACEBACK.search(result.stdout), where
    lines = result.stderr.splitlines()
    if case.exit != 0:
        assert len(lines) == 1, where
        assert case.expect.lower() in lines[0].lower(), where
    elif case.expect:
        assert case.expect.lower() in (result.stdout + result.stderr).lower(), where
    leaks = personal.found_in(result.stdout + result.stderr)
    for path in result.written:
        for text in texts(path):
            leaks |= personal.found_in(text)
            assert not TRACEBACK.search(text) or path.suffix in (".ipynb", ".html"), f"{where}: traceback in {path}"
    assert not leaks, f"{where}: personal values in the output: {sorted(leaks)[:5]}"
    return result


def run_case(case: Case, root: Path, demo_raw: Path, personal: PersonalValues) -> Result:
    """Set up a workspace in `root`, run `case` in it with :func:`check`, and undo the setup."""
    ws = Workspace.create(root, demo_raw)
    undo = case.setup(ws) if case.setup else None
    try:
        return check(case, ws, personal)
    finally:
        if callable(undo):
            undo()
