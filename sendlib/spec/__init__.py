"""The declarative spec of the raw extracts (`raw_files.yml`): every column of every raw file with
its type, whether required, its code list, aliases and whether it is personal data, plus each
file's key and links. The reader, the cleaner, the synthetic generator and the generated
docs/raw_files.md read it through this module; nothing in Python restates it.

The spec beside this file is used unless the environment variable ``SENDLIB_RAW_FILES_SPEC``
names another YAML file of the same layout (an LA's variant, or a test's edited copy).

Header names are compared by :func:`header_key` (case, spaces and punctuation ignored: ``Date of
birth`` is ``dateofbirth``). Besides a column's own ``aliases``, ``column_aliases.csv`` beside the
spec lists the names exports use (the school census's Common Basic Data Set names such as
``DOB``, ``Gender``, ``SENtype``, ``LAEstab``; spreadsheet spellings such as ``UPN number``);
an LA adds its own in a column map (:func:`column_map`, ``config/column_map.yml``).
"""
from __future__ import annotations

import csv
import difflib
import io
import os
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from sendlib.errors import SendlibInputError

ENV_VAR = "SENDLIB_RAW_FILES_SPEC"
ALIASES_FILE = "column_aliases.csv"
TYPES = ("id", "date", "code", "rank", "number", "text")
SECTIONS = ("sen2", "other")
_COLUMN_FIELDS = {"type", "required", "codes", "blank", "aliases", "personal", "role", "case", "description"}
_FILE_FIELDS = {"description", "key", "links", "rows", "optional", "xml", "columns"}


@dataclass(frozen=True)
class ColumnSpec:
    """One declared column of a raw file."""
    name: str
    type: str
    required: bool = False
    codes: str | None = None
    report_blank: bool = False
    aliases: tuple[str, ...] = ()
    personal: bool = False
    role: str | None = None
    upper_case: bool = False
    description: str = ""


@dataclass(frozen=True)
class FileSpec:
    """One declared raw file: its section (``sen2`` or ``other``), key, links and columns."""
    name: str
    section: str
    columns: dict[str, ColumnSpec] = field(repr=False)
    key: str | None = None
    links: dict[str, str] = field(default_factory=dict)
    rows_required: bool = False
    optional: bool = False
    description: str = ""
    xml: str | None = None

    def of_type(self, kind: str) -> list[str]:
        """Names of the columns of type `kind`, in declared order."""
        return [c.name for c in self.columns.values() if c.type == kind]

    @property
    def required(self) -> list[str]:
        """Columns the file is refused without."""
        return [c.name for c in self.columns.values() if c.required]

    @property
    def personal(self) -> set[str]:
        """Columns holding personal data."""
        return {c.name for c in self.columns.values() if c.personal}

    def with_role(self, role: str) -> str | None:
        """The column declared with `role` (e.g. ``birth_date``), or None."""
        return next((c.name for c in self.columns.values() if c.role == role), None)


def path() -> Path | None:
    """The spec file named by ``SENDLIB_RAW_FILES_SPEC``, or None for the packaged spec."""
    value = os.environ.get(ENV_VAR, "").strip()
    return Path(value) if value else None


def raw_files() -> dict:
    """The raw-file spec as parsed YAML: {'types': ..., 'sen2': {module: ...}, 'other': {file: ...}}."""
    return _parsed(path())


def files() -> dict[str, FileSpec]:
    """Every declared raw file by name, SEN2 modules first, in declared order."""
    return _files(path())


def file(name: str) -> FileSpec:
    """The spec of raw file `name` (a SEN2 module or school_census / establishments / population)."""
    return files()[name]


def columns(name: str) -> list[str]:
    """Declared columns of raw file `name`, in order."""
    return list(file(name).columns)


def sen2_modules() -> list[str]:
    """The SEN2 modules, parents before their children."""
    return [name for name, f in files().items() if f.section == "sen2"]


def links() -> list[tuple[str, str, str]]:
    """(child file, link column, parent file) of every declared link, parents' links first."""
    out = []
    for name in _parents_first(files()):
        out += [(name, column, parent) for column, parent in file(name).links.items()]
    return out


def sen2_xml() -> dict:
    """How the SEN2 return reads as XML: root element, header paths, persons element, spellings."""
    return dict(raw_files()["sen2_xml"])


def header_key(text: str) -> str:
    """A header name as compared: lower case, without spaces, punctuation or a byte-order mark."""
    return re.sub(r"[^0-9a-z]", "", str(text).lower())


def closest(name: str, candidates) -> str | None:
    """The candidate most like `name` (compared by header_key), or None when none is close."""
    by_key = {header_key(c): str(c) for c in candidates}
    found = difflib.get_close_matches(header_key(name), list(by_key), n=1, cutoff=0.6)
    return by_key[found[0]] if found else None


def export_names(name: str, source: str = "cbds") -> dict[str, str]:
    """The header each column of file `name` has in exports of `source` (``cbds``: the names
    school MIS exports use), from column_aliases.csv; columns without one keep their name."""
    out = {c: c for c in columns(name)}
    for row in reversed(_alias_rows()):  # the first listed wins
        if row["file"] == name and row["source"] == source and row["column"] in out:
            out[row["column"]] = row["alias"]
    return out


def column_map(map_path) -> dict[str, dict[str, str]]:
    """An LA's column map (YAML ``{file: {header as exported: declared column}}``) as
    {file: {header_key: column}}; raises SendlibInputError naming an unknown file or column."""
    where = str(map_path)
    try:
        doc = yaml.safe_load(Path(map_path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise SendlibInputError(f"column map not readable ({type(exc).__name__})", file=where) from None
    if not isinstance(doc, dict):
        raise SendlibInputError("a column map is {file: {header: column}}", file=where)
    out: dict[str, dict[str, str]] = {}
    for name, headers in doc.items():
        if name not in files():
            raise SendlibInputError(f"no raw file {name!r}" + _did_you_mean(str(name), files()), file=where)
        declared = {header_key(c): c for c in columns(name)}
        out[name] = {}
        for header, column in (headers or {}).items():
            if header_key(column) not in declared:
                raise SendlibInputError(f"{name}: no column {column!r}" + _did_you_mean(str(column), columns(name)),
                                        file=where, column=str(header))
            out[name][header_key(header)] = declared[header_key(column)]
    return out


def _did_you_mean(name: str, candidates) -> str:
    near = closest(name, candidates)
    return f" (did you mean {near!r}?)" if near else ""


def type_descriptions() -> dict[str, str]:
    """What each column type means, as the spec explains it."""
    return dict(raw_files()["types"])


# ---- loading ----------------------------------------------------------------------------------

@lru_cache(maxsize=4)
def _parsed(spec_path: Path | None) -> dict:
    if spec_path is None:
        text = resources.files(__package__).joinpath("raw_files.yml").read_text(encoding="utf-8")
    elif not spec_path.is_file():
        raise SendlibInputError("raw-file spec not found", file=str(spec_path), hint=f"check {ENV_VAR}")
    else:
        text = spec_path.read_text(encoding="utf-8")
    return yaml.safe_load(text)


@lru_cache(maxsize=1)
def _alias_rows() -> list[dict[str, str]]:
    text = resources.files(__package__).joinpath(ALIASES_FILE).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _listed_aliases(name: str, column: str) -> list[str]:
    return [r["alias"] for r in _alias_rows() if r["file"] == name and r["column"] == column]


@lru_cache(maxsize=4)
def _files(spec_path: Path | None) -> dict[str, FileSpec]:
    where = str(spec_path or "sendlib/spec/raw_files.yml")
    parsed = _parsed(spec_path)
    out = {name: _file_spec(name, section, entry, where)
           for section in SECTIONS for name, entry in (parsed.get(section) or {}).items()}
    for f in out.values():
        for column, parent in f.links.items():
            if parent not in out or column not in f.columns:
                raise SendlibInputError(f"{f.name}: link {column} -> {parent} names an undeclared file or column",
                                        file=where, column=column)
    return out


def _file_spec(name: str, section: str, entry: dict, where: str) -> FileSpec:
    unknown = set(entry) - _FILE_FIELDS
    if unknown:
        raise SendlibInputError(f"{name}: unknown field {sorted(unknown)[0]!r}", file=where,
                                hint=f"a file has {', '.join(sorted(_FILE_FIELDS))}")
    cols = {str(c): _column_spec(name, str(c), value or {}, where) for c, value in entry["columns"].items()}
    cols = {c: replace(spec_, aliases=tuple(dict.fromkeys((*spec_.aliases, *_listed_aliases(name, c)))))
            for c, spec_ in cols.items()}
    key = entry.get("key")
    if key is not None and key not in cols:
        raise SendlibInputError(f"{name}: key {key!r} is not a declared column", file=where, column=key)
    return FileSpec(name, section, cols, key=key, links=dict(entry.get("links") or {}),
                    rows_required=entry.get("rows") == "required", optional=bool(entry.get("optional")),
                    description=str(entry.get("description", "")), xml=entry.get("xml"))


def _column_spec(file_name: str, name: str, entry: dict, where: str) -> ColumnSpec:
    unknown = set(entry) - _COLUMN_FIELDS
    if unknown:
        raise SendlibInputError(f"{file_name}: unknown field {sorted(unknown)[0]!r}", file=where, column=name,
                                hint=f"a column has {', '.join(sorted(_COLUMN_FIELDS))}")
    if entry.get("type") not in TYPES:
        raise SendlibInputError(f"{file_name}: type {entry.get('type')!r} is not one of {', '.join(TYPES)}",
                                file=where, column=name)
    return ColumnSpec(name, entry["type"], required=bool(entry.get("required")), codes=entry.get("codes"),
                      report_blank=entry.get("blank") == "report",
                      aliases=tuple(str(a) for a in entry.get("aliases") or ()),
                      personal=bool(entry.get("personal")), role=entry.get("role"),
                      upper_case=entry.get("case") == "upper", description=str(entry.get("description", "")))


def _parents_first(specs: dict[str, FileSpec]) -> list[str]:
    """File names ordered so that every file comes after the files its links point at."""
    done: list[str] = []

    def visit(name: str, seen: tuple[str, ...]) -> None:
        if name in done:
            return
        if name in seen:
            raise SendlibInputError(f"links form a cycle through {name}", file="raw_files.yml")
        for parent in specs[name].links.values():
            visit(parent, seen + (name,))
        done.append(name)

    for name in specs:
        visit(name, ())
    return done
