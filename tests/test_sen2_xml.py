"""The SEN2 return as XML: the same cleaned tables as the module CSVs, ids made from the nesting,
element names in any case, and a battery of bad files refused with one line (exit 2)."""
from __future__ import annotations

import filecmp
import re
from pathlib import Path

import pandas as pd
import pytest

from sendlib import cleaning, cli, readers, sen2_xml, spec, synthetic
from sendlib.synthetic import sen2_xml as xml_writer
from tests.cleaning_fixtures import small_la

CENSUS = "2025-01-16"
TABLES = ["persons", "ehcp_caseload", "sen_support", "pupils", "requests", "assessments", "new_plans",
          "ceased_plans", "annual_reviews", "population"]


def as_xml(raw: Path, la_code: str = "314", census: str = CENSUS) -> Path:
    """Replace the SEN2 module CSVs of `raw` by one XML return; returns its path."""
    modules = {m: pd.read_csv(raw / f"{m}.csv", dtype=str, keep_default_na=False) for m in spec.sen2_modules()}
    path = raw / "sen2_return.xml"
    xml_writer.write(modules, path, 2025, census, la_code)
    for m in spec.sen2_modules():
        (raw / f"{m}.csv").unlink()
    return path


def clean_cli(capsys, raw: Path, out: Path, *extra) -> tuple[int, str]:
    code = cli.main(["clean", str(raw), str(out), "--census-date", CENSUS, "--quiet", *map(str, extra)])
    return code, capsys.readouterr().err


def same_parquet(a: Path, b: Path) -> list[str]:
    """Names of the tables that are not byte-identical between two cleaned folders."""
    return [t for t in TABLES if not filecmp.cmp(a / f"{t}.parquet", b / f"{t}.parquet", shallow=False)]


# ---- the same tables as the CSV route ------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_both(tmp_path_factory) -> tuple[Path, Path]:
    """A small synthetic LA generated twice with one seed: SEN2 as module CSVs and as XML."""
    tmp = tmp_path_factory.mktemp("sen2xml")
    synthetic.generate(tmp / "csv", seed=11, scale=0.25)
    synthetic.generate(tmp / "xml", seed=11, scale=0.25, fmt="xml")
    return tmp / "csv", tmp / "xml"


@pytest.mark.parametrize("year", ["2025", "2022"])
def test_demo_data_xml_cleans_to_byte_identical_tables(demo_both, tmp_path, year):
    csv_raw, xml_raw = demo_both
    assert not (xml_raw / year / "person.csv").exists() and (xml_raw / year / "sen2.xml").is_file()
    census = cleaning.clean(csv_raw / year, tmp_path / "csv", _census(csv_raw, year))
    from_xml = cleaning.clean(xml_raw / year, tmp_path / "xml", _census(xml_raw, year))
    assert same_parquet(tmp_path / "csv", tmp_path / "xml") == []
    assert len(from_xml.tables["ehcp_caseload"]) == len(census.tables["ehcp_caseload"]) > 50
    assert "sen2.xml:Person" in from_xml.summary["files"]


def _census(raw: Path, year: str) -> str:
    import json
    return json.loads((raw / "manifest.json").read_text())["census_dates"][year]


def test_xml_without_ids_gives_the_same_figures_with_ids_made_from_the_nesting(demo_both, tmp_path):
    csv_raw, xml_raw = demo_both
    bare = tmp_path / "bare"
    bare.mkdir()
    for p in (xml_raw / "2025").iterdir():
        text = p.read_bytes()
        if p.suffix == ".xml":
            text = re.sub(rb"\s*<\w+TableID>[^<]*</\w+TableID>", b"", text)
            assert b"TableID" not in text
        (bare / p.name).write_bytes(text)
    a = cleaning.clean(csv_raw / "2025", None, CENSUS, synthetic=True)
    b, again = (cleaning.clean(bare, None, CENSUS) for _ in range(2))  # edited: real data to the cleaner
    ids = ["person_id", "request_id", "active_plan_id", "assessment_id", "plan_id"]
    for name in TABLES:
        left, right = (t.tables[name].drop(columns=[c for c in ids if c in t.tables[name]]) for t in (a, b))
        key = list(left.columns)
        pd.testing.assert_frame_equal(left.sort_values(key).reset_index(drop=True),
                                      right.sort_values(key).reset_index(drop=True), obj=name)
        pd.testing.assert_frame_equal(b.tables[name], again.tables[name], obj=name)  # deterministic
    request_ids = b.tables["requests"]["request_id"]
    assert sorted(request_ids.astype(int)) == list(range(1, len(request_ids) + 1))


# ---- reading: nesting, ids, case ----------------------------------------------------------------

SMALL = """<?xml version="1.0" encoding="UTF-8"?>
<s:message xmlns:s="urn:example">
 <s:HEADER><CollectionDetails><Collection>sen2</Collection><ReferenceDate>16/01/2025</ReferenceDate>
 </CollectionDetails><Source><LEA>314</LEA></Source></s:HEADER>
 <PERSONS>
  <Person><upn>A123</upn><PersonBirthDate>2015-03-01</PersonBirthDate><SEX>F</SEX><Ethnicity>WBRI</Ethnicity>
   <Requests><ReceivedDate>2024-02-01</ReceivedDate>
    <ActivePlans><LastReview>2024-06-01</LastReview>
     <PlacementDetail><URN>100001</URN><SENSetting>EHE</SENSetting><PlacementRank>1</PlacementRank></PlacementDetail>
     <SENNeed><SENType>ASD</SENType><SENTypeRank>1</SENTypeRank></SENNeed>
    </ActivePlans>
   </Requests>
   <Requests><ReceivedDate>2024-05-01</ReceivedDate><Unknown><Nested>x</Nested></Unknown></Requests>
  </Person>
  <Person><PersonBirthDate>2010-01-01</PersonBirthDate><Sex>M</Sex><Ethnicity>NOBT</Ethnicity>
   <Requests><ReceivedDate>2024-07-01</ReceivedDate></Requests>
  </Person>
 </PERSONS>
</s:message>
"""


def test_ids_links_and_case_insensitive_names(tmp_path):
    path = tmp_path / "r.xml"
    path.write_text(SMALL)
    t = sen2_xml.read(path, "2025-01-16", "314")
    assert list(t["person"]["persontableid"]) == ["1", "2"]
    assert list(t["person"]["upn"]) == ["A123", ""] and list(t["person"]["sex"]) == ["F", "M"]
    assert list(t["requests"][["requeststableid", "persontableid"]].itertuples(index=False, name=None)) == [
        ("1", "1"), ("2", "1"), ("3", "2")]
    assert t["active_plans"]["requeststableid"].tolist() == ["1"]
    placements = t["placement_detail"][["activeplanstableid", "sensetting", "urn"]]
    assert placements.values.tolist() == [["1", "EHE", "100001"]]
    assert t["sen_need"][["sentype", "sentyperank"]].values.tolist() == [["ASD", "1"]]
    assert list(t["assessment"].columns) == spec.columns("assessment") and t["assessment"].empty


# ---- bad files: exit 2, one line, no traceback ----------------------------------------------------

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<Message><Header><CollectionDetails><Collection>SEN2</Collection></CollectionDetails></Header>
<Persons><Person><Surname>&lol4;</Surname></Person></Persons></Message>
"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE Message [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<Message><Persons><Person><Surname>&x;</Surname></Person></Persons></Message>
"""


def _bad(text: str | bytes) -> bytes:
    return text if isinstance(text, bytes) else text.encode()


@pytest.fixture(scope="module")
def good_xml(tmp_path_factory) -> bytes:
    raw = small_la(tmp_path_factory.mktemp("good") / "raw")
    return as_xml(raw).read_bytes()


def _cases(good: bytes) -> dict[str, tuple[bytes, tuple[str, ...]]]:
    return {
        "empty": (b"", ("empty",)),
        "csv": (b"upn,dob\nA1,2015-01-01\n", ("not an XML file",)),
        "truncated": (good[: len(good) // 2], ("truncated",)),
        "malformed": (good.replace(b"</Surname>", b"</Surnam>", 1), ("not well-formed XML",)),
        "cin": (good.replace(b"<Collection>SEN2<", b"<Collection>CIN<"), ("collection 'CIN'", "not a SEN2")),
        "date": (good.replace(b"2025-01-16", b"2024-01-18"), ("reference date 2024-01-18", "2025-01-16")),
        "la": (good.replace(b"<LEA>314<", b"<LEA>315<"), ("LA 315", "314")),
        "billion_laughs": (_bad(BILLION_LAUGHS), ("DTD or entities",)),
        "external_entity": (_bad(EXTERNAL), ("DTD or entities",)),
        "root": (good.replace(b"Message>", b"Return>"), ("root element is <return>",)),
        "misplaced": (good.replace(b"<Requests>", b"<SENneed><SENtype>ASD</SENtype></SENneed><Requests>", 1),
                      ("<senneed> sits in <person>", "activeplans")),
        "no_header": (re.sub(rb"<Header>.*</Header>", b"", good, flags=re.S), ("no header",)),
    }


@pytest.mark.parametrize("case", ["empty", "csv", "truncated", "malformed", "cin", "date", "la", "billion_laughs",
                                  "external_entity", "root", "misplaced", "no_header"])
def test_bad_xml_exits_2_with_one_line(good_xml, tmp_path, capsys, case):
    content, words = _cases(good_xml)[case]
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "return.xml").write_bytes(content)
    (raw / "manifest.json").write_text('{"synthetic": true}')
    code, err = clean_cli(capsys, raw, tmp_path / "out", "--la-code", "314")
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "return.xml" in err and all(w.lower() in err.lower() for w in words), err
    assert not (tmp_path / "out").exists()


def test_good_xml_cleans_and_la_is_checked_only_when_given(good_xml, tmp_path, capsys):
    raw = small_la(tmp_path / "raw")
    csv_out = tmp_path / "csv"
    assert clean_cli(capsys, raw, csv_out)[0] == 0
    as_xml(raw, la_code="315")
    assert clean_cli(capsys, raw, tmp_path / "any")[0] == 0  # no LA given: the header's is not checked
    assert same_parquet(csv_out, tmp_path / "any") == []
    code, err = clean_cli(capsys, raw, tmp_path / "out", "--la-code", "314")
    assert code == 2 and "LA 315" in err


def test_xml_beside_module_csvs_or_two_xml_files_is_ambiguous(tmp_path, capsys):
    raw = small_la(tmp_path / "raw")
    xml = raw / "sen2.xml"
    xml.write_bytes(b"<Message/>")
    code, err = clean_cli(capsys, raw, tmp_path / "out")
    assert code == 2 and "both the SEN2 XML return and module files" in err
    for m in spec.sen2_modules():
        (raw / f"{m}.csv").unlink()
    (raw / "other.xml").write_bytes(b"<Message/>")
    code, err = clean_cli(capsys, raw, tmp_path / "out")
    assert code == 2 and "several XML files" in err


def test_no_personal_data_in_xml_errors(good_xml, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "manifest.json").write_text('{"synthetic": true}')
    surname = re.search(rb"<Surname>([^<]+)</Surname>", good_xml)
    assert surname is not None
    (raw / "r.xml").write_bytes(good_xml.replace(b"</Surname>", b"</Surnam>", 1))
    with pytest.raises(readers.SendlibInputError) as exc:
        readers.read_all(raw, CENSUS)
    assert surname.group(1).decode() not in str(exc.value)
