"""Find and read the raw extracts of one census year (SEN2 modules, school census, GIAS
establishments, population), accepting the variants real extracts show.

- File names are matched case-insensitively on their stem, as ``.csv`` or ``.xlsx``:
  ``person.csv``, ``Person.CSV``, ``SEN2_person.xlsx`` and ``sen2-person.csv`` are all the person
  module (an exact stem wins over a ``<prefix>_<name>`` stem; two equally good matches are an
  error).
- Column names are matched case-insensitively, ignoring surrounding spaces, and renamed to the
  names of ``spec/raw_files.yml``; columns not in the spec are dropped on reading (they may hold
  personal data the pipeline has no use for).
- Every cell is read as text (``""`` when blank): types are the cleaner's business, so that a
  bad value becomes a row in the quality report instead of a crash.
- Every data row is counted. A row the reader cannot take as a record is kept in the frame with
  its cells blanked and a reason in :attr:`RawFile.unreadable`, and the cleaner rejects it:
  ``short_row`` (fewer fields than the header: a truncated or shifted row), ``long_row`` (text
  beyond the last column), ``repeated_header`` (the header again, mid-file), ``formula_cell``
  (an XLSX formula, whose value the file may not hold) and ``other_sheet`` (a row on a later XLSX
  sheet whose header is not the first sheet's). Rows on a later sheet with the first sheet's
  header continue the extract. A column given twice is an error. Blank lines are not rows.

Encoding rule for CSV: UTF-8 (with or without a byte-order mark) is tried first; if the bytes are
not UTF-8 they are decoded as Windows-1252 (the superset of Latin-1 that Excel writes), but only if
the result looks like text: no control characters other than tab and line breaks, and fewer than
10% non-ASCII characters. UTF-16/32 files (NUL bytes), binary files (PDF, ZIP, images, old .xls)
and anything else are refused with :class:`SendlibInputError` naming the file, never guessed.
"""
from __future__ import annotations

import csv
import datetime as _dt
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sendlib import population_layouts, sen2_xml, spec
from sendlib.errors import SendlibInputError

EXTENSIONS = (".csv", ".xlsx")

_SIGNATURES = {b"%PDF": "a PDF document", b"PK\x03\x04": "a ZIP archive (an XLSX saved as .csv?)",
               b"\xd0\xcf\x11\xe0": "an old Excel .xls workbook", b"\x89PNG": "a PNG image",
               b"\xff\xd8\xff": "a JPEG image", b"\x1f\x8b": "a gzip archive",
               b"{\\rtf": "an RTF document"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


SHORT_ROW, LONG_ROW, REPEATED_HEADER, FORMULA_CELL, OTHER_SHEET = (
    "short_row", "long_row", "repeated_header", "formula_cell", "other_sheet")


@dataclass
class RawFile:
    """One raw extract as read: its logical name, path, sha256 and cells (all text), for each row
    the reason it cannot be read as a record (``""`` for a readable row), and `part`, the module's
    element when one file holds several modules (the SEN2 XML return)."""
    name: str
    path: Path
    sha256: str
    frame: pd.DataFrame = field(repr=False)
    part: str = ""
    unreadable: pd.Series | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.unreadable is None:
            self.unreadable = pd.Series("", index=self.frame.index, dtype=object)

    @property
    def label(self) -> str:
        """The file name as the quality report shows it (``return.xml:Person`` for a part)."""
        return f"{self.path.name}:{self.part}" if self.part else self.path.name


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes (for provenance)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _norm_stem(stem: str) -> str:
    return re.sub(r"[\s\-]+", "_", stem.strip().lower())


def find_file(raw_dir, name: str, required: bool = True) -> Path | None:
    """The file of `name` (a SEN2 module or school_census / establishments / population) in raw_dir.

    Raises SendlibInputError when it is missing (if `required`), ambiguous, or only present in a
    format other than CSV/XLSX. Returns None for a missing optional file.
    """
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise SendlibInputError("raw data folder not found", file=str(raw_dir),
                                hint="give the folder holding one census year's extracts")
    exact, suffixed, other_format = [], [], []
    for p in sorted(raw_dir.iterdir()):
        if not p.is_file() or p.name.startswith((".", "~$")):
            continue
        stem = _norm_stem(p.stem)
        if stem != name and not stem.endswith("_" + name):
            continue
        if p.suffix.lower() not in EXTENSIONS:
            other_format.append(p)
        elif stem == name:
            exact.append(p)
        else:
            suffixed.append(p)
    found = exact or suffixed
    if len(found) > 1:
        raise SendlibInputError(f"several files match the {name} extract: "
                                + ", ".join(p.name for p in found), file=str(raw_dir),
                                hint="keep one file per extract in the folder")
    if found:
        return found[0]
    if other_format:
        raise SendlibInputError(f"the {name} extract is not a CSV or XLSX file",
                                file=str(other_format[0]), hint="export it as .csv or .xlsx")
    if required:
        raise SendlibInputError(f"required file {name}.csv (or .xlsx) is missing", file=str(raw_dir / f"{name}.csv"),
                                hint=f"add the {name} extract to {raw_dir}")
    return None


def _decoded(data: bytes) -> str | None:
    """UTF-8 text, else Windows-1252 text that looks like text (under 10% non-ASCII), else None."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    non_ascii = sum(1 for ch in text if ord(ch) > 127)
    return None if non_ascii > 0.10 * max(len(text), 1) else text


def decode_text(data: bytes, path: Path) -> str:
    """Text of a CSV file's bytes under the module's encoding rule; raises SendlibInputError."""
    for sig, what in _SIGNATURES.items():
        if data.startswith(sig):
            raise SendlibInputError(f"not a CSV or XLSX file: the content is {what}", file=str(path),
                                    hint="export the extract as CSV (UTF-8) or XLSX")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:65536]:
        raise SendlibInputError("unreadable encoding: UTF-16/UTF-32 or binary content", file=str(path),
                                hint="save the file as CSV UTF-8")
    text = _decoded(data)
    if text is None:
        raise SendlibInputError("unreadable encoding: neither UTF-8 nor Latin-1/Windows-1252 text",
                                file=str(path), hint="save the file as CSV UTF-8")
    bad = _CONTROL.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise SendlibInputError(f"unreadable encoding: control character {bad.group()!r} on line {line}",
                                file=str(path), hint="save the file as CSV UTF-8")
    return text


@dataclass
class _Grid:
    """Rows of one extract as read: the header, the data rows (text), and the reason each data row
    cannot be read as a record (``""`` if it can)."""
    header: list[str]
    rows: list[list[str]]
    reasons: list[str]
    _named: int = field(init=False, repr=False)         # cells a row needs: up to the last named column
    _header_key: list[str] = field(init=False, repr=False)  # the header as _is_header compares it

    def __post_init__(self) -> None:
        self._named = max((i + 1 for i, h in enumerate(self.header) if h.strip()), default=0)
        self._header_key = _header_key(self.header)

    def add(self, cells: list[str], reason: str = "") -> None:
        """Add a data row: padded to the header, or blanked with a reason."""
        width = len(self.header)
        if not reason and self._header_key and cells and _cell_key(cells[0]) == self._header_key[0] \
                and _header_key(cells) == self._header_key:  # the first cell first: most rows differ there
            reason = REPEATED_HEADER
        if not reason and len(cells) < self._named:
            reason = SHORT_ROW
        if not reason and any(c.strip() for c in cells[width:]):
            reason = LONG_ROW
        self.rows.append([""] * width if reason else (cells + [""] * width)[:width])
        self.reasons.append(reason)

    def frame(self) -> tuple[pd.DataFrame, pd.Series]:
        df = pd.DataFrame(self.rows, columns=range(len(self.header)), dtype=object)
        df.columns = self.header  # duplicates stay duplicates: _rename_columns names them
        return df, pd.Series(self.reasons, index=df.index, dtype=object)


def _cell_key(value) -> str:
    return str(value).replace("\ufeff", "").strip().lower()


def _header_key(values) -> list[str]:
    """Cells as compared with the header: no BOM, case or surrounding space, no trailing blanks."""
    out = [_cell_key(v) for v in values]
    while out and not out[-1]:
        out.pop()
    return out


def _is_header(cells: list, header: list[str]) -> bool:
    return bool(header) and _header_key(cells) == _header_key(header)


def _separator(text: str) -> str:
    lines = text.lstrip().split("\n", _TITLE_ROWS + 1)[:_TITLE_ROWS + 1]
    first = max(lines, key=lambda line: sum(line.count(c) for c in ",;\t"))  # a title above has none
    if "," in first:  # some systems export semicolon- or tab-separated files
        return ","
    return ";" if first.count(";") > first.count("\t") else ("\t" if "\t" in first else ",")


def _read_csv(path: Path) -> _Grid:
    text = decode_text(path.read_bytes(), path)
    if not text.strip():
        raise SendlibInputError("the file is empty", file=str(path), hint="export the extract again")
    lines = csv.reader(io.StringIO(text, newline=""), delimiter=_separator(text), strict=True)
    try:
        rows = [cells for cells in lines if cells]  # an empty line is not a row
    except csv.Error as exc:
        raise SendlibInputError(f"not a well-formed CSV file ({exc}, line {lines.line_num})", file=str(path),
                                hint="check the quoting") from None
    if not rows:
        raise SendlibInputError("the file is empty", file=str(path), hint="export the extract again")
    grid = _Grid(_title_padded(rows), [], [])
    for cells in rows[1:]:
        grid.add(cells)
    return grid


def _title_padded(rows: list[list[str]]) -> list[str]:
    """The first row as the grid's header; a title (one cell above the real header) is padded to
    the width of the rows below it, so that they are not taken for rows too long for it."""
    first = rows[0]
    if sum(bool(c.strip()) for c in first) > 1:
        return first
    width = max(len(r) for r in rows[:_TITLE_ROWS + 1])
    return first + [""] * (width - len(first))


def _cell_text(v) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    if isinstance(v, (_dt.datetime, pd.Timestamp)):
        return v.strftime("%Y-%m-%d") if (v.hour, v.minute, v.second) == (0, 0, 0) else v.isoformat(sep=" ")
    if isinstance(v, _dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _read_xlsx(path: Path) -> _Grid:
    data = path.read_bytes()
    if not data.strip():
        raise SendlibInputError("the file is empty", file=str(path), hint="export the extract again")
    if not data.startswith(b"PK\x03\x04"):
        raise SendlibInputError("not a CSV or XLSX file: the .xlsx file is not an Excel workbook",
                                file=str(path), hint="export the extract as CSV (UTF-8) or XLSX")
    try:
        sheets = _xlsx_sheets(data)
    except Exception as exc:  # openpyxl raises many types for corrupt workbooks
        raise SendlibInputError(f"not a readable XLSX workbook ({type(exc).__name__})", file=str(path),
                                hint="open and save it again in Excel, or export as CSV") from None
    grid = None
    for rows in sheets:
        if not rows:
            continue
        if grid is None:
            grid = _Grid([_cell_text(v) for v, _ in rows[0]], [], [])
            rows = rows[1:]
        elif _is_header([v for v, _ in rows[0]], grid.header):
            rows = rows[1:]  # the extract continues on this sheet
        else:
            for _ in rows:
                grid.add([], OTHER_SHEET)
            continue
        for row in rows:
            formula = any(is_formula for _, is_formula in row)
            grid.add([_cell_text(v) for v, _ in row], FORMULA_CELL if formula else "")
    if grid is None:
        raise SendlibInputError("the file is empty", file=str(path), hint="export the extract again")
    return grid


def _xlsx_sheets(data: bytes) -> list[list[list[tuple[object, bool]]]]:
    """The non-blank rows of each sheet, each cell as (value, is a formula)."""
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        sheets = []
        for ws in wb.worksheets:
            rows = []
            for row in ws.iter_rows():
                cells = [(c.value, getattr(c, "data_type", "") == "f") for c in row]
                if any(f or _cell_text(v).strip() for v, f in cells):
                    rows.append(cells)
            sheets.append(rows)
        return sheets
    finally:
        wb.close()


def _header_names(name: str, mapped: dict[str, str] | None = None) -> dict[str, str]:
    """Declared column of each accepted header (its name, an alias or the LA's column map), keyed
    by spec.header_key."""
    out = {}
    for c in spec.file(name).columns.values():
        for header in (c.name, *c.aliases):
            out[spec.header_key(header)] = c.name
    return {**out, **(mapped or {})}


def _rename_columns(df: pd.DataFrame, path: Path, name: str, mapped: dict[str, str] | None = None) -> pd.DataFrame:
    """The declared columns of `df`, renamed to their declared names (undeclared columns dropped)."""
    by_header = _header_names(name, mapped)
    rename: dict[str, str] = {}
    seen: dict[str, str] = {}
    for col in df.columns:
        declared = by_header.get(spec.header_key(col))
        if declared is None:
            continue
        if declared in seen:
            raise SendlibInputError(f"column {declared!r} appears twice ({seen[declared]!r} and {col!r})",
                                    file=str(path), column=declared, hint="remove one of them")
        seen[declared] = col
        rename[col] = declared
    return df[list(rename)].rename(columns=rename)


def _missing_column(path: Path, name: str, missing: list[str], headers) -> SendlibInputError:
    """The error for required columns absent from `headers`, naming the closest header found."""
    declared = spec.file(name).columns[missing[0]]
    near = [spec.closest(h, headers) for h in (declared.name, *declared.aliases)]
    found = next((h for h in near if h), None)
    closest = f"; closest header found: {found!r}" if found else ""
    more = f" (and {len(missing) - 1} more: {', '.join(missing[1:])})" if len(missing) > 1 else ""
    return SendlibInputError(f"required column {missing[0]!r} is missing{more}{closest}", file=str(path),
                             column=missing[0], hint=f"rename the header, or map it to {missing[0]} under "
                                                     f"{name} in config/column_map.yml")


_TITLE_ROWS = 10  # how far below a title (an XLSX's first rows) the header is looked for


def _with_header(df: pd.DataFrame, name: str, column_map: dict[str, str] | None,
                 census) -> tuple[pd.DataFrame, int]:
    """`df` with the header that holds the file's required columns: the first row as read, else
    one of the next rows (the rows above it are a title), and how many rows were a title or the
    header; population files are made long first (:mod:`sendlib.population_layouts`, the year from
    the title or `census`)."""
    by_header = _header_names(name, column_map)
    required = set(spec.file(name).required)

    def shaped(frame: pd.DataFrame, title: str) -> pd.DataFrame:
        return population_layouts.long_form(frame, census, title) if name == "population" else frame

    first = shaped(df, " ".join(map(str, df.columns)))
    if required <= {by_header.get(spec.header_key(c)) for c in first.columns}:
        return first, 0
    for i in range(min(len(df), _TITLE_ROWS)):
        header = [str(v).strip() for v in df.iloc[i]]
        if not required & {by_header.get(spec.header_key(h)) for h in header} and name != "population":
            continue
        title = " ".join([*map(str, df.columns), *(" ".join(map(str, df.iloc[j])) for j in range(i))])
        frame = shaped(df.iloc[i + 1:].set_axis(header, axis=1).reset_index(drop=True), title)
        if required <= {by_header.get(spec.header_key(c)) for c in frame.columns}:
            return frame, i + 1
    return first, 0


def _reasons_after(unreadable: pd.Series, skipped: int, rows: int, path: Path) -> pd.Series:
    """The unreadable reasons of the `rows` records left after `skipped` title rows; a file reshaped
    (a wide population layout) keeps no row-to-record map, so a bad row in it is a one-line error."""
    kept = unreadable.iloc[skipped:].reset_index(drop=True)
    if len(kept) == rows:
        return kept
    bad = kept[kept != ""]
    if len(bad):
        raise SendlibInputError(f"row {int(bad.index[0]) + skipped + 2} cannot be read ({bad.iloc[0]}) in a "
                                "wide population layout", file=str(path), hint="repair the row and run again")
    return pd.Series("", index=range(rows), dtype=object)


def read_table(path, name: str, column_map: dict[str, str] | None = None, census=None) -> pd.DataFrame:
    """Cells of the extract `name` at `path` as text, columns renamed to the spec's names
    (`column_map`: the LA's extra {header_key: column} for this file; `census`: the census date,
    whose mid-year before is the year of a population file that states none).

    Raises SendlibInputError for an empty file, a file that is not CSV/XLSX, an unreadable
    encoding, or a missing required column (the message names the file, the column and the
    closest header found).
    """
    return _read(Path(path), name, column_map, census)[0]


def _read(path: Path, name: str, column_map: dict[str, str] | None = None,
          census=None) -> tuple[pd.DataFrame, pd.Series]:
    """The cells of :func:`read_table` and the reason each row cannot be read ("" if it can)."""
    declared = spec.file(name)
    grid = _read_xlsx(path) if path.suffix.lower() == ".xlsx" else _read_csv(path)
    frame, unreadable = grid.frame()
    raw, skipped = _with_header(frame, name, column_map, census)
    unreadable = _reasons_after(unreadable, skipped, len(raw), path)
    df = _rename_columns(raw, path, name, column_map)
    missing = [c for c in declared.required if c not in df.columns]
    if missing:
        raise _missing_column(path, name, missing, [str(c) for c in raw.columns])
    for c in declared.columns:  # optional columns absent from this extract read as blank
        if c not in df.columns:
            df[c] = ""
    df = df[list(declared.columns)]
    if df.empty and declared.rows_required:
        raise SendlibInputError("the file has a header but no data rows", file=str(path),
                                hint="export the extract again")
    for c in df.columns:  # one text dtype whatever the source (pandas 3 str, or object from xlsx)
        df[c] = df[c].astype(object).where(df[c].notna(), "").astype(str)
    return df.reset_index(drop=True), unreadable.reset_index(drop=True)


def read_raw(raw_dir, name: str, required: bool = True, column_map: dict[str, str] | None = None,
             census=None) -> RawFile | None:
    """Find and read one extract; returns None for a missing optional file."""
    path = find_file(raw_dir, name, required=required)
    if path is None:
        return None
    frame, unreadable = _read(path, name, column_map, census)
    return RawFile(name, path, sha256(path), frame, unreadable=unreadable)


def read_all(raw_dir, census_date=None, la_code: str | None = None,
             column_map: dict[str, dict[str, str]] | None = None) -> dict[str, RawFile]:
    """Every extract of the spec in raw_dir, by name (an optional file only if present); the SEN2
    modules come from the folder's XML return when it holds one (its header checked against
    `census_date` and `la_code` when given). `column_map` is the LA's (see spec.column_map)."""
    files = read_sen2_xml(raw_dir, census_date, la_code)
    maps = column_map or {}
    for name, declared in spec.files().items():
        found = files.get(name) or read_raw(raw_dir, name, not declared.optional, maps.get(name), census_date)
        if found is not None:
            files[name] = found
    return {name: files[name] for name in spec.files() if name in files}


def read_sen2_xml(raw_dir, census_date=None, la_code: str | None = None) -> dict[str, RawFile]:
    """The SEN2 modules of the XML return in raw_dir, or {} when the folder holds none."""
    raw_dir = Path(raw_dir)
    found = sorted(p for p in raw_dir.iterdir() if p.is_file() and sen2_xml.is_xml(p)
                   and not p.name.startswith((".", "~$"))) if raw_dir.is_dir() else []
    if not found:
        return {}
    if len(found) > 1:
        raise SendlibInputError("several XML files: " + ", ".join(p.name for p in found), file=str(raw_dir),
                                hint="keep one SEN2 return per census year folder")
    csvs = [m for m in spec.sen2_modules() if find_file(raw_dir, m, required=False) is not None]
    if csvs:
        raise SendlibInputError(f"the folder holds both the SEN2 XML return and module files ({csvs[0]})",
                                file=str(raw_dir), hint="keep either the XML return or the module CSVs")
    path = found[0]
    digest = sha256(path)
    out = {}
    for name, frame in sen2_xml.read(path, census_date, la_code).items():
        declared = spec.file(name)
        if frame.empty and declared.rows_required:
            raise SendlibInputError(f"the XML return holds no <{declared.xml}> record", file=str(path),
                                    hint="export the whole SEN2 return")
        out[name] = RawFile(name, path, digest, frame, part=str(declared.xml))
    return out
