"""Repository hygiene checks, run by pre-commit and by the tests.

    python -m sendlib.repo_checks notebooks [FILES...]   # notebooks stored without outputs
    python -m sendlib.repo_checks data [FILES...]        # no data or reports tracked

Exit status 1 and one line per offending file when a check fails.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def notebook_problems(path: Path) -> list[str]:
    """Why the notebook at `path` may not be committed as it is (outputs, execution counts)."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    problems = []
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("outputs"):
            problems.append(f"{path}: cell {i} has outputs (run `jupyter nbconvert --clear-output --inplace {path}`)")
        if cell.get("execution_count") is not None:
            problems.append(f"{path}: cell {i} has an execution count")
    return problems


def data_problems(path: Path) -> list[str]:
    """A tracked file under data/raw, data/processed or reports other than their README."""
    p = Path(path)
    if p.name in {"README.md", ".gitkeep"}:
        return []
    top = p.parts[:2]
    if top in {("data", "raw"), ("data", "processed")} or p.parts[:1] == ("reports",):
        return [f"{p}: data and generated reports are never committed"]
    return []


def tracked_files(pattern: str) -> list[Path]:
    out = subprocess.run(["git", "ls-files", pattern], capture_output=True, text=True, check=False)
    return [Path(f) for f in out.stdout.split()]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in {"notebooks", "data"}:
        print(__doc__)
        return 2
    kind, files = argv[0], [Path(f) for f in argv[1:]]
    if kind == "notebooks":
        files = files or tracked_files("*.ipynb")
        problems = [p for f in files for p in notebook_problems(f)]
    else:
        files = files or tracked_files("data") + tracked_files("reports")
        problems = [p for f in files for p in data_problems(f)]
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
