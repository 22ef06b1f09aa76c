"""Each published table laid out for reading (a page, a sheet): one-way tables as rows with their
columns, cross-tabulations as a matrix. Values stay as published strings."""
from __future__ import annotations

import pandas as pd

from sendlib.equality.publication import NOT_APPLICABLE, SUPPRESSED
from sendlib.equality.topics import SEP, TOPIC, TOTAL, Topic

HEADINGS = {"count": "Number", "percent": "%", "percent_of_known": "% of known"}
DISPROPORTIONALITY_HEADINGS = {"population": "Pupils in census", "cohort_pupils": "{cohort} pupils in census",
                               "risk_percent": "Risk %", "risk_ratio": "Risk ratio",
                               "risk_ratio_lower": "95% CI lower", "risk_ratio_upper": "95% CI upper",
                               "disproportionality": "Disproportionality"}


def display_table(tables: pd.DataFrame, cohort: str, topic: str, value: str = "both") -> pd.DataFrame:
    """One table laid out for reading: one-way tables as rows with their columns, cross-tabulations
    as a matrix of counts with the row percentage in brackets (`value` ``both``), or of counts
    (``count``) or row percentages (``percent``) alone. Values stay as published strings (``c``
    suppressed, blank for not applicable)."""
    t = TOPIC[topic]
    sub = tables[(tables["cohort"] == cohort) & (tables["breakdown_topic"] == t.label)]
    blank = sub.replace(NOT_APPLICABLE, "")
    return _matrix(blank, t, value) if t.is_cross else _rows(blank, t, cohort)


def _rows(blank: pd.DataFrame, t: Topic, cohort: str) -> pd.DataFrame:
    cols = {"breakdown": t.label, **HEADINGS}
    if t.disproportionality:
        cols.update({k: v.format(cohort=cohort) for k, v in DISPROPORTIONALITY_HEADINGS.items()})
    return blank[list(cols)].rename(columns=cols).reset_index(drop=True)


def _matrix(blank: pd.DataFrame, t: Topic, value: str = "both") -> pd.DataFrame:
    parts = blank["breakdown"].str.split(SEP, regex=False)
    if value in ("count", "percent"):
        cell = list(blank[value])
    else:
        cell = [c if p in ("", SUPPRESSED) or c == SUPPRESSED or b.endswith(SEP + TOTAL) else f"{c} ({p}%)"
                for c, p, b in zip(blank["count"], blank["percent"], blank["breakdown"])]
    matrix = pd.DataFrame({"row": parts.str[0], "col": parts.str[1], "cell": cell})
    rows = list(dict.fromkeys(matrix["row"]))
    cols = list(dict.fromkeys(matrix["col"]))
    wide = matrix.pivot(index="row", columns="col", values="cell").loc[rows, cols]
    wide.index.name = TOPIC[t.rows].label
    wide.columns.name = None
    return wide.reset_index()
