"""What `clean` reports besides the tables: ``quality_summary.json`` and ``metadata.json``."""
from __future__ import annotations

import numpy as np
import pandas as pd

from sendlib import __version__, normalise, readers
from sendlib.cleaning.quality import CORRECTED, SET_UNKNOWN, Work


def _share(mask: pd.Series) -> float:
    return round(float(mask.mean()), 4) if len(mask) else 0.0


def _files(works: dict[str, Work], report: pd.DataFrame) -> dict:
    """Rows read, kept, corrected, set unknown and rejected, per file."""
    files = {}
    for t in sorted(works.values(), key=lambda t: t.raw.label):
        mine = report[report["file"] == t.raw.label]
        kept_rows = set(np.flatnonzero(t.kept.to_numpy()) + 1)
        corrected = set(mine.loc[mine["action"] == CORRECTED, "row_number"]) & kept_rows
        unknown = set(mine.loc[mine["action"] == SET_UNKNOWN, "row_number"]) & kept_rows
        files[t.raw.label] = {"name": t.name, "rows_read": int(len(t.df)), "rows_kept": int(t.kept.sum()),
                              "rows_corrected": len(corrected), "rows_set_unknown": len(unknown),
                              "rows_rejected": int((~t.kept).sum())}
    return files


def _unknown_shares(tables: dict[str, pd.DataFrame]) -> dict:
    """Share of unknown sex, ethnicity, age (and need, placement) in each cohort."""
    unknowns = {}
    for cohort in ("ehcp_caseload", "sen_support", "pupils"):
        df = tables[cohort]
        u = {"rows": int(len(df)), "sex": _share(df["sex"] == "U"),
             "ethnicity": _share(df["ethnicity_group_dfe"] == "Unknown"),
             "age": _share(df["age"].isna())}
        if cohort != "pupils":
            u["primary_need"] = _share(df["primary_need"] == normalise.UNKNOWN_NEED)
        if cohort == "ehcp_caseload":
            u["placement_group"] = _share(df["placement_group"] == normalise.UNKNOWN_GROUP)
        unknowns[cohort] = u
    return unknowns


def quality_summary(works: dict[str, Work], report: pd.DataFrame, tables: dict, census: pd.Timestamp) -> dict:
    """The contents of ``quality_summary.json``."""
    rules: dict[str, dict[str, int]] = {}
    for (rule, action), n in report.groupby(["rule", "action"]).size().sort_index().items():
        rules.setdefault(str(rule), {})[str(action)] = int(n)
    return {"census_date": census.date().isoformat(), "files": _files(works, report), "rules": rules,
            "unknown_share": _unknown_shares(tables), "problems": int(len(report))}


def metadata(census: pd.Timestamp, period: tuple[pd.Timestamp, pd.Timestamp], params: dict,
             files: dict[str, readers.RawFile], tables: dict[str, pd.DataFrame], week20_is_exception: bool) -> dict:
    """The contents of ``metadata.json``: census, LA, provenance of the inputs and table sizes.

    `params` holds la_code, new_la_code, la_name and synthetic (given or from the manifest).
    """
    return {
        "census_date": census.date().isoformat(), "census_year": int(census.year),
        "period_start": period[0].date().isoformat(), "period_end": period[1].date().isoformat(),
        "la_code": params.get("la_code"), "new_la_code": params.get("new_la_code"), "la_name": params.get("la_name"),
        "synthetic": params["synthetic"], "sendlib_version": __version__,
        "week20": "exceptions apply (DfE SEN2)" if week20_is_exception else
                  "issued within 20 weeks (manifest convention; exceptions not recorded)",
        "inputs": {f.label: {"name": f.name, "sha256": f.sha256, "rows": int(len(f.frame))}
                   for f in sorted(files.values(), key=lambda f: f.label)},
        "tables": {name: int(len(df)) for name, df in sorted(tables.items())},
    }
