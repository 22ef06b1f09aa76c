"""The equality tables as HTML, through the templates of :mod:`sendlib.render`: the standalone
page published beside the CSV, and the fragment of one topic group shown in the notebook."""
from __future__ import annotations

import pandas as pd

from sendlib import disclosure, render
from sendlib.equality.audit import audit_summary
from sendlib.equality.layout import display_table
from sendlib.equality.topics import COHORTS, GROUPS, KNOWN, TOPICS, TOTAL
from sendlib.equality.wording import findings, key_points, suppression_note
from sendlib.errors import SendlibInputError

TOTAL_ROWS = (TOTAL, KNOWN)  # rows shown in bold


def _topic_view(tables: pd.DataFrame, group: str) -> dict:
    """The findings and readable tables of a topic group, for the templates."""
    if group not in GROUPS:
        raise SendlibInputError(f"unknown topic {group!r}", hint=f"use one of {', '.join(GROUPS)}")
    views = []
    for t in TOPICS:
        if t.group != group:
            continue
        for cohort in COHORTS:
            df = display_table(tables, cohort, t.id)
            if not df.empty:
                views.append({**render.table_view(df, TOTAL_ROWS), "heading": f"{cohort}: {t.label}"})
    return {"heading": group.capitalize(), "findings": findings(tables) if group == "ethnicity" else [],
            "tables": views}


def topic_html(tables: pd.DataFrame, group: str) -> str:
    """HTML of every table of a topic group (age, need, sex, ethnicity, placement) for both cohorts."""
    return str(render.fragment("equality_topic.html.j2", group=_topic_view(tables, group)))


def show_topic(tables: pd.DataFrame, topic: str) -> None:
    """Display (in a notebook) every table of a topic group (age, need, sex, ethnicity,
    placement) for both cohorts, with the findings that concern it."""
    from IPython.display import HTML, display

    display(HTML(topic_html(tables, topic)))


def page_title(tables: pd.DataFrame) -> str:
    """"Equality assessment tables", with the LA's name and the academic year when known."""
    title = "Equality assessment tables"
    if not len(tables):
        return title
    first = tables.iloc[0]
    if first["la_name"]:
        title += f": {first['la_name']}"
    if first["time_period"]:
        tp = first["time_period"]
        title += f", {tp[:4]}/{tp[4:]}"
    return title


def tables_html(tables: pd.DataFrame, summary: pd.DataFrame | None = None) -> str:
    """A self-contained HTML page with every table, the suppression note, findings and the audit
    summary (computed unless given)."""
    threshold = tables.attrs.get("threshold", disclosure.THRESHOLD)
    summary = audit_summary(tables) if summary is None else summary
    groups = [_topic_view(tables, g) for g in GROUPS]
    words = [suppression_note(threshold), *findings(tables), *(str(v) for g in groups for t in g["tables"]
                                                               for r in t["rows"] for v in r["cells"])]
    return render.render("equality_tables.html.j2", title=page_title(tables),
                         note=suppression_note(threshold), threshold=threshold, groups=groups,
                         key_points=key_points(tables), summary=render.table_view(summary.astype(str), TOTAL_ROWS),
                         glossary=render.glossary_html(" ".join([*words, *(t["heading"] for g in groups
                                                                            for t in g["tables"])])))
