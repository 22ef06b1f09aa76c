"""The High Needs Block account in the layout finance teams know (the DfE's DSG management plan,
as in the Kingston plan's table): budget, spend before actions, the saving required, the savings
by workstream, the in-year shortfall after savings, other funding, and the cumulative DSG
shortfall (positive = deficit).

The rows tie together as in that table: in-year shortfall after savings = spend - budget - savings;
cumulative shortfall = last year's + in-year shortfall - other income and transfers.
:func:`shortfalls` is that rule for any number of simulated paths; :func:`dsg_table` lays one path
out as the table.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def fy_label(year: int) -> str:
    """The financial year starting in April `year`, as written in budgets: 2025 -> '2025-26'."""
    return f"{year}-{(year + 1) % 100:02d}"


def by_year(lines: dict, years: list[int]) -> pd.DataFrame:
    """Lines (name -> {financial year: amount}) as a frame, one column a year, missing years 0."""
    frame = pd.DataFrame({name: {y: float(v.get(y, 0.0)) for y in years} for name, v in lines.items()}).T
    return frame.reindex(columns=years, fill_value=0.0) if len(frame) else pd.DataFrame(columns=years, dtype=float)


def shortfalls(spend: np.ndarray, allocation: np.ndarray, savings: np.ndarray, other: np.ndarray,
               opening: float) -> tuple[np.ndarray, np.ndarray]:
    """(in-year shortfall after savings, cumulative DSG shortfall), each shaped like `spend`
    (paths x years); `allocation`, `savings` and `other` (income and transfers) are by year."""
    in_year = spend - allocation - savings
    return in_year, opening + np.cumsum(in_year - other, axis=-1)


def dsg_table(years: list[int], allocation: dict, spend: dict, savings: dict, other_income: dict,
              opening: float) -> pd.DataFrame:
    """The familiar table (GBP m): one row a line, one column a financial year. `allocation` and
    `spend` map financial year -> amount; `savings` and `other_income` map a line's name to its
    amounts by year (positive numbers, shown negative as in the plan)."""
    alloc = np.array([float(allocation[y]) for y in years])
    gross = np.array([float(spend[y]) for y in years])
    saved, other = by_year(savings, years), by_year(other_income, years)
    in_year, cumulative = shortfalls(gross, alloc, saved.sum().to_numpy(), other.sum().to_numpy(), opening)
    rows = {"High needs budget": alloc, "Forecast spend before actions": gross,
            "Saving required to balance the block": gross - alloc}
    rows.update({name: -saved.loc[name].to_numpy() for name in saved.index})
    rows["Total financial impact of actions"] = -saved.sum().to_numpy()
    rows["Cumulative financial impact of actions"] = -np.cumsum(saved.sum().to_numpy())
    rows["In-year high needs shortfall after savings"] = in_year
    rows.update({name: -other.loc[name].to_numpy() for name in other.index})
    rows["Cumulative DSG funding shortfall"] = cumulative
    return pd.DataFrame(rows, index=[fy_label(y) for y in years]).T.rename_axis("GBP m")
