"""The watchdog of one run of `sendlib run-cycle` (started by :class:`supervise.Watchdog`).

It reads one line of JSON on stdin (run id, runner pid, the cycle), then waits. When the runner
says "done" it exits. When the runner dies without saying so (`kill -9`, out of memory, a crash),
it kills whatever of the run is left, repairs the output folders, and marks the cycle failed in
cycle.json and on its index pages, so that no page says "running" or "ready" untruthfully. It
holds the run's lock until then, so no new run starts in the meantime.
"""
from __future__ import annotations

import json
import os
import select
import signal
import sys

POLL_SECONDS = 0.5


def _runner_gone(parent: int) -> bool:
    """Wait until the runner says "done" (False) or is gone (True)."""
    while True:
        ready, _, _ = select.select([sys.stdin], [], [], POLL_SECONDS)
        if ready:
            line = sys.stdin.readline()
            if line.strip() == "done":
                return False
            if not line:  # the runner's end of the pipe closed without "done"
                return True
        elif os.getppid() != parent:
            return True


def main() -> int:
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)  # outlive the run's own stop signals to clean up after it
    spec = json.loads(sys.stdin.readline())
    if not _runner_gone(spec["parent"]):
        return 0
    from sendlib.reports import runner, supervise
    from sendlib.reports.config import Cycle

    supervise.kill_run(spec["run_id"])
    runner.after_runner_died(Cycle.from_json(spec["cycle"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
