"""`clean`: one census year's raw extracts to validated, pseudonymised tables, in named steps."""
from __future__ import annotations

import datetime as dt
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sendlib import dates, pseudonymise, readers, schemas, spec
from sendlib.cleaning import caseload, cells, events, persons, placements, population, pupils, rows, summary
from sendlib.cleaning.quality import QualityLog, Work
from sendlib.errors import SendlibInputError
from sendlib.render import tabular
from sendlib.reports import staging

logger = logging.getLogger(__name__)
FIRST_CENSUS_YEAR = 2015  # the first January census after EHC plans began (September 2014)


@dataclass
class CleanResult:
    """What `clean` produced: the tables, the quality report and summary, and the metadata."""
    tables: dict[str, pd.DataFrame]
    quality_report: pd.DataFrame
    summary: dict
    metadata: dict
    out_dir: Path | None = None

    def warnings_by_rule(self) -> dict[str, int]:
        """Number of problems per rule."""
        return {str(k): int(v) for k, v in self.quality_report["rule"].value_counts().sort_index().items()}


def clean(raw_dir, out_dir=None, census_date=None, *, la_code=None, la_name=None, key_file=None,
          synthetic: bool = False, column_map=None) -> CleanResult:
    """Clean one census year's raw extracts in `raw_dir`, writing to `out_dir` (if given);
    `column_map` names the LA's column map (YAML, see :func:`sendlib.spec.column_map`).

    `synthetic=True` says the extracts are the generator's: its manifest must prove it (see
    :func:`sendlib.pseudonymise.key_for`), and then the published key and the manifest's conventions
    are used; otherwise a secret key is needed and no manifest nearby is read.
    Returns a :class:`CleanResult` (tables, quality report, summary, metadata). Raises
    SendlibInputError when the inputs cannot be used. Progress goes to the ``sendlib.cleaning`` logger.
    """
    step = _Steps()
    raw_dir, census = _arguments(raw_dir, census_date)
    if out_dir is not None:  # before any work: a folder that cannot be written is a one-line error now
        staging.require_writable(out_dir, "output folder", {"raw data folder": raw_dir})
    key = pseudonymise.key_for(raw_dir, key_file, synthetic=synthetic)
    manifest = _read_manifest(raw_dir) if synthetic else {}
    step(f"reading extracts in {raw_dir}")
    files = readers.read_all(raw_dir, census, la_code, spec.column_map(column_map) if column_map else None)
    step("read " + ", ".join(f"{f.label} {len(f.frame):,}" for f in files.values()))
    log = QualityLog()
    works = {name: Work.start(f) for name, f in files.items()}
    for t in works.values():
        log.add_unreadable(t)
    step("normalising codes and dates")
    normalise_cells(works, log, census, key)
    step("resolving duplicates and orphans")
    for t in works.values():
        rows.resolve_duplicates(t, log)
    rows.reject_orphans(works, log)
    step("pseudonymising and building tables")
    week20_is_exception = _week20_is_exception(manifest)
    tables = build_tables(works, log, census, key, week20_is_exception)
    step("validating")
    schemas.validate(tables)
    report = log.frame()
    params = {**manifest, **(manifest.get("parameters") or {})}
    params.update(la_code=la_code or params.get("la_code"), la_name=la_name or params.get("la_name"),
                  synthetic=synthetic)
    result = CleanResult(tables, report, summary.quality_summary(works, report, tables, census),
                         summary.metadata(census, dates.activity_period(census), params, files, tables,
                                          week20_is_exception))
    if out_dir is not None:
        step(f"writing {out_dir}")
        write(result, out_dir)
    step(f"done: {len(report):,} problems logged")
    return result


def normalise_cells(works: dict[str, Work], log: QualityLog, census: pd.Timestamp, key: bytes) -> None:
    """Apply the cell rules of every declared column (see :mod:`sendlib.cleaning.cells`)."""
    pupils.identify(works["school_census"], key)  # before any school census row is reported
    for t in works.values():
        cells.apply(t, log, census)
    pupils.primary_need_rule(works["school_census"], log)


def build_tables(works: dict[str, Work], log: QualityLog, census: pd.Timestamp, key: bytes,
                 week20_is_exception: bool = True) -> dict[str, pd.DataFrame]:
    """The processed tables from the kept rows: persons, caseload, events and pupils."""
    period = dates.activity_period(census)
    people = persons.build(works["person"], log, census, key)
    ev = events.link(works, people.of_record)
    types = placements.establishment_types(works["establishments"])
    active = caseload.active_plans(works["active_plans"], log, ev)
    needs = caseload.primary_needs(works["sen_need"], log)
    current = placements.main_placements(works["placement_detail"], log, types, "activeplanstableid")
    plans_now = caseload.build(works["active_plans"], log, active, needs, current, people.attributes,
                               ev.plan_start_by_request(), census)
    named = placements.main_placements(works["plan_detail"], log, types, "namedplantableid")
    pupils.urn_from_laestab(works["school_census"], log, placements.urns_by_laestab(works["establishments"]))
    pupil_rows, support = pupils.build(works["school_census"], types, census)
    tables = {"persons": people.table, "ehcp_caseload": plans_now, "sen_support": support, "pupils": pupil_rows,
              "requests": events.requests(ev, period),
              "assessments": events.assessments(ev, period, week20_is_exception),
              "new_plans": events.new_plans(ev, people.attributes, named, period),
              "ceased_plans": events.ceased_plans(ev, people.attributes, period),
              "annual_reviews": caseload.annual_reviews(plans_now, active, census)}
    if "population" in works:
        tables["population"] = population.build(works["population"], log)
    return tables


def write(result: CleanResult, out_dir) -> None:
    """Write the tables (Parquet), quality report and summary, and metadata to `out_dir`."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, df in result.tables.items():
        df.to_parquet(out / f"{name}.parquet", index=False, compression="zstd")
    tabular.write_csv(result.quality_report, out / "quality_report.csv")  # formula text neutralised
    (out / "quality_summary.json").write_text(json.dumps(result.summary, indent=2, sort_keys=True) + "\n")
    (out / "metadata.json").write_text(json.dumps(result.metadata, indent=2, sort_keys=True) + "\n")
    result.out_dir = out


class _Steps:
    """Logs each step of `clean` with the seconds since it started."""

    def __init__(self) -> None:
        self.started = time.perf_counter()

    def __call__(self, message: str) -> None:
        logger.info("[clean %5.1fs] %s", time.perf_counter() - self.started, message)


def _arguments(raw_dir, census_date) -> tuple[Path, pd.Timestamp]:
    """The raw folder and the census date (ISO, or any unambiguous form of :mod:`sendlib.dates`)."""
    if census_date is None:
        raise SendlibInputError("a census date is needed", hint="--census-date YYYY-MM-DD")
    day, _ = dates.parse_one(census_date)
    if day is None:
        raise SendlibInputError(f"census date {census_date!r} is not a date", hint="use YYYY-MM-DD, e.g. 2025-01-16")
    latest = dt.date.today().year + 1
    if not FIRST_CENSUS_YEAR <= day.year <= latest:
        raise SendlibInputError(f"census date {day.isoformat()} is not the date of a SEN2 census (a year from "
                                f"{FIRST_CENSUS_YEAR} to {latest})", hint="use YYYY-MM-DD, e.g. 2025-01-16")
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise SendlibInputError("raw data folder not found", file=str(raw_dir),
                                hint="give the folder holding one census year's extracts")
    return raw_dir, pd.Timestamp(day)


def _read_manifest(raw_dir: Path) -> dict:
    for p in (raw_dir / "manifest.json", raw_dir.parent / "manifest.json"):
        if p.is_file():
            try:
                return json.loads(p.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError):
                raise SendlibInputError("manifest.json is not valid JSON", file=str(p)) from None
    return {}


def _week20_is_exception(manifest: dict) -> bool:
    """DfE's SEN2 item week20 flags that exceptions to the 20-week limit apply; a manifest may declare
    that its week20 means "issued within 20 weeks" instead."""
    convention = str((manifest.get("conventions") or {}).get("week20", ""))
    return "issued within 20 weeks" not in convention
