"""The quality log (``quality_report.csv``) and the work table of one raw file being cleaned."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from sendlib import readers, spec
from sendlib.cleaning.withheld import shown, shown_keys

CORRECTED, SET_UNKNOWN, REJECTED = "corrected", "set unknown", "rejected"
QUALITY_COLUMNS = ["file", "row_number", "key", "column", "value", "rule", "action"]


@dataclass
class Work:
    """One raw file being cleaned: the raw cells, the working (normalised) frame and which rows are kept.

    The working frame holds each ``id`` column cleaned in place and the normalised value of each
    other typed column in ``<column>_clean`` (see :mod:`sendlib.cleaning.cells`).
    """
    name: str
    raw: readers.RawFile
    df: pd.DataFrame
    kept: pd.Series
    report_key: pd.Series
    declared: spec.FileSpec = field(repr=False)
    unreadable: pd.Series = field(repr=False, default_factory=lambda: pd.Series(dtype=object))

    @classmethod
    def start(cls, raw: readers.RawFile) -> Work:
        """The work table of `raw`; rows the reader could not take as records start rejected (their
        rejection is logged by :meth:`QualityLog.add_unreadable`)."""
        declared = spec.file(raw.name)
        df = raw.frame.copy()
        key = declared.key
        shown = key is not None and key not in declared.personal
        report_key = df[key].str.strip() if shown else pd.Series("", index=df.index)
        unreadable = (raw.unreadable if raw.unreadable is not None else pd.Series("", index=df.index)).astype(object)
        return cls(raw.name, raw, df, unreadable == "", report_key.astype(object), declared, unreadable)

    @property
    def rows(self) -> pd.DataFrame:
        """The kept rows of the working frame."""
        return self.df[self.kept]

    def clean(self, column: str) -> pd.Series:
        """The normalised values of a declared column (an id column is cleaned in place)."""
        return self.df[f"{column}_clean"] if f"{column}_clean" in self.df.columns else self.df[column]

    def at(self, labels) -> pd.Series:
        """A mask on the working frame, true at the row labels `labels`."""
        mask = pd.Series(False, index=self.df.index)
        mask[labels] = True
        return mask

    def reject(self, log: QualityLog, mask, column: str, rule: str) -> None:
        """Reject the kept rows where `mask` is true, logging `rule`."""
        mask = pd.Series(mask, index=self.df.index).fillna(False).astype(bool) & self.kept
        log.add(self, mask, column, rule, REJECTED, values=pd.Series("", index=self.df.index)
                if column == "" else None)
        self.kept &= ~mask


class QualityLog:
    """Problems found, one row per cell or row: the contents of ``quality_report.csv``."""

    def __init__(self) -> None:
        self._parts: list[pd.DataFrame] = []

    def add(self, t: Work, mask, column: str, rule: str, action: str, values=None) -> None:
        """Log `rule` for the rows of work table `t` where `mask` is true (mask on t.df's index).

        The logged value is the raw cell of `column` unless `values` are given; only what
        :mod:`sendlib.cleaning.withheld` allows is shown.
        """
        mask = pd.Series(mask, index=t.df.index).fillna(False).astype(bool) & (t.unreadable == "")
        if not mask.any():
            return
        rows = t.df.index[mask.to_numpy()]
        if values is None:
            frame = t.raw.frame
            values = frame[column].reindex(rows) if column in frame.columns else pd.Series("", index=rows)
        else:
            values = pd.Series(values, index=t.df.index).reindex(rows)
        self._parts.append(pd.DataFrame({
            "file": t.raw.label, "row_number": rows.to_numpy() + 1,
            "key": shown_keys(t.report_key.reindex(rows)).to_numpy(), "column": column,
            "value": shown(t.declared, column, rule, values.astype(str)).to_numpy(), "rule": rule, "action": action}))

    def add_unreadable(self, t: Work) -> None:
        """Log the rows of `t` the reader could not take as records, each under its reason (rejected)."""
        bad = t.unreadable[t.unreadable != ""]
        if len(bad):
            self._parts.append(pd.DataFrame({
                "file": t.raw.label, "row_number": bad.index.to_numpy() + 1, "key": "", "column": "", "value": "",
                "rule": bad.to_numpy(), "action": REJECTED}))

    def add_rules(self, t: Work, rules: pd.Series, column: str, actions: dict[str, str]) -> None:
        """Log each rule of `actions` where the per-row `rules` name it, with its action."""
        for rule, action in actions.items():
            self.add(t, rules == rule, column, rule, action)

    def frame(self) -> pd.DataFrame:
        """The quality report, sorted by file, row, column and rule."""
        if not self._parts:
            return pd.DataFrame({c: pd.Series(dtype=object if c != "row_number" else "int64") for c in QUALITY_COLUMNS})
        df = pd.concat(self._parts, ignore_index=True)
        df["row_number"] = df["row_number"].astype("int64")
        return df.sort_values(["file", "row_number", "column", "rule"], kind="stable").reset_index(drop=True)
