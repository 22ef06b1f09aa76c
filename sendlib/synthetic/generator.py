"""Orchestrates the synthetic LA: simulate, build each census year's files, inject defects, write
the files and the manifest. See the package docstring for the layout and conventions."""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sendlib import codelists, spec
from sendlib.errors import SendlibInputError
from sendlib.readers import sha256
from sendlib.synthetic import calibration, establishments, identities, sen2_xml
from sendlib.synthetic import defects as defects_mod
from sendlib.synthetic.ehcp import EhcpSimulation
from sendlib.synthetic.pupils import PupilSimulation
from sendlib.synthetic.returns import YearBuilder

CENSUS_YEARS = list(range(2019, 2026))
# independent random streams, so that changing one stage never shifts another's draws
_STREAM = {"establishments": 1, "ehcp": 2, "people": 3, "pupils": 4, "pupil_people": 5, "population": 6,
           "defects": 99}

logger = logging.getLogger(__name__)

DEFINITIONS = {
    "ehcp_caseload": "active plans at the census date (active_plans rows), one per person; need = rank-1 "
                     "sen_need; placement = rank-1 placement_detail (URN -> establishments type -> codelists, "
                     "resourced provision / SEN unit indicator -> Kingston 'Resourced provision in mainstream'; "
                     "non-URN -> sensetting); age at 31 August before the census; ethnicity as recorded in person "
                     "(blank, REFU, NOBT = Unknown)",
    "sen_support": "school census rows with senprovision K; need = primarysentype; ethnicity from the census",
    "pupils": "all school census rows",
    "new_plans": "named_plan rows with startdate in calendar year Y-1",
    "new_plans_within_20_weeks": "of new_plans, those issued within 20 weeks (140 days) of the request",
    "ceased_plans": "named_plan rows with ceasedate in calendar year Y-1, by ceasereason",
    "requests": "requests rows with receiveddate in calendar year Y-1",
    "assessments": "assessment rows whose request was received in calendar year Y-1",
    "assessments_completed": "of those, with an assessmentoutcomedate on or before the census date",
    "assessments_within_20_weeks": "of the completed, those within 20 weeks (140 days) of the request",
    "tribunals": "requesttribunal = 1 on requests received in Y-1 plus assessmenttribunal = 1 on their assessments",
    "annual_reviews": "due = active plans whose startdate is more than 365 days before the census; "
                      "within_12_months = of those, lastreview within 365 days before the census",
}


def _rng(seed: int, stream: str) -> np.random.Generator:
    return np.random.default_rng([seed, _STREAM[stream]])


def _people(sim: EhcpSimulation, rng: np.random.Generator, census: dict, estab: pd.DataFrame) -> pd.DataFrame:
    """SEN2 persons with identities; `no_upn` for a few never at the LA's schools."""
    t = sim.tables()
    pp = t["persons"].copy()
    n = len(pp)
    male = pp["sex"].to_numpy() == 0
    pp["surname"], pp["forename"] = identities.names(rng, male)
    pp["postcode"] = identities.postcodes(rng, n)
    pp["upn"] = identities.upns(pp["person_id"].to_numpy())
    pp["uln"] = identities.ulns(pp["person_id"].to_numpy())
    # who is ever at one of the LA's schools (they must carry a UPN into the school census)
    S, P = t["spells"], t["plans"]
    in_census = S["urn"].isin(set(estab.loc[estab["_in_census"], "URN"]))
    ever = np.zeros(n, bool)
    ever[P["person"].to_numpy()[S.loc[in_census, "plan"].to_numpy()]] = True
    first_ncy = identities.ncy_at(pp["dob"].to_numpy(), 2019)
    candidate = ~ever & ((first_ncy >= 12) | (pp["has_plan"].to_numpy() == 0))
    pp["no_upn"] = candidate & (rng.random(n) < np.where(pp["has_plan"].to_numpy() == 1, 0.3, 0.03))
    return pp


def _pupil_people(pupils: PupilSimulation, rng: np.random.Generator) -> pd.DataFrame:
    n = len(pupils.dob)
    male = pupils.sex == 0
    surname, forename = identities.names(rng, male)
    return pd.DataFrame({"upn": identities.upns(np.arange(1, n + 1)), "surname": surname, "forename": forename,
                         "dob": pupils.dob, "sex": pupils.sex,
                         "ethnicity": np.array(pupils.eth_codes, object)[pupils.eth]})


def _ehcp_pupils(tables: dict, people: pd.DataFrame, census: dict, census_urns: set, year: int):
    """(person rows, frame of urn and need) of EHCP holders at the LA's schools at the census."""
    from sendlib.synthetic.ehcp import NEEDS
    P, S = tables["plans"], tables["spells"]
    c = census[year]
    active = (P["start"].to_numpy() <= c) & (P["cease"].to_numpy() > c)
    s = S[(S["rank"] == 1) & (S["entry"] <= c) & (S["leaving"] > c) & S["urn"].isin(census_urns)]
    s = s[active[s["plan"].to_numpy()]]
    person = P["person"].to_numpy()[s["plan"].to_numpy()]
    keep = ~people["no_upn"].to_numpy()[person]
    frame = pd.DataFrame({"urn": s["urn"].to_numpy()[keep],
                          "need": np.array(NEEDS, object)[P["need1"].to_numpy()[s["plan"].to_numpy()[keep]]]})
    return person[keep], frame


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """UTF-8 CSV of string columns, '\\n' line ends, quoting only where needed (byte-stable)."""
    df.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


@dataclass
class _Simulated:
    """The simulated history of the synthetic LA, before it is cut into census years."""
    estab: pd.DataFrame
    sim: EhcpSimulation
    people: pd.DataFrame
    pupils: PupilSimulation
    pupil_people: pd.DataFrame
    ehcp_pupils: dict


def _check(defects: float, scale: float, fmt: str) -> None:
    if scale <= 0:
        raise SendlibInputError(f"--scale must be positive, got {scale}", hint="e.g. --scale 1")
    if not 0 <= defects < 0.5:
        raise SendlibInputError(f"--defects must be a rate in [0, 0.5), got {defects}", hint="e.g. --defects 0.02")
    if fmt == "xml" and defects > 0:
        raise SendlibInputError("--format xml writes a clean return (defects such as orphan rows cannot be "
                                "nested)", hint="use --format csv with --defects")


def _simulate(seed: int, scale: float, cal: dict, census: dict[int, int]) -> _Simulated:
    """Establishments, the EHC plan lifecycle 2018-2025, persons and the pupil roll."""
    la = cal["la"]
    estab = establishments.build(_rng(seed, "establishments"), scale, la["la_code"], la["name"])
    sim = EhcpSimulation(_rng(seed, "ehcp"), cal, scale, estab, census)
    sim.initial_stock(2018)
    for year in range(2018, CENSUS_YEARS[-1] + 1):
        sim.advance(year)
    tables = sim.tables()
    people = _people(sim, _rng(seed, "people"), census, estab)
    census_urns = set(estab.loc[estab["_in_census"], "URN"])
    ehcp_pupils = {y: _ehcp_pupils(tables, people, census, census_urns, y) for y in CENSUS_YEARS}
    pupils = PupilSimulation(_rng(seed, "pupils"), cal, scale, estab, CENSUS_YEARS)
    pupils.run({y: len(v[0]) for y, v in ehcp_pupils.items()})
    return _Simulated(estab, sim, people, pupils, _pupil_people(pupils, _rng(seed, "pupil_people")), ehcp_pupils)


def _year_files(seed: int, world: _Simulated, cal: dict, census: dict[int, int],
                scale: float) -> tuple[dict[str, pd.DataFrame], dict[str, dict]]:
    """Every census year's files ('YYYY/name.csv' -> frame) and intended figures."""
    builder = YearBuilder(seed, world.sim.tables(), world.people, world.sim.eth_codes, world.pupils,
                          world.pupil_people, world.estab, census, cal, scale, dict(cal["la"]))
    pop_rng = _rng(seed, "population")
    files: dict[str, pd.DataFrame] = {}
    figures: dict[str, dict] = {}
    establishments_df = builder.establishments()
    for year in CENSUS_YEARS:
        modules, fig = builder.sen2(year)
        sc, sc_fig = builder.school_census(year, *world.ehcp_pupils[year])
        pop, pop_fig = builder.population(year, pop_rng)
        fig.update(sc_fig)
        fig["population_0_25"] = pop_fig["total"]
        fig["ehcp_pupils_in_school_census"] = int(len(world.ehcp_pupils[year][0]))
        for name, df in modules.items():
            files[f"{year}/{name}.csv"] = df
        files[f"{year}/school_census.csv"] = sc
        files[f"{year}/establishments.csv"] = establishments_df
        files[f"{year}/population.csv"] = pop
        figures[str(year)] = fig
    return files, figures


def mis_census(census: pd.DataFrame, establishments: pd.DataFrame) -> pd.DataFrame:
    """The school census as a school MIS exports it: Common Basic Data Set headers (DOB, Gender,
    SENtype, ... from the spec's column_aliases.csv) and the school as LAEstab instead of URN."""
    laestab = establishments["LA (code)"] + establishments["EstablishmentNumber"]
    by_urn = pd.Series(laestab.to_numpy(), index=establishments["URN"].to_numpy())
    out = census.assign(laestab=census["urn"].map(by_urn).fillna("")).drop(columns=["urn"])
    return out.rename(columns=spec.export_names("school_census"))


def _write_year(out: Path, year: int, files: dict[str, pd.DataFrame], fmt: str, census_date: str,
                la_code: str, census_headers: str = "spec") -> list[dict]:
    """Write one census year's files (the SEN2 modules as CSVs, or as one XML return when `fmt` is
    ``xml``; the school census with MIS headers when `census_headers` is ``mis``) and return their
    manifest entries."""
    (out / str(year)).mkdir(exist_ok=True)
    entries = []
    for name, declared in spec.files().items():
        if fmt == "xml" and declared.section == "sen2":
            continue
        rel = f"{year}/{name}.csv"
        df = files[rel]
        if name == "school_census" and census_headers == "mis":
            df = mis_census(df, files[f"{year}/establishments.csv"])
        write_csv(df, out / rel)
        entries.append({"path": rel, "rows": int(len(files[rel])), "sha256": sha256(out / rel)})
    if fmt == "xml":
        rel = f"{year}/sen2.xml"
        modules = {name: files[f"{year}/{name}.csv"] for name in spec.sen2_modules()}
        sen2_xml.write(modules, out / rel, year, census_date, la_code)
        entries.append({"path": rel, "rows": int(sum(len(df) for df in modules.values())),
                        "sha256": sha256(out / rel)})
    return entries


def _write(out: Path, files: dict[str, pd.DataFrame], figures: dict, defect_list: pd.DataFrame, fmt: str,
           census: dict[int, int], la_code: str, census_headers: str = "spec") -> list[dict]:
    """Write every file of the raw-file spec and defects.csv; returns the manifest's file entries."""
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    for year in CENSUS_YEARS:
        entries += _write_year(out, year, files, fmt, str(np.datetime64(int(census[year]), "D")), la_code,
                               census_headers)
        f = figures[str(year)]
        logger.info("demo-data: %s: %s EHCPs, %s SEN support, %s pupils", year, f"{f['ehcp_caseload']['total']:,}",
                    f"{f['sen_support']['total']:,}", f"{f['pupils']['total']:,}")
    write_csv(defect_list, out / "defects.csv")
    entries.append({"path": "defects.csv", "rows": int(len(defect_list)), "sha256": sha256(out / "defects.csv")})
    return entries


# What the generator's codes mean (its manifest's "conventions")
CONVENTIONS = {
    "week20": "1 = exceptions to the 20-week limit apply (DfE SEN2 meaning); timeliness itself comes from the dates",
    "requestoutcome": {"A": "assessment agreed", "N": "decided not to assess", "W": "withdrawn",
                       "": "no decision by the census date"},
    "assessmentoutcome": {"Y": "decided to issue a plan", "N": "decided not to issue",
                          "": "assessment still running at the census date"},
    "requestsource": {"1": "parent or carer", "2": "young person", "3": "education setting",
                      "4": "health or social care", "5": "other"},
    "reviewoutcome": {"1": "maintain the plan", "2": "amend the plan", "3": "cease the plan"},
    "upnunknown": {"UN1": "early years, never at a state school", "UN5": "other (no UPN held by the LA)"},
}


def _manifest(seed: int, scale: float, defects: float, la: dict, census: dict[int, int], entries: list[dict],
              defect_list: pd.DataFrame, figures: dict) -> dict:
    return {
        "generator": "sendlib.synthetic",
        "seed": int(seed),
        "parameters": {"scale": float(scale), "defects": float(defects), "la_name": la["name"],
                       "la_code": la["la_code"], "new_la_code": la["new_la_code"],
                       "calibrated_to": "Kingston upon Thames (LA 314, E09000021)"},
        "census_years": CENSUS_YEARS,
        "census_dates": {str(y): str(np.datetime64(int(census[y]), "D")) for y in CENSUS_YEARS},
        "population_reference": "mid-year estimate of 30 June of the year before the census (column year = Y-1)",
        "conventions": CONVENTIONS,
        "definitions": DEFINITIONS,
        "files": entries,
        "defects": {"rate": float(defects), "listed": int(len(defect_list)),
                    "by_kind": {k: int(v) for k, v in sorted(defect_list["kind"].value_counts().items())}},
        "years": figures,
    }


def generate(out_dir, seed: int = 7, defects: float = 0.0, scale: float = 1.0, fmt: str = "csv",
             census_headers: str = "spec") -> dict:
    """Write the synthetic LA into `out_dir` (one folder per census year 2019-2025, defects.csv,
    manifest.json) and return the manifest: seed, parameters, census dates, files with sha256
    checksums, and each year's intended figures (counted on the clean data, before defects).
    `fmt` ``xml`` writes each year's SEN2 return as one XML file instead of the module CSVs;
    `census_headers` ``mis`` writes the school census with the names school MIS exports use.
    Progress goes to the ``sendlib.synthetic`` logger."""
    t0 = time.perf_counter()
    _check(defects, scale, fmt)
    cal = calibration.load()
    census = {y: identities.days(str(d.date())) for y, d in codelists.census_dates().items()}
    world = _simulate(seed, scale, cal, census)
    logger.info("demo-data: simulated %s plans and %s pupils (%.1fs)", f"{len(world.sim.tables()['plans']):,}",
                f"{len(world.pupil_people):,}", time.perf_counter() - t0)
    files, figures = _year_files(seed, world, cal, census, scale)
    if defects > 0:
        dates = {str(y): census[y] for y in CENSUS_YEARS}
        files, defect_list = defects_mod.inject(files, defects, _rng(seed, "defects"), dates)
    else:
        defect_list = pd.DataFrame(columns=defects_mod.DEFECT_COLUMNS)
    out = Path(out_dir)
    entries = _write(out, files, figures, defect_list, fmt, census, cal["la"]["la_code"], census_headers)
    manifest = _manifest(seed, scale, defects, dict(cal["la"]), census, entries, defect_list, figures)
    if fmt != "csv":
        manifest["format"] = fmt
    if census_headers != "spec":
        manifest["census_headers"] = census_headers
    text = json.dumps(manifest, indent=2, sort_keys=False, ensure_ascii=False) + "\n"
    (out / "manifest.json").write_text(text, encoding="utf-8")
    last = figures[str(CENSUS_YEARS[-1])]
    logger.info("demo-data: wrote %d files to %s in %.1fs (seed %s, scale %g, defects %g: %s listed; %s EHCPs in %s)",
                len(entries), out, time.perf_counter() - t0, seed, scale, defects, f"{len(defect_list):,}",
                f"{last['ehcp_caseload']['total']:,}", CENSUS_YEARS[-1])
    return manifest
