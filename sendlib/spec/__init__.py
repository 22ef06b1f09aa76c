"""Declarative specs of the raw extracts (`raw_files.yml`), read by the generator, the cleaner and the tests."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml

SEN2_MODULES = ["person", "requests", "assessment", "named_plan", "plan_detail", "active_plans",
                "placement_detail", "sen_need"]


@lru_cache(maxsize=None)
def raw_files() -> dict:
    """The raw-file spec: {'sen2': {module: {...}}, 'other': {file: {...}}}."""
    text = resources.files(__package__).joinpath("raw_files.yml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def columns(name: str) -> list[str]:
    """Declared columns of raw file `name` (a SEN2 module or school_census/establishments/population)."""
    spec = raw_files()
    entry = spec["sen2"].get(name) or spec["other"][name]
    return list(entry["columns"])
