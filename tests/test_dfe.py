"""The DfE release loader (both published layouts) and `sendlib fetch-dfe`."""
from __future__ import annotations

import functools
import hashlib
import http.server
import re
import subprocess
import threading
import zipfile
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from sendlib import cli
from sendlib.ages import DFE_AGE_BANDS
from sendlib.errors import SendlibInputError
from sendlib.sources import dfe
from sendlib.sources.fetch import fetch_release

KINGSTON = {2010: 641, 2015: 803, 2019: 1161, 2022: 1550, 2023: 1630}
ENGLAND = {2010: 228221, 2023: 517048}


@pytest.fixture(scope="module")
def table(dfe_zips):
    return dfe.load_releases(dfe_zips)


def test_kingston_totals_by_old_and_new_code(table):
    totals = dfe.total_series(table)
    for code in ("314", "E09000021"):
        area = dfe.resolve_area(table, code)
        assert {y: totals.at[area, y] for y in KINGSTON} == KINGSTON


def test_england_totals(table):
    england = dfe.total_series(table, levels="National").loc["E92000001"]
    assert {y: england[y] for y in ENGLAND} == ENGLAND
    assert england.index.min() == 2010 and england.index.max() == 2023


def test_both_layouts_read_with_their_own_time_coding(dfe_zips):
    old, new = (dfe.read_release(p) for p in dfe_zips)
    assert set(old["release"]) == {"2022"} and set(new["release"]) == {"2025"}
    caseload_old = old[old["measure"] == "caseload"]
    caseload_new = new[new["measure"] == "caseload"]
    assert sorted(caseload_old["time_period"].unique()) == list(range(2010, 2023))
    # the 2025 release codes the January 2023 census as academic year 202223
    assert sorted(caseload_new["time_period"].unique()) == list(range(2019, 2024))
    assert set(old["breakdown_topic"]) == {"total", "age", "placement", "placement_detail"}


def test_overlap_years_agree_and_later_release_wins(dfe_zips, table):
    overlap = dfe.overlap_differences(dfe_zips)
    totals = overlap[(overlap["measure"] == "caseload") & (overlap["breakdown_topic"] == "total")]
    assert sorted(totals["time_period"].unique()) == [2019, 2020, 2021, 2022]
    assert len(totals) > 600
    assert overlap["agree"].all(), overlap[~overlap["agree"]].head()
    kept = table[(table["measure"] == "caseload") & (table["breakdown_topic"] == "total")]
    assert set(kept.loc[kept["time_period"].between(2019, 2022), "release"]) == {"2025"}
    assert set(kept.loc[kept["time_period"] < 2019, "release"]) == {"2022"}
    assert not table.duplicated(["measure", "time_period", "geographic_level", "area_code",
                                 "breakdown_topic", "breakdown"]).any()


def test_age_bands_add_up_to_the_total(table):
    ages = dfe.series(table, "age").groupby(level="area_code").sum(min_count=1)
    totals = dfe.total_series(table, levels=None).reindex(index=ages.index, columns=ages.columns)
    diff = (ages - totals).abs().stack().dropna()
    assert len(diff) > 2000 and diff.max() == 0
    assert set(dfe.series(table, "age").index.get_level_values("breakdown")) == set(DFE_AGE_BANDS)


def test_placement_groups_add_up_except_where_dfe_does_not(table):
    bad = dfe.check_placement_sums(table)
    # DfE's 2016 and 2018 establishment files do not add up to their published totals
    assert set(bad["time_period"]) <= {2016, 2018}
    groups = set(dfe.series(table, "placement").index.get_level_values("breakdown"))
    assert groups <= set(dfe.PLACEMENT_GROUPS) and {"Mainstream", "Special", "NEET"} <= groups


def test_symbols_are_explicit():
    value, symbol = dfe.parse_values(pd.Series(["12", "c", "low", "x", "z", "u", "1,234", ""]))
    assert value.iloc[0] == 12 and value.iloc[2] == 0 and value.iloc[6] == 1234
    assert value[[1, 3, 4, 5, 7]].isna().all()
    assert list(symbol[[1, 2, 3, 4, 5]]) == ["c", "low", "x", "z", "u"]
    assert symbol[[0, 6, 7]].isna().all()
    with pytest.raises(SendlibInputError, match="unexpected text"):
        dfe.parse_values(pd.Series(["12", "n/a"]))


def test_suppressed_cells_keep_their_symbol(table):
    x = table[table["symbol"] == "x"]
    assert len(x) > 0 and x["value"].isna().all()
    assert table.loc[table["symbol"].isna(), "value"].notna().all()


def test_area_codes_resolve(table):
    assert dfe.resolve_area(table, "E08000020") == "390"  # Gateshead's earlier new code
    assert dfe.resolve_area(table, "England") == "E92000001"
    with pytest.raises(SendlibInputError, match="no local authority"):
        dfe.resolve_area(table, "999")


def test_bad_inputs_raise_one_line_errors(tmp_path):
    with pytest.raises(SendlibInputError, match="file not found"):
        dfe.read_release(tmp_path / "missing.zip")
    bad = tmp_path / "bad.zip"
    bad.write_text("not a zip")
    with pytest.raises(SendlibInputError, match="not a zip"):
        dfe.read_release(bad)
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as zf:
        zf.writestr("data/other.csv", "a,b\n")
    with pytest.raises(SendlibInputError, match="no caseload file"):
        dfe.read_release(empty)


def test_same_zips_same_table(dfe_zips, table):
    again = dfe.load_releases(list(reversed(dfe_zips)))
    pd.testing.assert_frame_equal(table, again)


# ---------------------------------------------------------------------------------------------
# fetch-dfe against a local HTTP server

class _CountingHandler(http.server.SimpleHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self):
        type(self).requests.append(self.path)
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture()
def server(dfe_zips):
    handler = functools.partial(_CountingHandler, directory=str(dfe_zips[0].parent))
    _CountingHandler.requests = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_fetch_downloads_checksums_and_reuses_cache(server, dfe_zips, tmp_path):
    name = dfe_zips[1].name
    path = fetch_release(f"{server}/{name}", cache_dir=tmp_path, progress=False)
    assert path == tmp_path / name
    assert path.read_bytes() == dfe_zips[1].read_bytes()
    digest = hashlib.sha256(dfe_zips[1].read_bytes()).hexdigest()
    assert (tmp_path / f"{name}.sha256").read_text().split()[0] == digest
    assert len(_CountingHandler.requests) == 1
    again = fetch_release(f"{server}/{name}", cache_dir=tmp_path, expected_sha256=digest, progress=False)
    assert again == path and len(_CountingHandler.requests) == 1  # served from the cache
    # a damaged cached copy is downloaded again
    path.write_bytes(b"damaged")
    fetch_release(f"{server}/{name}", cache_dir=tmp_path, progress=False)
    assert len(_CountingHandler.requests) == 2 and path.read_bytes() == dfe_zips[1].read_bytes()
    # the fetched zip reads like the original
    assert dfe.read_release(path)["value"].sum() == dfe.read_release(dfe_zips[1])["value"].sum()


def test_fetch_errors_are_one_line(server, tmp_path, capsys):
    with pytest.raises(SendlibInputError, match="HTTP 404"):
        fetch_release(f"{server}/nothing.zip", cache_dir=tmp_path, progress=False)
    with pytest.raises(SendlibInputError, match="checksum"):
        fetch_release(f"{server}/education-health-and-care-plans_2022.zip", cache_dir=tmp_path,
                      expected_sha256="0" * 64, progress=False)
    assert not list(tmp_path.glob("*.zip"))  # nothing half-written is left in the cache
    code = cli.main(["fetch-dfe", "--url", f"{server}/nothing.zip", "--cache-dir", str(tmp_path), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "HTTP 404" in err and len(err.splitlines()) == 1
    code = cli.main(["fetch-dfe", "--url", "notaurl", "--cache-dir", str(tmp_path), "--quiet"])
    assert code == 2 and "not a download URL" in capsys.readouterr().err


def test_fetch_cli_prints_the_cached_path(server, dfe_zips, tmp_path, capsys):
    url = f"{server}/{dfe_zips[0].name}"
    assert cli.main(["fetch-dfe", "--url", url, "--cache-dir", str(tmp_path), "--quiet"]) == 0
    out = capsys.readouterr().out.strip()
    assert out == str(tmp_path / dfe_zips[0].name)
    assert np.isclose(dfe.total_series(dfe.load_releases([out])).loc["314", 2010], 641)


def test_unknown_symbol_in_a_release_names_file_and_column(dfe_zips, tmp_path):
    """A release whose caseload carries a text the loader does not know fails with file and column."""
    bad = tmp_path / "education-health-and-care-plans_2025_to_202223.zip"
    with zipfile.ZipFile(dfe_zips[1]) as src, zipfile.ZipFile(bad, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "data/caseload.csv":
                lines = data.decode("utf-8-sig").splitlines()
                header = lines[0].split(",")
                cells = lines[1].split(",")
                cells[header.index("ehcplans")] = "n/a"
                lines[1] = ",".join(cells)
                data = ("\ufeff" + "\n".join(lines) + "\n").encode("utf-8")
            dst.writestr(item, data)
    with pytest.raises(SendlibInputError) as info:
        dfe.read_release(bad)
    message = str(info.value)
    assert str(bad) in message and "ehcplans" in message and "n/a" in message


# ---------------------------------------------------------------------------------------------
# damaged releases: one line, exit 2, never a traceback

def _rewrite_member(src, dst, member: str, change) -> None:
    """Copy the release zip `src` to `dst` with `member`'s bytes passed through `change`."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item)
            zout.writestr(item.filename, change(data) if item.filename == member else data)


def _csv_edit(edit):
    def change(data: bytes) -> bytes:
        lines = data.decode("utf-8-sig").splitlines()
        return ("\ufeff" + "\n".join(edit(lines)) + "\n").encode("utf-8")
    return change


def _drop_column(name):
    def edit(lines):
        header = lines[0].split(",")
        i = header.index(name)
        return [",".join(c for j, c in enumerate(line.split(",")) if j != i) for line in lines]
    return edit


def _set_cell(name, text, row=1):
    def edit(lines):
        header = lines[0].split(",")
        cells = lines[row].split(",")
        cells[header.index(name)] = text
        lines[row] = ",".join(cells)
        return lines
    return edit


def _bad_crc(src, dst) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
        for item in zin.infolist():
            zout.writestr(item.filename, zin.read(item))
    raw = bytearray(dst.read_bytes())
    with zipfile.ZipFile(dst) as z:
        info = z.getinfo("data/caseload.csv")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    raw[start + 500] ^= 0xFF  # one byte of the member's data: its CRC no longer matches
    dst.write_bytes(bytes(raw))


@pytest.mark.parametrize("damage, expected", [
    ("missing_column", "column(s) ehcplans missing"),
    ("bad_crc", "damaged"),
    ("utf16", "UTF-16"),
    ("negative", "negative count"),
    ("not_a_zip", "not a zip"),
    ("bad_year", "is not a year"),
])
def test_damaged_release_gives_one_line_and_exit_2(dfe_zips, tmp_path, capsys, damage, expected):
    src, bad = dfe_zips[1], tmp_path / "release.zip"
    if damage == "missing_column":
        _rewrite_member(src, bad, "data/caseload.csv", _csv_edit(_drop_column("ehcplans")))
    elif damage == "bad_crc":
        _bad_crc(src, bad)
    elif damage == "utf16":
        _rewrite_member(src, bad, "data/newplans.csv", lambda d: d.decode("utf-8-sig").encode("utf-16"))
    elif damage == "negative":
        _rewrite_member(src, bad, "data/newplans.csv", _csv_edit(_set_cell("new_ehc_plans", "-12", row=7)))
    elif damage == "bad_year":
        _rewrite_member(src, bad, "data/requests.csv", _csv_edit(_set_cell("time_period", "20x9", row=3)))
    else:
        bad.write_text("<html>not found</html>")
    code = cli.main(["forecast", str(bad), "--la", "314", str(tmp_path / "out")])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if "error:" in line]
    assert code == 2 and "Traceback" not in err
    assert len(lines) == 1 and expected in lines[0] and str(bad) in lines[0], err
    if damage == "negative":  # file, row and column named
        assert "data/newplans.csv" in lines[0] and "row 8" in lines[0] and "new_ehc_plans" in lines[0]


# ---------------------------------------------------------------------------------------------
# the bundled series and the one loading function

def test_external_zips_are_documented_with_their_checksums(dfe_zips):
    readme = (dfe_zips[0].parent / "README.md").read_text()
    assert "Open Government Licence v3.0" in readme and "explore-education-statistics" in readme
    for path in dfe_zips:
        assert hashlib.sha256(path.read_bytes()).hexdigest() in readme, path.name


def test_bundle_is_rebuilt_byte_identically_from_the_external_zips(dfe_zips, tmp_path):
    from sendlib.sources import published

    written = published.write_bundle(dfe_zips, tmp_path)
    for path in written:
        assert path.read_bytes() == (published.BUNDLE_DIR / path.name).read_bytes(), \
            f"{path.name} is stale: run scripts/build_dfe_bundle.py"
    rows, parts, sources = published.read_bundle(tmp_path)
    pd.testing.assert_frame_equal(rows, dfe.load_releases(dfe_zips, keep_all=True))
    assert {s["name"] for s in sources} == {p.name for p in dfe_zips}
    assert len(parts) > 10000 and set(parts["parts"]) >= {"placement percentages", "sex", "age bands"}


def test_load_dfe_reads_the_bundle_like_the_zips(dfe_zips, tmp_path):
    from sendlib.sources import published

    bundled = published.load_dfe(tmp_path / "empty-cache")
    direct = published.from_zips(dfe_zips)
    pd.testing.assert_frame_equal(bundled.table, direct.table)
    pd.testing.assert_frame_equal(bundled.checks, direct.checks)
    assert [s["from"] for s in bundled.sources] == ["bundled with sendlib"] * 2
    assert all(p.exists() for p in bundled.paths)


def test_the_fetch_dfe_cache_takes_precedence(dfe_zips, tmp_path):
    """A release in the cache replaces the bundled copy of the same release where they overlap,
    and what it says is checked like everything else."""
    from sendlib.sources import published
    from sendlib.sources.fetch import sha256_of

    cache = tmp_path / "cache"
    cache.mkdir()
    newer = cache / "education-health-and-care-plans_2025.zip"
    caseload_row = _kingston_row(dfe_zips[1], "data/caseload.csv", "202223", "All EHC plans")
    requests_row = _kingston_row(dfe_zips[1], "data/requests.csv", "2022", "All requests")
    with zipfile.ZipFile(dfe_zips[1]) as z:
        plain = newer.with_suffix(".part")
        _rewrite_member(dfe_zips[1], plain, "data/caseload.csv",
                        _csv_edit(_set_cell("ehcplans", "1700", row=caseload_row)))
        _rewrite_member(plain, newer, "data/requests.csv",
                        _csv_edit(_set_cell("requests_received_in_year", "300", row=requests_row)))
        plain.unlink()
        assert z.testzip() is None
    newer.with_name(newer.name + ".sha256").write_text(f"{sha256_of(newer)}  {newer.name}\n")
    data = published.load_dfe(cache)
    requests = dfe.total_series(data.table, measure="requests")
    assert requests.at["314", 2022] == 300 and requests.at["314", 2016] > 0  # the bundle gives the rest
    # the cached caseload of 1,700 disagrees with its own placement columns (1,630): repaired
    kingston = data.table[(data.table["area_code"] == "314") & (data.table["time_period"] == 2023)
                          & (data.table["breakdown_topic"] == "total") & (data.table["measure"] == "caseload")]
    assert kingston["published"].iloc[0] == 1700 and kingston["value"].iloc[0] == 1630
    assert "parts disagree" in set(data.checks_for("314")["rule"])
    assert data.sources[-1]["from"] == "fetch-dfe cache" and newer in data.paths
    assert dfe.total_series(published.load_dfe(cache, use_cache=False).table, measure="requests").at["314", 2022] != 300
    newer.write_bytes(newer.read_bytes() + b"tampered")
    with pytest.raises(SendlibInputError, match="checksum"):
        published.load_dfe(cache)


def _kingston_row(zip_path, member: str, period: str, marker: str) -> int:
    with zipfile.ZipFile(zip_path) as z:
        lines = z.read(member).decode("utf-8-sig").splitlines()
    header = lines[0].split(",")
    code, tp = header.index("old_la_code"), header.index("time_period")
    return next(i for i, line in enumerate(lines) if line.split(",")[code] == "314"
                and line.split(",")[tp] == period and marker in line)


def test_nothing_in_the_product_reads_shared():
    """No committed product file names the folder beside the clone (a user's clone has none)."""
    from tests.conftest import ROOT

    beside = re.compile(r"\.\./shared|shared/data")
    out = subprocess.run(["git", "ls-files", "sendlib", "config", "notebooks", "benchmarks", "scripts", "Makefile",
                          ".ci"], cwd=ROOT, capture_output=True, text=True, check=True)
    offenders = [f for f in out.stdout.split()
                 if (ROOT / f).is_file() and not f.endswith((".gz", ".png"))
                 and beside.search((ROOT / f).read_text(errors="ignore"))]
    assert offenders == []
