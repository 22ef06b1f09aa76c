"""Normalisers driven by the code lists: spellings real extracts carry, properties on any string."""
from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sendlib import codelists, normalise

pytestmark = pytest.mark.fast

# every code list with the codes it can return (unknown values included)
VALID = {
    "sen_type": list(codelists.sen_types()["code"]) + ["UNKNOWN"],
    "ethnicity": list(codelists.ethnicities()["code"]) + ["UNKN"],
    "sex": ["M", "F", "U"],
    "population_sex": ["M", "F", "U", "All"],
    "sen_provision": ["N", "K", "E", "U"],
    "sen_setting": list(codelists.sen_settings()["code"]) + [""],
    "establishment_type": list(codelists.establishment_types()["gias_type"]) + [""],
    "cease_reason": [str(c) for c in codelists.cease_reasons()] + [""],
    "indicator": ["1", "0", ""],
}


def _one(name, value):
    out = normalise.codes(name, pd.Series([value], dtype=object))
    return out["code"].iloc[0], out["rule"].iloc[0]


def test_every_code_list_is_tested():
    assert set(VALID) == set(normalise.CODE_LISTS)


@pytest.mark.parametrize("raw,code,rule", [
    ("ASD", "ASD", ""), ("asd ", "ASD", "whitespace_case"), ("Autism", "ASD", "code_spelling"),
    ("BESD", "SEMH", "code_spelling"), ("ASC", "ASD", "code_spelling"),
    ("Autistic Spectrum Condition", "ASD", "code_spelling"),
    ("Speech, language and communication needs", "SLCN", "code_spelling"),
    ("Multi-Sensory Impairment", "MSI", "code_spelling"), ("", "UNKNOWN", "missing"),
    ("XYZ", "UNKNOWN", "unknown_code"),
])
def test_sen_type(raw, code, rule):
    assert _one("sen_type", raw) == (code, rule)


@pytest.mark.parametrize("raw,code,rule", [
    ("WBRI", "WBRI", ""), ("White British", "WBRI", "code_spelling"), ("White - British", "WBRI", "code_spelling"),
    ("WHITE BRITISH", "WBRI", "code_spelling"), ("wbri", "WBRI", "whitespace_case"), ("WENG", "WBRI", "code_spelling"),
    ("CHKC", "CHNE", "code_spelling"), ("Information not yet obtained", "NOBT", "code_spelling"),
    ("REFU", "REFU", ""), ("", "UNKN", "missing"), ("Martian", "UNKN", "unknown_code"),
])
def test_ethnicity(raw, code, rule):
    assert _one("ethnicity", raw) == (code, rule)


def test_ethnicity_groups_both_schemes():
    codes = pd.Series(["CHNE", "AIND", "REFU", "NOBT", "UNKN", "WBRI", "OOTH"])
    assert list(normalise.ethnicity_group(codes, "dfe")) == [
        "Asian", "Asian", "Unknown", "Unknown", "Unknown", "White", "Any other ethnic group"]
    assert list(normalise.ethnicity_group(codes, "kingston"))[:2] == ["Chinese", "Asian"]


@pytest.mark.parametrize("raw,code", [("M", "M"), ("Male", "M"), ("1", "M"), ("2", "F"), ("female", "F"),
                                      ("9", "U"), ("", "U"), ("X", "U"), ("1.0", "M")])
def test_sex(raw, code):
    assert _one("sex", raw)[0] == code


@pytest.mark.parametrize("raw,code", [("K", "K"), ("e", "E"), ("SEN support", "K"), ("S", "E"), ("A", "K"),
                                      ("P", "K"), ("N", "N"), ("", "U"), ("Q", "U")])
def test_sen_provision(raw, code):
    assert _one("sen_provision", raw)[0] == code


@pytest.mark.parametrize("raw,code,rule", [
    ("1", "1", ""), ("Y", "1", "code_spelling"), (" yes", "1", "code_spelling"), ("1.0", "1", "code_spelling"),
    ("0", "0", ""), ("False", "0", "code_spelling"), ("", "", "missing"), ("2", "", "unknown_code")])
def test_indicator(raw, code, rule):
    assert _one("indicator", raw) == (code, rule)
    assert normalise.indicator(pd.Series([raw])).iloc[0] == (code == "1")


@pytest.mark.parametrize("raw,code,rule", [
    ("M", "M", ""), ("All", "All", ""), (" persons ", "All", ""), ("TOTAL", "All", ""), ("Male", "M", "code_spelling"),
    ("Q", "U", "unknown_code")])
def test_population_sex_keeps_totals(raw, code, rule):
    assert _one("population_sex", raw) == (code, rule)


def test_placement_groups_both_groupings():
    et = pd.Series(["Community school", "Academy converter", "Non-maintained special school", "", "",
                    "Further education", "Pupil referral unit", ""])
    ss = pd.Series(["", "", "", "OLA", "NEET", "", "", ""])
    rp = pd.Series([False, True, False, False, False, False, False, False])
    out = normalise.placement(et, ss, rp)
    assert list(out["placement_group"]) == ["Mainstream", "Mainstream", "Special", "Other arrangements", "NEET",
                                            "Further education", "Alternative provision / PRU", "Unknown"]
    assert list(out["placement_group_kingston"]) == [
        "Mainstream", "Resourced provision in mainstream", "Independent and non-maintained special", "Other",
        "Other", "Post-16 college or vocational", "Other", "Unknown"]
    assert out["placement_code"].iloc[0] == "mainstream_la_maintained" and out["placement_code"].iloc[-1] is None


def test_every_placement_group_is_in_the_declared_order():
    dfe = set(codelists.placement_group_order("dfe"))
    kingston = set(codelists.placement_group_order("kingston"))
    types, settings_ = codelists.establishment_types(), codelists.sen_settings()
    assert set(types["dfe_group"]) | set(settings_["dfe_group"]) <= dfe
    assert set(types["kingston_group"]) | set(settings_["kingston_group"]) <= kingston


@pytest.mark.parametrize("name", sorted(VALID))
@given(values=st.lists(st.one_of(st.text(max_size=30), st.none(), st.floats(allow_nan=True)), max_size=15))
def test_no_crash_and_idempotent(name, values):
    valid = VALID[name]
    out = normalise.codes(name, pd.Series(values, dtype=object))
    assert list(out.index) == list(range(len(values)))
    assert set(out["code"]) <= set(valid)
    assert set(out["rule"]) <= {"", "whitespace_case", "code_spelling", "missing", "unknown_code"}
    again = normalise.codes(name, out["code"])
    assert list(again["code"]) == list(out["code"])  # idempotent


@pytest.mark.parametrize("name", sorted(VALID))
def test_round_trip_of_valid_codes(name):
    codes = [c for c in VALID[name] if c]
    out = normalise.codes(name, pd.Series(codes, dtype=object))
    assert list(out["code"]) == codes
    assert set(out["rule"]) <= {""}


@pytest.mark.parametrize("name", ["sen_type", "ethnicity", "sex"])
@given(data=st.data())
def test_case_and_space_variants_of_valid_codes(name, data):
    code = data.draw(st.sampled_from([c for c in VALID[name] if c not in ("UNKNOWN", "UNKN")]))
    pad = data.draw(st.sampled_from(["", " ", "  ", "\t"]))
    variant = pad + (code.lower() if data.draw(st.booleans()) else code) + pad
    got, rule = _one(name, variant)
    assert got == code
    assert rule == ("" if variant == code else "whitespace_case")


def test_aliases_of_code_lists_point_at_real_codes():
    for name, codes in (("sen_type_aliases", set(codelists.sen_types()["code"])),
                        ("ethnicity_aliases", set(codelists.ethnicities()["code"])),
                        ("sex", {"M", "F", "U"})):
        df = codelists.load(name)
        assert set(df["code"]) <= codes, name
