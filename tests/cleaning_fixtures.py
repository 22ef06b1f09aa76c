"""Hand-made raw folders for the cleaning tests: SEN2 module CSVs, school census, GIAS lookup and
population, written with the columns of spec/raw_files.yml."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sendlib import spec

ESTABLISHMENTS = [  # URN, type, name
    ("100001", "Community school", "Hill Primary"),
    ("100002", "Academy converter", "Vale Academy"),
    ("100003", "Community special school", "Oak Special"),
    ("100004", "Further education", "Town College"),
    ("100005", "Other independent special school", "Lea House"),
    ("100006", "Pupil referral unit", "Bridge PRU"),
]


@dataclass
class Child:
    """One child or young person with an active EHC plan (and optionally in the school census)."""
    pid: str
    dob: str
    sex: str = "M"
    ethnicity: str = "WBRI"
    need: str = "ASD"
    urn: str = "100001"
    setting: str = ""
    resourced: str = "0"
    upn: str = ""
    start: str = "2020-03-01"
    received: str = "2019-10-01"
    lastreview: str = "2024-05-01"
    extra_needs: list = field(default_factory=list)


def frame(name: str, rows: list[dict]) -> pd.DataFrame:
    """A raw table with every declared column of `name` (blank where not given)."""
    cols = spec.columns(name)
    return pd.DataFrame([{c: str(r.get(c, "")) for c in cols} for r in rows], columns=cols)


def sen2_tables(children: list[Child]) -> dict[str, pd.DataFrame]:
    """The eight SEN2 modules of a caseload of `children` (one request, assessment, plan each)."""
    t = {m: [] for m in spec.sen2_modules()}
    for i, c in enumerate(children, start=1):
        t["person"].append(dict(persontableid=c.pid, surname="Smith", forename="Sam", personbirthdate=c.dob,
                                sex=c.sex, ethnicity=c.ethnicity, postcode="KT1 1AA", upn=c.upn,
                                upnunknown="" if c.upn else "UN1"))
        t["requests"].append(dict(requeststableid=f"R{i}", persontableid=c.pid, receiveddate=c.received,
                                  requestoutcome="A", requestoutcomedate=c.received))
        t["assessment"].append(dict(assessmenttableid=f"A{i}", requeststableid=f"R{i}", assessmentoutcome="Y",
                                    assessmentoutcomedate=c.start, week20="0"))
        t["named_plan"].append(dict(namedplantableid=f"N{i}", assessmenttableid=f"A{i}", startdate=c.start))
        t["plan_detail"].append(dict(plandetailtableid=f"D{i}", namedplantableid=f"N{i}", urn=c.urn,
                                     sensetting=c.setting, placementrank="1"))
        t["active_plans"].append(dict(activeplanstableid=f"P{i}", requeststableid=f"R{i}", lastreview=c.lastreview))
        t["placement_detail"].append(dict(placementdetailtableid=f"L{i}", activeplanstableid=f"P{i}", urn=c.urn,
                                          sensetting=c.setting, placementrank="1",
                                          resourcedprovisionindicator=c.resourced, senunitindicator="0"))
        t["sen_need"].append(dict(senneedtableid=f"S{i}", activeplanstableid=f"P{i}", sentype=c.need, sentyperank="1"))
        for j, extra in enumerate(c.extra_needs, start=2):
            t["sen_need"].append(dict(senneedtableid=f"S{i}x{j}", activeplanstableid=f"P{i}", sentype=extra,
                                      sentyperank=str(j)))
    return {m: frame(m, rows) for m, rows in t.items()}


def establishments() -> pd.DataFrame:
    return pd.DataFrame([{"URN": u, "LA (code)": "999", "LA (name)": "Test", "EstablishmentNumber": "1",
                          "EstablishmentName": n, "TypeOfEstablishment (name)": ty,
                          "EstablishmentTypeGroup (name)": "", "EstablishmentStatus (name)": "Open",
                          "PhaseOfEducation (name)": "", "StatutoryLowAge": "", "StatutoryHighAge": "",
                          "TypeOfResourcedProvision (name)": ""} for u, ty, n in ESTABLISHMENTS],
                        columns=spec.columns("establishments"))


def census_rows(pupils: list[dict]) -> pd.DataFrame:
    """School census rows: dicts with upn, dob, sex, ethnicity, provision, need, urn."""
    return frame("school_census", [dict(upn=p["upn"], surname="Smith", forename="Sam", dateofbirth=p["dob"],
                                        sex=p.get("sex", "M"), ethnicity=p.get("ethnicity", "WBRI"),
                                        ncyearactual=p.get("ncy", "3"), senprovision=p.get("provision", "N"),
                                        primarysentype=p.get("need", ""), urn=p.get("urn", "100001"))
                                   for p in pupils])


def population() -> pd.DataFrame:
    return frame("population", [dict(area_code="E09999999", area_name="Test", year="2024", sex=s, age=str(a),
                                     population="1000") for s in "MF" for a in range(26)])


def write_raw(folder: Path, tables: dict[str, pd.DataFrame], fmt: str = "csv",
              manifest: dict | None = None) -> Path:
    """Write `tables` (name -> frame) into `folder` as <name>.csv (or .xlsx); returns the folder."""
    import json

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        if fmt == "xlsx":
            df.to_excel(folder / f"{name}.xlsx", index=False)
        else:
            df.to_csv(folder / f"{name}.csv", index=False)
    if manifest is not None:
        (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def small_la(folder: Path, children: list[Child] | None = None, pupils: list[dict] | None = None,
             synthetic: bool = True, **kw) -> Path:
    """A tiny, consistent LA for census 2025-01-16 in `folder`."""
    if children is None:
        children = [
            Child("1", "2015-03-04", "M", "WBRI", "ASD", upn="A123456789012"),
            Child("2", "2010-11-30", "F", "AIND", "SLCN", urn="100003", upn="B123456789012"),
            Child("3", "2004-06-15", "M", "", "SEMH", urn="", setting="NEET"),
            Child("4", "2012-01-20", "F", "REFU", "MLD", urn="100002", resourced="1", upn="C123456789012",
                  start="2024-02-10", received="2023-10-01", lastreview=""),
        ]
    if pupils is None:
        pupils = [dict(upn="A123456789012", dob="2015-03-04", provision="E", need="ASD"),
                  dict(upn="C123456789012", dob="2012-01-20", sex="F", provision="E", need="MLD", urn="100002"),
                  dict(upn="D123456789012", dob="2016-05-05", sex="F", provision="K", need="SPLD"),
                  dict(upn="E123456789012", dob="2013-09-01", provision="K", need="SEMH", ethnicity="BAFR"),
                  dict(upn="F123456789012", dob="2014-12-12", provision="N")]
    tables = sen2_tables(children)
    tables.update(school_census=census_rows(pupils), establishments=establishments(), population=population())
    return write_raw(folder, tables, manifest={"synthetic": True} if synthetic else None, **kw)


def trimmed_year(source: Path, out: Path, rows: int) -> Path:
    """A copy of the census-year folder `source` with the first `rows` data rows of each CSV file."""
    out.mkdir(parents=True)
    for f in sorted(source.glob("*.csv")):
        lines = f.read_text(encoding="utf-8").split("\n")
        (out / f.name).write_text("\n".join(lines[:rows + 1]) + "\n", encoding="utf-8")
    return out


def personal_values(folder: Path, min_length: int = 1) -> set[str]:
    """UPNs, ULNs, postcodes, birth dates and names in the folder's person-level CSV files (those of
    at least `min_length` characters: short names may sit inside ordinary words)."""
    from sendlib import spec

    out: set[str] = set()
    for name in ("person", "school_census"):
        df = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)
        for col in spec.file(name).personal & set(df.columns):
            out |= set(df[col].str.strip())
    return {v for v in out if v and len(v) >= min_length}
