"""Damaged DfE release zips for `sendlib forecast` (copies of the 2025 release in data/external with
one thing broken each): every kind of damage is one line naming the zip, exit 2."""
from __future__ import annotations

import zipfile
from collections.abc import Callable

from tests.battery.harness import Case, Workspace
from tests.conftest import DFE_2022, DFE_2025
from tests.test_dfe import _bad_crc

BAD = "release.zip"
FORECAST = ["forecast", BAD, "--la", "314", "fc"]  # damage is found on reading: the damaged release alone
WHOLE = ["forecast", str(DFE_2022), BAD, "--la", "314", "fc"]  # a forecast needs the earlier release too


def _lines(edit: Callable[[list[str]], list[str]]) -> Callable[[bytes], bytes]:
    def change(data: bytes) -> bytes:
        lines = data.decode("utf-8-sig").splitlines()
        return ("\ufeff" + "\n".join(edit(lines)) + "\n").encode("utf-8")
    return change


def _cell(name: str, value: str, row: int = 1) -> Callable[[bytes], bytes]:
    def edit(lines: list[str]) -> list[str]:
        cells = lines[row].split(",")
        cells[lines[0].split(",").index(name)] = value
        lines[row] = ",".join(cells)
        return lines
    return _lines(edit)


def _drop(name: str) -> Callable[[bytes], bytes]:
    def edit(lines: list[str]) -> list[str]:
        i = lines[0].split(",").index(name)
        return [",".join(c for j, c in enumerate(line.split(",")) if j != i) for line in lines]
    return _lines(edit)


def member(name: str, change: Callable[[bytes], bytes] | None):
    """A copy of the 2025 release with member `name` passed through `change` (None: left out)."""
    def setup(ws: Workspace) -> None:
        with zipfile.ZipFile(DFE_2025) as zin, zipfile.ZipFile(ws.root / BAD, "w", zipfile.ZIP_DEFLATED) as zout:
            for item in zin.infolist():
                if item.filename != name:
                    zout.writestr(item.filename, zin.read(item))
                elif change is not None:
                    zout.writestr(item.filename, change(zin.read(item)))
    return setup


def release_bytes(change: Callable[[bytes], bytes]):
    def setup(ws: Workspace) -> None:
        (ws.root / BAD).write_bytes(change(DFE_2025.read_bytes()))
    return setup


def bad_crc(ws: Workspace) -> None:
    """One byte of a stored member's data flipped: its CRC no longer matches."""
    _bad_crc(DFE_2025, ws.root / BAD)


def other_zip(ws: Workspace) -> None:
    with zipfile.ZipFile(ws.root / BAD, "w") as z:
        z.writestr("person.csv", "persontableid,upn\n1,A123\n")


def case(name: str, expect: str, setup, exit: int = 2, **kw) -> Case:
    return Case(f"dfe-{name}", WHOLE if exit == 0 else FORECAST, exit, expect, setup, **kw)


CASES = [
    case("missing-column", "ehcplans", member("data/caseload.csv", _drop("ehcplans"))),
    case("bad-crc", "damaged", bad_crc),
    case("utf16-member", "UTF-16", member("data/newplans.csv", lambda d: d.decode("utf-8-sig").encode("utf-16"))),
    case("negative-count", "negative count", member("data/newplans.csv", _cell("new_ehc_plans", "-12", 7))),
    case("count-text", "new_ehc_plans", member("data/newplans.csv", _cell("new_ehc_plans", "lots", 7))),
    case("count-1e308", "fc", member("data/newplans.csv", _cell("new_ehc_plans", "1e308", 7)), exit=0),
    case("bad-year", "is not a year", member("data/requests.csv", _cell("time_period", "20x9", 3))),
    case("member-missing", "caseload", member("data/caseload.csv", None)),
    case("member-empty", "caseload", member("data/caseload.csv", lambda d: b"")),
    case("member-header-only", "caseload", member("data/caseload.csv", lambda d: d.split(b"\n")[0] + b"\n")),
    case("member-binary", "caseload", member("data/caseload.csv", lambda d: bytes(range(256)) * 4)),
    case("not-a-zip", "not a zip", release_bytes(lambda b: b"<html>not found</html>")),
    case("empty-file", "not a zip", release_bytes(lambda b: b"")),
    case("truncated", "zip", release_bytes(lambda b: b[: len(b) // 2])),
    case("another-zip", "no caseload file", other_zip),
    case("a-folder", BAD, lambda ws: (ws.root / BAD).mkdir()),
    Case("dfe-zip-missing", ["forecast", "nowhere.zip", "--la", "314", "fc"], 2, "nowhere.zip"),
]
