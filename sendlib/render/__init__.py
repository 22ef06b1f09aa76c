"""One rendering layer for what sendlib writes itself: HTML pages and fragments from the Jinja2
templates in ``templates/`` with one stylesheet (``templates/house.css``), and byte-stable Excel
workbooks (:mod:`sendlib.render.xlsx`). Domain modules hand over plain data (titles, sentences,
:func:`table_view` rows, statuses) and never build markup.

Every value written into a page is escaped as :func:`html.escape` does (quotes included), so a
label from a code list or a config file can never break the page.
"""
from __future__ import annotations

import html
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

SUPPRESSED = "c"  # the DfE symbol of a suppressed value (as sendlib.disclosure publishes it)


def _escaped(value: Any) -> Any:
    """Escape every value written into a page (fragments already rendered pass unchanged)."""
    return value if isinstance(value, Markup) else Markup(html.escape(str(value)))


@cache
def environment() -> Environment:
    """The Jinja2 environment of sendlib's templates (autoescaped, strict about missing names)."""
    env = Environment(loader=PackageLoader("sendlib.render", "templates"), autoescape=True,
                      finalize=_escaped, undefined=StrictUndefined, trim_blocks=True,
                      lstrip_blocks=True, keep_trailing_newline=True)
    env.globals.update(suppressed=SUPPRESSED, stylesheet=stylesheet)
    return env


@cache
def stylesheet(name: str = "house.css") -> Markup:
    """A stylesheet of ``templates/``, to inline (pages open alone from disk): ``house.css`` for
    every page sendlib builds, ``notebook.css`` for what it adds to nbconvert's report pages."""
    text = resources.files("sendlib.render").joinpath("templates", name).read_text(encoding="utf-8")
    return Markup(text.rstrip("\n"))


def render(template: str, **context: Any) -> str:
    """Render the template `template` (a name in ``templates/``) with `context`."""
    return environment().get_template(template).render(**context)


def fragment(template: str, **context: Any) -> Markup:
    """Render a template as markup to place inside another page (not escaped again)."""
    return Markup(render(template, **context))


def table_view(df: pd.DataFrame, total_labels: Iterable[str] = ()) -> dict:
    """A data frame as the `table` macro of ``macros.html.j2`` takes it: column names and rows of
    cells; a row whose first cell is one of `total_labels` is a total row (shown in bold)."""
    totals = set(total_labels)
    rows: list[dict] = [{"cells": list(rec), "total": str(rec[0]) in totals}
                        for rec in df.itertuples(index=False)]
    return {"columns": [str(c) for c in df.columns], "rows": rows}
