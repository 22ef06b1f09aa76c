"""Bad arguments and inputs for `sendlib equality`, `forecast`, `backtest` and `demo-data`: the
equality cases start from the small LA's cleaned tables (`processed`, linked into each project)."""
from __future__ import annotations

from tests.battery.clean_cases import file_at, read_only
from tests.battery.harness import Case, Workspace

EQUALITY = ["equality", "processed", "eq"]


def equality(*extra: str, processed: str = "processed", out: str = "eq") -> list[str]:
    return ["equality", processed, out, *extra]


def forecast(*extra: str, out: str = "fc") -> list[str]:
    return ["forecast", "--la", "314", *extra, out]


def processed_file(name: str, content: bytes | None):
    """Replace table `name` of the cleaned tables by `content` (None: remove it)."""
    def setup(ws: Workspace) -> None:
        path = ws.own_processed() / name
        path.unlink()
        if content is not None:
            path.write_bytes(content)
    return setup


EQUALITY_CASES = [
    Case("equality-threshold-1", equality("--threshold", "1"), 2, "threshold"),
    Case("equality-threshold-2", equality("--threshold", "2"), 2, "threshold"),
    Case("equality-threshold-0", equality("--threshold", "0"), 2, "threshold"),
    Case("equality-threshold-negative", equality("--threshold", "-3"), 2, "threshold"),
    Case("equality-threshold-text", equality("--threshold", "five"), 2, "five"),
    Case("equality-threshold-fraction", equality("--threshold", "4.9"), 2, "4.9"),
    Case("equality-processed-missing", equality(processed="nowhere"), 2, "nowhere"),
    Case("equality-processed-empty", equality(processed="empty"), 2, "empty", lambda ws: (ws.root / "empty").mkdir()),
    Case("equality-processed-is-raw", equality(processed="data/raw/demo/2025"), 2, "2025"),
    Case("equality-pupils-missing", EQUALITY, 2, "pupils", processed_file("pupils.parquet", None)),
    Case("equality-caseload-missing", EQUALITY, 2, "ehcp_caseload", processed_file("ehcp_caseload.parquet", None)),
    Case("equality-pupils-corrupt", EQUALITY, 2, "pupils", processed_file("pupils.parquet", b"PAR1 not parquet")),
    Case("equality-metadata-corrupt", EQUALITY, 2, "metadata", processed_file("metadata.json", b"{not json")),
    Case("equality-census-date-bad", equality("--census-date", "2025-13-01"), 2, "2025-13-01"),
    Case("equality-out-a-file", EQUALITY, 2, "eq", file_at("eq")),
    Case("equality-out-read-only", EQUALITY, 2, "eq", read_only("eq")),
    Case("equality-cell-size-zero", equality("--cell-size", "0"), 2, "cell-size"),
    Case("equality-n-size-negative", equality("--n-size", "-1"), 2, "n-size"),
    Case("equality-grouping-unknown", equality("--ethnicity-grouping", "martian"), 2, "martian"),
    Case("equality-valid", EQUALITY, 0, "disclosure audit passed"),
    Case("equality-la-name-formula", equality("--la-name", "=cmd|' /C calc'!A0"), 0, "audit passed"),
    Case("equality-threshold-10", equality("--threshold", "10"), 0, "audit passed", subprocess=True),
    Case("equality-threshold-1-subprocess", equality("--threshold", "1"), 2, "threshold", subprocess=True),
]

FORECAST_CASES = [
    Case("forecast-horizon-zero", forecast("--horizon", "0"), 2, "horizon"),
    Case("forecast-horizon-nine", forecast("--horizon", "9"), 2, "horizon"),
    Case("forecast-horizon-text", forecast("--horizon", "five"), 2, "five"),
    Case("forecast-la-unknown", ["forecast", "--la", "XYZ", "fc"], 2, "XYZ"),
    Case("forecast-la-blank", ["forecast", "--la", "", "fc"], 2, "la"),
    Case("forecast-origin-1900", forecast("--origin", "1900"), 2, "1900"),
    Case("forecast-origin-2999", forecast("--origin", "2999"), 2, "2999"),
    Case("forecast-method-unknown", forecast("--method", "crystal_ball"), 2, "crystal_ball"),
    Case("forecast-no-la", ["forecast", "fc"], 2, "--la"),
    Case("forecast-out-a-zip", ["forecast", "--la", "314", "out.zip"], 2, "zip"),
    Case("forecast-out-a-file", forecast(), 2, "fc", file_at("fc")),
    Case("forecast-out-read-only", forecast(), 2, "fc", read_only("fc")),
    Case("backtest-origins-text", ["backtest", "--origins", "abc", "bt"], 2, "abc"),
    Case("backtest-method-unknown", ["backtest", "--methods", "crystal_ball", "bt"], 2, "crystal_ball"),
    Case("backtest-origins-one-side", ["backtest", "--origins", "2015-2016", "--methods", "last_value", "bt"], 2,
         "cutoff"),
    Case("forecast-valid", forecast(), 0, "forecasts.csv", subprocess=True),
]

DEMO_DATA_CASES = [
    Case("demo-data-out-a-file", ["demo-data", "key.txt"], 2, "key.txt"),
    Case("demo-data-scale-zero", ["demo-data", "demo", "--scale", "0"], 2, "scale"),
    Case("demo-data-scale-negative", ["demo-data", "demo", "--scale", "-1"], 2, "scale"),
    Case("demo-data-defects-two", ["demo-data", "demo", "--defects", "2"], 2, "defects"),
    Case("demo-data-seed-text", ["demo-data", "demo", "--seed", "x"], 2, "seed"),
    Case("no-command", [], 2, "command"),
    Case("unknown-command", ["frobnicate"], 2, "frobnicate"),
]

CASES = EQUALITY_CASES + FORECAST_CASES + DEMO_DATA_CASES
