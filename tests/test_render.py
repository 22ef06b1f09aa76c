"""The rendering layer: one stylesheet inlined in every page sendlib builds, values escaped, the
index taking a status per report, and no markup built outside sendlib/render."""
from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from sendlib import render
from sendlib.reports import index
from sendlib.reports.config import load_cycle
from tests.conftest import ROOT, write_config

HOUSE_CSS = (ROOT / "sendlib" / "render" / "templates" / "house.css").read_text().rstrip("\n")


@dataclass
class Run:  # a report as the cycle's status record (cycle.json) holds it
    name: str
    title: str
    status: str
    seconds: float = 0.0
    error: str | None = None


def status_record(runs, stage_errors, state="failed") -> dict:
    return {"state": state, "message": "", "reports": [r.__dict__ for r in runs], "stage_errors": stage_errors}


def test_values_are_escaped_as_html_escape_does():
    df = pd.DataFrame({"group": ["<script>alert('x')</script>", "Total"], "count": ["c", "12"]})
    page = render.render("macros.html.j2", t=render.table_view(df, ["Total"]))  # macros only: empty
    assert page.strip() == ""
    table = str(render.fragment("equality_topic.html.j2", group={
        "findings": ['a "quoted" & <b>bold</b> finding'], "tables": [{**render.table_view(df, ["Total"]),
                                                                     "heading": "Cohort: <i>"}]}))
    assert "<script>" not in table and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in table
    assert "a &quot;quoted&quot; &amp; &lt;b&gt;bold&lt;/b&gt; finding" in table
    assert "<h3>Cohort: &lt;i&gt;</h3>" in table
    assert "<td class='c'>c</td>" in table and "<tr class='total'><td>Total</td><td class='num'>12</td>" in table


def _cycle(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    return load_cycle("test", write_config(tmp_path, raw), root=ROOT)


def test_index_shows_each_report_with_its_status(tmp_path):
    cycle = _cycle(tmp_path)
    cycle.reports_dir.mkdir(parents=True)
    runs = [Run("01_a", "First <report>", "ready"), Run("02_b", "Second", "failed", error="ValueError: no pupils"),
            Run("03_c", "Third", "queued")]
    page = index.write_cycle_index(cycle, status_record(runs, {"equality tables": "RuntimeError: audit"})).read_text()
    rows = re.findall(r"<tr class='status-(\w+)'>(.*?)</tr>", page, flags=re.S)
    assert [s for s, _ in rows] == ["ready", "failed", "queued", "failed"]
    assert "href='01_a.html'>First &lt;report&gt;</a>" in rows[0][1] and ">ready<" in rows[0][1]
    assert "ValueError: no pupils" in rows[1][1] and ">failed<" in rows[1][1]
    assert ">queued<" in rows[2][1]  # a status without a label is shown as it is
    assert "equality tables" in rows[3][1] and "href" not in rows[3][1]
    assert "Test LA" in page and "16 January 2025" in page
    index.STATUS_LABELS["queued"] = "waiting to run"
    try:
        page = index.write_cycle_index(cycle, status_record(runs, {})).read_text()
    finally:
        del index.STATUS_LABELS["queued"]
    assert ">waiting to run<" in page  # a new status is a data change


def test_every_page_inlines_the_one_stylesheet(tmp_path):
    cycle = _cycle(tmp_path)
    cycle.reports_dir.mkdir(parents=True)
    record = status_record([Run("01_a", "A", "ready")], {}, state="ready")
    (cycle.reports_dir / "cycle.json").write_text(__import__("json").dumps(
        {**record, "cycle_id": "test", "title": cycle.title, "census_date": "2025-01-16", "la_name": cycle.la_name}))
    pages = [index.write_cycle_index(cycle, record).read_text(),
             index.write_all_cycles_index(cycle.reports_dir.parent).read_text()]
    from sendlib import equality
    from tests.test_equality import make_frames

    tables = equality.build_tables(make_frames(seed=5, n_pupils=800, n_out_of_school=10), threshold=5)
    pages.append(equality.tables_html(tables))
    for page in pages:
        assert page.count("<style>") == 1 and f"<style>{HOUSE_CSS}</style>" in page
        assert page.startswith("<!DOCTYPE html>") and page.endswith("</body></html>\n")
        assert remote_loads(page) == []
    assert "href='test/index.html'" in pages[1] and "1/1 reports" in pages[1]


MARKUP = re.compile(r"<(table|div|p|style|td|tr|th|h[1-6]|span|ul|li|details)\b|</(table|div|p|style|td|tr|h[1-6])>")


def test_no_module_outside_the_rendering_layer_builds_markup():
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "sendlib").rglob("*.py")
                 if "render" not in p.relative_to(ROOT / "sendlib").parts[:1] and MARKUP.search(p.read_text())]
    assert offenders == []
    assert MARKUP.search("x = '<p class=note>'")  # the scan would see one


REMOTE = re.compile(r"^\s*(https?:)?//", re.I)


def remote_loads(page: str) -> list[str]:
    """Every address outside the page that a browser would load while showing it: scripts, style
    sheets, images, frames, media, objects, fonts and other CSS url()s or @imports (links a reader
    may follow are not loads)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page, features="html.parser")
    found = []
    for tag in soup.find_all(True):
        attrs = ["src", "data", "poster", "srcset"] + (["href"] if tag.name in ("link", "base") else [])
        found += [str(tag.get(a)) for a in attrs if tag.get(a) and REMOTE.search(str(tag.get(a)))]
    css = " ".join(t.get_text() for t in soup.find_all("style")) + " ".join(
        str(t.get("style", "")) for t in soup.find_all(style=True))
    found += [u for u in re.findall(r"url\(\s*['\"]?([^'\")]+)", css) if REMOTE.search(u)]
    found += re.findall(r"@import\s+(?:url\()?['\"]?([^'\";)]+)", css)
    return found


def test_remote_loads_are_found():
    page = ("<html><head><script src='https://cdn.example/x.js'></script><link rel=stylesheet href=//cdn/x.css>"
            "<style>@font-face{src:url(https://fonts.example/f.woff)} @import 'x.css';</style></head>"
            "<body><a href='https://gov.uk'>a link</a><img src='data:image/png;base64,AA'></body></html>")
    assert len(remote_loads(page)) == 4  # the script, the style sheet, the font, the import; not the link


def test_glossary_lists_the_acronyms_a_page_uses():
    terms = [t["term"] for t in render.glossary("New EHCPs by need: SLCN and ASD, not HIGHER or AS")]
    assert terms == ["ASD", "EHCP", "SLCN"]
    assert "<dt>SLCN</dt><dd>Speech, language and communication needs</dd>" in str(render.glossary_html("SLCN"))
    assert str(render.glossary_html("nothing here")) == ""


def test_chart_check_finds_overlapping_labels_and_a_legend_over_the_data():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sendlib.render.charts import overlaps

    fig, ax = plt.subplots(figsize=(4, 3))
    ax.bar([0, 1, 2], [10, 9, 10], label="a long legend entry over the bars")
    ax.legend(loc="center")
    ax.set_xticks([0, 0.05, 2], ["a long tick label", "another long one", "c"])
    found = overlaps(fig)
    assert any("overlaps" in f for f in found) and any("legend" in f for f in found)
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.bar([0, 1, 2], [10, 9, 10], label="bars")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15))
    assert overlaps(fig) == []
    plt.close("all")
