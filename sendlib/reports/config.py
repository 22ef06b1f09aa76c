"""Review-cycle configuration (`config/cycles.yml`): what a scheduled run needs to know."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from sendlib.errors import ConfigError


@dataclass(frozen=True)
class Cycle:
    """One review cycle: census date, LA, data paths and analysis parameters."""

    cycle_id: str
    title: str
    census_date: dt.date
    la_code: str
    new_la_code: str
    la_name: str
    raw_dir: Path
    processed_dir: Path
    reports_dir: Path
    threshold: int = 5
    horizon: int = 5
    ethnicity_grouping: str = "dfe"
    synthetic: bool = False
    root: Path = field(default=Path("."), compare=False)

    @property
    def census_year(self) -> int:
        return self.census_date.year

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
            "ethnicity_grouping": self.ethnicity_grouping,
        }


def _date(value, path: Path, cycle_id: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"census_date {value!r} of cycle {cycle_id!r} is not a date YYYY-MM-DD",
                          file=str(path)) from None


def load_cycle(cycle_id: str, config_path: str | Path = "config/cycles.yml",
               root: str | Path | None = None) -> Cycle:
    """Read cycle `cycle_id` from `config_path`; paths are resolved against `root` (the project root)."""
    path = Path(config_path)
    if not path.exists():
        raise ConfigError("config file not found", file=str(path),
                          hint="pass --config or create config/cycles.yml")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML ({str(exc).splitlines()[0]})", file=str(path)) from None
    cycles = doc.get("cycles") or {}
    if cycle_id not in cycles:
        raise ConfigError(f"no cycle {cycle_id!r}; known cycles: {', '.join(sorted(cycles)) or 'none'}",
                          file=str(path))
    entry = {**(doc.get("defaults") or {}), **cycles[cycle_id]}
    required = ["census_date", "la_code", "la_name", "raw_dir"]
    missing = [k for k in required if not entry.get(k)]
    if missing:
        raise ConfigError(f"cycle {cycle_id!r} lacks {', '.join(missing)}", file=str(path))
    base = Path(root) if root is not None else path.resolve().parent.parent
    resolve = lambda p: (base / p).resolve() if not Path(p).is_absolute() else Path(p)  # noqa: E731
    grouping = entry.get("ethnicity_grouping", "dfe")
    if grouping not in {"dfe", "kingston"}:
        raise ConfigError(f"ethnicity_grouping must be dfe or kingston, not {grouping!r}", file=str(path))
    return Cycle(
        cycle_id=cycle_id,
        title=str(entry.get("title") or f"Review cycle {cycle_id}"),
        census_date=_date(entry["census_date"], path, cycle_id),
        la_code=str(entry["la_code"]),
        new_la_code=str(entry.get("new_la_code") or ""),
        la_name=str(entry["la_name"]),
        raw_dir=resolve(entry["raw_dir"]),
        processed_dir=resolve(entry.get("processed_dir") or f"data/processed/{cycle_id}"),
        reports_dir=resolve(entry.get("reports_dir") or f"reports/{cycle_id}"),
        threshold=int(entry.get("threshold", 5)),
        horizon=int(entry.get("horizon", 5)),
        ethnicity_grouping=grouping,
        synthetic=bool(entry.get("synthetic", False)),
        root=base,
    )
