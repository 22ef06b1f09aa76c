"""Review-cycle configuration (`config/cycles.yml`), validated before anything runs.

The file holds `defaults` (merged under every cycle, key by key), `cycles` (cycle id -> settings)
and optionally `paths_outside_project` (folders outside the project that paths may point into).
Every value is typed (:class:`CycleSettings`); an unknown key is an error that names the closest
known key; cycle ids are lower-case letters, digits and hyphens; paths stay inside the project
unless a listed folder allows them; the publishing threshold is a whole number of at least
:data:`SAFE_THRESHOLD` unless the run is explicitly `unsafe`. Any problem is one
:class:`~sendlib.errors.ConfigError` naming the file, the line and the key.

The LA's own values live here too, not in code: plan targets, comparison figures quoted beside
the LA's figures (or none), the local ethnicity grouping and the minimum sizes for flagging
disproportionality. They reach every notebook as papermill parameters.
"""
from __future__ import annotations

import datetime as dt
import difflib
import os
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from sendlib.errors import ConfigError

SAFE_THRESHOLD = 5  # the smallest publishing threshold allowed without --unsafe
CYCLE_ID = re.compile(r"[a-z0-9][a-z0-9-]*")
LOCAL_GROUPING = "local"
# The library's name of the one local grouping it can apply so far (Chinese as its own group).
# Until sendlib.equality takes a definition, a local grouping must equal this one.
_LIBRARY_LOCAL = "kingston"


def _none_is_empty(value: Any) -> Any:
    """`comparison_figures: none` (or an empty value) means none."""
    return {} if value is None or (isinstance(value, str) and value.strip().lower() == "none") else value


def _iso_date(value: Any) -> dt.date:
    """A census date written YYYY-MM-DD, a real day, in a plausible year."""
    text = str(value)
    if isinstance(value, bool) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ValueError("not written YYYY-MM-DD")
    date = dt.date.fromisoformat(text)  # ValueError for 2025-13-01
    if not 2000 <= date.year <= dt.date.today().year + 1:
        raise ValueError(f"year {date.year} is outside 2000-{dt.date.today().year + 1}")
    return date


def _text(value: Any) -> Any:
    """LA codes may be written unquoted (`la_code: 314`); keep them as text."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Percent = Annotated[float, Field(ge=0, le=100)]
Figures = dict[Annotated[str, Field(min_length=1, max_length=80)], Annotated[float, Field(ge=0)]]
PathText = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Targets(_Strict):
    """The LA plan's targets, in percent."""

    issued_within_20_weeks: Percent
    issued_within_20_weeks_excluding_exceptions: Percent
    annual_reviews_within_12_months: Percent


class ComparisonFigures(_Strict):
    """Figures quoted beside the LA's own, each named (e.g. `England 2018: 11.7`)."""

    sen_support_percent: Figures = {}
    tribunal_appeals: Figures = {}


class Disproportionality(_Strict):
    """A group is flagged only when its cohort count is at least `cell_size` and its pupils at
    least `group_size` (and the same for everyone else)."""

    cell_size: Annotated[int, Field(ge=1)] = 10
    group_size: Annotated[int, Field(ge=1)] = 30


DEFAULT_COLUMN_MAP = "config/column_map.yml"  # the LA's own column names, used when present


class CycleSettings(_Strict):
    """One cycle's settings after `defaults` are merged in."""

    title: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    census_date: Annotated[dt.date, BeforeValidator(_iso_date)]
    la_code: Annotated[str, BeforeValidator(_text), Field(pattern=r"^\d{3}$")]
    new_la_code: Annotated[str, Field(pattern=r"^(E\d{8})?$")] = ""
    la_name: Annotated[str, Field(min_length=1, max_length=200)]
    raw_dir: PathText
    processed_dir: PathText | None = None
    reports_dir: PathText | None = None
    threshold: Annotated[int, Field(ge=1)] = SAFE_THRESHOLD
    horizon: Annotated[int, Field(ge=1, le=20)] = 5
    ethnicity_grouping: Literal["dfe", "local"] = "dfe"
    local_ethnicity_groups: dict[Annotated[str, Field(min_length=1)], list[str]] = {}
    targets: Targets
    comparison_figures: Annotated[ComparisonFigures, BeforeValidator(_none_is_empty)] = ComparisonFigures()
    disproportionality: Disproportionality = Disproportionality()
    synthetic: bool = False
    statistical_neighbours: PathText | None = None  # the DfE statistical neighbours list, if supplied
    column_map: PathText | None = None


class ConfigFile(_Strict):
    """The whole file; cycles are validated one by one after merging the defaults."""

    defaults: dict[str, Any] = {}
    paths_outside_project: list[PathText] = []
    cycles: dict[Any, Any]


@dataclass(frozen=True)
class Cycle:
    """One review cycle: census date, LA, data paths, analysis parameters and the LA's own values."""

    cycle_id: str
    title: str
    census_date: dt.date
    la_code: str
    new_la_code: str
    la_name: str
    raw_dir: Path
    processed_dir: Path
    reports_dir: Path
    threshold: int = SAFE_THRESHOLD
    horizon: int = 5
    ethnicity_grouping: str = "dfe"
    synthetic: bool = False
    root: Path = field(default=Path("."), compare=False)
    targets: dict = field(default_factory=dict)
    comparison_figures: dict = field(default_factory=dict)
    local_ethnicity_groups: dict = field(default_factory=dict)
    disproportionality: dict = field(default_factory=lambda: Disproportionality().model_dump())
    unsafe: bool = False
    statistical_neighbours: str = ""  # absolute path of the DfE statistical neighbours list, or ""
    column_map: Path | None = None

    @property
    def census_year(self) -> int:
        return self.census_date.year

    @property
    def library_grouping(self) -> str:
        """The grouping name sendlib.equality understands ('dfe' or its built-in local one)."""
        return _LIBRARY_LOCAL if self.ethnicity_grouping == LOCAL_GROUPING else self.ethnicity_grouping

    def to_json(self) -> dict:
        """The cycle as plain JSON types (for the watchdog process)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["census_date"] = self.census_date.isoformat()
        for key in ("raw_dir", "processed_dir", "reports_dir", "root"):
            out[key] = str(out[key])
        out["column_map"] = str(self.column_map) if self.column_map else None
        return out

    @classmethod
    def from_json(cls, data: dict) -> Cycle:
        """The cycle back from :meth:`to_json`."""
        data = dict(data)
        data["census_date"] = dt.date.fromisoformat(data["census_date"])
        for key in ("raw_dir", "processed_dir", "reports_dir", "root"):
            data[key] = Path(data[key])
        data["column_map"] = Path(data["column_map"]) if data.get("column_map") else None
        return cls(**data)

    def notebook_parameters(self) -> dict:
        """The values injected into every notebook's `parameters` cell (plain JSON types)."""
        return {
            "cycle_id": self.cycle_id,
            "census_date": self.census_date.isoformat(),
            "la_code": self.la_code,
            "new_la_code": self.new_la_code,
            "la_name": self.la_name,
            "raw_dir": str(self.raw_dir),
            "processed_dir": str(self.processed_dir),
            "threshold": self.threshold,
            "horizon": self.horizon,
            "ethnicity_grouping": self.library_grouping,
            "targets": dict(self.targets),
            "comparison_figures": {k: dict(v) for k, v in self.comparison_figures.items()},
            "local_ethnicity_groups": {k: list(v) for k, v in self.local_ethnicity_groups.items()},
            "disproportionality": dict(self.disproportionality),
            **({"statistical_neighbours": self.statistical_neighbours} if self.statistical_neighbours else {}),
        }


# ---------------------------------------------------------------------------------------------
# Reading the YAML


class _Loader(yaml.SafeLoader):
    """Safe YAML that keeps dates as text (pydantic checks them) and refuses repeated keys."""

    def construct_mapping(self, node, deep=False):
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key != "<<" and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} appears twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    """The document and its node tree (for line numbers); ConfigError on anything unreadable."""
    if not path.exists():
        raise ConfigError("config file not found", file=str(path), hint="pass --config or create config/cycles.yml")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        line = exc.object[:exc.start].count(b"\n") + 1
        raise ConfigError(f"line {line}: not UTF-8 text", file=str(path), hint="save the file as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"cannot be read ({exc.strerror})", file=str(path)) from None
    try:
        return yaml.load(text, Loader=_Loader), yaml.compose(text, Loader=_Loader)  # noqa: S506 (safe loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{where}not valid YAML ({problem})", file=str(path)) from None


def _line(node: yaml.Node | None, loc: tuple, exact: bool = False) -> int | None:
    """Line (1-based) of the key at `loc` in the YAML node tree, else of its nearest parent
    (None when `exact` and the key is not written in the file)."""
    line = None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == str(key)), None)
            if match is None:
                return None if exact else line
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            return None if exact else line
    return line


# ---------------------------------------------------------------------------------------------
# Turning validation errors into one line

_MODELS: dict[tuple, type[BaseModel]] = {
    (): CycleSettings, ("targets",): Targets, ("comparison_figures",): ComparisonFigures,
    ("disproportionality",): Disproportionality,
}


# keys of earlier versions: what to do instead
_REMOVED = {"dfe_paths": "DfE data now come with sendlib (and from `sendlib fetch-dfe`); remove the key"}


def _unknown_key(key: str, known) -> str:
    if key in _REMOVED:
        return f"key {key!r} is no longer used: {_REMOVED[key]}"
    close = difflib.get_close_matches(str(key), list(known), n=1, cutoff=0.6)
    if close:
        return f"unknown key {key!r}; did you mean {close[0]!r}?"
    return f"unknown key {key!r} (known keys: {', '.join(sorted(known))})"


_KINDS = {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list", dict: "a mapping"}
_PATTERNS = {"la_code": "the LA's three-digit code (e.g. '314')",
             "new_la_code": "the LA's nine-character code (e.g. 'E09000021') or left out"}


def _first(exc: ValidationError) -> Any:
    """The error to show: an unknown key first (it is usually the cause of a missing one)."""
    errors = exc.errors()
    return next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])


def _describe(error: dict, model_path: tuple = ()) -> str:
    """One readable sentence for one pydantic error."""
    loc, kind, value = tuple(error["loc"]), error["type"], error.get("input")
    name = ".".join(str(p) for p in loc)
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
    if kind == "extra_forbidden":
        model = _MODELS.get(model_path + loc[:-1])
        known = model.model_fields if model else ()
        return _unknown_key(loc[-1], known) if known else f"unknown key {loc[-1]!r}"
    if kind == "missing":
        return f"{name} is missing"
    if loc == ("threshold",):
        return f"threshold must be a whole number of at least {SAFE_THRESHOLD}, not {shown}"
    if loc == ("census_date",):
        reason = str(error.get("ctx", {}).get("error", "")) or error["msg"]
        return f"census_date {shown} is not a date ({reason}; write YYYY-MM-DD)"
    if loc == ("ethnicity_grouping",):
        renamed = " ('kingston' is now called 'local')" if value == "kingston" else ""
        return f"ethnicity_grouping must be dfe or local, not {shown}{renamed}"
    if kind == "string_pattern_mismatch" and name in _PATTERNS:
        return f"{name} must be {_PATTERNS[name]}, not {shown}"
    if kind in ("dict_type", "model_type"):
        return f"{name} must be a mapping of names to values, not {_KINDS.get(type(value), 'that')} {shown}"
    if kind == "string_type":
        return f"{name} must be text, not {_KINDS.get(type(value), 'that')} {shown}"
    return f"{name}: {error['msg'].rstrip('.')}, not {shown}"


def _fail(path: Path, tree, loc: tuple, message: str, hint: str | None = None):
    line = _line(tree, loc)
    raise ConfigError(f"line {line}: {message}" if line else message, file=str(path), hint=hint)


def _parse_file(doc: Any, tree, path: Path) -> ConfigFile:
    if doc is None:
        raise ConfigError("the file is empty", file=str(path), hint="it needs a `cycles:` section")
    if not isinstance(doc, dict):
        raise ConfigError(f"the file must be a mapping with a `cycles:` section, not {_KINDS.get(type(doc), 'that')}",
                          file=str(path))
    try:
        config = ConfigFile.model_validate(doc)
    except ValidationError as exc:
        error = _first(exc)
        if error["type"] == "extra_forbidden" and len(error["loc"]) == 1:
            message = _unknown_key(error["loc"][0], ConfigFile.model_fields)
        elif tuple(error["loc"][:1]) == ("cycles",) and error["type"] == "dict_type":
            message = f"cycles must be a mapping of cycle id to settings, not {_KINDS.get(type(doc['cycles']), 'that')}"
        else:
            message = _describe(error)
        _fail(path, tree, tuple(error["loc"]), message)
    for key in config.defaults:
        if key not in CycleSettings.model_fields:
            _fail(path, tree, ("defaults", key), _unknown_key(key, CycleSettings.model_fields))
    for cycle_id in config.cycles:
        if not isinstance(cycle_id, str) or not CYCLE_ID.fullmatch(cycle_id):
            _fail(path, tree, ("cycles", cycle_id), _bad_id(cycle_id))
    return config


def _bad_id(cycle_id) -> str:
    return f"cycle id {cycle_id!r} may hold only lower-case letters, digits and hyphens (e.g. 2026-spring)"


def _parse_cycle(cycle_id: str, config: ConfigFile, tree, path: Path) -> CycleSettings:
    entry = config.cycles[cycle_id]
    if not isinstance(entry, dict):
        _fail(path, tree, ("cycles", cycle_id),
              f"cycle {cycle_id!r} must be a mapping of settings, not {_KINDS.get(type(entry), 'that')}")
    try:
        return CycleSettings.model_validate({**config.defaults, **entry})
    except ValidationError as exc:
        error = _first(exc)
        loc = tuple(error["loc"])
        in_cycle = error["type"] == "missing" or (loc[:1] and loc[0] in entry) or not config.defaults
        where = ("cycles", cycle_id) if in_cycle else ("defaults",)
        _fail(path, tree, where + loc, f"cycle {cycle_id!r}: {_describe(error)}")
        raise  # unreachable: _fail raises


# ---------------------------------------------------------------------------------------------
# From settings to a Cycle


def _inside(path: Path, folder: Path) -> bool:
    return os.path.commonpath([path, folder]) == str(folder)


def _paths(settings: CycleSettings, cycle_id: str, base: Path, allowed: list[Path],
           path: Path, tree) -> dict[str, Any]:
    """The cycle's folders, absolute; each must lie inside the project or an allowed folder."""
    def resolve(key: str, value: str, loc: tuple) -> Path:
        p = Path(os.path.normpath(os.path.join(base, os.path.expanduser(value))))
        if not any(_inside(p, a) for a in [base, *allowed]):
            in_cycle = _line(tree, ("cycles", cycle_id, loc[0]), exact=True) is not None
            where = ("cycles", cycle_id, *loc) if in_cycle else ("defaults", *loc)
            _fail(path, tree, where, f"{key} {value!r} of cycle {cycle_id!r} is outside the project folder {base}",
                  hint="list its folder under paths_outside_project to allow it")
        return p

    return {
        "raw_dir": resolve("raw_dir", settings.raw_dir, ("raw_dir",)),
        "processed_dir": resolve("processed_dir", settings.processed_dir or f"data/processed/{cycle_id}",
                                 ("processed_dir",)),
        "reports_dir": resolve("reports_dir", settings.reports_dir or f"reports/{cycle_id}", ("reports_dir",)),
        "statistical_neighbours": str(resolve("statistical_neighbours", settings.statistical_neighbours,
                                              ("statistical_neighbours",))) if settings.statistical_neighbours else "",
    }


def _ethnicity_codes() -> dict[str, dict[str, str]]:
    """The known ethnicity codes of the code list (read without pandas: the config is checked
    before anything heavy is imported)."""
    import csv
    from importlib import resources

    with resources.files("sendlib.codelists").joinpath("ethnicity.csv").open(encoding="utf-8") as fh:
        return {row["code"]: row for row in csv.DictReader(fh) if row["known"] == "True"}


def _local_groups(settings: CycleSettings, fail) -> dict[str, list[str]]:
    """The local ethnicity grouping, checked against the code list and against what the library
    can apply."""
    known = _ethnicity_codes()
    listed = [c for codes in settings.local_ethnicity_groups.values() for c in codes]
    for group, codes in settings.local_ethnicity_groups.items():
        for code in codes:
            if code not in known:
                fail(("local_ethnicity_groups", group), f"unknown ethnicity code {code!r} in group {group!r}")
            if listed.count(code) > 1:
                fail(("local_ethnicity_groups", group), f"ethnicity code {code!r} is in more than one group")
    if settings.ethnicity_grouping != LOCAL_GROUPING:
        return dict(settings.local_ethnicity_groups)
    if not settings.local_ethnicity_groups:
        fail(("ethnicity_grouping",), "ethnicity_grouping local needs local_ethnicity_groups (group: [codes])")
    moved = {code: row["major_group_dfe"] for code, row in known.items()}
    moved.update({c: g for g, codes in settings.local_ethnicity_groups.items() for c in codes})
    built_in = {code: row[f"major_group_{_LIBRARY_LOCAL}"] for code, row in known.items()}
    if moved != built_in:
        fail(("local_ethnicity_groups",), "sendlib can so far apply only the local grouping "
             "{Chinese: [CHNE]} (Chinese as its own group, the rest as the DfE's major groups)")
    return dict(settings.local_ethnicity_groups)


def _build(cycle_id: str, settings: CycleSettings, config: ConfigFile, base: Path, path: Path,
           tree, unsafe: bool) -> Cycle:
    def fail(loc: tuple, message: str, hint: str | None = None):
        in_cycle = _line(tree, ("cycles", cycle_id, loc[0]), exact=True) is not None
        _fail(path, tree, (("cycles", cycle_id) if in_cycle else ("defaults",)) + loc,
              f"cycle {cycle_id!r}: {message}", hint)

    if settings.threshold < SAFE_THRESHOLD and not unsafe:
        fail(("threshold",), f"threshold {settings.threshold} is below {SAFE_THRESHOLD}, the smallest safe "
             "publishing threshold", hint="pass --unsafe to publish with it anyway; every page then says so")
    allowed = [Path(os.path.normpath(os.path.join(base, os.path.expanduser(p)))) for p in config.paths_outside_project]
    return Cycle(
        cycle_id=cycle_id,
        title=settings.title or f"Review cycle {cycle_id}",
        census_date=settings.census_date,
        la_code=settings.la_code,
        new_la_code=settings.new_la_code,
        la_name=settings.la_name,
        **_paths(settings, cycle_id, base, allowed, path, tree),
        threshold=settings.threshold,
        horizon=settings.horizon,
        ethnicity_grouping=settings.ethnicity_grouping,
        synthetic=settings.synthetic,
        root=base,
        targets=settings.targets.model_dump(),
        comparison_figures={k: v for k, v in settings.comparison_figures.model_dump().items() if v},
        local_ethnicity_groups=_local_groups(settings, fail),
        disproportionality=settings.disproportionality.model_dump(),
        unsafe=unsafe,
        column_map=_column_map(settings, base, fail),
    )


def _column_map(settings: CycleSettings, base: Path, fail) -> Path | None:
    """The cycle's column map: the file it names (which must exist), else config/column_map.yml if present."""
    found = Path(os.path.normpath(os.path.join(base, os.path.expanduser(settings.column_map or DEFAULT_COLUMN_MAP))))
    if settings.column_map and not found.is_file():
        fail(("column_map",), f"column map {settings.column_map!r} not found", hint="give the path of a YAML file")
    return found if found.is_file() else None


def load_config(path: Path) -> tuple[dict[str, CycleSettings], ConfigFile, yaml.Node | None]:
    """Every cycle of the file validated (settings by cycle id), the file, and its node tree."""
    doc, tree = _read_yaml(path)
    config = _parse_file(doc, tree, path)
    return {cid: _parse_cycle(cid, config, tree, path) for cid in config.cycles}, config, tree


def load_cycle(cycle_id: str, config_path: str | Path = "config/cycles.yml",
               root: str | Path | None = None, *, unsafe: bool = False) -> Cycle:
    """Read and validate cycle `cycle_id` of `config_path` (every cycle of the file is checked);
    relative paths are taken from `root` (the project root, by default the config folder's parent)."""
    if not CYCLE_ID.fullmatch(cycle_id):
        raise ConfigError(_bad_id(cycle_id))
    path = Path(config_path)
    settings, config, tree = load_config(path)
    if cycle_id not in settings:
        close = difflib.get_close_matches(cycle_id, list(settings), n=1)
        raise ConfigError(f"no cycle {cycle_id!r}" + (f"; did you mean {close[0]!r}?" if close else "")
                          + f"; known cycles: {', '.join(sorted(settings)) or 'none'}", file=str(path))
    base = Path(os.path.abspath(root if root is not None else path.resolve().parent.parent))
    return _build(cycle_id, settings[cycle_id], config, base, path, tree, unsafe)
