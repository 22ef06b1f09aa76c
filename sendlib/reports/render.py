"""Render executed notebooks to HTML with nbconvert: a manager version (no code, no tracebacks,
charts embedded so the file stands alone) and an analyst version (with code). What sendlib adds
to nbconvert's pages (their style, the banner of a failed run) comes from the templates of
:mod:`sendlib.render`."""
from __future__ import annotations

import copy
from pathlib import Path

import nbformat

from sendlib import render as render_layer


def _manager_notebook(nb: nbformat.NotebookNode, error: str | None) -> nbformat.NotebookNode:
    """Copy of `nb` without error outputs or stderr, and with a plain-language banner on failure."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", [])
                            if o.get("output_type") != "error"
                            and not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    if error:
        banner = nbformat.v4.new_markdown_cell(render_layer.render("report_failed.html.j2", error=error))
        nb.cells.insert(1 if nb.cells and nb.cells[0].cell_type == "markdown" else 0, banner)
    return nb


NO_ALT = "No description has been provided for this image"


def describe_charts(page: str) -> str:
    """Give every chart the alternative text 'Chart: <section heading>' (nbconvert's lab template
    leaves a placeholder), so that screen-reader users know what each image shows."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page, features="html.parser")
    for img in soup.find_all("img", alt=NO_ALT):
        heading = img.find_previous(["h1", "h2", "h3"])
        title = heading.get_text(" ", strip=True).rstrip("¶").strip() if heading else "report"
        img["alt"] = f"Chart: {title}"
    return str(soup)


def render(executed: Path, manager_html: Path, analyst_html: Path, error: str | None = None) -> None:
    """Write the manager and analyst HTML of the executed notebook at `executed`."""
    from nbconvert import HTMLExporter

    nb = nbformat.read(executed, as_version=4)
    title = _title(nb) or executed.stem
    analyst = HTMLExporter(template_name="lab", embed_images=True)
    body, _ = analyst.from_notebook_node(nb, resources={"metadata": {"name": f"{title} (analyst)"}})
    analyst_html.parent.mkdir(parents=True, exist_ok=True)
    analyst_html.write_text(describe_charts(body), encoding="utf-8")

    manager = HTMLExporter(template_name="lab", embed_images=True, exclude_input=True,
                           exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = manager.from_notebook_node(_manager_notebook(nb, error),
                                         resources={"metadata": {"name": title}})
    body = describe_charts(body.replace("</head>", render_layer.render("notebook_style.html.j2") + "</head>", 1))
    manager_html.parent.mkdir(parents=True, exist_ok=True)
    manager_html.write_text(body, encoding="utf-8")


def _title(nb) -> str | None:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return None
