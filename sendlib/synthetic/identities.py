"""Synthetic identities: names, UPNs, ULNs, postcodes and birth dates, drawn vectorised.

Every value is made up (the names are listed in names.csv). UPNs carry a valid DfE check letter
and the made-up LA code of the synthetic LA; postcodes use the outward code 'ZX', which no real
postcode area uses.
"""
from __future__ import annotations

import csv
from importlib import resources

import numpy as np

EPOCH = np.datetime64("1970-01-01", "D")


def _names(kind: str) -> np.ndarray:
    """The made-up names of list `kind` (surname, forename_male, forename_female) in names.csv."""
    with resources.files(__package__).joinpath("names.csv").open("r", encoding="utf-8") as fh:
        return np.array([row["name"] for row in csv.DictReader(fh) if row["list"] == kind])


SURNAMES = _names("surname")
FORENAMES_M = _names("forename_male")
FORENAMES_F = _names("forename_female")

_UPN_LETTERS = np.array(list("ABCDEFGHJKLMNPQRTUVWXYZ"))
_INWARD_LETTERS = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))
_SCRAMBLE = 387420489  # 3**18: coprime with 10**9, so serial -> serial * k mod 10**9 is a permutation


def days(date: str) -> int:
    """Days since 1970-01-01 of an ISO date string (the generator's internal date unit)."""
    return int((np.datetime64(date, "D") - EPOCH).astype(np.int64))


def iso(day_numbers: np.ndarray, missing: np.ndarray | None = None) -> np.ndarray:
    """ISO 'YYYY-MM-DD' strings of day numbers; '' where `missing` is True."""
    d = np.asarray(day_numbers, dtype=np.int64)
    out = np.datetime_as_string(d.astype("datetime64[D]"), unit="D").astype(object)
    if missing is not None:
        out[np.asarray(missing, dtype=bool)] = ""
    return out


def ymd(day_numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day) integer arrays of day numbers."""
    d = np.asarray(day_numbers, dtype=np.int64).astype("datetime64[D]")
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    m = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dd = (d - d.astype("datetime64[M]")).astype(np.int64) + 1
    return y, m, dd


def birth_dates_for_ncy(rng: np.random.Generator, ncy: np.ndarray, census_year: int) -> np.ndarray:
    """Birth dates (day numbers) giving national curriculum year `ncy` at the January census of
    `census_year`: age at 31 August before the census = ncy + 5 (sendlib.ages convention)."""
    ncy = np.asarray(ncy, dtype=np.int64)
    start_year = census_year - ncy - 7  # born 1 Sep (Y-ncy-7) .. 31 Aug (Y-ncy-6)
    start = (np.array([f"{y}-09-01" for y in range(1900, 2100)], dtype="datetime64[D]") - EPOCH).astype(np.int64)
    first = start[start_year - 1900]
    length = start[start_year - 1900 + 1] - first
    return first + np.floor(rng.random(len(ncy)) * length).astype(np.int64)


def ncy_at(birth_days: np.ndarray, census_year: int) -> np.ndarray:
    """National curriculum year at the January census of `census_year` (age at 31 Aug - 5)."""
    y, m, _ = ymd(birth_days)
    age = (census_year - 1) - y - (m >= 9).astype(np.int64)
    return age - 5


def upns(serials: np.ndarray, la_code: str = "999") -> np.ndarray:
    """13-character UPNs with a valid check letter: letter + LA code + 9 scrambled serial digits."""
    s = (np.asarray(serials, dtype=np.int64) * _SCRAMBLE) % 10**9
    la = np.array([int(c) for c in la_code], dtype=np.int64)
    digits = np.empty((len(s), 12), dtype=np.int64)
    digits[:, :3] = la
    for i in range(9):
        digits[:, 11 - i] = (s // 10**i) % 10
    weights = np.arange(2, 14, dtype=np.int64)
    check = _UPN_LETTERS[(digits * weights).sum(axis=1) % 23]
    body = np.char.zfill(s.astype(str), 9)
    return np.char.add(np.char.add(check.astype("<U1"), la_code), body).astype(object)


def ulns(serials: np.ndarray) -> np.ndarray:
    """10-digit unique learner numbers (made up, unique per serial)."""
    s = (np.asarray(serials, dtype=np.int64) * _SCRAMBLE + 123456789) % 10**9
    return np.char.add("4", np.char.zfill(s.astype(str), 9)).astype(object)


def names(rng: np.random.Generator, sex_is_male: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(surname, forename) object arrays."""
    n = len(sex_is_male)
    surname = SURNAMES[rng.integers(0, len(SURNAMES), n)]
    fm = FORENAMES_M[rng.integers(0, len(FORENAMES_M), n)]
    ff = FORENAMES_F[rng.integers(0, len(FORENAMES_F), n)]
    return surname.astype(object), np.where(sex_is_male, fm, ff).astype(object)


def postcodes(rng: np.random.Generator, n: int) -> np.ndarray:
    """Made-up postcodes in the unused area 'ZX' (e.g. 'ZX4 7PQ')."""
    district = rng.integers(1, 10, n).astype(str)
    sector = rng.integers(0, 10, n).astype(str)
    l1 = _INWARD_LETTERS[rng.integers(0, len(_INWARD_LETTERS), n)]
    l2 = _INWARD_LETTERS[rng.integers(0, len(_INWARD_LETTERS), n)]
    out = np.char.add(np.char.add(np.char.add("ZX", district), " "), sector)
    return np.char.add(np.char.add(out, l1), l2).astype(object)
