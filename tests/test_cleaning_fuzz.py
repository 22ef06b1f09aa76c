"""Fuzzing the cleaner: any cell content of any declared column is a quality problem, never a
crash. Each failure a search found is kept as an explicit example."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sendlib import cleaning, spec
from tests.cleaning_fixtures import small_la

CENSUS = "2025-01-16"

# every declared column of every raw file (the spec decides what is fuzzed)
_FUZZ_COLUMNS = [(name, column) for name, declared in spec.files().items() for column in declared.columns]
# an edit puts one value into one cell (row modulo the file's length) or, with row -1, into the whole column
_EDITS = st.lists(st.tuples(st.sampled_from(_FUZZ_COLUMNS), st.integers(-1, 20),
                            st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=12)),
                  min_size=1, max_size=6)


def _apply_edits(raw: Path, edits) -> None:
    for name in sorted({name for (name, _), _, _ in edits}):
        df = pd.read_csv(raw / f"{name}.csv", dtype=str, keep_default_na=False)
        for (_, column), row, value in (e for e in edits if e[0][0] == name):
            df.loc[df.index if row < 0 else [row % len(df)], column] = value
        df.to_csv(raw / f"{name}.csv", index=False)


@settings(max_examples=max(10, settings.default.max_examples // 8),  # each example cleans a small LA
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@example(edits=[(("sen_need", "sentyperank"), 0, "1e100")])  # found by this test: TypeError
@example(edits=[(("placement_detail", "placementrank"), -1, "inf")])
@example(edits=[(("population", "population"), 3, "inf")])
# every active plan orphaned (found by a sweep of whole-column edits): TypeError on an empty caseload
@example(edits=[(("requests", "persontableid"), -1, "x")])
@example(edits=[(("person", "persontableid"), -1, "")])
@given(edits=_EDITS)
def test_any_cell_values_are_handled(tmp_path_factory, edits):
    raw = small_la(tmp_path_factory.mktemp("fuzz") / "raw")
    _apply_edits(raw, edits)
    res = cleaning.clean(raw, None, CENSUS)
    for f in res.summary["files"].values():
        assert f["rows_read"] == f["rows_kept"] + f["rows_rejected"]
    assert set(res.quality_report["action"]) <= {"corrected", "set unknown", "rejected"}
