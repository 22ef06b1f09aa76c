"""Small helpers used inside the report notebooks, so that a notebook cell stays a few lines."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from sendlib.reports import provenance as _provenance


def setup() -> None:
    """House style for charts and tables in reports (readable on a laptop, colour-blind safe).

    Opened in JupyterLab, a notebook runs in `notebooks/`; its paths are relative to the project
    root (as when papermill runs it), so move there first."""
    import os

    here = Path.cwd()
    if here.name == "notebooks" and (here.parent / "pyproject.toml").exists():
        os.chdir(here.parent)
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid", palette="colorblind", font_scale=1.0)
    plt.rcParams.update({"figure.figsize": (8, 4), "figure.dpi": 96, "savefig.bbox": "tight",
                         "axes.titleweight": "bold", "axes.spines.top": False,
                         "axes.spines.right": False, "svg.hashsalt": "sendlib"})
    pd.set_option("display.max_rows", 200)
    pd.set_option("display.max_columns", 50)


def show(df: pd.DataFrame, caption: str | None = None, percent_cols=(), index: bool = False):
    """Display `df` as a clean HTML table (thousands separators, percentages to 1 dp)."""
    from IPython.display import HTML, display

    fmt = {c: "{:.1f}%" for c in percent_cols if c in df.columns}
    for c in df.columns:
        if c in fmt:
            continue
        if pd.api.types.is_integer_dtype(df[c]):
            yearish = any(w in str(c).lower() for w in ("year", "census", "origin"))
            fmt[c] = "{}" if yearish else "{:,}"
        elif pd.api.types.is_float_dtype(df[c]):
            fmt[c] = "{:,.1f}"
    # a stable element id (pandas would draw a random one) keeps re-rendered reports identical
    uid = hashlib.sha1(f"{caption}|{list(df.columns)}|{len(df)}".encode()).hexdigest()[:8]
    styler = df.style.format(fmt, na_rep="").set_uuid(uid)
    if not index:
        styler = styler.hide(axis="index")
    if caption:
        styler = styler.set_caption(caption)
    display(HTML(styler.to_html()))


HEADLINE_MIME = "application/vnd.sendlib.headline+json"  # read by the cycle's index page


def headline(card: tuple[str, str] | None) -> None:
    """Offer (value, label) as a headline figure for the cycle's index page (None: no figure); the
    report itself does not show it (no format a page can render)."""
    from IPython.display import display

    if card is None:
        return
    value, label = card
    display({HEADLINE_MIME: {"value": value, "label": label}}, raw=True)


def say(sentences) -> None:
    """Display plain-language findings as a bulleted list (the 'so what' above a chart)."""
    from IPython.display import Markdown, display

    sentences = [s for s in sentences if s]
    if sentences:
        display(Markdown("\n".join(f"- {s}" for s in sentences)))


def show_provenance(parameters: dict, inputs=()) -> None:
    """Display the provenance block that ends every report."""
    from IPython.display import HTML, display

    inputs = [Path(p) for p in inputs if p]
    display(HTML(_provenance.as_html(_provenance.collect(parameters, inputs))))
