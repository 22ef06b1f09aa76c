"""Write the SEN2 modules of one census year as the XML return an LA submits (`demo-data --format
xml`): a header naming the collection, census date and LA, then each person with its records
nested inside it, element names as ``spec/raw_files.yml`` spells them. Each record carries its
table id as a ``<...TableID>`` element (so that the synthetic years keep their ids from year to
year, as the CSVs do); links are the nesting. Empty items are left out, as real exports do.
"""
from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

import pandas as pd

from sendlib import spec


def _header(year: int, census_date: str, la_code: str) -> dict:
    """The header items as a nested {element: {...} or text} from the spec's header paths."""
    layout = spec.sen2_xml()
    items = [(layout["collection"]["path"], layout["collection"]["value"]), (layout["year"], str(year)),
             (layout["reference_date"], census_date), (layout["la_code"], la_code)]
    tree: dict = {}
    for path, value in items:
        node = tree
        for element in path[:-1]:
            node = node.setdefault(element, {})
        node[path[-1]] = value
    return tree


def _nested(tree: dict, depth: int) -> list[str]:
    out = []
    for element, value in tree.items():
        pad = "  " * depth
        if isinstance(value, dict):
            out += [f"{pad}<{element}>", *_nested(value, depth + 1), f"{pad}</{element}>"]
        else:
            out.append(f"{pad}<{element}>{escape(str(value))}</{element}>")
    return out


class _Writer:
    """Writes one module's records with their children, from the modules' frames."""

    def __init__(self, modules: dict[str, pd.DataFrame]):
        spelled = {s.lower(): s for s in spec.sen2_xml()["spellings"]}
        self.files = {name: spec.file(name) for name in spec.sen2_modules()}
        self.children = {name: [c for c, f in self.files.items() if name in f.links.values()] for name in self.files}
        self.rows = {name: df.to_dict("records") for name, df in modules.items()}
        self.of_parent = {name: self._by_parent(name, modules[name]) for name in self.files}
        self.names = {name: {c: spelled.get(c, c) for c in f.columns if c not in f.links}
                      for name, f in self.files.items()}
        self.written = dict.fromkeys(self.files, 0)

    def _by_parent(self, name: str, df: pd.DataFrame) -> dict[str, list[int]]:
        link = next(iter(self.files[name].links), None)
        if link is None:
            return {}
        return {str(k): list(v) for k, v in df.groupby(link, sort=False).indices.items()}

    def record(self, name: str, i: int, depth: int, out: list[str]) -> None:
        f, row, pad = self.files[name], self.rows[name][i], "  " * depth
        out.append(f"{pad}<{f.xml}>")
        for column, element in self.names[name].items():
            value = row[column]
            if value != "":
                out.append(f"{pad}  <{element}>{escape(value)}</{element}>")
        for child in self.children[name]:
            for j in self.of_parent[child].get(row[str(f.key)], ()):
                self.record(child, j, depth + 1, out)
        out.append(f"{pad}</{f.xml}>")
        self.written[name] += 1


def write(modules: dict[str, pd.DataFrame], path: Path, year: int, census_date: str, la_code: str) -> None:
    """Write the SEN2 `modules` (frames of text in the spec's columns) as one XML return at `path`.

    Raises ValueError if a record would be left out (a link to no parent: the XML cannot hold it).
    """
    layout = spec.sen2_xml()
    writer = _Writer(modules)
    persons = str(layout["persons"])
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write('<?xml version="1.0" encoding="utf-8"?>\n')
        fh.write(f"<{layout['root']}>\n")
        fh.write("\n".join(_nested(_header(year, census_date, la_code), 1)) + "\n")
        fh.write(f"  <{persons}>\n")
        for i in range(len(modules["person"])):
            out: list[str] = []
            writer.record("person", i, 2, out)
            fh.write("\n".join(out) + "\n")
        fh.write(f"  </{persons}>\n</{layout['root']}>\n")
    lost = {name: len(modules[name]) - n for name, n in writer.written.items() if n != len(modules[name])}
    if lost:
        raise ValueError(f"records without a parent cannot be written as XML: {lost}")
