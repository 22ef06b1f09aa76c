"""Hostile inputs for `run-cycle`: bad cycle configs, output folders that cannot be used, inputs that
are not there, a cycle that is already running, and tricky configs that must be accepted. Each
case runs the real command (tests/battery/harness.py) and must give its exit status, one line on stderr,
no traceback, and no personal value in any output."""
from __future__ import annotations

import fcntl
import os
from dataclasses import replace

from tests.battery.clean_cases import file_at, read_only
from tests.battery.harness import Case, Workspace

DRY = ["run-cycle", "demo", "--dry-run"]
RUN = ["run-cycle", "demo"]


def hold_lock(ws: Workspace):
    """Hold the cycle's run lock as a running cycle would; returns the function that lets it go."""
    lock = ws.root / "reports" / ".staging" / "demo.lock"
    lock.parent.mkdir(parents=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.write(fd, b"process 4242 since 02:30:00")
    return lambda: os.close(fd)


def remove_extract(ws: Workspace, year: int, name: str) -> None:
    (ws.own_year(year) / name).unlink()


CONFIG_CASES = [
    Case("typo-in-defaults", DRY, 2, "unknown key 'thresold'; did you mean 'threshold'?",
         lambda ws: ws.set_defaults(thresold=10)),
    Case("typo-in-cycle", DRY, 2, "did you mean 'census_date'",
         lambda ws: ws.set_cycle(census_dat="2025-01-16")),
    Case("typo-top-level", DRY, 2, "did you mean 'cycles'",
         lambda ws: ws.write_config_text("cycle:\n  demo: {}\n")),
    Case("threshold-4.9", DRY, 2, "whole number of at least 5, not 4.9", lambda ws: ws.set_defaults(threshold=4.9)),
    Case("threshold-five", DRY, 2, "whole number of at least 5, not 'five'",
         lambda ws: ws.set_defaults(threshold="five")),
    Case("threshold-negative", DRY, 2, "not -3", lambda ws: ws.set_defaults(threshold=-3)),
    Case("threshold-zero-unsafe", DRY + ["--unsafe"], 2, "not 0", lambda ws: ws.set_cycle(threshold=0)),
    Case("threshold-3-safe", DRY, 2, "below 5", lambda ws: ws.set_cycle(threshold=3)),
    Case("threshold-3-safe-real-run", RUN, 2, "--unsafe", lambda ws: ws.set_cycle(threshold=3)),
    Case("threshold-true", DRY, 2, "whole number", lambda ws: ws.set_cycle(threshold=True)),
    Case("date-month-13", DRY, 2, "census_date '2025-13-01' is not a date",
         lambda ws: ws.write_config_text(ws.config_path.read_text().replace("'2025-01-16'", "2025-13-01"))),
    Case("date-day-first", DRY, 2, "not a date", lambda ws: ws.set_cycle(census_date="16/01/2025")),
    Case("date-2099", DRY, 2, "year 2099", lambda ws: ws.set_cycle(census_date="2099-01-15")),
    Case("cycles-a-list", DRY, 2, "cycles must be a mapping", lambda ws: ws.write_config_text("cycles:\n  - demo\n")),
    Case("cycles-missing", DRY, 2, "cycles is missing", lambda ws: ws.write_config_text("defaults: {}\n")),
    Case("empty-file", DRY, 2, "empty", lambda ws: ws.write_config_text("")),
    Case("not-utf8", DRY, 2, "not UTF-8", lambda ws: ws.write_config_text(b"cycles:\n  demo:\n    title: \xe9t\xe9\n")),
    Case("not-yaml", DRY, 2, "not valid YAML", lambda ws: ws.write_config_text("cycles: [demo\n")),
    Case("tab-indent", DRY, 2, "line 2", lambda ws: ws.write_config_text("cycles:\n\tdemo: {}\n")),
    Case("duplicate-key", DRY, 2, "appears twice",
         lambda ws: ws.write_config_text(ws.config_path.read_text() + "defaults: {}\n")),
    Case("top-level-list", DRY, 2, "must be a mapping", lambda ws: ws.write_config_text("- demo\n")),
    Case("cycle-a-number", DRY, 2, "must be a mapping of settings",
         lambda ws: ws.write_config_text("cycles:\n  demo: 5\n")),
    Case("cycle-id-in-config", DRY, 2, "may hold only",
         lambda ws: ws.config["cycles"].update({"../../x": ws.config["cycles"]["demo"]}) or ws.save()),
    Case("cycle-id-argument", ["run-cycle", "../../x"], 2, "may hold only"),
    Case("cycle-id-upper-case", ["run-cycle", "Demo", "--dry-run"], 2, "may hold only"),
    Case("unknown-cycle", ["run-cycle", "dmeo"], 2, "did you mean 'demo'"),
    Case("reports-dir-escapes", DRY, 2, "outside the project", lambda ws: ws.set_cycle(reports_dir="../../x")),
    Case("reports-dir-absolute", RUN, 2, "outside the project", lambda ws: ws.set_cycle(reports_dir="/tmp/sendlib-x")),
    Case("raw-dir-absolute", DRY, 2, "outside the project", lambda ws: ws.set_cycle(raw_dir="/etc")),
    Case("processed-dir-outside", DRY, 2, "outside the project", lambda ws: ws.set_cycle(processed_dir="/var/tmp/p")),
    Case("la-code-letters", DRY, 2, "three-digit code", lambda ws: ws.set_cycle(la_code="31x")),
    Case("new-la-code-bad", DRY, 2, "nine-character code", lambda ws: ws.set_cycle(new_la_code="X123")),
    Case("horizon-zero", DRY, 2, "horizon", lambda ws: ws.set_cycle(horizon=0)),
    Case("title-a-list", DRY, 2, "title must be text", lambda ws: ws.set_cycle(title=["a", "b"])),
    Case("synthetic-maybe", DRY, 2, "synthetic", lambda ws: ws.set_cycle(synthetic="maybe")),
    Case("grouping-kingston", DRY, 2, "now called 'local'", lambda ws: ws.set_cycle(ethnicity_grouping="kingston")),
    Case("local-group-unknown-code", DRY, 2, "unknown ethnicity code 'CHNX'",
         lambda ws: ws.set_cycle(ethnicity_grouping="local", local_ethnicity_groups={"Chinese": ["CHNX"]})),
    Case("local-group-unsupported", DRY, 2, "can so far apply only",
         lambda ws: ws.set_cycle(ethnicity_grouping="local", local_ethnicity_groups={"Irish": ["WIRI"]})),
    Case("target-typo", DRY, 2, "did you mean 'annual_reviews_within_12_months'",
         lambda ws: ws.set_cycle(targets={"issued_within_20_weeks": 90,
                                          "issued_within_20_weeks_excluding_exceptions": 90,
                                          "annual_reviews_within_12_month": 100})),
    Case("target-above-100", DRY, 2, "less than or equal to 100",
         lambda ws: ws.set_cycle(targets={**ws.config["defaults"]["targets"], "issued_within_20_weeks": 900})),
    Case("comparison-unknown-measure", DRY, 2, "did you mean 'tribunal_appeals'",
         lambda ws: ws.set_cycle(comparison_figures={"tribunal_appeal": {"England": 1}})),
    Case("comparison-not-a-number", DRY, 2, "valid number",
         lambda ws: ws.set_cycle(comparison_figures={"sen_support_percent": {"England 2018": "high"}})),
    Case("disproportionality-typo", DRY, 2, "did you mean 'cell_size'",
         lambda ws: ws.set_cycle(disproportionality={"cellsize": 10})),
    Case("config-missing", ["run-cycle", "demo", "--config", "config/nowhere.yml"], 2, "config file not found"),
    Case("config-a-folder", ["run-cycle", "demo", "--config", "config"], 2, "cannot be read"),
]

OUTPUT_CASES = [
    Case("reports-dir-a-file", RUN, 2, "is a file", file_at("reports/demo")),
    Case("processed-dir-a-file", RUN, 2, "is a file", file_at("data/processed/demo")),
    Case("reports-parent-a-file", RUN, 2, "is a file", file_at("reports")),
    Case("reports-dir-read-only", RUN, 2, "read-only", read_only("reports/demo")),
    Case("reports-parent-read-only", RUN, 2, "read-only", read_only("reports")),
    Case("processed-dir-read-only", DRY, 2, "read-only", read_only("data/processed/demo")),
    Case("processed-inside-raw", RUN, 2, "inside the raw data folder",
         lambda ws: ws.set_cycle(processed_dir="data/raw/demo/processed")),
    Case("reports-inside-raw", RUN, 2, "inside the raw data folder",
         lambda ws: ws.set_cycle(reports_dir="data/raw/demo/2025/reports")),
    Case("raw-inside-processed", RUN, 2, "which each run replaces",
         lambda ws: ws.set_cycle(processed_dir="data/raw")),
    Case("reports-inside-processed", RUN, 2, "inside one another",
         lambda ws: ws.set_cycle(reports_dir="data/processed/demo/reports")),
    Case("reports-dir-is-project-root", RUN, 2, "which each run replaces", lambda ws: ws.set_cycle(reports_dir=".")),
    Case("reports-dir-is-config-folder", RUN, 2, "did not write (cycles.yml)",
         lambda ws: ws.set_cycle(reports_dir="config")),
    Case("reports-dir-holds-other-files", RUN, 2, "did not write",
         file_at("reports/demo/minutes.docx")),
    Case("already-running", RUN, 2, "already being run (process 4242", hold_lock),
    Case("already-running-dry-run", DRY, 2, "being run now", hold_lock),
]

INPUT_CASES = [
    Case("raw-dir-missing", RUN, 2, "does not exist", lambda ws: ws.set_cycle(raw_dir="data/raw/nowhere")),
    Case("census-year-folder-missing", DRY, 2, "for the census year",
         lambda ws: ws.set_cycle(census_date="2026-01-15")),
    Case("extract-missing", RUN, 2, "sen_need", lambda ws: remove_extract(ws, 2023, "sen_need.csv")),
    Case("dfe-paths-of-an-older-config", DRY, 2, "come with sendlib",
         lambda ws: ws.set_defaults(dfe_paths=["data/dfe/none.zip"])),
]

ACCEPTED = [
    Case("valid", DRY, 0, "inputs and outputs OK"),
    Case("unsafe-threshold-3", DRY + ["--unsafe"], 0, "threshold 3 (UNSAFE)", lambda ws: ws.set_cycle(threshold=3)),
    Case("threshold-12", DRY, 0, "threshold 12", lambda ws: ws.set_cycle(threshold=12)),
    Case("local-grouping", DRY, 0, "ethnicity grouping local", lambda ws: ws.set_cycle(ethnicity_grouping="local")),
    Case("la-code-unquoted", DRY, 0, "LA 886", lambda ws: ws.set_cycle(la_code=886)),
    Case("comparison-none", DRY, 0, "comparison figures none", lambda ws: ws.set_cycle(comparison_figures="none")),
    Case("outside-path-allowed", DRY, 0, "inputs and outputs OK",
         lambda ws: (ws.config.update(paths_outside_project=[str(ws.root.parent / "elsewhere")]),
                     ws.set_cycle(reports_dir=str(ws.root.parent / "elsewhere" / "reports")))),
    Case("legacy-reports-folder", DRY, 0, "inputs and outputs OK",
         file_at("reports/demo/01_data_quality.html")),
]

CASES = CONFIG_CASES + OUTPUT_CASES + INPUT_CASES + ACCEPTED

# these run as separate processes: the real exit status and nothing else on stderr
SUBPROCESS = {"typo-in-defaults", "not-utf8", "cycle-id-argument", "unknown-cycle", "reports-dir-read-only",
              "already-running", "valid", "threshold-3-safe-real-run"}
CASES = [replace(c, subprocess=True) if c.name in SUBPROCESS else c for c in CASES]
