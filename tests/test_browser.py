"""Headless Chromium opens each manager report: the page shows its tables and charts, no code and
no error text, and with the network switched off it loads everything it needs (no request fails,
none leaves the page's own folder). Needs Debian's `chromium` (installed by .ci/run)."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.test_render import remote_loads
from tests.test_reports import CODE_CELL, ERROR_TEXT, NOTEBOOKS, visible_text

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]

if CHROMIUM is None and os.environ.get("CI"):
    raise RuntimeError("chromium is required in CI for the browser test (apt-get install chromium)")
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install chromium)")]


def chromium(tmp_path, *args) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile{len(list(tmp_path.glob('profile*')))}"
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_manager_report_in_browser(cycle_run, tmp_path, name):
    cycle, _ = cycle_run
    page = cycle.reports_dir / f"{name}.html"
    shot = tmp_path / f"{name}.png"
    res = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", page.as_uri())
    assert shot.exists() and shot.stat().st_size > 20_000, res.stderr[-500:]
    dom = chromium(tmp_path, "--dump-dom", "--virtual-time-budget=3000", page.as_uri()).stdout
    assert "<table" in dom
    if not name.startswith(("01", "05")):
        assert re.search(r"<img[^>]+src=\"data:image/png;base64", dom), f"{name}: no chart"
    assert not CODE_CELL.search(dom), f"{name}: code cell shown"
    text = visible_text(dom)
    assert not ERROR_TEXT.search(text), f"{name}: error text shown to managers"
    assert "could not be completed" not in text


def test_index_pages_in_browser(cycle_run, tmp_path):
    """The cycle index and the all-cycles index (built by sendlib.render) open and link every report."""
    cycle, _ = cycle_run
    dom = chromium(tmp_path, "--dump-dom", cycle.reports_dir.joinpath("index.html").as_uri()).stdout
    assert all(f'href="{name}.html"' in dom for name in NOTEBOOKS), dom[:500]
    assert "EHCPs at the" in visible_text(dom) and "ready" in visible_text(dom)
    top = chromium(tmp_path, "--dump-dom", cycle.reports_dir.parent.joinpath("index.html").as_uri()).stdout
    assert 'href="test/index.html"' in top and f"{len(NOTEBOOKS)}/{len(NOTEBOOKS)} reports" in visible_text(top)


class DevTools:
    """Headless Chromium driven over the DevTools protocol, with the network switched off: which
    addresses a page requested and which requests failed."""

    def __init__(self, profile: Path, timeout: float = 60):
        import websocket

        self.timeout = timeout
        self.proc = subprocess.Popen([CHROMIUM, *FLAGS, "--remote-debugging-port=0", f"--user-data-dir={profile}",
                                      "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = profile / "DevToolsActivePort"
        start = time.monotonic()
        while not port_file.exists() or len(port_file.read_text().splitlines()) < 2:
            if time.monotonic() - start > timeout or self.proc.poll() is not None:
                self.close()
                raise RuntimeError("chromium did not open its DevTools port")
            time.sleep(0.1)
        port, path = port_file.read_text().splitlines()[:2]
        self.ws = websocket.create_connection(f"ws://127.0.0.1:{port}{path}", timeout=timeout, suppress_origin=True)
        self.n = 0

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self.n += 1
        self.ws.send(json.dumps({"id": self.n, "method": method, "params": params or {},
                                 **({"sessionId": session} if session else {})}))
        return self.until(lambda m, n=self.n: m.get("id") == n).get("result", {})

    def until(self, done, events: list | None = None) -> dict:
        start = time.monotonic()
        while time.monotonic() - start < self.timeout:
            message = json.loads(self.ws.recv())
            if events is not None:
                events.append(message)
            if done(message):
                return message
        raise TimeoutError("no answer from chromium")

    def open_offline(self, url: str) -> tuple[list[str], list[str]]:
        """(addresses requested, errors of failed requests) while loading `url` offline."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for method in ("Network.enable", "Page.enable"):
            self.send(method, session=session)
        self.send("Network.emulateNetworkConditions", {"offline": True, "latency": 0, "downloadThroughput": -1,
                                                       "uploadThroughput": -1}, session)
        events: list = []
        self.ws.send(json.dumps({"id": 0, "method": "Page.navigate", "params": {"url": url}, "sessionId": session}))
        self.until(lambda m: m.get("method") == "Page.loadEventFired", events)
        self.ws.settimeout(1)
        try:
            while True:
                events.append(json.loads(self.ws.recv()))
        except Exception:  # noqa: BLE001 - the page has gone quiet
            self.ws.settimeout(self.timeout)
        self.send("Target.closeTarget", {"targetId": target})
        requested = [e["params"]["request"]["url"] for e in events if e.get("method") == "Network.requestWillBeSent"]
        failed = [e["params"].get("errorText", "") for e in events if e.get("method") == "Network.loadingFailed"]
        return requested, failed

    def close(self) -> None:
        if getattr(self, "ws", None) is not None:
            self.ws.close()
        self.proc.kill()
        self.proc.wait()


def pages(cycle) -> list[Path]:
    """Every page of a rendered cycle: reports for managers and analysts, the index pages and the
    published tables."""
    return sorted(cycle.reports_dir.rglob("*.html")) + [cycle.reports_dir.parent / "index.html"]


def test_no_page_loads_anything_from_elsewhere(cycle_run):
    cycle, _ = cycle_run
    found = {str(p): remote_loads(p.read_text(encoding="utf-8")) for p in pages(cycle)}
    assert len(found) >= 2 * len(NOTEBOOKS) + 3
    assert {name: loads for name, loads in found.items() if loads} == {}


def test_every_manager_page_opens_offline_with_no_failed_request(cycle_run, tmp_path):
    cycle, _ = cycle_run
    manager = [cycle.reports_dir / f"{name}.html" for name in NOTEBOOKS]
    manager += [cycle.reports_dir / "index.html", cycle.reports_dir.parent / "index.html",
                cycle.reports_dir / "tables" / "equality_tables.html"]
    browser = DevTools(tmp_path / "devtools")
    try:
        for page in manager:
            requested, failed = browser.open_offline(page.as_uri())
            assert requested and requested[0] == page.as_uri(), page.name
            assert failed == [], f"{page.name}: {failed}"
            assert all(u.startswith(("file:", "data:")) for u in requested), (page.name, requested)
    finally:
        browser.close()
    # the same browser does see a page that needs the network
    page = tmp_path / "remote.html"
    page.write_text("<html><head><script src='https://cdn.example.org/x.js'></script></head><body>x</body></html>")
    browser = DevTools(tmp_path / "devtools2")
    try:
        assert browser.open_offline(page.as_uri())[1] == ["net::ERR_INTERNET_DISCONNECTED"]
    finally:
        browser.close()


def test_reports_open_with_key_points_and_end_with_a_glossary(cycle_run):
    from bs4 import BeautifulSoup

    cycle, _ = cycle_run
    for name in NOTEBOOKS:
        soup = BeautifulSoup((cycle.reports_dir / f"{name}.html").read_text(encoding="utf-8"), "html.parser")
        headings = [h.get_text(" ", strip=True).rstrip("¶").strip() for h in soup.find_all("h2")]
        assert headings[0] == "Key points" and headings[-1] == "Glossary", (name, headings)
        assert soup.find("section", class_="glossary").find_next(class_="provenance") is not None
        assert "low relevance" not in soup.get_text()
        analyst = (cycle.reports_dir / "analyst" / f"{name}.html").read_text(encoding="utf-8")
        assert "celltag_injected-parameters" in analyst and "celltag_parameters" not in analyst
