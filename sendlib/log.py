"""Messages and progress of long runs, through :mod:`logging` (one helper for every stage).

Library modules log to ``logging.getLogger(__name__)`` and never print; the command line
(:func:`sendlib.cli.main`) calls :func:`configure` once, so messages reach stderr as plain lines
and ``--quiet`` silences them. In a notebook nothing is configured and the library stays silent
unless the analyst asks: ``sendlib.log.configure()``.
"""
from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
ROOT = "sendlib"


class _Stderr(logging.StreamHandler):
    """A handler that writes to `sys.stderr` as it is when a message comes, not as it was when the
    handler was made (a caller, or a test capturing output, may have replaced it since)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def configure(quiet: bool = False, stream=None) -> None:
    """Send sendlib's messages to `stream` (default: stderr) as plain lines; `quiet` keeps only
    warnings."""
    logger = logging.getLogger(ROOT)
    for handler in list(logger.handlers):
        if getattr(handler, "_sendlib", False):
            logger.removeHandler(handler)
    handler = logging.StreamHandler(stream) if stream is not None else _Stderr()
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler._sendlib = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING if quiet else logging.INFO)
    logger.propagate = False


def progress(items: Iterable[T], label: str, *, total: int | None = None,
             logger: logging.Logger | None = None, every: float = 5.0) -> Iterator[T]:
    """Yield `items`, logging "label: i/n" at the start, at most every `every` seconds, and at the end."""
    log = logger or logging.getLogger(ROOT)
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    of = f"/{total}" if total is not None else ""
    started = last = time.perf_counter()
    i = 0
    log.info("%s: 0%s", label, of)
    for i, item in enumerate(items, start=1):
        yield item
        now = time.perf_counter()
        if now - last >= every:
            log.info("%s: %d%s (%.0f s)", label, i, of, now - started)
            last = now
    log.info("%s: %d%s done (%.1f s)", label, i, of, time.perf_counter() - started)
