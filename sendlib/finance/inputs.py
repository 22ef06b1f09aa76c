"""The finance inputs of a review cycle (`config/finance.yml`), validated before anything is costed.

The file holds `defaults` (merged under every cycle, key by key) and `cycles` (cycle id -> inputs).
Money is in GBP million except unit costs (GBP a plan a year). Financial years are written
'2025-26' or by the calendar year they start in (2025). Every value is typed (:class:`FinanceInputs`); an
unknown key, a missing one or a wrong value is one :class:`~sendlib.errors.ConfigError` line that
names the file, the cycle and the key.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from sendlib.errors import ConfigError


def _financial_year(value: Any) -> Any:
    """A financial year written as budgets write it ('2025-26') or by its first year (2025)."""
    text = str(value).strip()
    if len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit():
        if (int(text[:4]) + 1) % 100 != int(text[5:]):
            raise ValueError(f"{text} is not a financial year (write 2025-26)")
        return int(text[:4])
    return value


Year = Annotated[int, BeforeValidator(_financial_year), Field(ge=2000, le=2100)]
Money = float  # GBP million; savings and income may be entered as positive amounts
ByYear = dict[Year, Money]
Share = Annotated[float, Field(ge=0, le=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CostGroup(_Strict):
    """Plans of one cost group: shares of the forecast's placement groups, at one unit cost."""

    placements: dict[str, Share] = Field(min_length=1)  # forecast placement group -> share of it
    unit_cost: Annotated[float, Field(gt=0, le=1_000_000)]  # GBP a plan a year, in `cost_year`
    cost_year: Year  # the financial year the unit cost refers to
    uplift: Annotated[float, Field(ge=-0.2, le=0.5)] = 0.0  # yearly uplift of the unit cost
    uplift_sd: Annotated[float, Field(ge=0, le=0.2)] = 0.0  # uncertainty of the uplift, a year


class FixedLine(_Strict):
    """Spend that does not scale with plans (GBP m in `cost_year`, uplifted yearly)."""

    amount: Annotated[float, Field(ge=0)]
    cost_year: Year
    uplift: Annotated[float, Field(ge=-0.2, le=0.5)] = 0.0


class Scenario(_Strict):
    """A what-if run beside the forecast; every part is optional and they combine."""

    growth_cap: list[Annotated[float, Field(ge=0)]] = []  # extra plans a year at most (last repeated)
    move_new: dict[str, Any] | None = None  # {from: group, to: group, share: 0-1} of new plans
    unit_cost_targets: dict[str, ByYear] = {}  # cost group -> {financial year: GBP a plan}

    @model_validator(mode="after")
    def _move_new_complete(self) -> Scenario:
        move = self.move_new
        if move is not None:
            if set(move) != {"from", "to", "share"}:
                raise ValueError("move_new needs exactly from, to and share")
            if not isinstance(move["share"], (int, float)) or not 0 <= move["share"] <= 1:
                raise ValueError("move_new share must be a number from 0 to 1")
        return self


class FinanceInputs(_Strict):
    """One cycle's High Needs Block inputs after `defaults` are merged in."""

    allocation: ByYear = Field(min_length=1)  # High Needs Block allocation by financial year
    other_income: dict[str, ByYear] = {}  # transfers (e.g. from the schools block) and other income
    opening_balance: float = 0.0  # cumulative DSG shortfall carried in (positive = deficit)
    cost_groups: dict[str, CostGroup] = Field(min_length=1)
    fixed: dict[str, FixedLine] = {}
    savings: dict[str, ByYear] = {}  # workstream -> savings by financial year (positive amounts)
    deficit_threshold: Annotated[float, Field(ge=0)] = 0.0  # cumulative shortfall worth a warning
    scenarios: dict[str, Scenario] = {}
    simulations: Annotated[int, Field(ge=100, le=100_000)] = 2000
    seed: int = 20250116

    @model_validator(mode="after")
    def _groups_known(self) -> FinanceInputs:
        for name, sc in self.scenarios.items():
            named = list(sc.unit_cost_targets) + ([sc.move_new["from"], sc.move_new["to"]] if sc.move_new else [])
            unknown = [g for g in named if g not in self.cost_groups]
            if unknown:
                raise ValueError(f"scenario {name!r} names cost group {unknown[0]!r}, which is not in cost_groups")
        return self


class NoFinanceInputs(ConfigError):
    """The finance config holds nothing for this cycle (report 6 then says how to add it)."""


def _where(error: Any) -> str:
    return ".".join(str(p) for p in error["loc"]) or "(top level)"


def parse(entry: dict, *, file: str, cycle_id: str) -> FinanceInputs:
    """Validate one cycle's merged entry; any problem is one ConfigError line."""
    try:
        return FinanceInputs.model_validate(entry)
    except ValidationError as exc:
        first = exc.errors()[0]
        message = first["msg"].removeprefix("Value error, ")
        raise ConfigError(f"cycle {cycle_id!r}, key {_where(first)}: {message}", file=file) from None


def load_inputs(cycle_id: str, path: str | Path = "config/finance.yml") -> FinanceInputs:
    """The finance inputs of `cycle_id` from `path` (its `defaults` merged under its own entry)."""
    path = Path(path)
    if not path.exists():
        raise NoFinanceInputs("finance config not found", file=str(path),
                          hint="create it from the demo's config/finance.yml")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML ({str(exc).splitlines()[0]})", file=str(path)) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("cycles"), dict):
        raise ConfigError("needs a mapping `cycles:` (cycle id -> finance inputs)", file=str(path))
    if cycle_id not in doc["cycles"]:
        known = ", ".join(sorted(map(str, doc["cycles"]))) or "none"
        raise NoFinanceInputs(f"no finance inputs for cycle {cycle_id!r}; known: {known}", file=str(path))
    entry = {**(doc.get("defaults") or {}), **(doc["cycles"][cycle_id] or {})}
    return parse(entry, file=str(path), cycle_id=cycle_id)
