"""The EHCP and SEN support profile (report 2): trends across census years and the mix by age,
need, sex, ethnicity and placement. Small groups are merged (trends) or suppressed (census-date
tables, via `sendlib.equality`) so that charts never show a count below the threshold."""
from __future__ import annotations

import numpy as np
import pandas as pd

from sendlib import breakdowns, cohorts, disclosure
from sendlib.disclosure import TableSet
from sendlib.render import compared

TOPICS = {"age_band_eqia": "Age band", "primary_need": "Primary need", "sex": "Sex",
          "ethnicity_group_dfe": "Ethnicity", "placement_group": "Placement group"}
SUPPORT_TOPICS = {k: v for k, v in TOPICS.items() if k != "placement_group"}
COHORTS = {"ehcp_caseload": "EHCP", "sen_support": "SEN support"}
TOTALS = {"EHCPs": "ehcp_caseload", "SEN support": "sen_support", "pupils": "pupils"}  # trend table column -> cohort
# breakdown_topic labels of the published equality tables charted at the census date
CENSUS_CHARTS = {"EHCP": ["Age (EqIA bands)", "Primary need", "Sex", "Ethnicity (major group)", "Placement group"],
                 "SEN support": ["Age (EqIA bands)", "Primary need", "Sex", "Ethnicity (major group)"]}


def _total(year: int, cohort: str, n: int) -> pd.DataFrame:
    return pd.DataFrame([{"year": year, "cohort": cohort, "topic": "total", "category": "Total", "count": n}])


def _year_trend(year: int, tables: dict) -> list[pd.DataFrame]:
    rows = [_total(year, "pupils", len(tables["pupils"]))]
    for cohort in COHORTS:
        df = tables[cohort]
        rows.append(_total(year, cohort, len(df)))
        for topic in TOPICS:
            if topic in df.columns:
                c = df[topic].astype(str).value_counts().rename_axis("category").reset_index(name="count")
                rows.append(c.assign(year=year, cohort=cohort, topic=topic))
    return rows


def load_trend(processed_dir) -> pd.DataFrame:
    """Long table over census years: year, cohort, topic, category, count (all unsuppressed)."""
    years = cohorts.load_years(processed_dir, ["pupils", *COHORTS])
    rows = [r for year, tables in years.items() if "ehcp_caseload" in tables for r in _year_trend(year, tables)]
    return pd.concat(rows, ignore_index=True)[["year", "cohort", "topic", "category", "count"]]


def _published_totals(trend: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """EHCPs, SEN support and pupils by census year as they may be shown: through the disclosure
    engine, each count an int or None where suppressed."""
    t = trend[trend["topic"] == "total"].pivot(index="year", columns="cohort", values="count")
    values = {(int(year), name): int(t.at[year, cohort]) for year in t.index for name, cohort in TOTALS.items()}
    published = disclosure.protect(TableSet(values, []), threshold)
    return pd.DataFrame({name: [published[(int(year), name)] for year in t.index] for name in TOTALS},
                        index=t.index.astype(int))


def _shown(counts: pd.Series) -> np.ndarray:
    """Counts as integers, or as text with ``c`` where one is suppressed."""
    if counts.notna().all():
        return counts.astype(int).to_numpy()
    return np.array([disclosure.SUPPRESSED if pd.isna(v) else int(v) for v in counts], dtype=object)


def trend_table(trend: pd.DataFrame, threshold: int = disclosure.THRESHOLD) -> pd.DataFrame:
    """EHCPs, SEN support and pupils by census year, with growth and rates (a rate only where
    every count it is computed from is shown)."""
    totals = _published_totals(trend, threshold)
    numeric = totals.apply(pd.to_numeric).astype(float)
    return pd.DataFrame({
        "census year": totals.index,
        "EHCPs": _shown(totals["EHCPs"]),
        "EHCP growth %": (numeric["EHCPs"].pct_change() * 100).round(1).to_numpy(),
        "SEN support": _shown(totals["SEN support"]),
        "pupils": _shown(totals["pupils"]),
        "SEN support % of pupils": (numeric["SEN support"] / numeric["pupils"] * 100).round(1).to_numpy(),
    })


def _caseload_sentence(t: pd.DataFrame, year: int, threshold: int) -> str:
    first = int(t.index.min())
    now = t.loc[year]
    if now["EHCPs"] == disclosure.SUPPRESSED:
        return f"The number of EHCPs at the {year} census is withheld (fewer than {threshold}, or to protect one)."
    growth = f", {now['EHCP growth %']:+.1f}% on the year before" if pd.notna(now["EHCP growth %"]) else ""
    since = ""
    if year > first and t.loc[first, "EHCPs"] != disclosure.SUPPRESSED:
        since = f" and {(now['EHCPs'] / t.loc[first, 'EHCPs'] - 1) * 100:+.0f}% since {first}"
    return f"There were **{int(now['EHCPs']):,} EHCPs** at the {year} census{growth}{since}."


def key_points(trend: pd.DataFrame, year: int, threshold: int = disclosure.THRESHOLD,
               by_year: dict[int, pd.DataFrame] | None = None, comparisons: dict | None = None) -> list[str]:
    """Plain-language findings on the EHCP and SEN support trend up to census `year`; the most
    common primary need from the published tables of `year` in `by_year`, if given; the cycle's
    comparison figures (`comparisons`, as ``comparison_figures`` in its config) quoted beside the
    LA's own: no other LA's figure is written in code."""
    t = trend_table(trend, threshold).set_index("census year")
    if year not in t.index:
        return []
    now = t.loc[year]
    out = [_caseload_sentence(t, year, threshold)]
    if pd.notna(now["SEN support % of pupils"]):
        out.append(f"**{int(now['SEN support']):,} pupils** ({now['SEN support % of pupils']:.1f}% of pupils) "
                   f"were on SEN support{compared((comparisons or {}).get('sen_support_percent'), '%')}.")
    needs = breakdowns.mix({year: by_year[year]}, "Primary need") if by_year and year in by_year else pd.DataFrame()
    needs = needs[[c for c in needs.columns if not str(c).startswith(breakdowns.NOT_SHOWN)]]
    if year in needs.index:
        shares = needs.loc[year]
        out.append(f"The most common primary need is **{shares.idxmax()}** ({shares.max():.0f}% of EHCPs).")
    return out


def plot_trend(trend: pd.DataFrame, threshold: int = disclosure.THRESHOLD):
    """Bars of EHCPs and SEN support by census year, as published (a suppressed count has no bar
    and says so), the legend below the bars."""
    import matplotlib.pyplot as plt

    t = trend_table(trend, threshold)
    fig, ax = plt.subplots()
    width = 0.4
    x = t["census year"].to_numpy()
    ehcp = pd.to_numeric(t["EHCPs"], errors="coerce")
    ax.bar(x - width / 2, ehcp.fillna(0), width, label="EHCPs (all ages 0-25)")
    ax.bar(x + width / 2, pd.to_numeric(t["SEN support"], errors="coerce").fillna(0), width,
           label="SEN support (pupils)")
    for xi, v in zip(x, ehcp):
        ax.annotate(not_shown(threshold) if pd.isna(v) else f"{int(v):,}", (xi - width / 2, 0 if pd.isna(v) else v),
                    ha="center", va="bottom", fontsize=8, rotation=90 if pd.isna(v) else 0)
    ax.set(title="EHCPs and SEN support at each January census", xlabel="census year", ylabel="people")
    ax.set_xticks(x)
    ax.margins(y=0.12)
    ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2)
    return ax


def plot_share_trend(by_year: dict[int, pd.DataFrame], topic: str, cohort: str = "EHCP"):
    """Stacked shares (%) of `topic` (a published table's label, "Primary need") in `cohort` by
    census year, groups as the published tables of each year show them
    (:func:`sendlib.breakdowns.mix`), withheld groups together as "not shown"."""
    import textwrap

    import matplotlib.pyplot as plt

    df = breakdowns.mix(by_year, topic, cohort)
    df.columns = [textwrap.fill(str(c), 40) for c in df.columns]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    df.plot(kind="bar", stacked=True, ax=ax, width=0.8, colormap="tab20")
    ax.set(title=f"{cohort}: {topic.lower()} mix by census year",
           xlabel="census year", ylabel="% of caseload")
    ax.legend(bbox_to_anchor=(1.01, 1), loc="upper left", frameon=False, fontsize=8)
    ax.tick_params(axis="x", rotation=0)
    return ax


not_shown = breakdowns.not_shown  # what a chart says in place of a withheld count


def plot_breakdown(published: pd.DataFrame, cohort: str, topic: str, title: str | None = None):
    """Horizontal bars of one published (disclosure-controlled) breakdown. A suppressed count has
    no bar and says so in words, so that no reader takes it for zero."""
    import matplotlib.pyplot as plt

    threshold = published.attrs.get("threshold", disclosure.THRESHOLD)
    sub = published[(published["cohort"] == cohort) & (published["breakdown_topic"] == topic)]
    sub = sub[~sub["breakdown"].isin(["Total", "Total known"])]
    counts = pd.to_numeric(sub["count"].where(sub["count"] != disclosure.SUPPRESSED), errors="coerce")
    fig, ax = plt.subplots(figsize=(8, max(2.0, 0.32 * len(sub) + 1)))
    y = range(len(sub))
    ax.barh(list(y), counts.fillna(0).to_numpy())
    for yi, v in zip(y, counts):
        hidden = pd.isna(v)
        ax.annotate(not_shown(threshold) if hidden else f"{int(v):,}", (0 if hidden else v, yi),
                    xytext=(3, 0), textcoords="offset points", va="center", fontsize=8,
                    color="0.35" if hidden else "black", style="italic" if hidden else "normal")
    ax.set_yticks(list(y), sub["breakdown"].tolist())
    ax.invert_yaxis()
    ax.set(title=title or f"{cohort}: {topic.lower()}", xlabel="people")
    return ax
