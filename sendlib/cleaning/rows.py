"""Row rules: duplicates on each file's key and orphans of each link, as spec/raw_files.yml declares
them (``key`` and ``links``).

- A blank key is ``missing_key`` (rejected).
- Rows that share a key and whose cells are identical after normalisation (codes and dates
  normalised, other text compared ignoring case and surrounding spaces) are ``duplicate_row``:
  the first in file order is kept. Rows that share a key but differ are ``duplicate_key``: the
  most complete row (most non-blank cells) is kept, ties going to the first in file order.
- ``orphan_key`` (rejected): a row whose link points at no kept row of the parent file;
  parents are checked first, so rejection cascades to their children.
"""
from __future__ import annotations

import pandas as pd

from sendlib import spec
from sendlib.cleaning.quality import QualityLog, Work


def resolve_duplicates(t: Work, log: QualityLog) -> None:
    """Apply the duplicate rules on the key of `t` (files without a key are left alone)."""
    key = t.declared.key
    if key is None:
        return
    k = t.df[key]
    t.reject(log, k == "", key, "missing_key")
    dup_key = k.duplicated(keep=False) & t.kept
    if not dup_key.any():
        return
    cand = _normalised_cells(t)[dup_key].astype(str)
    exact = cand.duplicated(keep="first")  # identical to an earlier row after normalisation
    t.reject(log, t.at(cand.index[exact.to_numpy()]), key, "duplicate_row")
    remaining = t.df.index[(k.duplicated(keep=False) & t.kept).to_numpy()]
    if len(remaining):
        filled = (t.raw.frame.loc[remaining].apply(lambda s: s.str.strip() != "")).sum(axis=1)
        order = pd.DataFrame({"key": k[remaining], "filled": filled, "pos": remaining})
        best = order.sort_values(["key", "filled", "pos"], ascending=[True, False, True]).drop_duplicates("key")
        t.reject(log, t.at(remaining.difference(best["pos"])), key, "duplicate_key")


def _normalised_cells(t: Work) -> pd.DataFrame:
    """The row's cells as compared for duplicates: each raw cell replaced by its normalised value."""
    cols = {}
    for c in t.raw.frame.columns:
        clean = f"{c}_clean"
        cols[c] = t.df[clean] if clean in t.df.columns else t.df[c].str.strip().str.upper()  # "SMITH" = "Smith"
    return pd.DataFrame(cols, index=t.df.index)


def reject_orphans(works: dict[str, Work], log: QualityLog) -> None:
    """Reject the rows whose link points at no kept parent row, parents first."""
    for child, link, parent in spec.links():
        c, p = works[child], works[parent]
        parent_keys = set(p.df.loc[p.kept, p.declared.key])
        c.reject(log, ~c.df[link].isin(parent_keys), link, "orphan_key")


def first_of_each(t: Work, log: QualityLog, rows: pd.DataFrame, parent: str, column: str, rule: str) -> pd.DataFrame:
    """The first of `rows` (kept rows of `t`) for each `parent` id; the others are rejected with `rule`."""
    second = rows[parent].duplicated(keep="first")
    t.reject(log, t.at(rows.index[second.to_numpy()]), column, rule)
    return rows[~second.to_numpy()]
