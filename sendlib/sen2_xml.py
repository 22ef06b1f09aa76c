"""Read the SEN2 return as the XML file the LA submits, into the same module tables as the CSVs.

The XML holds no table ids: each record element belongs to the record it sits in (a ``Requests``
inside a ``Person`` is that person's request). While reading, each record gets the id of its
``<...TableID>`` element when the export carries one, else its position among the records of its
module in the file (1, 2, ...); its link column takes the id of the record it sits in. The same
file therefore always gives the same tables. Which element is which module, and where each sits,
comes from ``spec/raw_files.yml`` (each SEN2 module's ``xml`` element and its ``links``; the
``sen2_xml`` section for the root and header). Element names are compared case-insensitively
(``SENsetting`` and ``SENSetting`` both occur), without any namespace prefix.

The file is parsed as a stream with expat (the memory held is the tables, not a tree of the
document). Refused with :class:`SendlibInputError`, one line each: an empty file, a file that is
not XML, a truncated file, malformed XML, any DTD or entity declaration (no entity is ever
expanded), a root other than the return's, a header naming another collection (e.g. CIN) or a
reference date or LA that disagrees with the cycle, and a record out of its place.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

import pandas as pd

from sendlib import dates, spec
from sendlib.errors import SendlibInputError

_BLOCK = 1 << 20


def _local(name: str) -> str:
    """An element name without namespace prefix, lower case."""
    return name.rsplit(":", 1)[-1].rsplit("}", 1)[-1].lower()


@dataclass
class _Module:
    """The records of one SEN2 module as they are read: text cells by column."""
    name: str
    element: str
    parent: str | None
    link: str | None
    key: str
    columns: list[str]
    by_element: dict[str, str]
    cells: dict[str, list[str]] = field(default_factory=dict)
    parent_position: list[int] = field(default_factory=list)
    count: int = 0

    @classmethod
    def declared(cls, name: str) -> _Module:
        f = spec.file(name)
        link, parent = next(iter(f.links.items()), (None, None))
        by_element = {}
        for c in f.columns.values():
            if c.name != link:  # the link comes from the nesting
                by_element.update({spec.header_key(h): c.name for h in (c.name, *c.aliases)})
        return cls(name, str(f.xml).lower(), parent, link, str(f.key), list(f.columns), by_element,
                   {c: [] for c in f.columns})

    def add(self, values: dict[str, str], parent_position: int) -> None:
        for column, cells in self.cells.items():
            cells.append(values.get(column, ""))
        self.parent_position.append(parent_position)

    def ids(self) -> list[str]:
        """Each record's id: its own id element, else its position in the file (from 1)."""
        return [own or str(i + 1) for i, own in enumerate(self.cells[self.key])]


@dataclass
class _Record:
    module: _Module
    depth: int
    position: int
    values: dict[str, str] = field(default_factory=dict)


class _Sen2Reader:
    """expat handlers building the module tables of one SEN2 XML file."""

    def __init__(self, path: Path, census: pd.Timestamp | None, la_code: str | None):
        self.path, self.census, self.la_code = path, census, la_code
        self.layout = spec.sen2_xml()
        self.modules = {name: _Module.declared(name) for name in spec.sen2_modules()}
        self.by_element = {m.element: m for m in self.modules.values()}
        self.stack: list[str] = []
        self.records: list[_Record] = []
        self.text: list[str] = []
        self.header: dict[str, str] = {}
        self.header_done = False
        self.parser = expat.ParserCreate()
        self.parser.buffer_text = True
        self.parser.StartDoctypeDeclHandler = self._refuse_dtd
        self.parser.EntityDeclHandler = self._refuse_dtd
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.CharacterDataHandler = self.text.append

    def fail(self, message: str, hint: str | None = None) -> SendlibInputError:
        line = self.parser.CurrentLineNumber
        return SendlibInputError(f"{message} (line {line})", file=str(self.path), hint=hint)

    def _refuse_dtd(self, *_args) -> None:
        raise self.fail("the XML file declares a DTD or entities, which are refused (no entity is expanded)",
                        hint="export the return again without a DOCTYPE")

    def _start(self, name: str, _attributes) -> None:
        name = _local(name)
        depth = len(self.stack)
        if depth == 0 and name != str(self.layout["root"]).lower():
            raise self.fail(f"not a SEN2 return: the root element is <{name}>, not <{self.layout['root']}>")
        module = self.by_element.get(name)
        if module is not None:
            self._open_record(module, depth)
        elif name == str(self.layout["persons"]).lower() and not self.header_done:
            raise self.fail("the return has no header before its persons", hint="export the whole SEN2 return")
        self.stack.append(name)
        self.text.clear()

    def _open_record(self, module: _Module, depth: int) -> None:
        inside = self.records[-1] if self.records else None
        if module.parent is None:
            placed = inside is None and self.stack[-1] == str(self.layout["persons"]).lower()
        else:
            placed = inside is not None and inside.module.name == module.parent and inside.depth == depth - 1
        if not placed:
            where = self.stack[-1] if self.stack else "the document"
            expected = self.modules[module.parent].element if module.parent else self.layout["persons"]
            raise self.fail(f"a <{module.element}> sits in <{where}>, not in <{expected}>",
                            hint="the nesting of the return is described in docs/raw_files.md")
        self.records.append(_Record(module, depth, module.count))
        module.count += 1

    def _end(self, _name: str) -> None:
        name = self.stack.pop()
        depth = len(self.stack)
        record = self.records[-1] if self.records else None
        if record is not None and record.depth == depth:
            self.records.pop()
            parent = self.records[-1].position if self.records else -1
            record.module.add(record.values, parent)
        elif record is not None and record.depth == depth - 1:
            self._cell(record, name)
        elif record is None:
            self._header_item(name)
        self.text.clear()

    def _cell(self, record: _Record, name: str) -> None:
        column = record.module.by_element.get(spec.header_key(name))
        if column is None:
            return
        if column in record.values:
            raise self.fail(f"<{name}> appears twice in one <{record.module.element}>")
        record.values[column] = "".join(self.text).strip()

    def _header_item(self, name: str) -> None:
        path = tuple(self.stack[1:]) + (name,)
        for item in ("reference_date", "year", "la_code"):
            if path == tuple(p.lower() for p in self.layout[item]):
                self.header[item] = "".join(self.text).strip()
        collection = self.layout["collection"]
        if path == tuple(p.lower() for p in collection["path"]):
            self.header["collection"] = "".join(self.text).strip()
        if path == (str(collection["path"][0]).lower(),):
            self._check_header()

    def _check_header(self) -> None:
        expected = str(self.layout["collection"]["value"])
        found = self.header.get("collection", "")
        if found.upper() != expected.upper():
            raise self.fail(f"the header names collection {found or 'none'!r}, not {expected}: "
                            "this is not a SEN2 return", hint="give the SEN2 return's XML file")
        day = dates.parse_one(self.header.get("reference_date", ""))[0]
        if self.census is not None and day is not None and day != self.census.date():
            raise self.fail(f"the header's reference date {day.isoformat()} is not the census date "
                            f"{self.census.date().isoformat()}", hint="check the cycle's census_date or the file")
        la = self.header.get("la_code", "")
        if self.la_code and la and _la(la) != _la(self.la_code):
            raise self.fail(f"the header's LA {la} is not the cycle's LA {self.la_code}",
                            hint="check the cycle's la_code or the file")
        self.header_done = True

    def tables(self) -> dict[str, pd.DataFrame]:
        ids = {name: m.ids() for name, m in self.modules.items()}
        out = {}
        for name, m in self.modules.items():
            cells = dict(m.cells)
            cells[m.key] = ids[name]
            if m.link is not None and m.parent is not None:
                parent_ids = ids[m.parent]
                cells[m.link] = [parent_ids[p] for p in m.parent_position]
            out[name] = pd.DataFrame(cells, columns=m.columns, dtype=object).astype(str)
        return out


def _la(code: str) -> str:
    code = code.strip()
    return str(int(code)) if code.isdigit() else code.upper()


def is_xml(path: Path) -> bool:
    """Whether `path` is named as an XML file."""
    return path.suffix.lower() == ".xml"


def read(path, census_date=None, la_code: str | None = None) -> dict[str, pd.DataFrame]:
    """The SEN2 module tables (text cells, the spec's columns) of the XML return at `path`.

    `census_date` and `la_code`, when given, must agree with the header's reference date and LA.
    Raises SendlibInputError (one line naming the file and line) for anything that is not a
    well-formed SEN2 return.
    """
    path = Path(path)
    census = pd.Timestamp(census_date) if census_date is not None else None
    _check_start(path)
    reader = _Sen2Reader(path, census, la_code)
    with open(path, "rb") as fh:
        try:
            for block in iter(lambda: fh.read(_BLOCK), b""):
                reader.parser.Parse(block, False)
        except expat.ExpatError as exc:
            raise SendlibInputError(f"not well-formed XML ({expat.errors.messages[exc.code]}, line {exc.lineno})",
                                    file=str(path), hint="export the return again") from None
        try:
            reader.parser.Parse(b"", True)
        except expat.ExpatError:
            open_at = f" inside <{reader.stack[-1]}>" if reader.stack else ""
            raise SendlibInputError(f"the XML file is truncated: it ends{open_at} "
                                    f"(line {reader.parser.CurrentLineNumber})",
                                    file=str(path), hint="copy or export the return again") from None
    if not reader.header_done:
        raise SendlibInputError("the XML file has no SEN2 header", file=str(path), hint="export the whole SEN2 return")
    return reader.tables()


def _check_start(path: Path) -> None:
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if not head.strip():
        raise SendlibInputError("the file is empty", file=str(path), hint="export the return again")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not (text.startswith(b"<") or head.startswith((b"\xff\xfe", b"\xfe\xff"))):
        raise SendlibInputError("not an XML file: it does not start with '<'", file=str(path),
                                hint="give the SEN2 return as exported for COLLECT")

