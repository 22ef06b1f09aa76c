"""The one way the product reads DfE published data: :func:`load_dfe`.

The published series travel with the package: ``sendlib/sources/data/`` holds every row the
loader reads from the release zips in ``data/external/`` (as published, unchecked) and what their
parts say each total should be, built by ``scripts/build_dfe_bundle.py``. Releases that
`sendlib fetch-dfe` put in the cache are read on top and take precedence where they overlap (a
newer release of the same reporting year replaces the bundled one). Every figure is then checked
(:mod:`sendlib.sources.dfe_checks`) before anything uses it.
"""
from __future__ import annotations

import functools
import gzip
import io
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sendlib.errors import SendlibInputError
from sendlib.sources import dfe, dfe_checks, dfe_parts
from sendlib.sources.fetch import default_cache_dir, sha256_of

log = logging.getLogger(__name__)

BUNDLE_DIR = Path(__file__).resolve().parent / "data"
BUNDLE_FILES = {"rows": "dfe_rows.csv.gz", "parts": "dfe_parts.csv.gz", "sources": "dfe_sources.json"}
_STRING_COLUMNS = ["measure", "geographic_level", "country_code", "region_code", "region_name", "old_la_code",
                   "new_la_code", "la_name", "area_code", "breakdown_topic", "breakdown", "symbol", "release", "file"]


@dataclass
class DfeData:
    """Checked DfE series: `table` (tidy, `value` = the value used, `published`, `checked`),
    `checks` (one row per finding), `sources` (each release read: name, sha256, release, from) and
    `paths` (the files read, for a report's provenance)."""

    table: pd.DataFrame
    checks: pd.DataFrame
    sources: list[dict] = field(default_factory=list)
    paths: list[Path] = field(default_factory=list)

    def counts(self) -> pd.Series:
        """Number of checks findings per release."""
        return dfe_checks.CheckedTable(self.table, self.checks).counts()

    def summary(self) -> str:
        """One line: the releases read and the findings of the checks."""
        counts = self.counts()
        found = ", ".join(f"{n} in release {r}" for r, n in counts.items()) or "none"
        acted = self.checks.drop_duplicates(["measure", "area_code", "year"])["action"].str.split(" ").str[0]
        return (f"DfE releases {', '.join(s['name'] for s in self.sources)}; checks findings: {found} "
                f"({int((acted == 'repaired').sum())} figures repaired, {int((acted == 'set').sum())} set missing)")

    def checks_for(self, code: str) -> pd.DataFrame:
        """The findings about one area: an old or new LA code, a region or England's code."""
        area = dfe.resolve_area(self.table, code)
        return self.checks[self.checks["area_code"] == area].reset_index(drop=True)


def checks_table(checks: pd.DataFrame) -> pd.DataFrame:
    """The findings as a report shows them: one row per figure and rule, plain column names."""
    if checks.empty:
        return pd.DataFrame({"note": ["no problem found in the published figures"]})
    measure = {"caseload": "EHC plans (January)", "new_plans": "new plans (calendar year)",
               "requests": "requests (calendar year)", "requests_refused": "requests refused (calendar year)",
               "assessments_plan": "assessments with a plan (calendar year)",
               "assessments_no_plan": "assessments without a plan (calendar year)",
               "issued": "plans issued (calendar year)", "issued_20wk": "plans issued within 20 weeks",
               "issued_noexc": "plans issued, exceptions excluded",
               "issued_noexc_20wk": "plans issued within 20 weeks, exceptions excluded",
               "ceased": "plans ceased (calendar year)"}
    number = lambda s: s.map(lambda v: "missing" if pd.isna(v) else f"{v:,.0f}")  # noqa: E731
    return pd.DataFrame({
        "release": checks["release"].to_numpy(), "file": checks["file"].to_numpy(),
        "figure": checks["measure"].map(measure).to_numpy(), "area": checks["area_name"].to_numpy(),
        "year": checks["year"].astype(int).to_numpy(), "as published": number(checks["published"]).to_numpy(),
        "rule": checks["rule"].to_numpy(), "detail": checks["detail"].to_numpy(),
        "action": checks["action"].to_numpy(), "value used": number(checks["used"]).to_numpy()})


def load_dfe(cache_dir=None, *, use_cache: bool = True) -> DfeData:
    """Return the checked DfE series: the bundled releases, with any release in the `sendlib
    fetch-dfe` cache (default :func:`~sendlib.sources.fetch.default_cache_dir`) read on top."""
    cached = sorted(Path(cache_dir or default_cache_dir()).glob("*.zip")) if use_cache else []
    data = _load(tuple(str(p) for p in cached), tuple(_fingerprint(p) for p in cached))
    return DfeData(data.table.copy(), data.checks.copy(), list(data.sources), list(data.paths))


def from_zips(paths) -> DfeData:
    """Return the checked series of the given release zips alone (no bundle, no cache)."""
    paths = [Path(p) for p in ([paths] if isinstance(paths, (str, Path)) else paths)]
    if not paths:
        raise SendlibInputError("no DfE release given", hint="pass one or more release zips")
    releases = [dfe.read(p) for p in sorted(paths, key=str)]
    sources = [{"name": p.name, "sha256": sha256_of(p), "release": _release_of(r), "from": str(p)}
               for p, r in zip(sorted(paths, key=str), releases)]
    data = _checked([r.tidy for r in releases], [r.parts for r in releases], sources)
    data.paths = sorted(paths, key=str)
    return data


@functools.lru_cache(maxsize=4)
def _load(cached: tuple[str, ...], fingerprints: tuple[str, ...]) -> DfeData:
    rows, parts, sources = read_bundle()
    tables, evidence = [rows], [parts]
    for path in map(Path, cached):
        _verify_cached(path)
        release = dfe.read(path)
        tables.append(release.tidy)
        evidence.append(release.parts)
        sources.append({"name": path.name, "sha256": sha256_of(path), "release": _release_of(release),
                        "from": "fetch-dfe cache"})
    data = _checked(tables, evidence, sources)
    data.paths = [BUNDLE_DIR / name for name in BUNDLE_FILES.values()] + [Path(p) for p in cached]
    log.info(data.summary())
    return data


def _checked(tables: list[pd.DataFrame], evidence: list[pd.DataFrame], sources: list[dict]) -> DfeData:
    table_all = dfe.combine_releases(tables, keep_all=True)
    parts = dfe_parts.combine(evidence).drop_duplicates(dfe_parts.PARTS_COLUMNS[:6], keep="last")
    checked = dfe_checks.check(table_all, parts)
    return DfeData(checked.table, checked.checks, sources)


def _fingerprint(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def _verify_cached(path: Path) -> None:
    """A cached zip must match the checksum fetch-dfe recorded beside it."""
    side = path.with_name(path.name + ".sha256")
    if side.exists() and side.read_text(encoding="utf-8").split()[0].lower() != sha256_of(path):
        raise SendlibInputError("the cached release does not match its recorded checksum", file=str(path),
                                hint="run `sendlib fetch-dfe --force` to download it again")


def _release_of(release: dfe.Release) -> str:
    return ",".join(sorted(set(release.tidy["release"].dropna())))


# ---------------------------------------------------------------------------------------------
# the bundle

def read_bundle(directory: Path = BUNDLE_DIR) -> tuple[pd.DataFrame, pd.DataFrame, list[dict]]:
    """Return the bundled rows (as published), their parts evidence and the sources they came from."""
    paths = {k: directory / v for k, v in BUNDLE_FILES.items()}
    missing = [str(p) for p in paths.values() if not p.exists()]
    if missing:
        raise SendlibInputError(f"the bundled DfE series is missing: {', '.join(missing)}",
                                hint="rebuild it with scripts/build_dfe_bundle.py or reinstall sendlib")
    rows = pd.read_csv(paths["rows"], dtype={c: "string" for c in _STRING_COLUMNS}, keep_default_na=False,
                       na_values={c: [""] for c in _STRING_COLUMNS + ["value"]})
    rows["time_period"] = rows["time_period"].astype(int)
    rows["value"] = rows["value"].astype(float)
    parts = pd.read_csv(paths["parts"], dtype={c: "string" for c in ("measure", "area_code", "release", "file",
                                                                     "parts")})
    sources = json.loads(paths["sources"].read_text(encoding="utf-8"))
    for s in sources:
        s["from"] = "bundled with sendlib"
    return rows[dfe.TIDY_COLUMNS], dfe_parts.combine([parts]), sources


def write_bundle(zips, directory: Path = BUNDLE_DIR) -> list[Path]:
    """Read the release `zips` and write the bundle files into `directory` (byte-identical for the
    same zips: sorted rows, fixed float format, gzip without a timestamp). Returns the paths."""
    zips = sorted((Path(z) for z in zips), key=lambda p: p.name)
    releases = [dfe.read(z) for z in zips]
    rows = dfe.combine_releases([r.tidy for r in releases], keep_all=True)
    parts = dfe_parts.combine([r.parts for r in releases])
    directory.mkdir(parents=True, exist_ok=True)
    out = {k: directory / v for k, v in BUNDLE_FILES.items()}
    _write_gz_csv(rows, out["rows"])
    _write_gz_csv(parts, out["parts"])
    sources = [{"name": z.name, "sha256": sha256_of(z), "release": _release_of(r)} for z, r in zip(zips, releases)]
    out["sources"].write_text(json.dumps(sources, indent=1) + "\n", encoding="utf-8")
    return list(out.values())


def _write_gz_csv(frame: pd.DataFrame, path: Path) -> None:
    text = frame.to_csv(index=False, lineterminator="\n", float_format="%.17g")
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
        gz.write(text.encode("utf-8"))
    path.write_bytes(buffer.getvalue())
