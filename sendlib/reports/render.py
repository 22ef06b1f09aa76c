"""Render executed notebooks to HTML with nbconvert: a manager version (no code, no tracebacks,
charts embedded so the file stands alone) and an analyst version (with code)."""
from __future__ import annotations

import copy
import html
from pathlib import Path

import nbformat

MANAGER_CSS = """
<style>
  body { max-width: 1100px; margin: 0 auto; font-family: "Segoe UI", Arial, sans-serif; }
  .jp-Notebook { padding: 1rem 1.5rem; }
  table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.92rem; }
  th, td { padding: 0.25rem 0.6rem; text-align: right; border-bottom: 1px solid #ddd; }
  .jp-RenderedHTMLCommon th:first-child, .jp-RenderedHTMLCommon td:first-child { text-align: left !important; }
  caption { caption-side: top; text-align: left; font-weight: 600; padding: 0.3rem 0; }
  img { max-width: 100%; height: auto; }
  .failure { background: #fdecea; border-left: 5px solid #b3261e; padding: 0.8rem 1rem; }
  .provenance { font-size: 0.85rem; color: #444; margin-top: 2rem; }
</style>
"""


def _manager_notebook(nb: nbformat.NotebookNode, error: str | None) -> nbformat.NotebookNode:
    """Copy of `nb` without error outputs or stderr, and with a plain-language banner on failure."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", [])
                            if o.get("output_type") != "error"
                            and not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    if error:
        banner = nbformat.v4.new_markdown_cell(
            "<div class='failure'><b>This report could not be completed.</b> "
            f"The run stopped with: {html.escape(error)}. The sections below are those that ran; "
            "the analyst version shows where it stopped.</div>")
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
    body = describe_charts(body.replace("</head>", MANAGER_CSS + "</head>", 1))
    manager_html.parent.mkdir(parents=True, exist_ok=True)
    manager_html.write_text(body, encoding="utf-8")


def _title(nb) -> str | None:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return None
