"""Read the CSV members of a published release zip, turning every kind of damage into one line.

A release that cannot be read (not a zip, a truncated or corrupt member, a member in another
encoding, a missing column) raises :class:`~sendlib.errors.SendlibInputError` naming the zip, the
member and, where known, the row and column, so `sendlib` prints one line and exits 2.
"""
from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path

import pandas as pd

from sendlib.errors import SendlibInputError

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_HINT = "download the release again with `sendlib fetch-dfe --force`"


def open_release(path: Path) -> zipfile.ZipFile:
    """Return the open zip at `path`; one-line errors for a missing file or one that is not a zip."""
    if not path.exists():
        raise SendlibInputError("file not found", file=str(path), hint="give the path of a DfE release zip")
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise SendlibInputError(f"not a zip file ({exc})", file=str(path), hint=_HINT) from None


def member_bytes(zf: zipfile.ZipFile, member: str, source: str) -> bytes:
    """Return the bytes of `member`; a missing, corrupt (bad CRC) or truncated member is one line."""
    where = f"{source}:{member}"
    try:
        return zf.read(member)
    except KeyError:
        raise SendlibInputError("missing from the zip", file=where,
                                hint="is this a DfE 'Education, health and care plans' release?") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError) as exc:
        raise SendlibInputError(f"the zip member is damaged ({exc})", file=where, hint=_HINT) from None


def decode(raw: bytes, encoding: str, where: str) -> str:
    """Return the text of a member published in `encoding` (UTF-8 with BOM or Latin-1).

    UTF-16 text (a BOM or NUL bytes) is refused rather than read as garbage columns."""
    if raw.startswith(_UTF16_BOMS) or b"\x00" in raw[:4096]:
        raise SendlibInputError("the member is UTF-16 (or binary), not the UTF-8 or Latin-1 text DfE publishes",
                                file=where, hint="re-save it as UTF-8 CSV or download the release again")
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SendlibInputError(f"not {encoding} text (byte {exc.start})", file=where, row=line,
                                hint="DfE publishes UTF-8 or Latin-1 CSV") from None


def read_member(zf: zipfile.ZipFile, member: str, encoding: str, source: str,
                required: tuple[str, ...] = ()) -> pd.DataFrame:
    """Return a CSV member as strings (no NA conversion), checking it has the `required` columns."""
    where = f"{source}:{member}"
    text = decode(member_bytes(zf, member, source), encoding, where)
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SendlibInputError(f"not a readable CSV ({first})", file=where) from None
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise SendlibInputError(f"column(s) {', '.join(missing)} missing", file=where, column=missing[0],
                                hint="the release layout is not one sendlib knows")
    if df.empty:
        raise SendlibInputError("the member has a header but no data rows", file=where, hint=_HINT)
    return df


def has_member(zf: zipfile.ZipFile, member: str) -> bool:
    return member in zf.namelist()
