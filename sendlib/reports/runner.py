"""`sendlib run-cycle CYCLE_ID`: rebuild every table and report of a review cycle.

Stages: clean each census year's raw extracts into `data/processed/CYCLE_ID/<year>/`, publish the
equality tables, execute every notebook in `notebooks/` with papermill into
`reports/CYCLE_ID/executed/`, render a manager and an analyst HTML version of each, and write the
cycle's `index.html` and `cycle.json` and the `reports/index.html` listing all cycles.

Nothing is half-written: the processed tables and the reports are each built in a staging folder
and renamed into place (:mod:`sendlib.reports.staging`); while a run goes on, the cycle's page
says "running", and once the tables are replaced the earlier reports say "stale"
(:mod:`sendlib.reports.status`). One run of a cycle at a time; workers and kernels die with the
run, and a watchdog marks the cycle failed if the runner is killed (:mod:`sendlib.reports.supervise`).
A failing notebook does not stop the others; the run then exits 1.
"""
from __future__ import annotations

import dataclasses
import logging
import shutil
import time
from pathlib import Path

from sendlib import codelists, cohorts
from sendlib.errors import ConfigError, RunFailed, SendlibInputError
from sendlib.reports import index as index_pages
from sendlib.reports import staging, status, supervise
from sendlib.reports.config import SAFE_THRESHOLD, Cycle
from sendlib.reports.execute import KERNEL, NotebookRun, Workers, error_line, execute, execute_all  # noqa: F401

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
logger = logging.getLogger(__name__)


def census_years(cycle: Cycle) -> dict[int, str]:
    """Census years found in the cycle's raw folder (up to the cycle's year) -> census date."""
    return {y: (cycle.census_date if y == cycle.census_year else codelists.census_date(y).date()).isoformat()
            for y in cohorts.census_years(cycle.raw_dir, up_to=cycle.census_year)}


def _input_problems(cycle: Cycle) -> list[str]:
    from sendlib import readers, spec

    if not cycle.raw_dir.is_dir():
        hint = " (run `make demo-data`)" if cycle.synthetic else ""
        return [f"raw data folder {cycle.raw_dir} does not exist{hint}"]
    if cycle.census_year not in census_years(cycle):
        return [f"no folder {cycle.raw_dir / str(cycle.census_year)} for the census year"]
    problems = []
    for year in census_years(cycle):
        for name in sorted(n for n, f in spec.files().items() if not f.optional):
            try:
                readers.find_file(cycle.raw_dir / str(year), name)
            except SendlibInputError as exc:
                problems.append(str(exc))
    return problems


def check_inputs(cycle: Cycle) -> list[str]:
    """Problems that would stop the cycle, one line each (empty when the cycle can run): missing
    inputs, and output folders that cannot be written or would overwrite an input."""
    problems = _input_problems(cycle)
    if not notebooks():
        problems.append(f"no notebooks in {NOTEBOOK_DIR}")
    inputs = {"raw data folder": cycle.raw_dir}
    outputs = {"processed folder": (cycle.processed_dir, "processed"), "reports folder": (cycle.reports_dir, "reports")}
    return problems + staging.output_problems(outputs, inputs)


def notebooks(only=None) -> list[Path]:
    """The numbered report notebooks in reading order (optionally only those matching `only`)."""
    nbs = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
    if only:
        nbs = [nb for nb in nbs if any(nb.stem.startswith(o) for o in only)]
    return nbs


def clean_year(year_and_date: tuple[int, str], cycle: Cycle, out_dir: Path) -> float:
    """Clean one census year of the cycle into `out_dir`/<year>/; the seconds it took."""
    from sendlib import cleaning

    (year, census_date), t = year_and_date, time.perf_counter()
    steps = logging.getLogger("sendlib.cleaning")
    steps.setLevel(logging.WARNING)  # one line per year here; `sendlib clean` shows the steps
    cleaning.clean(cycle.raw_dir / str(year), out_dir / str(year), census_date,
                   la_code=cycle.la_code, la_name=cycle.la_name, synthetic=cycle.synthetic,
                   column_map=cycle.column_map)
    return time.perf_counter() - t


def clean_years(cycle: Cycle, out_dir: Path | None = None, workers: Workers | None = None) -> None:
    """Clean every census year of the cycle into `out_dir`/<year>/ (default: its processed folder),
    on the run's `workers` (default: one year after another in this process)."""
    steps = logging.getLogger("sendlib.cleaning")
    level = steps.level
    try:
        years = list(census_years(cycle).items())
        jobs = (workers or Workers(1)).run(clean_year, years, cycle, out_dir or cycle.processed_dir, ordered=True)
        for (year, _), seconds in jobs:
            logger.info("  cleaned %d (%.1f s)", year, seconds)
    finally:
        steps.setLevel(level)


def check_dfe_consistency(cycle: Cycle) -> None:
    """Warn when the cycle's cleaned EHCP counts disagree with the DfE figures for its LA code."""
    from sendlib.forecast.local import check_cycle

    for line in check_cycle(cycle.processed_dir, cycle.la_code, cycle.la_name)[1]:
        logger.warning("  WARNING: %s", line)


def publish_tables(cycle: Cycle) -> None:
    """Write the cycle's equality tables (CSV, XLSX, HTML) to reports/CYCLE_ID/tables/."""
    from sendlib import equality

    equality.write_tables(cycle.processed_dir / str(cycle.census_year), cycle.reports_dir / "tables",
                          threshold=cycle.threshold, ethnicity_grouping=cycle.library_grouping,
                          la_code=cycle.la_code, new_la_code=cycle.new_la_code, la_name=cycle.la_name,
                          cell_size=cycle.disproportionality["cell_size"],
                          n_size=cycle.disproportionality["group_size"])


def publish_benchmark(cycle: Cycle) -> None:
    """Write the cycle LA's benchmark tables (DfE open-data layout) to reports/CYCLE_ID/tables/."""
    from sendlib import benchmark
    from sendlib.sources.published import load_dfe

    b = benchmark.build(load_dfe(), cycle.la_code, neighbours=cycle.statistical_neighbours or None)
    benchmark.write_tables(b, cycle.reports_dir / "tables")


# ---------------------------------------------------------------------------------------------
# Pages and status


def unsafe_banner(cycle: Cycle) -> str:
    """The warning that heads every page of a run with a threshold below the safe minimum."""
    from sendlib import render

    return render.render("unsafe_warning.html.j2", threshold=cycle.threshold, safe=SAFE_THRESHOLD)


def mark_unsafe(cycle: Cycle, pages) -> None:
    """Put the unsafe-threshold warning at the top of every page in `pages`."""
    banner = unsafe_banner(cycle)
    for page in pages:
        text = page.read_text(encoding="utf-8")
        if "class='unsafe'" in text:
            continue
        at = text.find(">", text.find("<body")) + 1 if "<body" in text else 0
        staging.write_atomic(page, text[:at] + banner + text[at:])


def write_status(cycle: Cycle, data: dict, folder: Path | None = None) -> None:
    """Write cycle.json and index.html of the cycle into `folder` (default: its reports folder),
    and the page listing all cycles."""
    folder = folder or cycle.reports_dir
    staging.make_output(folder)
    status.write(folder, data)
    index_pages.write_cycle_index(dataclasses.replace(cycle, reports_dir=folder), data)
    if data["parameters"].get("unsafe"):
        mark_unsafe(cycle, [folder / "index.html"])
    if folder == cycle.reports_dir:
        index_pages.write_all_cycles_index(cycle.reports_dir.parent)


def after_runner_died(cycle: Cycle) -> None:
    """What the watchdog does once the runner is gone: repair the folders, mark the cycle failed."""
    for target in (cycle.processed_dir, cycle.reports_dir):
        staging.recover(target)
    data = status.read(cycle.reports_dir)
    if data is None:
        return
    data = status.finish(data, "failed", f"the run started {data['run']['started']} was stopped "
                         f"before it finished ({status.now()})")
    write_status(cycle, status.current(data))


# ---------------------------------------------------------------------------------------------
# The run


def lock_path(cycle: Cycle) -> Path:
    """The file whose lock one run of the cycle holds (beside the cycle's reports folder)."""
    return cycle.reports_dir.parent / staging.STAGING / f"{cycle.reports_dir.name}.lock"


def _clean_stage(cycle: Cycle, data: dict, workers: Workers) -> None:
    """Clean into a staging folder and put it in place (unless the tables came out identical);
    the reports are marked stale before the tables they were built from are replaced."""
    logger.info("[clean]")
    stage = staging.fresh_staging(cycle.processed_dir)
    try:
        clean_years(cycle, stage, workers)
    except SendlibInputError:
        raise
    except OSError as exc:  # an extract that cannot be read, or a disk that is full: exit 2
        raise ConfigError(f"cleaning could not read or write a file: {exc}") from None
    except Exception as exc:  # a fault in cleaning, not in the inputs: exit 1
        raise RunFailed(f"cleaning failed: {error_line(exc)}") from exc
    new = status.tables_fingerprint(stage)
    if new == status.tables_fingerprint(cycle.processed_dir):
        shutil.rmtree(stage)  # the same tables: keep the files (and their times) as they are
    else:
        write_status(cycle, status.current(data, new, running=True))
        staging.swap_into_place(stage, cycle.processed_dir)
    data["tables"] = new


def execute_and_render(nb: Path, cycle: Cycle) -> NotebookRun:
    """Execute one notebook and render its manager and analyst HTML (in the worker, so that pages
    are rendered while other notebooks still run); a page that cannot be rendered fails that
    report only."""
    from sendlib.reports.render import render

    run = execute(nb, cycle)
    executed = cycle.reports_dir / "executed" / nb.name
    if executed.exists():
        try:
            render(executed, cycle.reports_dir / f"{nb.stem}.html",
                   cycle.reports_dir / "analyst" / f"{nb.stem}.html", error=run.error)
        except Exception as exc:
            run = dataclasses.replace(run, status="failed", error=run.error or f"rendering failed: {error_line(exc)}")
    return run


def _entries(runs: list[NotebookRun], tables: str | None) -> list[dict]:
    """The status entry of each report."""
    return [status.report_entry(run.name, run.title, run.status == "ok" and run.error is None, run.seconds,
                                run.error, tables) for run in runs]


def _reports_stage(cycle: Cycle, nbs: list[Path], data: dict, partial: bool, workers: Workers) -> list[dict]:
    """Publish the tables, execute and render the notebooks into a staging copy of the reports
    folder, write its status, and put it in place. Returns the new report entries."""
    stage = staging.fresh_staging(cycle.reports_dir, copy_current=partial)
    staged = dataclasses.replace(cycle, reports_dir=stage)
    for label, step in (("DfE consistency", check_dfe_consistency), ("equality tables", publish_tables),
                        ("benchmark tables", publish_benchmark)):
        logger.info("[%s]", label)
        try:
            step(staged)
        except Exception as exc:  # reported on the index; the notebooks still run
            data["stage_errors"][label] = error_line(exc)
            logger.warning("  %s failed: %s", label, error_line(exc))
    # the longest first, as long as the last run took (new ones first), so that no long one runs alone at the end
    took = {r["name"]: r.get("seconds") or 0.0 for r in data["reports"]}
    longest_first = sorted(nbs, key=lambda nb: -took.get(nb.stem, float("inf")))
    entries = _entries(execute_all(longest_first, staged, workers, job=execute_and_render), data["tables"])
    status.merge_reports(data, entries)
    failed = [e["name"] for e in entries if e["status"] != "ready"] + list(data["stage_errors"])
    message = (f"{len(entries) - len(failed)}/{len(entries)} reports rendered" if not failed
               else f"failed: {', '.join(failed)}")
    status.finish(data, "failed" if failed else "ready", f"{message} ({status.now()})")
    write_status(cycle, status.current(data, data["tables"], running=True), stage)
    if cycle.unsafe:  # the pages this run built (pages kept from an earlier run keep their own state)
        built = [p for e in entries for p in (stage / f"{e['name']}.html", stage / "analyst" / f"{e['name']}.html")]
        mark_unsafe(cycle, [p for p in [*built, *stage.glob("tables/*.html")] if p.exists()])
    staging.swap_into_place(stage, cycle.reports_dir)
    index_pages.write_all_cycles_index(cycle.reports_dir.parent)
    return entries


def _fail(cycle: Cycle, data: dict, exc: BaseException) -> None:
    """Record a run that stopped on `exc` (the earlier reports stay, with their own status)."""
    if isinstance(exc, KeyboardInterrupt):
        message = "the run was interrupted"
    else:
        message = f"the run failed: {exc if isinstance(exc, (SendlibInputError, RunFailed)) else error_line(exc)}"
    try:
        for target in (cycle.processed_dir, cycle.reports_dir):
            staging.recover(target)
        write_status(cycle, status.current(status.finish(data, "failed", message), running=True))
    except Exception as record_error:  # never hide the first error behind a second one
        logger.warning("could not record the failure: %s", error_line(record_error))


def run_cycle(cycle: Cycle, only=None) -> int:
    """Run the whole cycle; returns the exit status (0 all reports rendered, 1 some failed).
    Raises ConfigError (exit 2) for inputs or outputs that cannot be used, RunFailed (exit 1)."""
    started = time.perf_counter()
    problems = check_inputs(cycle)
    if problems:
        raise ConfigError(problems[0], hint=f"{len(problems)} problem(s); run with --dry-run to list them")
    nbs = notebooks(only)
    with supervise.RunLock(lock_path(cycle), cycle.cycle_id) as lock:
        for target in (cycle.processed_dir, cycle.reports_dir):
            staging.recover(target)
        data = status.new(cycle, status.read(cycle.reports_dir))
        write_status(cycle, status.current(data, running=True))
        try:
            with supervise.Watchdog({"cycle": cycle.to_json()}, lock), Workers() as workers:
                _clean_stage(cycle, data, workers)
                entries = _reports_stage(cycle, nbs, data, bool(only), workers)
        except BaseException as exc:
            _fail(cycle, data, exc)
            if isinstance(exc, OSError):
                raise ConfigError(f"cannot write the outputs: {exc}") from None
            raise
    logger.info("cycle %s: %s in %.1f s -> %s", cycle.cycle_id, data["message"],
                time.perf_counter() - started, cycle.reports_dir / "index.html")
    return 1 if data["stage_errors"] or any(e["status"] != "ready" for e in entries) else 0


def dry_run(cycle: Cycle) -> int:
    """Print what the cycle would do and check everything a real run checks first; 0 when it can
    run. Raises ConfigError (one line) naming the first problem, after listing them all."""
    problems = check_inputs(cycle)
    if supervise.RunLock.held(lock_path(cycle)):
        problems.append(f"cycle {cycle.cycle_id!r} is being run now")
    print(f"cycle {cycle.cycle_id}: {cycle.title}")
    print(f"  census date {cycle.census_date}, LA {cycle.la_code} {cycle.new_la_code} {cycle.la_name}")
    print(f"  raw data   {cycle.raw_dir} (years: {', '.join(map(str, census_years(cycle))) or 'none'})")
    print(f"  processed  {cycle.processed_dir}")
    print(f"  reports    {cycle.reports_dir}")
    print(f"  notebooks  {', '.join(nb.stem for nb in notebooks())}")
    print(f"  threshold {cycle.threshold}{' (UNSAFE)' if cycle.unsafe and cycle.threshold < SAFE_THRESHOLD else ''}, "
          f"horizon {cycle.horizon}, ethnicity grouping {cycle.ethnicity_grouping}")
    print(f"  targets {cycle.targets}; comparison figures {cycle.comparison_figures or 'none'}; "
          f"disproportionality {cycle.disproportionality}")
    for p in problems:
        print(f"  PROBLEM: {p}")
    if problems:
        raise ConfigError(problems[0], hint=f"{len(problems)} problem(s), listed above")
    print("  inputs and outputs OK")
    return 0
