"""Executing the report notebooks with papermill, each in its own kernel, two at a time.

Workers are spawned (not forked from the runner, which holds data and threads by then) and die
with the runner; kernels talk over private IPC sockets and die with their worker
(:mod:`sendlib.reports.supervise`). A failing notebook is recorded, never raised.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sendlib.reports import supervise
from sendlib.reports.config import Cycle

KERNEL = "python3"
logger = logging.getLogger(__name__)


@dataclass
class NotebookRun:
    name: str
    title: str
    status: str  # "ok" or "failed"
    seconds: float
    error: str | None = None


def error_line(exc: BaseException) -> str:
    """One line describing `exc` (a notebook's own error name and value where papermill has them)."""
    ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    if ename:
        return f"{ename}: {evalue}".strip().splitlines()[0][:300]
    return (f"{type(exc).__name__}: {exc}".splitlines() or [type(exc).__name__])[0][:300]


def _kernel_manager_class(kernel_log: Path, socket_dir: Path):
    """A kernel manager that talks to its kernel over local IPC sockets, not TCP (nothing is
    exposed on the network), writes the kernel's own messages to `kernel_log` rather than the
    run's progress output, and has the kernel die with the process that started it."""
    from jupyter_client.manager import AsyncKernelManager

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.transport = "ipc"
            # a private folder per kernel: IPC socket names are numbered, so two kernels
            # started at once in the same folder would collide
            self.ip = str(socket_dir / "kernel")

        async def start_kernel(self, **kw):  # type: ignore[override]
            kw.setdefault("stderr", open(kernel_log, "ab"))  # noqa: SIM115 (kept open for the kernel's life)
            kw.setdefault("preexec_fn", supervise.die_with_parent)
            return await super().start_kernel(**kw)

    return IPCKernelManager


def declared_parameters(nb: Path, cycle: Cycle) -> dict:
    """The cycle's values of the parameters the notebook's `parameters` cell declares (a notebook
    declares only those it uses), read by papermill's Python translator (the notebook need not
    name its kernel)."""
    import nbformat
    from papermill.translators import papermill_translators

    cells = nbformat.read(nb, as_version=4).cells
    cell = next((c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])),
                nbformat.v4.new_code_cell(""))
    declared = {p.name for p in papermill_translators.find_translator(KERNEL, "python").inspect(cell)}
    return {k: v for k, v in cycle.notebook_parameters().items() if k in declared}


def execute(nb: Path, cycle: Cycle) -> NotebookRun:
    """Execute one notebook with papermill into `cycle.reports_dir/executed/`; never raises for a
    failing notebook."""
    import nbformat
    import papermill as pm

    from sendlib.reports.render import _title

    out = cycle.reports_dir / "executed" / nb.name
    out.parent.mkdir(parents=True, exist_ok=True)
    title = _title(nbformat.read(nb, as_version=4)) or nb.stem
    t = time.perf_counter()
    socket_dir = Path(tempfile.mkdtemp(prefix="sendlib-kernel-"))
    try:
        pm.execute_notebook(str(nb), str(out), parameters=declared_parameters(nb, cycle),
                            kernel_name=KERNEL, language="python", progress_bar=False,
                            cwd=str(cycle.root),
                            kernel_manager_class=_kernel_manager_class(out.with_suffix(".kernel.log"), socket_dir))
        return NotebookRun(nb.stem, title, "ok", time.perf_counter() - t)
    except Exception as exc:  # papermill raises PapermillExecutionError; record and go on
        return NotebookRun(nb.stem, title, "failed", time.perf_counter() - t, error_line(exc))
    finally:
        shutil.rmtree(socket_dir, ignore_errors=True)


class Workers:
    """The run's worker processes, two on a multi-core machine (none on one core: jobs then run in
    the runner itself). Spawned once for the whole run, so that their start-up overlaps the first
    jobs; on an error or Ctrl-C they are ended at once rather than left to finish their jobs."""

    def __init__(self, size: int | None = None):
        from concurrent.futures import ProcessPoolExecutor

        self.size = size or min(2, os.cpu_count() or 1)
        self.pool = None if self.size == 1 else ProcessPoolExecutor(
            max_workers=self.size, mp_context=multiprocessing.get_context("spawn"),
            initializer=supervise.worker_init, initargs=(os.getpid(),))

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.pool is None:
            return
        if exc_type is None:
            self.pool.shutdown()
            return
        for process in list(getattr(self.pool, "_processes", {}).values()):
            process.kill()
        self.pool.shutdown(wait=False, cancel_futures=True)

    def run(self, job, items: list, *args, ordered: bool = False):
        """Yield (item, job(item, *args)) as each job finishes, or in the order of `items` if
        `ordered` (then the first item that fails is the one whose error is raised)."""
        from concurrent.futures import as_completed

        if self.pool is None:
            for item in items:
                yield item, job(item, *args)
            return
        futures = {self.pool.submit(job, item, *args): item for item in items}
        for future in (futures if ordered else as_completed(futures)):
            yield futures[future], future.result()


def execute_all(nbs: list[Path], cycle: Cycle, workers: Workers | None = None, job=None) -> list[NotebookRun]:
    """Execute the notebooks on the `workers` (each in its own kernel; default: two processes on a
    multi-core machine); progress is logged as each finishes. Returns the runs in the order of
    `nbs`. `job` (a module-level function of a notebook and the cycle, default :func:`execute`)
    is what each runs."""
    if workers is None:
        with Workers(min(2, os.cpu_count() or 1, len(nbs) or 1)) as own:
            return execute_all(nbs, cycle, own, job)
    logger.info("[notebooks] %d to run, %d at a time", len(nbs), min(workers.size, len(nbs)))
    runs: dict[Path, NotebookRun] = {}
    for i, (nb, run) in enumerate(workers.run(job or execute, nbs, cycle), 1):
        runs[nb] = run
        _report_progress(i, len(nbs), run)
    return [runs[nb] for nb in nbs]


def _report_progress(i: int, n: int, run: NotebookRun) -> None:
    logger.info("[%d/%d] %s: %s (%.1f s)%s", i, n, run.name, run.status, run.seconds,
                f": {run.error}" if run.error else "")
