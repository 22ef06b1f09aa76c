"""Check the published DfE totals before any figure is used, and repair or withhold bad cells.

Every total (EHC plans at the census, new plans and requests in a calendar year) of every area
and year is checked against general rules, none written for one cell:

- **equals region / equals England**: an LA's figure equal to its region's or England's (a
  copied aggregate; no LA is its whole region);
- **parts disagree**: the total lies outside what the same file's parts say it is
  (:mod:`sendlib.sources.dfe_parts`: placement columns and percentages, age bands, sex,
  ethnicity, statements and plans);
- **new plans above caseload**: new plans of a calendar year above the plans held at the next
  January census;
- **new plans above requests**: new plans of a year above 1.5 times that year's requests;
- **jump**: a year-on-year change that, after England's change is taken out, lies far outside
  what LAs' histories show (:data:`JUMP_Z` robust standard deviations, allowing for the chance
  variation of small counts); a jump undone the next year marks a one-year outlier, a jump that
  holds is a level shift, a jump in the latest year cannot be told apart;
- **revised between releases**: a figure published differently by two releases (the later is used);
- **part above its whole**: for the other calendar-year flows (:data:`FLOWS`: requests refused,
  assessments with and without a plan, plans issued and within 20 weeks, ceased plans), checked by
  the rules above except the jump (timeliness can rightly change by half in a year), a count
  above the count it is part of (plans issued within 20 weeks above plans issued, requests
  refused above requests received).

What is done with a flagged figure (the **action**): a figure the file's own parts agree with is
kept (except a one-year outlier, which parts from the same return cannot vouch for); otherwise it
is **repaired** to the value its parts agree on, when they pin one down and that value passes the
rules itself; otherwise it is **set missing**. Every finding is a row of the checks
table (:data:`CHECK_COLUMNS`); nothing is changed without one.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sendlib.sources import dfe

CHECK_COLUMNS = ["release", "file", "measure", "geographic_level", "area_code", "area_name", "year",
                 "published", "rule", "detail", "action", "used"]
MEASURES = ("caseload", "new_plans", "requests")
FLOWS = ("requests_refused", "assessments_plan", "assessments_no_plan", "issued", "issued_20wk", "issued_noexc",
         "issued_noexc_20wk", "ceased")
CHECKED = MEASURES + FLOWS
# (part, whole): a published part above its whole is set missing
PART_OF = (("issued_20wk", "issued"), ("issued_noexc_20wk", "issued_noexc"), ("issued_noexc", "issued"),
           ("requests_refused", "requests"))
MIN_EQUAL = 10        # an LA equal to its region below this many is left alone (tiny counts tie)
REQUEST_RATIO = 1.5   # new plans above this many times the year's requests are flagged
JUMP_Z = 6.0          # robust standard deviations beyond which a year-on-year change is a jump
_KEY = ["measure", "area_code", "time_period"]


@dataclass
class CheckedTable:
    """The published series after the checks: `table` (tidy, one row per figure; `value` is the
    value used, `published` the value as published, `checked` the action taken on it) and
    `checks` (one row per finding, columns :data:`CHECK_COLUMNS`)."""

    table: pd.DataFrame
    checks: pd.DataFrame

    def counts(self) -> pd.Series:
        """Number of findings per release."""
        return self.checks.groupby("release").size() if len(self.checks) else pd.Series(dtype=int)


def check(table_all: pd.DataFrame, parts: pd.DataFrame) -> CheckedTable:
    """Return the checked series from the rows of every release (`table_all`, as from
    ``dfe.combine_releases(..., keep_all=True)``) and the evidence of their parts."""
    revised = release_changes(table_all)
    table = dfe.combine_releases([table_all])
    cells = _cells(table)
    flags = pd.concat([_equals_aggregate(cells), _parts_verdict(cells, parts), _above(cells),
                       _above_whole(cells)], axis=1)
    cells = cells.join(flags)
    cells = cells.join(_jumps(_wide(cells, "value")).rename(columns=lambda c: f"jump_{c}"))
    cells["jump_kind"] = cells["jump_kind"].fillna("")
    cells = _decide(cells)
    findings = _findings(cells, revised)
    return CheckedTable(_apply(table, cells), findings)


# ---------------------------------------------------------------------------------------------
# the cells and the rules

def _cells(table: pd.DataFrame) -> pd.DataFrame:
    """The total of each measure, area and year: published value, where it came from, names."""
    t = table[(table["breakdown_topic"] == "total") & table["measure"].isin(CHECKED)]
    name = t["la_name"].fillna(t["region_name"]).fillna("England")
    cells = t.assign(area_name=name)[[*_KEY, "geographic_level", "region_code", "area_name", "value",
                                      "release", "file"]]
    return cells.set_index(_KEY).sort_index()


def _equals_aggregate(cells: pd.DataFrame) -> pd.DataFrame:
    """Flags `equals_region` and `equals_england` for LA figures equal to those aggregates."""
    c = cells.reset_index()
    region = c[c["geographic_level"] == "Regional"].set_index(["measure", "time_period", "region_code"])["value"]
    england = c[c["geographic_level"] == "National"].set_index(["measure", "time_period"])["value"]
    region_value = region.reindex(pd.MultiIndex.from_frame(c[["measure", "time_period", "region_code"]])).to_numpy()
    england_value = england.reindex(pd.MultiIndex.from_frame(c[["measure", "time_period"]])).to_numpy()
    is_la = (c["geographic_level"] == "Local authority").to_numpy()
    big = (c["value"] >= MIN_EQUAL).to_numpy()
    out = pd.DataFrame({"equals_region": is_la & big & (c["value"].to_numpy() == region_value),
                        "equals_england": is_la & big & (c["value"].to_numpy() == england_value)})
    out.index = cells.index
    return out


def _parts_verdict(cells: pd.DataFrame, parts: pd.DataFrame) -> pd.DataFrame:
    """Per cell: which decompositions refute the published value (`refuted_by`), which exact ones
    support it (`supported_by`), and the value the parts agree on (`candidate`, NaN if none)."""
    keys = ["measure", "area_code", "time_period", "release"]
    e = parts.merge(cells.reset_index()[[*keys, "value"]], on=keys)
    tol = np.maximum(0.5, 0.001 * e["value"])
    e["agrees"] = (e["value"] >= e["low"] - tol) & (e["value"] <= e["high"] + tol)
    g = e.groupby(_KEY, sort=True)
    names = lambda rows: rows.groupby(_KEY)["parts"].agg(", ".join)  # noqa: E731
    out = pd.DataFrame({"low": g["low"].max(), "high": g["high"].min()})
    out["refuted_by"] = names(e[~e["agrees"]])
    out["supported_by"] = names(e[e["agrees"] & e["exact"]])
    # the parts pin the total down when every decomposition admits (nearly) one value: their sum
    width = out["high"] - out["low"]
    pinned = (width >= -0.5) & (width <= np.maximum(1.0, 0.005 * out["low"]))
    out["candidate"] = np.where(pinned, np.round(out["low"]), np.nan)
    out = out.reindex(cells.index)
    out[["refuted_by", "supported_by"]] = out[["refuted_by", "supported_by"]].fillna("")
    return out[["refuted_by", "supported_by", "candidate"]]


def _above(cells: pd.DataFrame) -> pd.DataFrame:
    """Flags `above_caseload` (new plans of year Y above the caseload of January Y + 1) and
    `above_requests` (new plans above REQUEST_RATIO times the year's requests, plus 5)."""
    value = cells["value"]
    new = value.xs("new_plans", level="measure")
    caseload_next = value.xs("caseload", level="measure").rename(lambda y: y - 1, level="time_period")
    requests = value.xs("requests", level="measure") if "requests" in value.index.unique("measure") else new * np.nan
    above_caseload = (new > caseload_next.reindex(new.index)).fillna(False)
    above_requests = (new > REQUEST_RATIO * requests.reindex(new.index) + 5).fillna(False)
    out = pd.DataFrame({"above_caseload": False, "above_requests": False}, index=cells.index)
    idx = pd.MultiIndex.from_arrays([["new_plans"] * len(new), new.index.get_level_values(0),
                                     new.index.get_level_values(1)], names=_KEY)
    out.loc[idx, "above_caseload"] = above_caseload.to_numpy()
    out.loc[idx, "above_requests"] = above_requests.to_numpy()
    return out


def _above_whole(cells: pd.DataFrame) -> pd.DataFrame:
    """Flag `above_whole` for a flow above the count it is part of (:data:`PART_OF`), same area and year."""
    value = cells["value"]
    out = pd.Series(False, index=cells.index, name="above_whole")
    present = set(value.index.unique("measure"))
    for part, whole in PART_OF:
        if part in present and whole in present:
            p, w = value.xs(part, level="measure"), value.xs(whole, level="measure")
            above = (p > w.reindex(p.index)).fillna(False)
            idx = pd.MultiIndex.from_arrays([[part] * len(p), p.index.get_level_values(0),
                                             p.index.get_level_values(1)], names=_KEY)
            out.loc[idx] = out.loc[idx].to_numpy() | above.to_numpy()
    return out.to_frame()


def _wide(cells: pd.DataFrame, column: str) -> dict[str, pd.DataFrame]:
    """`column` of the cells as one areas x years frame per measure checked for jumps (:data:`MEASURES`)."""
    return {m: cells[column].xs(m, level="measure").unstack("time_period").astype(float)
            for m in cells.index.unique("measure") if m in MEASURES}


def jump_scores(wide: pd.DataFrame, is_la: np.ndarray, national: int) -> pd.DataFrame:
    """Return z (areas x years, NaN for the first year): each year-on-year log change less England's,
    over a robust standard deviation of that across LAs (LA-years of at least 100 both years)
    combined with the chance variation of counts this size (Poisson, at the mean of the two years:
    a fall from 270 to 0 is not excused by the zero)."""
    v = wide.to_numpy(dtype=float)
    change = np.diff(np.log(v + 0.5), axis=1)
    dev = change - change[national]
    var = 4.0 / (v[:, 1:] + v[:, :-1] + 1.0)
    big = is_la[:, None] & (v[:, 1:] >= 100) & (v[:, :-1] >= 100) & np.isfinite(dev)
    centre = np.median(dev[big]) if big.any() else 0.0
    spread = 1.4826 * np.median(np.abs(dev[big] - centre)) if big.any() else 0.1
    z = (dev - centre) / np.sqrt(spread ** 2 + var)
    z[national] = np.nan
    return pd.DataFrame(np.column_stack([np.full(len(v), np.nan), z]), index=wide.index, columns=wide.columns)


def _jumps(wides: dict[str, pd.DataFrame], levels: pd.Series | None = None) -> pd.DataFrame:
    """Per cell: `z` (see :func:`jump_scores`), `kind` ('spike': undone the next year; 'latest':
    in the area's last year; 'shift': a change that holds; '' when no jump) and `change` (%)."""
    frames = []
    for measure, wide in wides.items():
        names = wide.index.to_series()
        national = int(np.flatnonzero(names.str.startswith("E92").to_numpy())[0])
        is_la = ~names.str.startswith("E").to_numpy()
        z = jump_scores(wide, is_la, national)
        big = z.abs() > JUMP_Z
        after = z.shift(-1, axis=1)
        spike = big & (after.abs() > JUMP_Z) & (np.sign(after) != np.sign(z))
        recovery = spike.shift(1, axis=1, fill_value=False)  # the way back from a one-year outlier
        last = wide.notna() & wide.shift(-1, axis=1).isna()
        kind = pd.DataFrame(np.select([spike, recovery, big & last, big], ["spike", "", "latest", "shift"], ""),
                            index=wide.index, columns=wide.columns)
        change = (wide / wide.shift(1, axis=1) - 1) * 100
        part = pd.DataFrame({"z": z.stack(future_stack=True), "kind": kind.stack(future_stack=True),
                             "change": change.stack(future_stack=True)})
        frames.append(pd.concat({measure: part}, names=["measure"]))
    out = pd.concat(frames)
    out.index = out.index.set_names(_KEY)
    return out


def _decide(cells: pd.DataFrame) -> pd.DataFrame:
    """Add `suspect` (the figure cannot be used as published), `used` and `action` to each cell."""
    c = cells.copy()
    supported = c["supported_by"] != ""
    copied = c["equals_region"] | c["equals_england"]
    # a one-year outlier that the next year undoes is not saved by parts that agree with it
    implausible = ((c["above_caseload"] | (c["jump_kind"] == "latest")) & ~supported) | (c["jump_kind"] == "spike")
    c["suspect"] = copied | ((c["refuted_by"] != "") & ~supported) | implausible | c["above_whole"]
    proposed = c["value"].where(~c["suspect"], c["candidate"])
    # a repair must pass the rules itself: no jump out of line with its neighbours, not above caseload
    again = _jumps(_wide(c.assign(proposed=proposed), "proposed")).reindex(c.index)
    redo = _above(c.assign(value=proposed))
    bad = again["kind"].isin(["spike", "latest"]) | redo["above_caseload"]
    c["used"] = proposed.where(~(c["suspect"] & bad))
    flagged = c["suspect"] | (c["refuted_by"] != "") | c["above_caseload"] | c["above_requests"] \
        | (c["jump_kind"] != "")
    repaired = c["suspect"] & c["used"].notna()
    c["action"] = np.select(
        [repaired, c["suspect"], flagged & supported, flagged & (c["jump_kind"] == "shift")],
        ["repaired to the sum of its parts (" + c["refuted_by"] + ")", "set missing",
         "kept: agrees with its " + c["supported_by"], "kept: a level shift that the next years confirm"],
        np.where(flagged, "kept", ""))
    return c


def _findings(cells: pd.DataFrame, revised: pd.DataFrame) -> pd.DataFrame:
    """One row per cell and rule that flagged it, plus the figures revised between releases."""
    c = cells.reset_index()
    rows = []
    for rule, mask, detail in _rule_details(c):
        detail = detail if isinstance(detail, pd.Series) else pd.Series(detail, index=c.index, dtype="string")
        rows.append(c[mask].assign(rule=rule, detail=detail[mask]))
    found = pd.concat(rows, ignore_index=True) if rows else c.iloc[0:0]
    found = found.rename(columns={"time_period": "year", "value": "published"})
    if len(revised):
        r = revised.merge(c[[*_KEY, "action", "used"]].rename(columns={"time_period": "year", "action": "_a"}),
                          left_on=["measure", "area_code", "year"], right_on=["measure", "area_code", "year"],
                          how="left", suffixes=("", "_cell"))
        r["action"] = r["_a"].where(r["_a"].fillna("") != "", "later release used")
        r["used"] = r["used_cell"]
        found = pd.concat([found, r], ignore_index=True)
    found = found[CHECK_COLUMNS].sort_values(["measure", "year", "area_code", "rule", "release"], kind="stable")
    found["year"] = found["year"].astype(int)
    return found.reset_index(drop=True)


def _number_text(values: pd.Series) -> pd.Series:
    return pd.Series([f"{v:,.0f}" if pd.notna(v) else "missing" for v in values], index=values.index, dtype="string")


def _percent_text(values: pd.Series) -> pd.Series:
    return pd.Series([f"{v:+.0f}%" if pd.notna(v) else "" for v in values], index=values.index, dtype="string")


def _rule_details(c: pd.DataFrame):
    """(rule, mask, detail) for each rule over the cell table `c`."""
    fmt, pct = _number_text, _percent_text
    return [
        ("equals region", c["equals_region"], "equal to its region's figure " + fmt(c["value"])),
        ("equals England", c["equals_england"], "equal to England's figure " + fmt(c["value"])),
        ("parts disagree", c["refuted_by"] != "", "its " + c["refuted_by"] + " add up to "
         + fmt(c["candidate"]).where(c["candidate"].notna(), "another figure")),
        ("new plans above caseload", c["above_caseload"], "more new plans than plans held at the next census"),
        ("new plans above requests", c["above_requests"], f"more than {REQUEST_RATIO:g} times the year's requests"),
        ("part above its whole", c["above_whole"], "more than the count it is part of"),
        ("jump", c["jump_kind"] != "", c["jump_kind"].map({"spike": "one-year outlier", "latest": "latest year",
                                                             "shift": "level shift", "": ""})
         + ": " + pct(c["jump_change"]) + " on the year before"),
    ]


def release_changes(table_all: pd.DataFrame) -> pd.DataFrame:
    """Return the totals published differently by two releases, as findings (the later is used)."""
    t = table_all[(table_all["breakdown_topic"] == "total") & table_all["measure"].isin(CHECKED)]
    keys = ["measure", "area_code", "time_period"]
    t = t.sort_values([*keys, "release"], kind="stable")
    first = t.groupby(keys).head(1)[[*keys, "release", "value"]]
    last = t.groupby(keys).tail(1)
    both = last.merge(first, on=keys, suffixes=("", "_early")).set_index(keys)
    both = both[both["release_early"] != both["release"]]
    differ = ~((both["value"] == both["value_early"]) | (both["value"].isna() & both["value_early"].isna()))
    out = both[differ].reset_index()
    name = out["la_name"].fillna(out["region_name"]).fillna("England")
    fmt = _number_text
    return pd.DataFrame({
        "release": out["release"], "file": out["file"], "measure": out["measure"],
        "geographic_level": out["geographic_level"], "area_code": out["area_code"], "area_name": name,
        "year": out["time_period"], "published": out["value"], "rule": "revised between releases",
        "detail": "release " + out["release_early"] + " gave " + fmt(out["value_early"]),
        "action": "", "used": out["value"]})


def _apply(table: pd.DataFrame, cells: pd.DataFrame) -> pd.DataFrame:
    """The tidy table with each checked total's value replaced by the value used."""
    out = table.copy()
    out["published"] = out["value"]
    out["checked"] = pd.Series(pd.NA, index=out.index, dtype="string")
    is_total = (out["breakdown_topic"] == "total") & out["measure"].isin(CHECKED)
    idx = pd.MultiIndex.from_frame(out.loc[is_total, _KEY])
    decided = cells.reindex(idx)
    out.loc[is_total, "value"] = decided["used"].to_numpy()
    action = decided["action"].str.split(":| \\(", regex=True).str[0].replace("", pd.NA)
    out.loc[is_total, "checked"] = action.to_numpy()
    return out
