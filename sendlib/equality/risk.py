"""Disproportionality: the risk of being in the cohort for pupils of a group against all other
pupils of the school census, its ratio with Katz's 95% interval, and the flag."""
from __future__ import annotations

import math

import pandas as pd

from sendlib.equality.counts import CountedTables
from sendlib.equality.topics import SPECIAL, TOPIC, TOTAL, population_cell, pupils_cell

FLAGS = ("Higher", "Lower")  # the flags that state a difference
COLUMNS = ["cohort", "topic", "breakdown", "cohort_pupils", "population", "risk_percent", "risk_ratio",
           "risk_ratio_lower", "risk_ratio_upper", "disproportionality"]


def risk_ratio(a: int, n1: int, b: int, n0: int, z: float = 1.959964) -> tuple[float, float, float]:
    """Risk ratio (a/n1) / (b/n0) with its Katz log-method confidence interval (lower, upper).

    NaN where undefined (a group or comparison group without pupils, or no one in the cohort).
    """
    if n1 <= 0 or n0 <= 0 or b <= 0:
        return math.nan, math.nan, math.nan
    rr = (a / n1) / (b / n0)
    if a <= 0:
        return rr, math.nan, math.nan
    se = math.sqrt(max(1 / a - 1 / n1 + 1 / b - 1 / n0, 0.0))
    return rr, math.exp(math.log(rr) - z * se), math.exp(math.log(rr) + z * se)


def flag(a: int, n1: int, rest_a: int, rest_n: int, lower: float, upper: float,
         cell_size: int, n_size: int) -> str:
    """Higher or Lower when both groups are large enough and the interval excludes 1; otherwise
    No difference shown, or Too small to judge."""
    large = a >= cell_size and n1 >= n_size and rest_a >= cell_size and rest_n >= n_size
    if not large or math.isnan(lower):
        return "Too small to judge"
    if lower > 1:
        return "Higher"
    if upper < 1:
        return "Lower"
    return "No difference shown"


def disproportionality(counted: CountedTables, cell_size: int = 10, n_size: int = 30) -> pd.DataFrame:
    """Risk, risk ratio and flag of every group with a known value, before disclosure control.

    Returns one row per (cohort, topic, breakdown) of the disproportionality topics: `cohort_pupils`
    (the cohort in the school census), `population` (pupils), `risk_percent`, `risk_ratio`,
    `risk_ratio_lower`, `risk_ratio_upper` and `disproportionality` (Higher, Lower, No difference
    shown, Too small to judge). Unknown, Total known and Total rows carry the counts and the risk
    but no ratio.
    """
    v = counted.values
    out = []
    for cohort, topic, b in counted.rows.itertuples(index=False):
        if not TOPIC[topic].disproportionality:
            continue
        a, n1 = v[pupils_cell(cohort, topic, b)], v[population_cell(topic, b)]
        risk = 100 * a / n1 if n1 else math.nan
        rr = lo = hi = math.nan
        label = None
        if b not in SPECIAL:
            rest_a = v[pupils_cell(cohort, topic, TOTAL)] - a
            rest_n = v[population_cell(topic, TOTAL)] - n1
            rr, lo, hi = risk_ratio(a, n1, rest_a, rest_n)
            label = flag(a, n1, rest_a, rest_n, lo, hi, cell_size, n_size)
        out.append((cohort, topic, b, a, n1, risk, rr, lo, hi, label))
    return pd.DataFrame(out, columns=COLUMNS)
