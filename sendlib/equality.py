"""Equality-assessment (EqIA) tables for the EHCP caseload and SEN support, with disclosure control
and disproportionality (`sendlib equality PROCESSED_DIR OUT_DIR`).

For each cohort the tables are: age (EqIA bands and DfE bands), school year, primary need, sex,
ethnicity (major groups and detailed), placement group, primary need by sex and ethnicity by age
band. Every table has its categories, an ``Unknown`` row, ``Total known`` and ``Total``; `percent`
is the share of the total (of the row group in a cross-tabulation) and `percent_of_known` the share
of those whose value is known.

Conventions:

- Age is taken at 31 August before the census, and the school year is the national curriculum
  year *for age* (age - 5), as in Kingston's published tables and the SEN2 return; so age bands are
  exact sums of school years, which the disclosure control takes into account.
- Disproportionality (sex, ethnicity and age bands): the risk of being in the cohort for pupils of a
  group in the school census, against all other pupils in the census (those whose value is unknown
  included, so that a small unknown count does not force the ratios to be withheld). The school census is
  the denominator, so the numerator is the cohort *in the school census*: pupils with SEN provision
  ``E`` for EHCPs (EHCP holders outside schools have no denominator) and ``K`` for SEN support. The
  risk ratio's 95% confidence interval uses Katz's log method. A group is flagged only when its
  cohort count is at least `cell_size` (default 10) and its pupils at least `n_size` (default 30),
  the same holds for the comparison group (the minimum sizes of the US federal method for special
  education disproportionality), and the interval excludes 1: ``Higher`` or ``Lower``; otherwise
  ``No difference shown`` or ``Too small to judge``.
- Disclosure control (:mod:`sendlib.disclosure`) covers every count published, the pupils and the
  cohort-in-census counts included; a percentage, risk or ratio is published only where every
  count it is computed from is published. Suppressed cells are ``c``; ``z`` means not applicable.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from sendlib import ages, codelists, disclosure, render
from sendlib.disclosure import Relation, TableSet
from sendlib.errors import SendlibInputError
from sendlib.render import xlsx

UNKNOWN, KNOWN, TOTAL = "Unknown", "Total known", "Total"
SPECIAL = (UNKNOWN, KNOWN, TOTAL)
NOT_APPLICABLE = "z"
SUPPRESSED = disclosure.SUPPRESSED
SEP = " | "  # joins row and column labels of a cross-tabulation in `breakdown`

COHORTS = {"EHCP": ("ehcp_caseload", "E"), "SEN support": ("sen_support", "K")}
PUPILS = "Pupils"  # the school census population, shared by both cohorts

ID_COLUMNS = ["time_period", "time_identifier", "geographic_level", "new_la_code", "old_la_code",
              "la_name", "cohort", "breakdown_topic", "breakdown"]
COUNT_COLUMNS = ["count", "percent", "percent_of_known"]
DISPROPORTIONALITY_COLUMNS = ["population", "cohort_pupils", "risk_percent", "risk_ratio",
                              "risk_ratio_lower", "risk_ratio_upper", "disproportionality"]
COLUMNS = ID_COLUMNS + COUNT_COLUMNS + DISPROPORTIONALITY_COLUMNS


@dataclass(frozen=True)
class Topic:
    id: str
    label: str  # `breakdown_topic` in the published tables
    sheet: str  # short name for the Excel sheet
    group: str  # what show_topic() calls it: age, need, sex, ethnicity, placement
    rows: str | None = None  # cross-tabulations: the one-way topics of rows and columns
    cols: str | None = None
    disproportionality: bool = False

    @property
    def is_cross(self) -> bool:
        return self.rows is not None


TOPICS = [
    Topic("age_eqia", "Age (EqIA bands)", "Age EqIA", "age", disproportionality=True),
    Topic("age_dfe", "Age (DfE bands)", "Age DfE", "age", disproportionality=True),
    Topic("school_year", "School year", "School year", "age"),
    Topic("need", "Primary need", "Primary need", "need"),
    Topic("sex", "Sex", "Sex", "sex", disproportionality=True),
    Topic("ethnicity_major", "Ethnicity (major group)", "Ethnicity", "ethnicity", disproportionality=True),
    Topic("ethnicity_detailed", "Ethnicity (detailed)", "Ethnicity detailed", "ethnicity",
          disproportionality=True),
    Topic("placement", "Placement group", "Placement", "placement"),
    Topic("need_by_sex", "Primary need by sex", "Need by sex", "need", rows="need", cols="sex"),
    Topic("ethnicity_by_age", "Ethnicity by age band", "Ethnicity by age", "ethnicity",
          rows="ethnicity_major", cols="age_eqia"),
]
TOPIC = {t.id: t for t in TOPICS}
TOPIC_BY_LABEL = {t.label: t for t in TOPICS}
GROUPS = ["age", "need", "sex", "ethnicity", "placement"]


# ---------------------------------------------------------------------------------------------
# Categories of each characteristic


def _school_year_labels(max_ncy: int = 20) -> list[str]:
    return [ages.school_year_label(n) for n in range(-2, max_ncy + 1)]


@cache
def _age_set(topic: str, label: str) -> frozenset | None:
    """Ages (at 31 August) that the age-type category `label` covers; None for Unknown."""
    if label == UNKNOWN:
        return None
    universe = range(-5, 31)
    if topic == "school_year":
        return frozenset(a for a in universe if ages.school_year_label(a - ages.NCY_OFFSET) == label)
    band = ages.eqia_age_band if topic == "age_eqia" else ages.dfe_age_band
    s = pd.Series(list(universe))
    return frozenset(int(a) for a, b in zip(s, band(s)) if b == label)


def _ethnicity_lookup(grouping: str) -> tuple[dict, dict, list[str], list[str]]:
    """(code -> detailed label, detailed label -> major group, detailed order, major order)."""
    eth = codelists.ethnicities()
    col = {"dfe": "major_group_dfe", "kingston": "major_group_kingston"}.get(grouping)
    if col is None:
        raise SendlibInputError(f"unknown ethnicity grouping {grouping!r}", hint="use dfe or kingston")
    known = eth[eth["known"] == "True"]
    label = dict(zip(known["code"], known["label"]))
    major = dict(zip(known["label"], known[col]))
    return label, major, list(known["label"]), list(dict.fromkeys(known[col]))


def _need_lookup() -> tuple[dict, list[str]]:
    st = codelists.sen_types()
    return dict(zip(st["code"], st["label"])), list(st["label"])


def categories(topic: str, grouping: str = "dfe") -> list[str]:
    """Known categories of a one-way topic in reporting order (Unknown not included)."""
    if topic == "age_eqia":
        return list(ages.EQIA_AGE_BANDS)
    if topic == "age_dfe":
        return list(ages.DFE_AGE_BANDS)
    if topic == "school_year":
        return _school_year_labels()
    if topic == "need":
        return _need_lookup()[1]
    if topic == "sex":
        return ["Male", "Female"]
    if topic == "ethnicity_major":
        return _ethnicity_lookup(grouping)[3]
    if topic == "ethnicity_detailed":
        return _ethnicity_lookup(grouping)[2]
    if topic == "placement":
        return [g for g in codelists.placement_group_order("dfe") if g != UNKNOWN]
    raise KeyError(topic)


def characteristics(df: pd.DataFrame, grouping: str = "dfe", placement: bool = True) -> pd.DataFrame:
    """One column per one-way topic: the category label of each person (``Unknown`` where missing)."""
    out = pd.DataFrame(index=df.index)
    age = pd.to_numeric(df["age"], errors="coerce").astype("Int64")
    for topic, band in (("age_eqia", ages.eqia_age_band), ("age_dfe", ages.dfe_age_band)):
        out[topic] = band(age).astype(object).where(age.notna(), UNKNOWN).fillna(UNKNOWN)
    out["school_year"] = [UNKNOWN if pd.isna(a) else ages.school_year_label(int(a) - ages.NCY_OFFSET)
                          for a in age]
    need_label, _ = _need_lookup()
    out["need"] = df["primary_need"].map(need_label).where(df["primary_need"].notna(), UNKNOWN)
    extra = df["primary_need"].notna() & out["need"].isna() & (df["primary_need"] != "UNKNOWN")
    out["need"] = out["need"].where(~extra, df["primary_need"]).fillna(UNKNOWN)
    out["sex"] = df["sex"].map({"M": "Male", "F": "Female"}).fillna(UNKNOWN)
    eth_label, eth_major, _, _ = _ethnicity_lookup(grouping)
    out["ethnicity_detailed"] = df["ethnicity"].map(eth_label).fillna(UNKNOWN)
    out["ethnicity_major"] = out["ethnicity_detailed"].map(eth_major).fillna(UNKNOWN)
    if placement:
        if "placement_group" in df:
            group = df["placement_group"]
        elif "establishment_type" in df:
            from sendlib import normalise
            group = normalise.placement(df["establishment_type"], None)["placement_group"]
        else:
            group = pd.Series(UNKNOWN, index=df.index)
        out["placement"] = group.fillna(UNKNOWN).astype(object)
    return out.astype(object)


# ---------------------------------------------------------------------------------------------
# Cells and relations


def _key(cohort, measure, topic, breakdown):
    return (cohort, measure, topic, breakdown)


def relations_for(layout: dict[tuple, list[str]], grouping: str = "dfe") -> tuple[list[Relation], set]:
    """The additive relations between the cells of a table layout, and the protected (total) cells.

    `layout` maps (cohort, measure, topic) to the ordered breakdowns of that table: for a one-way
    table its known categories, then Unknown, Total known, Total; for a cross-tabulation every
    ``row | col`` label. The same function serves the builder (true counts) and the auditor
    (published values), so both see the same structure.
    """
    rels: list[Relation] = []
    protected: set = set()
    by_measure: dict[tuple, dict[str, list[str]]] = {}
    for (cohort, measure, topic), breakdowns in layout.items():
        by_measure.setdefault((cohort, measure), {})[topic] = breakdowns
    _, eth_major, _, _ = _ethnicity_lookup(grouping)
    for (cohort, measure), topics in by_measure.items():
        def k(topic, b, cohort=cohort, measure=measure):
            return _key(cohort, measure, topic, b)
        first = None
        for topic, breakdowns in topics.items():
            if TOPIC[topic].is_cross:
                continue
            known = [b for b in breakdowns if b not in SPECIAL]
            rels.append(Relation(k(topic, KNOWN), tuple(k(topic, b) for b in known)))
            rels.append(Relation(k(topic, TOTAL), (k(topic, KNOWN), k(topic, UNKNOWN))))
            protected.add(k(topic, TOTAL))
            if first is None:
                first = topic
            else:  # every table of a cohort shows the same grand total
                rels.append(Relation(k(first, TOTAL), (k(topic, TOTAL),)))
        # age bands are sums of finer age categories (school years, or DfE bands within EqIA ones)
        age_topics = [t for t in ("school_year", "age_dfe", "age_eqia") if t in topics]
        for fine_i, fine in enumerate(age_topics):
            for coarse in age_topics[fine_i + 1:]:
                if fine_i > 0 and age_topics[0] == "school_year":
                    continue  # both bands already tied to school years
                rels.extend(_nesting(k, fine, topics[fine], coarse, topics[coarse]))
        if "ethnicity_detailed" in topics and "ethnicity_major" in topics:
            detailed = [b for b in topics["ethnicity_detailed"] if b not in SPECIAL]
            for g in (b for b in topics["ethnicity_major"] if b not in SPECIAL):
                rels.append(Relation(k("ethnicity_major", g), tuple(
                    k("ethnicity_detailed", d) for d in detailed if eth_major.get(d) == g)))
            rels.append(Relation(k("ethnicity_major", UNKNOWN), (k("ethnicity_detailed", UNKNOWN),)))
        for topic, breakdowns in topics.items():
            t = TOPIC[topic]
            if not t.is_cross:
                continue
            pairs = [b.split(SEP) for b in breakdowns]
            rows = list(dict.fromkeys(r for r, _ in pairs))
            cols = list(dict.fromkeys(c for _, c in pairs))
            known_cols = [c for c in cols if c not in SPECIAL]
            inner_rows = [r for r in rows if r != TOTAL]

            def x(r, c, topic=topic, k=k):
                return k(topic, f"{r}{SEP}{c}")
            for r in rows:
                rels.append(Relation(x(r, KNOWN), tuple(x(r, c) for c in known_cols)))
                rels.append(Relation(x(r, TOTAL), (x(r, KNOWN), x(r, UNKNOWN))))
            for c in cols:
                rels.append(Relation(x(TOTAL, c), tuple(x(r, c) for r in inner_rows)))
            protected.add(x(TOTAL, TOTAL))
            # margins are the one-way tables
            if t.rows in topics:
                for r in inner_rows:
                    rels.append(Relation(k(t.rows, r), (x(r, TOTAL),)))
            if t.cols in topics:
                for c in cols:
                    rels.append(Relation(k(t.cols, c), (x(TOTAL, c),)))
    return rels, protected


def _nesting(k, fine, fine_labels, coarse, coarse_labels) -> list[Relation]:
    """Relations coarse band = sum of the fine categories whose ages lie within it.

    Ages run to 25 (EHCPs end at 25), or further where a finer category shows older ages; a band
    gets a relation only if the fine categories cover it exactly without straddling its edges.
    """
    rels = []
    fine_sets = {b: _age_set(fine, b) for b in fine_labels if b not in SPECIAL}
    top = max([ages.MAX_AGE] + [max(s) for s in fine_sets.values() if s])
    for c in coarse_labels:
        if c in (KNOWN, TOTAL):
            continue
        if c == UNKNOWN:
            rels.append(Relation(k(coarse, UNKNOWN), (k(fine, UNKNOWN),)))
            continue
        cs = _age_set(coarse, c)
        parts = [b for b, s in fine_sets.items() if s and s <= cs]
        covered = set().union(*(fine_sets[b] for b in parts)) if parts else set()
        straddling = [b for b, s in fine_sets.items() if s and (s & cs) and not s <= cs]
        if not straddling and covered >= {a for a in cs if a <= top}:
            rels.append(Relation(k(coarse, c), tuple(k(fine, b) for b in parts)))
    return rels


# ---------------------------------------------------------------------------------------------
# Counting


@dataclass
class CountedTables:
    """True (unsuppressed) counts: the tidy rows, every cell's value and the relations."""

    rows: pd.DataFrame  # cohort, topic, breakdown, count_key, population_key, pupils_key
    values: dict
    relations: list[Relation]
    protected: set
    grouping: str

    def table_set(self) -> TableSet:
        return TableSet(self.values, self.relations, frozenset(self.protected))


def _one_way(series: pd.Series, known: list[str]) -> list[tuple[str, int]]:
    counts = series.value_counts()
    extra = sorted(c for c in counts.index if c not in known and c != UNKNOWN)
    cats = known + extra
    out = [(c, int(counts.get(c, 0))) for c in cats]
    unknown = int(counts.get(UNKNOWN, 0))
    n_known = sum(v for _, v in out)
    return out + [(UNKNOWN, unknown), (KNOWN, n_known), (TOTAL, n_known + unknown)]


def _cross(rows: pd.Series, cols: pd.Series, row_cats: list[str], col_cats: list[str]) -> list[tuple[str, int]]:
    counts = pd.crosstab(rows, cols)
    out = []
    for r in row_cats + [TOTAL]:
        known_sum = 0
        for c in col_cats:
            if r == TOTAL:
                v = int(counts[c].sum()) if c in counts.columns else 0
            else:
                v = int(counts.at[r, c]) if (r in counts.index and c in counts.columns) else 0
            out.append((f"{r}{SEP}{c}", v))
            known_sum += v if c != UNKNOWN else 0
        unknown = dict(out[-len(col_cats):])[f"{r}{SEP}{UNKNOWN}"]
        out += [(f"{r}{SEP}{KNOWN}", known_sum), (f"{r}{SEP}{TOTAL}", known_sum + unknown)]
    return out


def count_tables(source, ethnicity_grouping: str = "dfe") -> CountedTables:
    """Count every table before disclosure control.

    `source` is a processed folder (``ehcp_caseload.parquet``, ``sen_support.parquet``,
    ``pupils.parquet`` as written by ``sendlib clean``) or a dict of those three data frames.
    Returns a :class:`CountedTables` whose `rows` list the tidy rows in publication order.
    """
    frames = _read_frames(source)
    pupils = characteristics(frames["pupils"], ethnicity_grouping, placement=False)
    provision = frames["pupils"]["sen_provision"].astype(str)
    values: dict = {}
    layout: dict = {}
    rows = []

    def add(cohort, measure, topic, pairs):
        layout[(cohort, measure, topic)] = [b for b, _ in pairs]
        for b, v in pairs:
            key = _key(cohort, measure, topic, b)
            if key in values and values[key] != v:
                raise AssertionError(f"{key}: two counts {values[key]} and {v}")
            values[key] = v

    for cohort, (frame_name, code) in COHORTS.items():
        chars = characteristics(frames[frame_name], ethnicity_grouping)
        in_census = pupils[provision == code]
        one_way_cats = {}
        for t in TOPICS:
            if t.is_cross:
                continue
            pairs = _one_way(chars[t.id], categories(t.id, ethnicity_grouping))
            one_way_cats[t.id] = [b for b, _ in pairs if b not in (KNOWN, TOTAL)]
            add(cohort, "count", t.id, pairs)
            if t.disproportionality:
                cats = [b for b, _ in pairs if b not in SPECIAL]
                pop = _one_way(pupils[t.id], cats)
                pop_cats = [b for b, _ in pop if b not in SPECIAL]
                if pop_cats != cats:  # a category only the census has: add it to the cohort table
                    pairs = _one_way(chars[t.id], pop_cats)
                    one_way_cats[t.id] = [b for b, _ in pairs if b not in (KNOWN, TOTAL)]
                    add(cohort, "count", t.id, pairs)
                add(PUPILS, "population", t.id, pop)
                if cohort != "SEN support":  # SEN support *is* the census cohort: same cells
                    add(cohort, "cohort_pupils", t.id, _one_way(in_census[t.id], pop_cats))
            for b, _ in pairs:
                rows.append((cohort, t.id, b))
        for t in TOPICS:
            if not t.is_cross:
                continue
            pairs = _cross(chars[t.rows], chars[t.cols], one_way_cats[t.rows], one_way_cats[t.cols])
            add(cohort, "count", t.id, pairs)
            rows += [(cohort, t.id, b) for b, _ in pairs]

    relations, protected = relations_for(layout, ethnicity_grouping)
    table = pd.DataFrame(rows, columns=["cohort", "topic", "breakdown"])
    counted = CountedTables(table, values, relations, protected, ethnicity_grouping)
    counted.table_set().check()  # the relations must hold on the counts
    return counted


def _pupils_key(cohort, topic, breakdown):
    measure = "count" if cohort == "SEN support" else "cohort_pupils"
    return _key(cohort, measure, topic, breakdown)


# ---------------------------------------------------------------------------------------------
# Disproportionality


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
        a = v[_pupils_key(cohort, topic, b)]
        n1 = v[_key(PUPILS, "population", topic, b)]
        risk = 100 * a / n1 if n1 else math.nan
        rr = lo = hi = math.nan
        flag = None
        if b not in SPECIAL:
            rest_a = v[_pupils_key(cohort, topic, TOTAL)] - a
            rest_n = v[_key(PUPILS, "population", topic, TOTAL)] - n1
            rr, lo, hi = risk_ratio(a, n1, rest_a, rest_n)
            large = a >= cell_size and n1 >= n_size and rest_a >= cell_size and rest_n >= n_size
            if not large or math.isnan(lo):
                flag = "Too small to judge"
            elif lo > 1:
                flag = "Higher"
            elif hi < 1:
                flag = "Lower"
            else:
                flag = "No difference shown"
        out.append((cohort, topic, b, a, n1, risk, rr, lo, hi, flag))
    return pd.DataFrame(out, columns=["cohort", "topic", "breakdown", "cohort_pupils", "population",
                                      "risk_percent", "risk_ratio", "risk_ratio_lower",
                                      "risk_ratio_upper", "disproportionality"])


# ---------------------------------------------------------------------------------------------
# Publication


def _denominators(cohort, topic, b) -> tuple[tuple | None, tuple | None]:
    """Cells whose counts `percent` and `percent_of_known` of a row are computed from."""
    if TOPIC[topic].is_cross:
        r, c = b.split(SEP)
        return (_key(cohort, "count", topic, f"{r}{SEP}{TOTAL}"),
                _key(cohort, "count", topic, f"{r}{SEP}{KNOWN}") if c not in SPECIAL else None)
    return (_key(cohort, "count", topic, TOTAL),
            _key(cohort, "count", topic, KNOWN) if b not in SPECIAL else None)


def _fmt_percent(num, den, published: dict, digits: int = 1) -> str:
    if num is None or den is None:
        return NOT_APPLICABLE
    pn, pd_ = published[num], published[den]
    if pn == 0 and pd_ != 0:  # none of a withheld (so non-zero) total is still 0%
        return f"{0:.{digits}f}"
    if pn is None or pd_ is None:
        return SUPPRESSED
    if pd_ == 0:
        return NOT_APPLICABLE
    return f"{100 * pn / pd_:.{digits}f}"


def _fmt_count(value) -> str:
    return SUPPRESSED if value is None else str(int(value))


def _fmt_ratio(x: float) -> str:
    return "x" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.2f}"


def publish(counted: CountedTables, suppression: disclosure.Suppression, *, time_period: str = "",
            new_la_code: str = "", old_la_code: str = "", la_name: str = "",
            cell_size: int = 10, n_size: int = 30) -> pd.DataFrame:
    """The tidy published table (all values as strings, suppressed ones ``c``) in DfE layout."""
    pub = suppression.published
    dispro = disproportionality(counted, cell_size, n_size).set_index(["cohort", "topic", "breakdown"])
    records = []
    for cohort, topic, b in counted.rows.itertuples(index=False):
        key = _key(cohort, "count", topic, b)
        den, den_known = _denominators(cohort, topic, b)
        rec = {"cohort": cohort, "breakdown_topic": TOPIC[topic].label, "breakdown": b,
               "count": _fmt_count(pub[key]),
               "percent": _fmt_percent(key, den, pub),
               "percent_of_known": _fmt_percent(key, den_known, pub)}
        if b == TOTAL or (TOPIC[topic].is_cross and b.endswith(SEP + TOTAL)):
            rec["percent"] = (SUPPRESSED if pub[key] is None
                              else "100.0" if pub[key] else NOT_APPLICABLE)
        for col in DISPROPORTIONALITY_COLUMNS:
            rec[col] = NOT_APPLICABLE
        if TOPIC[topic].disproportionality:
            d = dispro.loc[(cohort, topic, b)]
            a_key, n_key = _pupils_key(cohort, topic, b), _key(PUPILS, "population", topic, b)
            rec["population"] = _fmt_count(pub[n_key])
            rec["cohort_pupils"] = _fmt_count(pub[a_key])
            rec["risk_percent"] = _fmt_percent(a_key, n_key, pub, digits=2)
            if b not in SPECIAL:
                needed = [a_key, n_key, _pupils_key(cohort, topic, TOTAL),
                          _key(PUPILS, "population", topic, TOTAL)]
                if any(pub[k] is None for k in needed):
                    for col in ("risk_ratio", "risk_ratio_lower", "risk_ratio_upper", "disproportionality"):
                        rec[col] = SUPPRESSED
                else:
                    rec["risk_ratio"] = _fmt_ratio(d["risk_ratio"])
                    rec["risk_ratio_lower"] = _fmt_ratio(d["risk_ratio_lower"])
                    rec["risk_ratio_upper"] = _fmt_ratio(d["risk_ratio_upper"])
                    rec["disproportionality"] = d["disproportionality"]
        records.append(rec)
    out = pd.DataFrame(records)
    out.insert(0, "time_period", time_period)
    out.insert(1, "time_identifier", "Academic year")
    out.insert(2, "geographic_level", "Local authority")
    out.insert(3, "new_la_code", new_la_code)
    out.insert(4, "old_la_code", old_la_code)
    out.insert(5, "la_name", la_name)
    return out[COLUMNS].astype(str)


def academic_year_code(census_date) -> str:
    """DfE `time_period` of a census date: the academic year, e.g. 202425 for January 2025."""
    start = ages.august_31_before(census_date).year
    return f"{start}{(start + 1) % 100:02d}"


def build_tables(source, threshold: int = 5, ethnicity_grouping: str = "dfe", *,
                 la_code: str | None = None, new_la_code: str | None = None,
                 la_name: str | None = None, census_date=None, cell_size: int = 10,
                 n_size: int = 30) -> pd.DataFrame:
    """The published equality tables of a processed folder (or dict of frames), suppressed.

    Returns the tidy table (columns :data:`COLUMNS`, all strings, ``c`` where suppressed) in
    publication order. Its ``attrs`` carry the threshold, the grouping and the suppression (cells
    counted as primary and secondary) for :func:`audit_summary`.
    LA codes, name and census date come from the arguments, else from ``metadata.json`` in the
    processed folder, else (census date only) from a folder named by its census year.
    """
    if threshold < 1:
        raise SendlibInputError(f"threshold must be at least 1, not {threshold}")
    meta = _metadata(source)
    census_date = census_date or meta.get("census_date")
    counted = count_tables(source, ethnicity_grouping)
    suppression = disclosure.suppress(counted.table_set(), threshold)
    tables = publish(counted, suppression,
                     time_period=academic_year_code(census_date) if census_date else "",
                     new_la_code=str(new_la_code or meta.get("new_la_code") or ""),
                     old_la_code=str(la_code or meta.get("la_code") or ""),
                     la_name=str(la_name or meta.get("la_name") or ""),
                     cell_size=cell_size, n_size=n_size)
    tables.attrs.update(threshold=threshold, ethnicity_grouping=ethnicity_grouping,
                        primary=len(suppression.primary), secondary=len(suppression.secondary),
                        method=suppression.method)
    return tables


# ---------------------------------------------------------------------------------------------
# Auditing the published tables


def published_cells(tables: pd.DataFrame, ethnicity_grouping: str | None = None) -> tuple[dict, list[Relation]]:
    """Rebuild, from the published tidy table alone, every published count (None where ``c``) and
    the relations a reader knows. Returns (published, relations) for :func:`disclosure.audit`."""
    if ethnicity_grouping is None:
        majors = set(tables.loc[tables["breakdown_topic"] == TOPIC["ethnicity_major"].label, "breakdown"])
        ethnicity_grouping = "kingston" if "Chinese" in majors else "dfe"
    published: dict = {}
    layout: dict = {}

    def put(key, text):
        value = None if text == SUPPRESSED else int(text)
        if key in published and published[key] != value:
            raise SendlibInputError(f"the published tables show two values for {key}: "
                                    f"{published[key]} and {value}")
        published[key] = value
        layout.setdefault(key[:3], [])
        if key[3] not in layout[key[:3]]:
            layout[key[:3]].append(key[3])

    for rec in tables.itertuples(index=False):
        topic = TOPIC_BY_LABEL[rec.breakdown_topic]
        put(_key(rec.cohort, "count", topic.id, rec.breakdown), rec.count)
        if topic.disproportionality:
            put(_key(PUPILS, "population", topic.id, rec.breakdown), rec.population)
            if rec.cohort != "SEN support":
                put(_key(rec.cohort, "cohort_pupils", topic.id, rec.breakdown), rec.cohort_pupils)
    relations, _ = relations_for(layout, ethnicity_grouping)
    return published, relations


def audit_tables(tables: pd.DataFrame, threshold: int | None = None) -> disclosure.AuditReport:
    """Audit the published tidy table: the interval of every suppressed count (see
    :func:`sendlib.disclosure.audit`), rebuilt from the published values only."""
    threshold = threshold or tables.attrs.get("threshold", 5)
    published, relations = published_cells(tables)
    return disclosure.audit(published, relations, threshold)


def audit_summary(tables: pd.DataFrame, threshold: int | None = None,
                  report: disclosure.AuditReport | None = None) -> pd.DataFrame:
    """One row per cohort and measure: cells published and suppressed, the narrowest interval a
    reader can infer for a suppressed cell, and whether the tables pass the audit (`report`, if
    given, is the result of :func:`audit_tables` on the same tables, to save solving again)."""
    threshold = threshold or tables.attrs.get("threshold", 5)
    published, relations = published_cells(tables)
    if report is None:
        report = disclosure.audit(published, relations, threshold)
    names = {"count": "count", "population": "pupils in the census", "cohort_pupils": "cohort in the census"}
    rows = []
    groups = sorted({k[:2] for k in published}, key=lambda g: (g[0] == PUPILS, g[0], g[1]))
    for cohort, measure in groups:
        keys = [k for k in published if k[:2] == (cohort, measure)]
        hidden = report.cells[[c[:2] == (cohort, measure) for c in report.cells["cell"]]]
        narrowest = hidden["possible_values"].min() if len(hidden) else None
        rows.append({"cohort": cohort, "counts": names[measure], "cells": len(keys),
                     "suppressed": len(hidden),
                     "fewest possible values of a suppressed cell":
                         "-" if narrowest is None else ("unbounded" if math.isinf(narrowest)
                                                        else str(int(narrowest))),
                     "result": "pass" if not hidden["exposed"].any() else "FAIL"})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# Findings and display


def _unknown_ethnicity(cohort: str, unknown, total) -> str:
    """How many people of a cohort have no recorded ethnicity (either count may be withheld)."""
    people = "" if total["count"] == SUPPRESSED else f"{int(total['count']):,} "
    if unknown["count"] == SUPPRESSED:
        return f"{cohort}: ethnicity is unknown for a withheld number (c) of {'the ' if people else ''}{people}people."
    of = people or "a withheld number (c) of "
    share = "" if unknown["percent"] == SUPPRESSED else f" ({unknown['percent']}%)"
    return (f"{cohort}: ethnicity is unknown (refused, not obtained or missing) for "
            f"{int(unknown['count']):,} of {of}people{share}; percentages of known show the picture "
            f"without them.")


def findings(tables: pd.DataFrame) -> list[str]:
    """Sentences worth stating in the assessment: the share of unknown ethnicity and the ethnic
    groups flagged as over- or under-represented (age and sex ratios are in their tables)."""
    out = []
    for cohort in COHORTS:
        t = tables[(tables["cohort"] == cohort) & (tables["breakdown_topic"] == TOPIC["ethnicity_major"].label)]
        if t.empty:
            continue
        unknown = t[t["breakdown"] == UNKNOWN].iloc[0]
        total = t[t["breakdown"] == TOTAL].iloc[0]
        out.append(_unknown_ethnicity(cohort, unknown, total))
        ethnic = tables["breakdown_topic"].isin([TOPIC["ethnicity_major"].label,
                                                  TOPIC["ethnicity_detailed"].label])
        flagged = tables[(tables["cohort"] == cohort) & ethnic
                         & tables["disproportionality"].isin(["Higher", "Lower"])]
        for rec in flagged.itertuples(index=False):
            direction = "more" if rec.disproportionality == "Higher" else "less"
            level = "major group" if rec.breakdown_topic == TOPIC["ethnicity_major"].label else "detailed"
            out.append(f"{cohort}: pupils of {rec.breakdown} ethnicity ({level}) are {direction} likely "
                       f"than other pupils to be in this cohort: risk ratio {rec.risk_ratio} "
                       f"(95% CI {rec.risk_ratio_lower} to {rec.risk_ratio_upper}).")
    return out


def plot_risk_ratios(tables: pd.DataFrame, topic: str = "ethnicity_major"):
    """Forest plot of the published risk ratios (with 95% intervals) of one topic, both cohorts:
    groups right of 1 are more likely than other pupils to be in the cohort. Suppressed or
    too-small groups are left out, as in the tables."""
    import matplotlib.pyplot as plt

    label = TOPIC[topic].label
    sub = tables[(tables["breakdown_topic"] == label)].copy()
    for col in ("risk_ratio", "risk_ratio_lower", "risk_ratio_upper"):
        sub[col] = pd.to_numeric(sub[col], errors="coerce")
    sub = sub.dropna(subset=["risk_ratio", "risk_ratio_lower", "risk_ratio_upper"])
    cohorts = [c for c in COHORTS if c in set(sub["cohort"])]
    fig, axes = plt.subplots(1, max(len(cohorts), 1), figsize=(9, 0.35 * sub["breakdown"].nunique() + 1.6),
                             sharey=True, squeeze=False)
    groups = list(dict.fromkeys(sub["breakdown"]))
    for ax, cohort in zip(axes[0], cohorts):
        c = sub[sub["cohort"] == cohort].set_index("breakdown").reindex(groups)
        y = range(len(groups))
        flagged = c["disproportionality"].isin(["Higher", "Lower"]).to_numpy()
        ax.errorbar(c["risk_ratio"], list(y), xerr=[c["risk_ratio"] - c["risk_ratio_lower"],
                                                   c["risk_ratio_upper"] - c["risk_ratio"]],
                    fmt="none", ecolor="0.5", capsize=3)
        ax.scatter(c["risk_ratio"], list(y), c=["tab:red" if f else "tab:blue" for f in flagged], zorder=3)
        ax.axvline(1, color="black", lw=1)
        ax.set_xscale("log")
        from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator

        ax.xaxis.set_major_locator(FixedLocator([0.1, 0.25, 0.5, 1, 2, 4, 8]))
        ax.xaxis.set_major_formatter(lambda v, _: f"{v:g}")
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_yticks(list(y), groups)
        ax.set(title=f"{cohort}", xlabel="risk ratio against all other pupils (log scale)")
    axes[0][0].invert_yaxis()
    fig.suptitle(f"{label}: likelihood of being in the cohort (red: flagged)", fontsize=11)
    fig.tight_layout()
    return axes


def display_table(tables: pd.DataFrame, cohort: str, topic: str) -> pd.DataFrame:
    """One table laid out for reading: one-way tables as rows with their columns, cross-tabulations
    as a matrix of counts with the row percentage in brackets. Values stay as published strings
    (``c`` suppressed, blank for not applicable)."""
    t = TOPIC[topic]
    sub = tables[(tables["cohort"] == cohort) & (tables["breakdown_topic"] == t.label)]
    blank = sub.replace(NOT_APPLICABLE, "")
    if not t.is_cross:
        cols = {"breakdown": t.label, "count": "Number", "percent": "%", "percent_of_known": "% of known"}
        if t.disproportionality:
            cols.update({"population": "Pupils in census", "cohort_pupils": f"{cohort} pupils in census",
                         "risk_percent": "Risk %", "risk_ratio": "Risk ratio",
                         "risk_ratio_lower": "95% CI lower", "risk_ratio_upper": "95% CI upper",
                         "disproportionality": "Disproportionality"})
        return blank[list(cols)].rename(columns=cols).reset_index(drop=True)
    parts = blank["breakdown"].str.split(SEP, regex=False)
    cell = [c if p in ("", SUPPRESSED) or c == SUPPRESSED or b.endswith(SEP + TOTAL) else f"{c} ({p}%)"
            for c, p, b in zip(blank["count"], blank["percent"], blank["breakdown"])]
    matrix = pd.DataFrame({"row": parts.str[0], "col": parts.str[1], "cell": cell})
    rows = list(dict.fromkeys(matrix["row"]))
    cols = list(dict.fromkeys(matrix["col"]))
    wide = matrix.pivot(index="row", columns="col", values="cell").loc[rows, cols]
    wide.index.name = TOPIC[t.rows].label
    wide.columns.name = None
    return wide.reset_index()


def show_topic(tables: pd.DataFrame, topic: str) -> None:
    """Display (in a notebook) every table of a topic group (age, need, sex, ethnicity,
    placement) for both cohorts, with the findings that concern it."""
    from IPython.display import HTML, display

    display(HTML(topic_html(tables, topic)))


def _topic_view(tables: pd.DataFrame, group: str) -> dict:
    """The findings and readable tables of a topic group, for the templates."""
    if group not in GROUPS:
        raise SendlibInputError(f"unknown topic {group!r}", hint=f"use one of {', '.join(GROUPS)}")
    views = []
    for t in TOPICS:
        if t.group != group:
            continue
        for cohort in COHORTS:
            df = display_table(tables, cohort, t.id)
            if not df.empty:
                views.append({**render.table_view(df, (TOTAL, KNOWN)), "heading": f"{cohort}: {t.label}"})
    return {"heading": group.capitalize(), "findings": findings(tables) if group == "ethnicity" else [],
            "tables": views}


def topic_html(tables: pd.DataFrame, group: str) -> str:
    """HTML of every table of a topic group for both cohorts."""
    return str(render.fragment("equality_topic.html.j2", group=_topic_view(tables, group)))


_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine",
          10: "ten"}


def suppression_note(threshold: int) -> str:
    """The note that explains ``c`` to readers ("fewer than five", as Kingston's tables say)."""
    n = _WORDS.get(threshold, str(threshold))
    return (f"c: fewer than {n}, or withheld so that a count of fewer than {n} "
            f"cannot be worked out from the totals (the two are shown the same way on purpose). "
            f"Zeros are shown. Percentages, risks and ratios are withheld wherever a count they are "
            f"computed from is withheld. Blank: not applicable; x: not available (no pupils to compare). "
            f"Risk: share of pupils of the group in the school census who are in the cohort; risk "
            f"ratio: against all other pupils in the census, with its 95% confidence interval.")


def page_title(tables: pd.DataFrame) -> str:
    """"Equality assessment tables", with the LA's name and the academic year when known."""
    title = "Equality assessment tables"
    first = tables.iloc[0] if len(tables) else None
    if first is not None and first["la_name"]:
        title += f": {first['la_name']}"
    if first is not None and first["time_period"]:
        tp = first["time_period"]
        title += f", {tp[:4]}/{tp[4:]}"
    return title


def tables_html(tables: pd.DataFrame, summary: pd.DataFrame | None = None) -> str:
    """A self-contained HTML page with every table, the suppression note, findings and the audit
    summary (computed unless given)."""
    threshold = tables.attrs.get("threshold", 5)
    summary = audit_summary(tables) if summary is None else summary
    return render.render("equality_tables.html.j2", title=page_title(tables),
                         note=suppression_note(threshold), threshold=threshold,
                         groups=[_topic_view(tables, g) for g in GROUPS],
                         summary=render.table_view(summary.astype(str), (TOTAL, KNOWN)))


# ---------------------------------------------------------------------------------------------
# Files


def write_xlsx(tables: pd.DataFrame, path: Path, summary: pd.DataFrame | None = None) -> None:
    """One sheet per cohort and table, plus a Notes sheet with the audit summary (computed unless
    given); byte-identical for identical tables."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    threshold = tables.attrs.get("threshold", 5)
    wb = Workbook()
    notes = wb.active
    notes.title = "Notes"
    notes.append(["Equality assessment tables"])
    notes["A1"].font = Font(bold=True, size=14)
    notes.append([suppression_note(threshold)])
    notes.append([])
    for s in findings(tables):
        notes.append([s])
    notes.append([])
    summary = audit_summary(tables) if summary is None else summary
    notes.append(list(summary.columns))
    for rec in summary.astype(str).itertuples(index=False):
        notes.append(list(rec))
    notes.column_dimensions["A"].width = 100
    for t in TOPICS:
        for cohort in COHORTS:
            df = display_table(tables, cohort, t.id)
            if df.empty:
                continue
            ws = wb.create_sheet(f"{cohort} {t.sheet}"[:31])
            ws.append([f"{cohort}: {t.label}"])
            ws["A1"].font = Font(bold=True, size=12)
            ws.append([suppression_note(threshold)])
            ws["A2"].alignment = Alignment(wrap_text=False)
            ws.append([])
            ws.append(list(df.columns))
            for c in ws[4]:
                c.font = Font(bold=True)
            for rec in df.itertuples(index=False):
                ws.append([_cell_value(v) for v in rec])
            ws.column_dimensions["A"].width = 45
            for letter in "BCDEFGHIJKLMN":
                ws.column_dimensions[letter].width = 14
    xlsx.save(wb, path)


def _cell_value(v):
    """Numbers as numbers (so that Excel can sum them), everything else as text."""
    if isinstance(v, str):
        try:
            return int(v)
        except ValueError:
            try:
                return float(v)
            except ValueError:
                return v
    return v


def write_tables(source, out_dir, threshold: int = 5, ethnicity_grouping: str = "dfe", **kwargs) -> pd.DataFrame:
    """Build the tables and write equality_tables.csv, .xlsx and .html to `out_dir`.

    Fails (RuntimeError) rather than write tables that do not pass the disclosure audit.
    Returns the published tidy table.
    """
    tables = build_tables(source, threshold, ethnicity_grouping, **kwargs)
    report = audit_tables(tables, threshold)
    if not report.passed:  # cannot happen: suppress() ends with the same audit
        raise RuntimeError(f"disclosure audit failed for {report.exposed[:3]}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = audit_summary(tables, threshold, report)
    tables.to_csv(out / "equality_tables.csv", index=False, lineterminator="\n")
    write_xlsx(tables, out / "equality_tables.xlsx", summary)
    (out / "equality_tables.html").write_text(tables_html(tables, summary), encoding="utf-8")
    return tables


# ---------------------------------------------------------------------------------------------
# Inputs


REQUIRED = {"ehcp_caseload": ["age", "sex", "ethnicity", "primary_need", "placement_group"],
            "sen_support": ["age", "sex", "ethnicity", "primary_need"],
            "pupils": ["age", "sex", "ethnicity", "sen_provision"]}


def _read_frames(source) -> dict[str, pd.DataFrame]:
    if isinstance(source, dict):
        frames = dict(source)
        where = {name: name for name in REQUIRED}
    else:
        folder = Path(source)
        frames, where = {}, {}
        for name in REQUIRED:
            path = folder / f"{name}.parquet"
            if not path.exists():
                raise SendlibInputError("processed table not found", file=str(path),
                                        hint="run `sendlib clean` on the raw extracts first")
            frames[name] = pd.read_parquet(path)
            where[name] = str(path)
    for name, cols in REQUIRED.items():
        if name not in frames:
            raise SendlibInputError(f"no {name} table given")
        for col in cols:
            if col not in frames[name].columns:
                raise SendlibInputError("column missing from a processed table", file=where[name],
                                        column=col, hint="rebuild it with `sendlib clean`")
    return frames


def _metadata(source) -> dict:
    """census_date, la_code, new_la_code, la_name from metadata.json (or the folder name)."""
    if isinstance(source, dict):
        return dict(source.get("metadata", {}))
    folder = Path(source)
    meta = {}
    path = folder / "metadata.json"
    if path.exists():
        try:
            meta = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise SendlibInputError(f"not valid JSON ({exc.msg})", file=str(path), row=exc.lineno,
                                    hint="rebuild it with `sendlib clean`") from None
    if not meta.get("census_date") and folder.name.isdigit():
        meta["census_date"] = codelists.census_date(int(folder.name)).date().isoformat()
    return meta
