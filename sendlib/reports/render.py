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


def _analyst_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Copy of `nb` without the default `parameters` cell where papermill injected the run's own
    (the defaults were overridden: showing them would mislead, and name the demo LA)."""
    tags = [set(c.get("metadata", {}).get("tags", [])) for c in nb.cells]
    if not any("injected-parameters" in t for t in tags):
        return nb
    nb = copy.deepcopy(nb)
    nb.cells = [c for c, t in zip(nb.cells, tags) if "parameters" not in t]
    return nb


def _without_headlines(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """`nb` without the headline figures offered to the index page (no page can show them)."""
    from sendlib.reports.notebook import HEADLINE_MIME

    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", []) if set(o.get("data", {})) != {HEADLINE_MIME}]
    return nb


NO_ALT = "No description has been provided for this image"


def finish_page(page: str) -> str:
    """What sendlib adds to a page nbconvert rendered: every chart's alternative text ('Chart:
    <section heading>'; nbconvert leaves a placeholder), and a glossary of the acronyms the page
    uses, before its provenance."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page, features="html.parser")
    for img in soup.find_all("img", alt=NO_ALT):
        heading = img.find_previous(["h1", "h2", "h3"])
        title = heading.get_text(" ", strip=True).rstrip("¶").strip() if heading else "report"
        img["alt"] = f"Chart: {title}"
    main = soup.find("main") or soup.body
    if main is None:
        return str(soup)
    glossary = BeautifulSoup(str(render_layer.glossary_html(visible_text(main))), features="html.parser")
    provenance = soup.find(class_="provenance")
    anchor = provenance.find_parent(class_="jp-Cell") if provenance is not None else None
    if anchor is not None:
        anchor.insert_before(glossary)
    else:
        main.append(glossary)
    return str(soup)


def visible_text(element) -> str:
    """The text a reader sees in an element (no style sheets or scripts)."""
    return " ".join(s for s in element.find_all(string=True) if s.parent.name not in ("style", "script"))


def _page(nb: nbformat.NotebookNode, title: str, **options) -> str:
    """One HTML page of a notebook, through sendlib's nbconvert template (house style, no remote
    scripts)."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name=render_layer.NBCONVERT_TEMPLATE,
                            extra_template_basedirs=[render_layer.nbconvert_dir()], embed_images=True, **options)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title},
                                                         "sendlib_css": str(render_layer.stylesheet())})
    return finish_page(body)


def render(executed: Path, manager_html: Path, analyst_html: Path, error: str | None = None) -> None:
    """Write the manager and analyst HTML of the executed notebook at `executed`."""
    nb = _without_headlines(nbformat.read(executed, as_version=4))
    title = _title(nb) or executed.stem
    analyst_html.parent.mkdir(parents=True, exist_ok=True)
    analyst_html.write_text(_page(_analyst_notebook(nb), f"{title} (analyst)"), encoding="utf-8")
    manager = _page(_manager_notebook(nb, error), title, exclude_input=True, exclude_input_prompt=True,
                    exclude_output_prompt=True)
    manager_html.parent.mkdir(parents=True, exist_ok=True)
    manager_html.write_text(manager, encoding="utf-8")


def _title(nb) -> str | None:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return None
