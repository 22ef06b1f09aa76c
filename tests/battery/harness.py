"""The harness of the hostile-input battery (issue 14): each case runs the real `sendlib` command
in a small project of its own and is held to the same promises:

- the exit status is the one expected (2 for a user's mistake in the inputs, the config or the
  arguments, 1 for a report that failed, 0 for an input that must be accepted);
- an error is exactly one line on stderr (`sendlib COMMAND: error: ...`, the last line; the
  cases run with `--quiet`, so only a warning logged before it may precede it), naming what is
  wrong (`expect`), and no traceback appears anywhere (stdout, stderr or a file written);
- every row read is accounted for: where `sendlib clean` wrote a quality summary, each file's rows
  read equal the records in the input file (counted here, independently) and rows kept plus
  rows rejected; `rejects` names files with a least number of rejected rows;
- no personal value of the raw data (UPN, ULN, postcode, date of birth, full name) reaches
  stdout, stderr or any file the command wrote.

A case runs in this process (:func:`sendlib.cli.main`, output captured, the working directory set
to the project) unless `subprocess=True`: the subprocess cases prove the real exit status and that
nothing else (a Python warning, say) reaches stderr. Adding a case takes a few lines::

    Case("threshold-five", ["run-cycle", "demo", "--dry-run"], 2, "whole number",
         setup=lambda ws: ws.set_cycle(threshold="five"))

`setup` receives the :class:`Workspace` (a project folder with `config/cycles.yml`, a strong
pseudonymisation key in `key.txt` and the small synthetic LA under `data/raw/demo`, each census
year linked, not copied, until :meth:`Workspace.own_year` copies it for editing); it may return a
function that undoes what it did (run after the case, e.g. to make a folder writable again).
:func:`evaluate` returns an :class:`Outcome` (what went wrong, by kind) and :func:`run_case`
asserts that nothing did.
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import shutil
import signal
import subprocess
import traceback
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
KEY = "5e1f0c93a7b2d84e" * 4  # a 256-bit pseudonymisation key: the cases test the inputs, not the key rules
YEAR = 2025  # the census year the `clean` cases work on
CENSUS_DATE = "2025-01-16"


@dataclass(frozen=True)
class Case:
    """One hostile (or tricky but valid) input and what the command must do with it."""

    name: str
    args: list[str]
    exit: int
    expect: str = ""  # a piece of the one-line error (or of stdout/stderr, for an accepted input)
    setup: Callable[[Workspace], Any] | None = None
    timeout: float = 120
    subprocess: bool = False  # run as a separate process (real exit status, real stderr)
    rejects: tuple[tuple[str, int], ...] = ()  # (file, least rows rejected) that clean must report
    open_issue: str = ""  # a promise not kept yet: the issue item that will keep it (expected to fail)

    def __str__(self) -> str:
        return self.name


@dataclass
class Workspace:
    """A project folder for one case: config/cycles.yml with one cycle `demo` on data/raw/demo."""

    root: Path
    source_raw: Path
    config: dict = field(default_factory=dict)

    @classmethod
    def create(cls, root: Path, source_raw: Path) -> Workspace:
        ws = cls(root, source_raw)
        ws.raw.mkdir(parents=True)
        for year in sorted(p for p in source_raw.iterdir() if p.is_dir()):
            (ws.raw / year.name).symlink_to(year, target_is_directory=True)
        if (source_raw / "manifest.json").is_file():  # the proof that the data are synthetic
            (ws.raw / "manifest.json").symlink_to(source_raw / "manifest.json")
        (root / "key.txt").write_text(KEY + "\n")
        if (source_raw.parent / "processed").is_dir():  # the cleaned latest year, for `equality`
            (root / "processed").symlink_to(source_raw.parent / "processed", target_is_directory=True)
        project = yaml.safe_load((ROOT / "config" / "cycles.yml").read_text(encoding="utf-8"))
        ws.config = {"defaults": project["defaults"], "cycles": {"demo": {
            "title": "Battery cycle", "census_date": CENSUS_DATE, "la_code": "314", "new_la_code": "E09000021",
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

    def own_processed(self) -> Path:
        """Replace the link to the cleaned tables by a copy that the case may edit."""
        return self._own(self.root / "processed")

    def own_year(self, year: int = YEAR) -> Path:
        """Replace the link to census year `year` by a copy that the case may edit. Edited data are
        no longer the generator's: the cycle is set `synthetic: false` (cleaned with the tests' key)."""
        self.set_cycle(synthetic=False)
        return self._own(self.raw / str(year))

    @staticmethod
    def _own(link: Path) -> Path:
        if link.is_symlink():
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
    args = list(case.args)
    if case.exit and args and not args[0].startswith("-"):
        args.insert(1, "--quiet")  # progress off, as a scheduler runs it: stderr holds the error alone
    if case.subprocess:
        env = {k: v for k, v in os.environ.items() if k != "SENDLIB_DEBUG"}
        proc = subprocess.run([str(SENDLIB), *args], cwd=ws.root, capture_output=True, text=True,
                              timeout=case.timeout, env=env)
        code, out, err = proc.returncode, proc.stdout, proc.stderr
    else:
        code, out, err = in_process(args, ws.root)
    written = [p for p in _files(ws.root) if p not in before or p.name in ("cycle.json", "index.html")]
    return Result(code, out, err, written)


def in_process(args: list[str], cwd: Path) -> tuple[int, str, str]:
    """Run `sendlib ARGS` in this process in folder `cwd`: (exit status, stdout, stderr). An
    exception that escapes the command is printed to the captured stderr as the command would."""
    from sendlib.cli import main

    out, err = io.StringIO(), io.StringIO()
    previous_dir, previous_term = os.getcwd(), signal.getsignal(signal.SIGTERM)
    debug = os.environ.pop("SENDLIB_DEBUG", None)
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:  # argparse
                code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
            except Exception:
                traceback.print_exc()
                code = 1
    finally:
        os.chdir(previous_dir)
        signal.signal(signal.SIGTERM, previous_term)
        if debug is not None:
            os.environ["SENDLIB_DEBUG"] = debug
    return code, out.getvalue(), err.getvalue()


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
    names: frozenset[str]  # "Forename Surname", and surnames of at least six letters

    @classmethod
    def of(cls, raw: Path) -> PersonalValues:
        ids: set[str] = set()
        dates: set[str] = set()
        names: set[str] = set()
        events_dates: set[str] = set()
        for year in sorted(p for p in raw.iterdir() if p.is_dir()):
            for name, dob in (("person.csv", "personbirthdate"), ("school_census.csv", "dateofbirth")):
                df = pd.read_csv(year / name, dtype=str, keep_default_na=False)
                for col in ("upn", "uniquelearnernumber", "postcode"):
                    if col in df:
                        ids |= {v for v in df[col] if len(v) >= 6}
                        ids |= {v.replace(" ", "") for v in df[col] if len(v) >= 6}
                dates |= {d for d in df[dob] if re.fullmatch(r"\d{4}-\d\d-\d\d", d)}
                names |= set(df["forename"] + " " + df["surname"])
                names |= {s for s in df["surname"] if len(s) >= 6}
            names -= set(re.findall(r"[\w'-]+", (year / "establishments.csv").read_text(encoding="utf-8")))
            for extract in year.glob("*.csv"):  # a date that is also an event's date is no sign of a leak
                events = pd.read_csv(extract, dtype=str, keep_default_na=False)
                events_dates |= {v for c in events.columns if c not in ("personbirthdate", "dateofbirth")
                          for v in events[c]}
        ordinary = re.compile(r"\d{4}-(\d\d-01|12-31|08-31|01-1[5-9]|01-2[01])")  # months, periods, census dates
        dates = {d for d in dates - events_dates if not ordinary.fullmatch(d)}
        return cls(frozenset(ids), frozenset(dates), frozenset(names))

    def found_in(self, text: str) -> set[str]:
        """The personal values that occur in `text`."""
        tokens = set(re.findall(r"[A-Z0-9]{5,13}|[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}", text))
        found = tokens & self.ids
        found |= set(re.findall(r"\d{4}-\d\d-\d\d", text)) & self.birth_dates
        found |= set(re.findall(r"[A-Z][a-z'\-]+ [A-Z][a-z'\-]+", text)) & self.names
        found |= set(re.findall(r"\b[A-Z][a-z'\-]{5,}\b", text)) & self.names
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


# ---------------------------------------------------------------------------------------------
# Rows accounted for


def records(path: Path) -> int:
    """The data records of a raw extract, counted independently of sendlib: CSV rows with any
    non-blank cell after the header (UTF-8, else Windows-1252), or such rows of every XLSX sheet."""
    if path.suffix.lower() == ".xlsx":
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True)
        rows = 0
        for sheet in book.worksheets:
            filled = [r for r in sheet.iter_rows(values_only=True) if any(c not in (None, "") for c in r)]
            rows += max(len(filled) - 1, 0)
        return rows
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    csv.field_size_limit(1 << 30)
    rows = [r for r in csv.reader(io.StringIO(text, newline="")) if any(c.strip() for c in r)]
    return max(len(rows) - 1, 0)


def losses(summary: Path, raw: Path | None, rejects: tuple[tuple[str, int], ...]) -> list[str]:
    """What `quality_summary.json` fails to account for: rows read that are not kept or rejected,
    records of an input file that were not read, and expected rejections that did not happen."""
    files = json.loads(summary.read_text(encoding="utf-8"))["files"]
    found: list[str] = []
    for name, f in files.items():
        if f["rows_read"] != f["rows_kept"] + f["rows_rejected"]:
            found.append(f"{name}: {f['rows_read']} read, {f['rows_kept']} kept + {f['rows_rejected']} rejected")
        source = raw / name if raw is not None else None
        if source is not None and source.is_file() and records(source) != f["rows_read"]:
            found.append(f"{name}: {records(source)} records in the file, {f['rows_read']} read")
    for name, least in rejects:
        if files.get(name, {}).get("rows_rejected", 0) < least:
            found.append(f"{name}: fewer than {least} row(s) rejected")
    return found


# ---------------------------------------------------------------------------------------------
# Judging a case


@dataclass
class Outcome:
    """What a case showed. `kind` sorts it for the battery's counts."""

    case: Case
    result: Result | None = None
    problems: list[str] = field(default_factory=list)  # wrong exit status, more than one line, ...
    traceback: bool = False
    lost: list[str] = field(default_factory=list)
    leaks: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not (self.problems or self.traceback or self.lost or self.leaks)

    @property
    def kind(self) -> str:
        if self.traceback:
            return "traceback"
        if self.leaks:
            return "leak"
        if self.lost:
            return "silent loss"
        if self.problems:
            return "wrong answer"
        return "clean error" if self.case.exit else "correct acceptance"

    def explain(self) -> str:
        r = self.result
        head = f"case {self.case.name}: exit {r.code if r else '?'}, stderr {r.stderr[-2000:] if r else ''!r}"
        return "; ".join([head, *self.problems, *(["traceback"] if self.traceback else []), *self.lost,
                          *([f"personal values in the output: {sorted(self.leaks)[:5]}"] if self.leaks else [])])


def evaluate(case: Case, ws: Workspace, personal: PersonalValues) -> Outcome:
    """Run `case` and judge it against every promise."""
    result = run(case, ws)
    out = Outcome(case, result)
    out.traceback = bool(TRACEBACK.search(result.stderr) or TRACEBACK.search(result.stdout))
    if result.code != case.exit:
        out.problems.append(f"exit {result.code}, expected {case.exit}")
    lines = result.stderr.splitlines()
    if case.exit != 0 and result.code != 0:
        errors = [line for line in lines if ": error: " in line]
        if len(errors) != 1 or lines[-1] != errors[0]:
            out.problems.append(f"{len(errors)} error lines on stderr, expected one, last")
        elif case.expect.lower() not in errors[0].lower():
            out.problems.append(f"the error does not say {case.expect!r}")
    elif case.exit == 0 and case.expect and case.expect.lower() not in (result.stdout + result.stderr).lower():
        out.problems.append(f"the output does not say {case.expect!r}")
    out.leaks = personal.found_in(result.stdout + result.stderr)
    for path in result.written:
        for text in texts(path):
            out.leaks |= personal.found_in(text)
            if TRACEBACK.search(text) and path.suffix not in (".ipynb", ".html"):
                out.traceback = True
        if path.name == "quality_summary.json":
            out.lost += losses(path, _raw_of(case, ws), case.rejects)
    if case.rejects and not any(p.name == "quality_summary.json" for p in result.written) and result.code == 0:
        out.lost.append("no quality summary written")
    return out


def _raw_of(case: Case, ws: Workspace) -> Path | None:
    """The census-year folder a `clean` case reads."""
    return ws.root / case.args[1] if case.args[:1] == ["clean"] and len(case.args) > 1 else None


def run_case(case: Case, root: Path, source_raw: Path, personal: PersonalValues) -> Outcome:
    """Set up a workspace in `root`, run `case` in it and judge it, then undo the setup."""
    ws = Workspace.create(root, source_raw)
    undo = case.setup(ws) if case.setup else None
    try:
        return evaluate(case, ws, personal)
    finally:
        if callable(undo):
            undo()


def check(case: Case, root: Path, source_raw: Path, personal: PersonalValues) -> Outcome:
    """:func:`run_case` and assert that every promise was kept."""
    outcome = run_case(case, root, source_raw, personal)
    assert outcome.ok, outcome.explain()
    return outcome
