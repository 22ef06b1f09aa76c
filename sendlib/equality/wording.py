"""The words that go with the equality tables: findings worth stating in the assessment, and the
note that explains suppressed cells."""
from __future__ import annotations

import pandas as pd

from sendlib.equality.groups import OR_UNKNOWN
from sendlib.equality.publication import SUPPRESSED
from sendlib.equality.risk import FLAGS
from sendlib.equality.topics import COHORTS, TOPIC, TOTAL, UNKNOWN

_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine",
          10: "ten"}
ETHNICITY_LABELS = (TOPIC["ethnicity_major"].label, TOPIC["ethnicity_detailed"].label)


def suppression_note(threshold: int) -> str:
    """The note that explains combined groups and ``c`` to readers ("fewer than five")."""
    n = _WORDS.get(threshold, str(threshold))
    return (f"Groups of fewer than {n} people are combined with others and each row says what it holds "
            f"(\"0-10\", \"Other White (Traveller of Irish heritage; Gypsy / Roma)\", \"Male or unknown\"). "
            f"c: fewer than {n}, or withheld so that a count of fewer than {n} "
            f"cannot be worked out from the totals (the two are shown the same way on purpose). "
            f"Zeros are shown. Percentages, risks and ratios are withheld wherever a count they are "
            f"computed from is withheld. Blank (z in the CSV file): not applicable, such as a group with no "
            f"pupils in the school census; x: not available. "
            f"Risk: share of pupils of the group in the school census who are in the cohort; risk "
            f"ratio: against all other pupils in the census, with its 95% confidence interval.")


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


def _flagged(tables: pd.DataFrame, cohort: str) -> list[str]:
    """The ethnic groups of a cohort flagged as over- or under-represented."""
    ethnic = tables["breakdown_topic"].isin(ETHNICITY_LABELS)
    flagged = tables[(tables["cohort"] == cohort) & ethnic & tables["disproportionality"].isin(FLAGS)]
    out = []
    for rec in flagged.itertuples(index=False):
        direction = "more" if rec.disproportionality == "Higher" else "less"
        level = "major group" if rec.breakdown_topic == ETHNICITY_LABELS[0] else "detailed"
        out.append(f"{cohort}: pupils of {rec.breakdown} ethnicity ({level}) are {direction} likely "
                   f"than other pupils to be in this cohort: risk ratio {rec.risk_ratio} "
                   f"(95% CI {rec.risk_ratio_lower} to {rec.risk_ratio_upper}).")
    return out


def findings(tables: pd.DataFrame) -> list[str]:
    """Sentences worth stating in the assessment: the share of unknown ethnicity and the ethnic
    groups flagged as over- or under-represented (age and sex ratios are in their tables)."""
    out = []
    for cohort in COHORTS:
        t = tables[(tables["cohort"] == cohort) & (tables["breakdown_topic"] == ETHNICITY_LABELS[0])]
        if t.empty:
            continue
        total = t[t["breakdown"] == TOTAL].iloc[0]
        if (t["breakdown"] == UNKNOWN).any():
            out.append(_unknown_ethnicity(cohort, t[t["breakdown"] == UNKNOWN].iloc[0], total))
        else:
            merged = t.loc[t["breakdown"].str.endswith(OR_UNKNOWN), "breakdown"]
            out += [f"{cohort}: ethnicity is unknown for too few people to show them apart; they are "
                    f"counted in the row \"{label}\"." for label in merged]
        out += _flagged(tables, cohort)
    return out


AUTHOR = "[to be completed by the assessment's author]"
CHARACTERISTICS = [("Age", "age_eqia"), ("Disability (primary need)", "need"), ("Sex", "sex"),
                   ("Race (ethnicity)", "ethnicity_major")]
NOT_RECORDED = ["Gender reassignment", "Marriage and civil partnership", "Pregnancy and maternity",
                "Religion or belief", "Sexual orientation"]
JUDGEMENTS = ["Impact (positive, negative, neutral or not known)", "Reasons and evidence", "Mitigation"]


def _shows(tables: pd.DataFrame, cohort: str, topic: str) -> str:
    """What a cohort's table of one characteristic shows: its largest group and the groups flagged."""
    t = tables[(tables["cohort"] == cohort) & (tables["breakdown_topic"] == TOPIC[topic].label)
               & ~tables["breakdown"].isin([TOTAL, "Total known", UNKNOWN])]
    shown = t[t["percent"] != SUPPRESSED]
    if shown.empty:
        return "withheld (small numbers)"
    top = shown.loc[pd.to_numeric(shown["percent"], errors="coerce").idxmax()]
    out = f"largest group {top['breakdown']} ({top['percent']}%)"
    for flag, words in (("Higher", "more"), ("Lower", "less")):
        groups = list(t.loc[t["disproportionality"] == flag, "breakdown"])
        if groups:
            out += f"; {words} likely than other pupils to be in the cohort: {', '.join(groups)}"
    return out


def assessment_rows(tables: pd.DataFrame) -> pd.DataFrame:
    """One row per protected characteristic: what the tables show, and the judgement fields left
    blank (marked) for the author: the tool reports the data, the council judges the impact."""
    rows = []
    for name, topic in CHARACTERISTICS:
        shows = " ".join(f"{cohort}: {_shows(tables, cohort, topic)}." for cohort in COHORTS)
        if topic == "ethnicity_major":
            shows += " " + " ".join(s for s in findings(tables) if "unknown" in s)
        rows.append({"Protected characteristic": name, "What the data show": shows,
                     **dict.fromkeys(JUDGEMENTS, AUTHOR)})
    for name in NOT_RECORDED:
        rows.append({"Protected characteristic": name,
                     "What the data show": "Not recorded in the SEN2 return or the school census: these "
                                           "tables cannot show it.", **dict.fromkeys(JUDGEMENTS, AUTHOR)})
    return pd.DataFrame(rows)


def key_points(tables: pd.DataFrame) -> list[str]:
    """The points a reader needs first: the size of each cohort, its largest groups by age, need
    and sex with the groups flagged as over- or under-represented, unknown ethnicity and the ethnic
    groups flagged, and how small numbers were protected."""
    out = []
    for cohort in COHORTS:
        total = tables[(tables["cohort"] == cohort) & (tables["breakdown_topic"] == TOPIC["sex"].label)
                       & (tables["breakdown"] == TOTAL)]
        if total.empty:
            continue
        n = total["count"].iloc[0]
        size = "a withheld number of" if n == SUPPRESSED else f"**{int(n):,}**"
        by = "; ".join(f"by {name.split(' (')[0].lower() if topic != 'need' else 'primary need'}, "
                       f"{_shows(tables, cohort, topic)}" for name, topic in CHARACTERISTICS[:3])
        out.append(f"{cohort}: {size} people. {by[0].upper()}{by[1:]}.")
    out += findings(tables)
    hidden = int((tables["count"] == SUPPRESSED).sum())
    n = _WORDS.get(tables.attrs.get("threshold", 5), str(tables.attrs.get("threshold", 5)))
    out.append(f"To protect small numbers, groups of fewer than {n} people are combined with others (each row "
               f"says what it holds); {hidden or 'no'} count{'s are' if hidden != 1 else ' is'} withheld (c).")
    return out
