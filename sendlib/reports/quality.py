"""Data-quality figures for the first report: what arrived, what was corrected or rejected,
unknown shares and changes between census years. Reads what `sendlib clean` wrote."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from sendlib import breakdowns, cohorts

# characteristic -> the published one-way table whose Unknown row gives its unknown share
CHARACTERISTICS = {"sex": "Sex", "ethnicity": "Ethnicity (major group)", "age": "Age (EqIA bands)",
                   "primary need": "Primary need", "placement group": "Placement group"}


def year_dirs(processed_dir) -> dict[int, Path]:
    """Census year -> folder of its processed tables."""
    return cohorts.census_years(processed_dir, containing="quality_summary.json")


def load_summaries(processed_dir) -> dict[int, dict]:
    """Census year -> the `quality_summary.json` of that year."""
    return {y: json.loads((d / "quality_summary.json").read_text()) for y, d in year_dirs(processed_dir).items()}


def files_table(summary: dict) -> pd.DataFrame:
    """Rows read, kept, corrected, set unknown and rejected per input file of one year."""
    rows = [{"file": v["name"], "rows read": v["rows_read"], "kept": v["rows_kept"],
             "of which corrected": v["rows_corrected"], "of which with unknowns": v["rows_set_unknown"],
             "rejected": v["rows_rejected"]} for v in summary["files"].values()]
    df = pd.DataFrame(rows).sort_values("file").reset_index(drop=True)
    total = df.drop(columns="file").sum().to_frame().T.assign(file="All files")
    return pd.concat([df, total[df.columns]], ignore_index=True)


def key_points(summaries: dict[int, dict], year: int, by_year: dict[int, pd.DataFrame]) -> list[str]:
    """Plain-language findings on the data of census `year`; unknown shares as :func:`unknown_shares`
    gives them from `by_year` (the published tables of each census year)."""
    files = summaries[year]["files"].values()
    read = sum(f["rows_read"] for f in files)
    kept = sum(f["rows_kept"] for f in files)
    corrected = sum(f["rows_corrected"] for f in files)
    unknown = sum(f["rows_set_unknown"] for f in files)
    out = [f"**{read:,} rows** arrived in {len(summaries[year]['files'])} files: {kept:,} kept "
           f"({corrected:,} of them corrected, {unknown:,} with a value set unknown) and "
           f"{read - kept:,} rejected."]
    shares = unknown_shares(by_year)
    eth = shares[shares["characteristic"] == "ethnicity"].set_index("year")["percent_unknown"].dropna()
    if year in eth.index:
        first = int(eth.index.min())
        since = f", against {eth[first]:.0f}% in {first}" if year > first else ""
        out.append(f"Ethnicity is unknown for **{eth[year]:.0f}% of EHCPs**{since}: the equality "
                   "assessment shows results with and without the unknowns.")
    return out


def rules_table(processed_dir, year: int) -> pd.DataFrame:
    """Problems of one year by rule and action, with an example file for each."""
    report = pd.read_csv(Path(processed_dir) / str(year) / "quality_report.csv", dtype=str)
    if report.empty:
        return pd.DataFrame({"rule": ["none"], "action": ["-"], "problems": [0], "files": ["-"]})
    grouped = report.groupby(["rule", "action"]).agg(problems=("file", "size"),
                                                     files=("file", lambda s: ", ".join(sorted(set(s))[:4])))
    return grouped.reset_index().sort_values(["problems", "rule"], ascending=[False, True]).reset_index(drop=True)


def unknown_shares(by_year: dict[int, pd.DataFrame], cohort: str = breakdowns.EHCP) -> pd.DataFrame:
    """Long table: year, characteristic, percent unknown of `cohort` (NaN where withheld), read
    from the published tables of each census year (:func:`sendlib.breakdowns.share`): a share is
    shown only where those tables publish the unknowns' count and the total, so no report says
    more about a small group than the equality tables do."""
    rows = [{"year": year, "characteristic": c,
             "percent_unknown": breakdowns.share(tables, topic, breakdowns.UNKNOWN, cohort)}
            for year, tables in sorted(by_year.items()) for c, topic in CHARACTERISTICS.items()]
    out = pd.DataFrame(rows, columns=["year", "characteristic", "percent_unknown"])
    out["percent_unknown"] = out["percent_unknown"].astype(float)
    return out


def unknown_table(unknowns: pd.DataFrame) -> pd.DataFrame:
    """Characteristic by census year, each share as text: "2.4%", or "c" where withheld."""
    wide = unknowns.pivot(index="characteristic", columns="year", values="percent_unknown")
    wide = wide.reindex([c for c in CHARACTERISTICS if c in wide.index])
    text = wide.apply(lambda col: col.map(lambda v: "c" if pd.isna(v) else f"{v:.1f}%"))
    text.columns = [str(c) for c in text.columns]
    return text.reset_index()


def plot_unknown_shares(unknowns: pd.DataFrame):
    """Line chart of the share unknown per characteristic over census years."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    fig, ax = plt.subplots()
    sns.lineplot(data=unknowns, x="year", y="percent_unknown", hue="characteristic", marker="o", ax=ax)
    ax.set(title="EHCP caseload: share of records with the value unknown", xlabel="census year",
           ylabel="% unknown")
    ax.set_xticks(sorted(unknowns["year"].unique()))
    ax.legend(title=None, frameon=False)
    return ax


def changes_table(summaries: dict[int, dict], year: int) -> pd.DataFrame:
    """Rows kept per file in the previous and this census, and the change."""
    def kept(y):
        return {v["name"]: v["rows_kept"] for v in summaries.get(y, {"files": {}})["files"].values()}

    now, before = kept(year), kept(year - 1)
    rows = [{"file": f, f"{year - 1}": before.get(f), f"{year}": now.get(f),
             "change %": round((now[f] / before[f] - 1) * 100, 1) if before.get(f) and now.get(f) else None}
            for f in sorted(set(now) | set(before))]
    return pd.DataFrame(rows)
