"""The date parser: formats real extracts carry, impossible dates flagged, never a crash."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sendlib import dates

pytestmark = pytest.mark.fast


@pytest.mark.parametrize("text,expected,status", [
    ("2018-01-05", "2018-01-05", "ok"),
    ("05/01/2018", "2018-01-05", "corrected"),  # UK day-first
    ("5/1/2018", "2018-01-05", "corrected"),
    ("05-01-2018", "2018-01-05", "corrected"),
    ("05.01.2018", "2018-01-05", "corrected"),
    ("05/01/18", "2018-01-05", "corrected"),
    ("05/01/98", "1998-01-05", "corrected"),
    ("2018/01/05", "2018-01-05", "corrected"),
    ("20180105", "2018-01-05", "corrected"),
    ("5 January 2018", "2018-01-05", "corrected"),
    ("05-Jan-2018", "2018-01-05", "corrected"),
    ("5-Jan-18", "2018-01-05", "corrected"),
    ("5th Sept 2018", "2018-09-05", "corrected"),
    ("January 5, 2018", "2018-01-05", "corrected"),
    ("43105", "2018-01-05", "corrected"),  # Excel serial
    ("43105.0", "2018-01-05", "corrected"),
    ("2018-01-05 00:00:00", "2018-01-05", "corrected"),
    ("2018-01-05T10:30:00", "2018-01-05", "corrected"),
    (" 2018-01-05 ", "2018-01-05", "whitespace"),
    (" 05/01/2018", "2018-01-05", "corrected"),
])
def test_formats(text, expected, status):
    d, s = dates.parse_dates(pd.Series([text]))
    assert d.iloc[0] == pd.Timestamp(expected)
    assert s.iloc[0] == status


@pytest.mark.parametrize("text", ["31/02/2018", "2018-02-30", "13/13/2018", "2018-13-01", "12/31/2018",
                                  "29/02/2019", "32 January 2018", "5 Foo 2018", "1234", "0001-01-01",
                                  "not a date", "2018-1-5x"])
def test_impossible_or_unreadable_dates_are_flagged_not_guessed(text):
    d, s = dates.parse_dates(pd.Series([text]))
    assert pd.isna(d.iloc[0]) and s.iloc[0] == "invalid"


@pytest.mark.parametrize("value", ["", "   ", None, float("nan")])
def test_missing(value):
    d, s = dates.parse_dates(pd.Series([value], dtype=object))
    assert pd.isna(d.iloc[0]) and s.iloc[0] == "missing"


def test_leap_day_and_index_kept():
    d, s = dates.parse_dates(pd.Series(["29/02/2020", "2020-02-29"], index=[10, 20]))
    assert list(d.index) == [10, 20]
    assert (d == pd.Timestamp("2020-02-29")).all()
    assert list(s) == ["corrected", "ok"]


@given(st.lists(st.text(max_size=25), max_size=20))
def test_no_crash_on_any_string(values):
    d, s = dates.parse_dates(pd.Series(values, dtype=object))
    assert len(d) == len(s) == len(values)
    assert set(s) <= {"ok", "whitespace", "corrected", "missing", "invalid"}
    assert d[s.isin(["missing", "invalid"])].isna().all()
    assert d[s.isin(["ok", "whitespace", "corrected"])].notna().all()


@given(st.lists(st.text(alphabet="0123456789/-. JanFebMrchyuly", max_size=14), max_size=20))
def test_idempotent(values):
    """Parsing the ISO form of a parsed date gives the same date, with status ok."""
    d, _ = dates.parse_dates(pd.Series(values, dtype=object))
    again, status = dates.parse_dates(dates.format_iso(d))
    assert (again.fillna(pd.Timestamp(0)) == d.fillna(pd.Timestamp(0))).all()
    assert set(status[d.notna()]) <= {"ok"}


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_round_trip_valid_dates(day):
    """Every valid date written ISO, UK day-first or with a written month comes back unchanged."""
    texts = [day.isoformat(), day.strftime("%d/%m/%Y"), f"{day.day} {day.strftime('%B %Y')}",
             day.strftime("%d-%b-%Y")]
    d, s = dates.parse_dates(pd.Series(texts))
    assert (d == pd.Timestamp(day)).all()
    assert list(s) == ["ok", "corrected", "corrected", "corrected"]
