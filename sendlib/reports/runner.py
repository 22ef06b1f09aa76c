"""`sendlib run-cycle CYCLE_ID`: rebuild every table and report of a review cycle.

Stages: clean each census year's raw extracts into `data/processed/CYCLE_ID/<year>/`, publish the
equality tables, execute every notebook in `notebooks/` with papermill into
`reports/CYCLE_ID/executed/`, render a manager and an analyst HTML version of each, and write the
cycle's `index.html` and the `reports/index.html` listing all cycles. A failing notebook does not
stop the others; the command then exits 1.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from sendlib import codelists
from sendlib.errors import ConfigError
from sendlib.reports import index as index_pages
from sendlib.reports.config import Cycle

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
KERNEL = "python3"


@dataclass
class NotebookRun:
    name: str
    title: str
    status: str  # "ok" or "failed"
    seconds: float
    error: str | None = None


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def census_years(cycle: Cycle) -> dict[int, str]:
    """Census years found in the cycle's raw folder (up to the cycle's year) -> census date."""
    years = {}
    for d in sorted(cycle.raw_dir.iterdir()) if cycle.raw_dir.is_dir() else []:
        if d.is_dir() and d.name.isdigit() and int(d.name) <= cycle.census_year:
            y = int(d.name)
            years[y] = (cycle.census_date if y == cycle.census_year else codelists.census_date(y).date()).isoformat()
    return years


def check_inputs(cycle: Cycle) -> list[str]:
    """Problems that would stop the cycle, one line each (empty when the cycle can run)."""
    problems = []
    if not cycle.raw_dir.is_dir():
        problems.append(f"raw data folder {cycle.raw_dir} does not exist"
                        + (" (run `make demo-data`)" if cycle.synthetic else ""))
    elif cycle.census_year not in census_years(cycle):
        problems.append(f"no folder {cycle.raw_dir / str(cycle.census_year)} for the census year")
    else:
        from sendlib import readers, spec
        from sendlib.errors import SendlibInputError

        for year in census_years(cycle):
            for name in sorted(n for n, f in spec.files().items() if not f.optional):
                try:
                    readers.find_file(cycle.raw_dir / str(year), name)
                except SendlibInputError as exc:
                    problems.append(str(exc))
    if not notebooks():
        problems.append(f"no notebooks in {NOTEBOOK_DIR}")
    return problems


def notebooks(only=None) -> list[Path]:
    """The numbered report notebooks in reading order (optionally only those matching `only`)."""
    nbs = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
    if only:
        nbs = [nb for nb in nbs if any(nb.stem.startswith(o) for o in only)]
    return nbs


def clean_years(cycle: Cycle) -> None:
    """Clean every census year of the cycle into processed_dir/<year>/."""
    import logging

    from sendlib import cleaning

    steps = logging.getLogger("sendlib.cleaning")
    level = steps.level
    steps.setLevel(logging.WARNING)  # one line per year here; `sendlib clean` shows the steps
    try:
        for year, census_date in census_years(cycle).items():
            t = time.perf_counter()
            cleaning.clean(cycle.raw_dir / str(year), cycle.processed_dir / str(year), census_date,
                           la_code=cycle.la_code, la_name=cycle.la_name)
            log(f"  cleaned {year} ({time.perf_counter() - t:.1f} s)")
    finally:
        steps.setLevel(level)


def check_dfe_consistency(cycle: Cycle) -> None:
    """Warn when the cycle's cleaned EHCP counts disagree with the DfE figures for its LA code."""
    from sendlib.forecast.local import check_cycle

    for line in check_cycle(cycle.processed_dir, cycle.la_code, cycle.la_name)[1]:
        log(f"  WARNING: {line}")


def publish_tables(cycle: Cycle) -> None:
    """Write the cycle's equality tables (CSV, XLSX, HTML) to reports/CYCLE_ID/tables/."""
    from sendlib import equality

    equality.write_tables(cycle.processed_dir / str(cycle.census_year), cycle.reports_dir / "tables",
                          threshold=cycle.threshold, ethnicity_grouping=cycle.ethnicity_grouping,
                          la_code=cycle.la_code, new_la_code=cycle.new_la_code, la_name=cycle.la_name)


def _kernel_manager_class(kernel_log: Path, socket_dir: Path):
    """A kernel manager that talks to its kernel over local IPC sockets, not TCP (nothing is
    exposed on the network), and writes the kernel's own messages to `kernel_log` rather than
    the run's progress output."""
    from jupyter_client.manager import AsyncKernelManager

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.transport = "ipc"
            # a private folder per kernel: IPC socket names are numbered, so two kernels
            # started at once in the same folder would collide
            self.ip = str(socket_dir / "kernel")

        async def start_kernel(self, **kw):
            kw.setdefault("stderr", open(kernel_log, "ab"))  # noqa: SIM115 (kept open for the kernel's life)
            return await super().start_kernel(**kw)

    return IPCKernelManager


def execute(nb: Path, cycle: Cycle) -> NotebookRun:
    """Execute one notebook with papermill; never raises for a failing notebook."""
    import papermill as pm
    import nbformat

    from sendlib.reports.render import _title

    out = cycle.reports_dir / "executed" / nb.name
    out.parent.mkdir(parents=True, exist_ok=True)
    title = _title(nbformat.read(nb, as_version=4)) or nb.stem
    t = time.perf_counter()
    socket_dir = Path(tempfile.mkdtemp(prefix="sendlib-kernel-"))
    try:
        pm.execute_notebook(str(nb), str(out), parameters=cycle.notebook_parameters(),
                            kernel_name=KERNEL, language="python", progress_bar=False,
                            cwd=str(cycle.root),
                            kernel_manager_class=_kernel_manager_class(out.with_suffix(".kernel.log"), socket_dir))
        return NotebookRun(nb.stem, title, "ok", time.perf_counter() - t)
    except Exception as exc:  # papermill raises PapermillExecutionError; record and go on
        message = _error_line(exc)
        return NotebookRun(nb.stem, title, "failed", time.perf_counter() - t, message)
    finally:
        shutil.rmtree(socket_dir, ignore_errors=True)


def execute_all(nbs: list[Path], cycle: Cycle, workers: int | None = None) -> list[NotebookRun]:
    """Execute the notebooks, two at a time on a multi-core machine (each in its own kernel);
    progress is printed as each finishes. Returns the runs in the order of `nbs`."""
    from concurrent.futures import ProcessPoolExecutor, as_completed

    workers = workers or min(2, os.cpu_count() or 1, len(nbs) or 1)
    runs: dict[Path, NotebookRun] = {}
    log(f"[notebooks] {len(nbs)} to run, {workers} at a time")
    if workers == 1:
        for i, nb in enumerate(nbs, 1):
            runs[nb] = execute(nb, cycle)
            _report_progress(i, len(nbs), runs[nb])
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(execute, nb, cycle): nb for nb in nbs}
            for i, future in enumerate(as_completed(futures), 1):
                runs[futures[future]] = future.result()
                _report_progress(i, len(nbs), runs[futures[future]])
    return [runs[nb] for nb in nbs]


def _report_progress(i: int, n: int, run: NotebookRun) -> None:
    log(f"[{i}/{n}] {run.name}: {run.status} ({run.seconds:.1f} s)" + (f": {run.error}" if run.error else ""))


def _error_line(exc: Exception) -> str:
    ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    if ename:
        return f"{ename}: {evalue}".strip()[:300]
    return (f"{type(exc).__name__}: {exc}".splitlines() or [type(exc).__name__])[0][:300]


def run_cycle(cycle: Cycle, only=None) -> int:
    """Run the whole cycle; returns the exit status (0 all reports rendered, 1 some failed)."""
    from sendlib.reports.render import render

    started = time.perf_counter()
    problems = check_inputs(cycle)
    if problems:
        raise ConfigError(problems[0], hint=f"{len(problems)} problem(s); run with --dry-run to list them")
    cycle.reports_dir.mkdir(parents=True, exist_ok=True)
    stage_errors = {}
    for label, stage in (("clean", clean_years), ("DfE consistency", check_dfe_consistency),
                         ("equality tables", publish_tables)):
        log(f"[{label}]")
        try:
            stage(cycle)
        except Exception as exc:  # a stage failure is reported in the index, the notebooks still run
            if label == "clean":
                raise
            stage_errors[label] = _error_line(exc)
            log(f"  failed: {stage_errors[label]}")
            traceback.print_exc(file=sys.stderr)
    nbs = notebooks(only)
    runs = execute_all(nbs, cycle)
    for nb, run in zip(nbs, runs):
        executed = cycle.reports_dir / "executed" / nb.name
        if executed.exists():
            render(executed, cycle.reports_dir / f"{nb.stem}.html",
                   cycle.reports_dir / "analyst" / f"{nb.stem}.html", error=run.error)
    index_pages.write_cycle_index(cycle, runs, stage_errors)
    index_pages.write_all_cycles_index(cycle.reports_dir.parent)
    failed = [r for r in runs if r.status != "ok"]
    log(f"cycle {cycle.cycle_id}: {len(runs) - len(failed)}/{len(runs)} reports rendered in "
        f"{time.perf_counter() - started:.1f} s -> {cycle.reports_dir / 'index.html'}")
    return 1 if failed or stage_errors else 0


def dry_run(cycle: Cycle) -> int:
    """Print what the cycle would do and whether its inputs are there; 0 when it can run."""
    problems = check_inputs(cycle)
    print(f"cycle {cycle.cycle_id}: {cycle.title}")
    print(f"  census date {cycle.census_date}, LA {cycle.la_code} {cycle.new_la_code} {cycle.la_name}")
    print(f"  raw data   {cycle.raw_dir} (years: {', '.join(map(str, census_years(cycle))) or 'none'})")
    print(f"  processed  {cycle.processed_dir}")
    print(f"  reports    {cycle.reports_dir}")
    print(f"  notebooks  {', '.join(nb.stem for nb in notebooks())}")
    print(f"  threshold {cycle.threshold}, horizon {cycle.horizon}, ethnicity grouping {cycle.ethnicity_grouping}")
    for p in problems:
        print(f"  PROBLEM: {p}")
    print("  inputs OK" if not problems else f"  {len(problems)} problem(s)")
    return 0 if not problems else 2
