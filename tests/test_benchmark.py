"""sendlib.benchmark and `sendlib benchmark`: the indicators of three LAs of different regions
against figures read here directly from the release files, comparators, the open-data layout,
byte-identical reruns and one-line errors."""
from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from sendlib import benchmark
from sendlib.benchmark import comparators
from sendlib.cli import main
from sendlib.sources.published import from_zips, load_dfe
from tests.conftest import DFE_2022, DFE_2025

LAS = {"314": "London", "383": "Yorkshire and The Humber", "908": "South West"}  # Kingston, Leeds, Cornwall


def _rows(zip_path: Path, member: str, encoding: str = "utf-8-sig") -> list[dict]:
    """A release file's rows as published, read with the standard library only."""
    with zipfile.ZipFile(zip_path) as zf:
        return list(csv.DictReader(io.TextIOWrapper(zf.open(member), encoding=encoding)))


def _published(zip_path: Path, member: str, la: str, year: str, column: str, encoding: str = "utf-8-sig",
               breakdown: str | None = None) -> float:
    rows = [r for r in _rows(zip_path, member, encoding) if r["old_la_code"] == la and r["time_period"] == year
            and (breakdown is None or r.get("breakdown", r.get("characteristic_age")) == breakdown)]
    assert len(rows) == 1, (member, la, year, len(rows))
    return float(rows[0][column])


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> dict[str, Path]:
    """`sendlib benchmark ZIP... --la CODE OUT` run once for each of the three LAs."""
    dirs = {}
    for la in LAS:
        d = tmp_path_factory.mktemp(f"bench{la}")
        assert main(["benchmark", str(DFE_2022), str(DFE_2025), "--la", la, str(d)]) == 0
        dirs[la] = d
    return dirs


def _table(out: dict[str, Path], la: str) -> pd.DataFrame:
    return pd.read_csv(out[la] / "benchmark.csv", dtype=str, keep_default_na=False)


def _cell(out, la: str, year: int, indicator: str, comparison: str = "Local authority") -> str:
    t = _table(out, la)
    row = t[(t["time_period"] == str(year)) & (t["comparison"] == comparison)]
    assert len(row) == 1
    return str(row.iloc[0][indicator])


@pytest.mark.parametrize("la", LAS)
def test_counts_match_the_release_files(out, la):
    expected = {
        (2023, "plans"): _published(DFE_2025, "data/caseload.csv", la, "202223", "ehcplans"),
        (2015, "plans"): _published(DFE_2022, "data/sen2_age_caseload.csv", la, "2015", "Total_all", "latin-1",
                                    "Total"),
        (2022, "requests"): _published(DFE_2025, "data/requests.csv", la, "2022", "requests_received_in_year"),
        (2022, "ceased"): _published(DFE_2025, "data/ceased_plans.csv", la, "2022", "total_ceased"),
    }
    for (year, indicator), value in expected.items():
        assert _cell(out, la, year, indicator) == f"{value:.0f}", (year, indicator)


@pytest.mark.parametrize("la", LAS)
def test_percentages_match_the_release_files(out, la):
    pc = lambda num, den: f"{num / den * 100:.1f}"  # noqa: E731
    tl = lambda col: _published(DFE_2025, "data/timeliness_20_week.csv", la, "2022", col)  # noqa: E731
    # the release's own percentages of plans issued within 20 weeks, with and without exceptions
    assert _cell(out, la, 2022, "timeliness_20wk") == f"{tl('pc_plans_issued_within_20_weeks'):.1f}"
    assert _cell(out, la, 2022, "timeliness_20wk_noexc") == f"{tl('PC_plans_issued_20_weeks_ex'):.1f}"
    assert _cell(out, la, 2022, "timeliness_20wk") == pc(tl("plans_issued_within_20_weeks"), tl("plans_issued_den"))
    c = lambda col: _published(DFE_2025, "data/caseload.csv", la, "202223", col)  # noqa: E731
    assert _cell(out, la, 2023, "share_special") == f"{c('special_total_pc'):.1f}"
    assert _cell(out, la, 2023, "share_independent_special") == pc(c("special_independent")
                                                                    + c("special_non_maintained"), c("ehcplans"))
    grown = c("ehcplans") / _published(DFE_2022, "data/sen2_age_caseload.csv", la, "2018", "Total_all", "latin-1",
                                       "Total")
    assert _cell(out, la, 2023, "plans_change_5y") == f"{(grown - 1) * 100:.1f}"
    r = lambda col: _published(DFE_2025, "data/requests.csv", la, "2022", col)  # noqa: E731
    assert _cell(out, la, 2022, "requests_not_refused") == pc(r("requests_received_in_year")
                                                              - r("requests_decided_not_to_assess"),
                                                              r("requests_received_in_year"))
    a = lambda col: _published(DFE_2025, "data/assessments.csv", la, "2022", col)  # noqa: E731
    assert _cell(out, la, 2022, "assessments_to_plan") == pc(a("assess_issued"),
                                                             a("assess_issued") + a("assess_not_issued"))


def test_region_and_england_rows_are_the_published_aggregates(out):
    national = [r for r in _rows(DFE_2025, "data/timeliness_20_week.csv")
                if r["geographic_level"] == "National" and r["time_period"] == "2022"][0]
    assert _cell(out, "908", 2022, "timeliness_20wk", "England") == national["pc_plans_issued_within_20_weeks"]
    t = _table(out, "908")
    region = t[(t["comparison"] == "Region") & (t["time_period"] == "2023")]
    assert list(region["region_name"]) == ["South West"] and list(region["la_name"]) == [""]
    for la, name in LAS.items():
        assert set(_table(out, la).query("comparison == 'Region'")["region_name"]) == {name}


def test_checked_figures_not_raw_cells(out):
    """The 2025 release gives every Yorkshire LA the regional total (6,078) as its 2022 new plans:
    Leeds' benchmark never shows that copied figure."""
    assert _published(DFE_2025, "data/newplans.csv", "383", "2022", "new_ehc_plans", breakdown="New EHC plans") \
        == 6078
    assert _cell(out, "383", 2022, "new_plans") != "6078"


def test_open_data_layout_and_metadata(out):
    t = _table(out, "314")
    assert list(t.columns[:11]) == ["time_period", "time_identifier", "geographic_level", "country_code",
                                    "country_name", "region_code", "region_name", "new_la_code", "old_la_code",
                                    "la_name", "comparison"]
    meta = pd.read_csv(out["314"] / "benchmark.meta.csv", dtype=str, keep_default_na=False)
    assert list(meta["col_name"]) == ["comparison", *benchmark.INDICATORS]
    assert set(t.columns[11:]) == set(benchmark.INDICATORS)
    assert set(t["comparison"]) == {"Local authority", "Region", "England", f"Comparator: {comparators.NEAREST}"}
    sources = pd.read_csv(out["314"] / "benchmark_sources.csv", dtype=str)
    assert set(sources["indicator"]) == set(benchmark.INDICATORS)
    assert sources["source"].str.contains("release 20").all()


def test_nearest_neighbours_are_deterministic_and_labelled(out):
    data = load_dfe()
    first, second = benchmark.build(data, "314"), benchmark.build(data, "E09000021")
    assert first.comparators.codes == second.comparators.codes and len(first.comparators.codes) == 10
    assert "314" not in first.comparators.codes
    assert first.comparators.method == "nearest neighbours on SEND indicators (sendlib)"
    assert list(first.comparators.table["distance"]) == sorted(first.comparators.table["distance"])
    for la in LAS:
        text = "".join(p.read_text(encoding="utf-8") for p in out[la].iterdir())
        assert "statistical neighbour" not in text.lower()


def test_statistical_neighbours_list_is_used_when_supplied(tmp_path):
    names = ["Richmond upon Thames", "Sutton", "Bromley", "Merton", "E09000017", "Barnet", "Harrow", "Bexley",
             "Havering", "Redbridge"]
    listing = tmp_path / "sn.csv"
    listing.write_text("LA number,LA name," + ",".join(f"SN{i}" for i in range(1, 11)) + "\n"
                       "316,Newham," + ",".join(names[::-1]) + "\n"
                       "314,Kingston upon Thames," + ",".join(names) + "\n", encoding="utf-8")
    b = benchmark.build(load_dfe(), "314", neighbours=listing)
    assert b.comparators.method == comparators.STATISTICAL
    assert [b.name(c) for c in b.comparators.codes][:4] == names[:4]
    assert b.name(b.comparators.codes[4]) == "Hillingdon"  # E09000017
    listing.write_text("LA number,LA name,SN1\n314,Kingston upon Thames,Atlantis\n", encoding="utf-8")
    with pytest.raises(Exception) as err:
        benchmark.build(load_dfe(), "314", neighbours=listing)
    assert "Atlantis" in str(err.value) and "row 2" in str(err.value) and "SN1" in str(err.value)


def test_rerun_is_byte_identical(out, tmp_path):
    assert main(["benchmark", str(DFE_2022), str(DFE_2025), "--la", "383", str(tmp_path)]) == 0
    for path in out["383"].iterdir():
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name


def test_bundle_alone_gives_the_same_tables(out, tmp_path):
    assert main(["benchmark", "--la", "908", str(tmp_path)]) == 0
    assert (tmp_path / "benchmark.csv").read_bytes() == (out["908"] / "benchmark.csv").read_bytes()


@pytest.mark.parametrize("args, message", [
    (["--la", "999"], "no local authority or region with code '999'"),
    (["--la", "E12000007"], "is not a local authority"),
])
def test_bad_la_is_one_line_exit_2(tmp_path, capsys, args, message):
    assert main(["benchmark", *args, str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert message in err[-1] and "Traceback" not in "".join(err)


def test_damaged_zip_is_one_line_exit_2(tmp_path, capsys):
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(DFE_2025.read_bytes()[:50_000])
    assert main(["benchmark", str(damaged), "--la", "314", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "damaged.zip" in err[0]


def test_timeliness_above_its_whole_is_set_missing(tmp_path):
    """A published 'within 20 weeks' above the plans issued is never used."""
    copy = tmp_path / "edited.zip"
    with zipfile.ZipFile(DFE_2025) as src, zipfile.ZipFile(copy, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "data/timeliness_20_week.csv":
                data = _edit_timeliness(data.decode("utf-8-sig"), "908", "2022").encode("utf-8-sig")
            dst.writestr(item, data)
    data = from_zips([copy])
    t = data.table
    cell = t[(t["measure"] == "issued_20wk") & (t["area_code"] == "908") & (t["time_period"] == 2022)]
    assert cell["value"].isna().all() and (cell["published"] == 99999).all()
    found = data.checks[(data.checks["area_code"] == "908") & (data.checks["measure"] == "issued_20wk")]
    assert list(found["rule"]) == ["part above its whole"] and list(found["action"]) == ["set missing"]


def _edit_timeliness(text: str, la: str, year: str) -> str:
    rows = list(csv.DictReader(io.StringIO(text)))
    for r in rows:
        if r["old_la_code"] == la and r["time_period"] == year:
            r["plans_issued_within_20_weeks"] = "99999"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def test_cycle_config_names_the_statistical_neighbours_list(tmp_path):
    """`statistical_neighbours:` of a cycle reaches report 7's parameters and run-cycle's tables."""
    import yaml

    from sendlib.reports import runner
    from sendlib.reports.config import load_cycle
    from tests.conftest import ROOT, write_config

    listing = tmp_path / "sn.csv"
    listing.write_text("LA number,LA name,SN1,SN2\n314,Kingston upon Thames,Sutton,Merton\n", encoding="utf-8")
    path = write_config(tmp_path, tmp_path)
    cfg = yaml.safe_load(path.read_text())
    cfg["cycles"]["test"]["statistical_neighbours"] = str(listing)
    path.write_text(yaml.safe_dump(cfg))
    cycle = load_cycle("test", path, root=ROOT)
    assert cycle.notebook_parameters()["statistical_neighbours"] == str(listing)
    runner.publish_benchmark(cycle)
    comparators_csv = pd.read_csv(cycle.reports_dir / "tables" / "benchmark_comparators.csv", dtype=str)
    assert list(comparators_csv["la_name"]) == ["Sutton", "Merton"]
    assert set(comparators_csv["method"]) == {comparators.STATISTICAL}
