"""The words that go with the equality tables: findings worth stating in the assessment, and the
note that explains suppressed cells."""
from __future__ import annotations

import pandas as pd

from sendlib.equality.publication import SUPPRESSED
from sendlib.equality.risk import FLAGS
from sendlib.equality.topics import COHORTS, TOPIC, TOTAL, UNKNOWN

_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine",
          10: "ten"}
ETHNICITY_LABELS = (TOPIC["ethnicity_major"].label, TOPIC["ethnicity_detailed"].label)


def suppression_note(threshold: int) -> str:
    """The note that explains ``c`` to readers ("fewer than five", as Kingston's tables say)."""
    n = _WORDS.get(threshold, str(threshold))
    return (f"c: fewer than {n}, or withheld so that a count of fewer than {n} "
            f"cannot be worked out from the totals (the two are shown the same way on purpose). "
            f"Zeros are shown. Percentages, risks and ratios are withheld wherever a count they are "
            f"computed from is withheld. Blank: not applicable; x: not available (no pupils to compare). "
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
        unknown = t[t["breakdown"] == UNKNOWN].iloc[0]
        total = t[t["breakdown"] == TOTAL].iloc[0]
        out.append(_unknown_ethnicity(cohort, unknown, total))
        out += _flagged(tables, cohort)
    return out
