"""One rendering layer for what sendlib writes itself: HTML pages and fragments from the Jinja2
templates in ``templates/`` with one stylesheet (``templates/house.css``), and byte-stable Excel
workbooks (:mod:`sendlib.render.xlsx`). Domain modules hand over plain data (titles, sentences,
:func:`table_view` rows, statuses) and never build markup.

Every value written into a page is escaped as :func:`html.escape` does (quotes included), so a
label from a code list or a config file can never break the page.
"""
from __future__ import annotations

import html
import re
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
    """The house stylesheet, to inline (pages open alone from disk): every page sendlib builds and
    every report page nbconvert renders (:data:`NBCONVERT_TEMPLATE`) use it."""
    text = resources.files("sendlib.render").joinpath("templates", name).read_text(encoding="utf-8")
    return Markup(text.rstrip("\n"))


NBCONVERT_TEMPLATE = "sendlib_report"  # in templates/nbconvert: the lab layout, house style, no remote scripts


def nbconvert_dir() -> str:
    """The folder of sendlib's nbconvert templates (``extra_template_basedirs``)."""
    return str(resources.files("sendlib.render").joinpath("templates", "nbconvert"))


@cache
def glossary_terms() -> dict[str, str]:
    """Acronym -> meaning, from ``glossary.csv``."""
    import csv
    import io

    text = resources.files("sendlib.render").joinpath("glossary.csv").read_text(encoding="utf-8")
    return {row["term"]: row["meaning"] for row in csv.DictReader(io.StringIO(text))}


def glossary(text: str) -> list[dict]:
    """The acronyms of the glossary that `text` uses (alone or as a plural, "EHCPs"),
    alphabetically (term, meaning)."""
    used = [t for t in glossary_terms() if re.search(rf"(?<![\w-]){re.escape(t)}s?(?![\w-])", text)]
    return [{"term": t, "meaning": glossary_terms()[t]} for t in sorted(used, key=str.lower)]


def glossary_html(text: str) -> Markup:
    """The glossary section of a page whose reader sees `text` (empty when it uses no acronym)."""
    terms = glossary(text)
    return fragment("glossary.html.j2", terms=terms) if terms else Markup("")


def compared(figures: dict | None, unit: str = "") -> str:
    """Comparison figures quoted after a figure: " (England 2018: 11.7%; ...)", or nothing."""
    if not figures:
        return ""
    return " (" + "; ".join(f"{name}: {value:g}{unit}" for name, value in figures.items()) + ")"


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
