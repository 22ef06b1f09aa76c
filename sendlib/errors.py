"""Exceptions for mistakes a user can fix. The CLI prints them as one line and exits 2."""
from __future__ import annotations


class SendlibInputError(Exception):
    """An input the user supplied cannot be used.

    The message names the file (and where known the row and column) and says what to do.
    """

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 column: str | None = None, hint: str | None = None):
        self.file, self.row, self.column, self.hint = file, row, column, hint
        where = ", ".join(p for p in (
            f"file {file}" if file else "",
            f"row {row}" if row is not None else "",
            f"column {column}" if column else "",
        ) if p)
        text = f"{where}: {message}" if where else message
        if hint:
            text = f"{text} ({hint})"
        super().__init__(text)

    def __reduce__(self):
        """Pickled whole (message, file, row, column, hint), as when raised in a worker process."""
        return _rebuilt, (type(self), self.args, self.__dict__)


def _rebuilt(cls, args, state):
    exc = cls.__new__(cls)
    Exception.__init__(exc, *args)
    exc.__dict__.update(state)
    return exc


class ConfigError(SendlibInputError):
    """A review-cycle configuration is missing or inconsistent."""


class RunFailed(Exception):
    """A stage or a report of a review-cycle run failed (not a user mistake in the inputs): the
    command prints the one-line message and exits 1."""
