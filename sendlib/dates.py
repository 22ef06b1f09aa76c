"""Dates in the formats real extracts carry, parsed without guessing.

Accepted, in order of preference:

- ISO ``YYYY-MM-DD`` (optionally followed by a time, as XLSX cells read as text show it):
  status ``"ok"``;
- UK day-first ``DD/MM/YYYY``, ``DD-MM-YYYY``, ``DD.MM.YYYY`` (also with two-digit years: 00-69
  are 2000-2069, 70-99 are 1970-1999, the rule of ``strptime``'s ``%y``), ``YYYY/MM/DD``,
  ``YYYYMMDD``, written months (``5 January 2018``, ``05-Jan-18``, ``January 5, 2018``) and
  Excel serial day numbers (10000-80000, i.e. 1927-2119; Excel's 1900 epoch): status
  ``"corrected"`` (the value was usable but not in the ISO format the specification asks for);
- an ISO date with spaces around it: status ``"whitespace"``;
- blank: status ``"missing"``;
- anything else, including impossible dates such as 31/02/2018 or month 13 and US month-first
  dates that cannot be day-first: status ``"invalid"``, the parsed value is NaT. Impossible
  dates are flagged, never repaired by guessing.

Parsing runs once per distinct value, so a column of 500,000 birth dates costs a few thousand
regular-expression matches.
"""
from __future__ import annotations

import datetime as _dt
import re

import numpy as np
import pandas as pd

OK, CORRECTED, MISSING, INVALID = "ok", "corrected", "missing", "invalid"
WHITESPACE = "whitespace"  # an ISO date with stray spaces around it

_MONTHS = {m.lower(): i for i, m in enumerate(
    ["January", "February", "March", "April", "May", "June", "July", "August", "September",
     "October", "November", "December"], start=1)}
_MONTHS.update({name[:3]: num for name, num in list(_MONTHS.items())})
_MONTHS["sept"] = 9

_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
_ISO = re.compile(rf"^(\d{{4}})-(\d{{2}})-(\d{{2}}){_TIME}$")
_ISO_LOOSE = re.compile(rf"^(\d{{4}})[-/.](\d{{1,2}})[-/.](\d{{1,2}}){_TIME}$")
_DMY = re.compile(rf"^(\d{{1,2}})[/.-](\d{{1,2}})[/.-](\d{{4}}|\d{{2}}){_TIME}$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SERIAL = re.compile(r"^(\d{5})(?:\.0+)?$")
_WRITTEN_DMY = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?[\s/.-]+([A-Za-z]{3,9})\.?,?[\s/.-]+(\d{4}|\d{2})$")
_WRITTEN_MDY = re.compile(r"^([A-Za-z]{3,9})\.?[\s/.-]+(\d{1,2})(?:st|nd|rd|th)?,?[\s/.-]+(\d{4})$")

EXCEL_EPOCH = _dt.date(1899, 12, 30)  # serial 1 = 1900-01-01, counting Excel's phantom 29/02/1900
SERIAL_RANGE = (10000, 80000)
YEAR_RANGE = (1850, 2199)


def _year(text: str) -> int:
    y = int(text)
    if len(text) == 2:
        y += 2000 if y < 70 else 1900
    return y


def _make(y: int, m: int, d: int) -> _dt.date | None:
    if not YEAR_RANGE[0] <= y <= YEAR_RANGE[1]:  # beyond what a SEND record can mean
        return None
    try:
        return _dt.date(y, m, d)
    except ValueError:
        return None


def parse_one(value) -> tuple[_dt.date | None, str]:
    """Parse one raw value: returns (date or None, status), status one of ok/whitespace/corrected/missing/invalid."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None, MISSING
    if isinstance(value, (_dt.datetime, pd.Timestamp)):
        return (None, MISSING) if pd.isna(value) else (value.date(), OK)
    if isinstance(value, _dt.date):
        return value, OK
    text = str(value).strip()
    if not text:
        return None, MISSING
    m = _ISO.match(text)
    if m:
        d = _make(int(m[1]), int(m[2]), int(m[3]))
        status = (OK if text == str(value) else WHITESPACE) if len(text) == 10 else CORRECTED
        return (d, status) if d else (None, INVALID)
    for pattern, order in ((_ISO_LOOSE, "ymd"), (_DMY, "dmy"), (_COMPACT, "ymd")):
        m = pattern.match(text)
        if m:
            parts = dict(zip(order, m.groups()))
            d = _make(_year(parts["y"]), int(parts["m"]), int(parts["d"]))
            return (d, CORRECTED) if d else (None, INVALID)
    m = _SERIAL.match(text)
    if m:
        n = int(m[1])
        if SERIAL_RANGE[0] <= n <= SERIAL_RANGE[1]:
            return EXCEL_EPOCH + _dt.timedelta(days=n), CORRECTED
        return None, INVALID
    for pattern, order in ((_WRITTEN_DMY, "dmy"), (_WRITTEN_MDY, "mdy")):
        m = pattern.match(text)
        if m:
            parts = dict(zip(order, m.groups()))
            month = _MONTHS.get(parts["m"].lower())
            if month is None:
                return None, INVALID
            d = _make(_year(parts["y"]), month, int(parts["d"]))
            return (d, CORRECTED) if d else (None, INVALID)
    return None, INVALID


def parse_dates(values) -> tuple[pd.Series, pd.Series]:
    """Parse a column of raw dates.

    Returns ``(dates, status)``: ``dates`` is a ``datetime64[ns]`` Series (NaT where missing or
    invalid) and ``status`` a str Series of ok / whitespace / corrected / missing / invalid, both on the
    index of ``values``.
    """
    s = pd.Series(values) if not isinstance(values, pd.Series) else values
    obj = s.astype(object)
    codes, cats = pd.factorize(obj, use_na_sentinel=True)
    cat_dates = [parse_one(c) for c in cats]
    date_arr = np.array([np.datetime64(d, "ns") if d else np.datetime64("NaT", "ns")
                         for d, _ in cat_dates] + [np.datetime64("NaT", "ns")], dtype="datetime64[ns]")
    status_arr = np.array([st for _, st in cat_dates] + [MISSING], dtype=object)
    idx = np.where(codes < 0, len(cats), codes)
    dates = pd.Series(date_arr[idx], index=s.index, dtype="datetime64[ns]")
    status = pd.Series(status_arr[idx], index=s.index, dtype=object).astype(str)
    return dates, status


def format_iso(dates: pd.Series) -> pd.Series:
    """ISO ``YYYY-MM-DD`` strings of a datetime Series ('' where NaT)."""
    return pd.to_datetime(dates).dt.strftime("%Y-%m-%d").fillna("")


def activity_period(census_date) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The calendar year before the census (first and last day): the SEN2 activity year."""
    year = pd.Timestamp(census_date).year - 1
    return pd.Timestamp(year=year, month=1, day=1), pd.Timestamp(year=year, month=12, day=31)
