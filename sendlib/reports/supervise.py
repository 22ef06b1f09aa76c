"""Keeping a run's processes together: one run of a cycle at a time, and nothing of a run left
behind when it dies, even by `kill -9`.

- :class:`RunLock`: an `fcntl` lock per cycle; a second run gets one line and exit 2.
- Every process of a run carries the environment variable ``SENDLIB_RUN=<run id>`` (notebook
  workers are spawned, not forked, so it is in their /proc environ; their kernels inherit it),
  so the run can be found whole.
- Workers and kernels ask the kernel for ``SIGKILL`` when their parent dies
  (``prctl(PR_SET_PDEATHSIG)``, :func:`die_with_parent`).
- A watchdog process (:mod:`sendlib.reports.watchdog`), started outside the run's process group,
  notices when the runner dies without saying "done", kills whatever of the run is left, repairs
  half-swapped folders and marks the cycle failed. It shares the run's lock, so no new run starts
  until it has finished.
"""
from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from sendlib.errors import ConfigError

ENV = "SENDLIB_RUN"
_PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int | None = None) -> None:
    """Have the kernel kill this process when its parent dies (Linux; elsewhere nothing)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if parent_pid is not None and os.getppid() != parent_pid:  # the parent died before prctl
        os._exit(1)


def worker_init(parent_pid: int) -> None:
    """Initializer of notebook worker processes: die with the runner; leave Ctrl-C to it."""
    die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_processes(run_id: str, exclude: tuple[int, ...] = ()) -> list[int]:
    """Pids of the live processes carrying ``SENDLIB_RUN=run_id`` (read from /proc)."""
    tag = f"{ENV}={run_id}".encode()
    pids = []
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else []:
        if not entry.name.isdigit() or int(entry.name) in exclude:
            continue
        try:
            if tag in (entry / "environ").read_bytes().split(b"\0"):
                pids.append(int(entry.name))
        except OSError:  # gone, or not ours to read
            continue
    return pids


def kill_run(run_id: str, exclude: tuple[int, ...] = (), wait: float = 5.0) -> list[int]:
    """SIGKILL every process of the run (but `exclude`) until none is left; returns those killed."""
    killed: list[int] = []
    deadline = time.monotonic() + wait
    while True:
        pids = run_processes(run_id, exclude + (os.getpid(),))
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
        if not pids or time.monotonic() > deadline:
            return sorted(set(killed))
        time.sleep(0.1)  # a killed process is a zombie at most, and /proc shows it no environment


class RunLock:
    """Exclusive lock of one cycle (a file beside its reports); a second run raises ConfigError."""

    def __init__(self, path: Path, cycle_id: str):
        self.path, self.cycle_id = Path(path), cycle_id
        self.fd: int | None = None

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 200).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise ConfigError(f"cycle {self.cycle_id!r} is already being run ({holder}); "
                              "wait for that run to finish") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"process {os.getpid()} since {time.strftime('%H:%M:%S')}".encode())
        self.fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    @staticmethod
    def held(path: Path) -> bool:
        """Whether some process holds the lock at `path` now."""
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            return False
        except BlockingIOError:
            return True
        finally:
            os.close(fd)


class Watchdog:
    """Start the watchdog for this run, tag the run's processes, and stop both cleanly.

    `spec` is what the watchdog needs to mark the cycle if the runner dies (plain JSON)."""

    def __init__(self, spec: dict, lock: RunLock):
        self.spec, self.lock = spec, lock
        self.run_id = uuid.uuid4().hex
        self.proc: subprocess.Popen | None = None
        self._saved_env: str | None = None

    def __enter__(self) -> Watchdog:
        from multiprocessing import resource_tracker

        resource_tracker.ensure_running()  # the caller's own helper (it outlives this run): untagged
        spec = {**self.spec, "run_id": self.run_id, "parent": os.getpid()}
        env = {k: v for k, v in os.environ.items() if k != ENV}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sendlib.reports.watchdog"], stdin=subprocess.PIPE,
            pass_fds=(self.lock.fd,) if self.lock.fd is not None else (), start_new_session=True,
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(spec) + "\n").encode())
        self.proc.stdin.flush()
        self._saved_env = os.environ.get(ENV)
        os.environ[ENV] = self.run_id
        return self

    def __exit__(self, *exc) -> None:
        if self._saved_env is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = self._saved_env
        kill_run(self.run_id)  # workers and kernels of this run that are still there
        if self.proc is not None and self.proc.stdin is not None:
            with contextlib.suppress(BrokenPipeError):
                self.proc.stdin.write(b"done\n")
                self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
