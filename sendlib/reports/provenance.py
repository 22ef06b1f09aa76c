"""Provenance of a report: parameters, input checksums, code version, package versions, run time.

Every report ends with this block so that a reader can tell exactly what produced it.
"""
from __future__ import annotations

import datetime as dt
import json
import platform
import subprocess
from importlib import metadata
from pathlib import Path

import pandas as pd

import sendlib
from sendlib import render
from sendlib.readers import sha256

PACKAGES = ["sendlib", "pandas", "numpy", "pyarrow", "scipy", "statsmodels", "pandera",
            "matplotlib", "seaborn", "papermill", "nbconvert"]


def input_checksums(paths) -> pd.DataFrame:
    """One row per input file (searched recursively under folders): file, bytes, sha256."""
    rows = []
    for p in paths:
        p = Path(p)
        files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
        for f in files:
            if f.exists():
                rows.append({"file": str(f.relative_to(p.parent) if p.is_dir() else f.name),
                             "bytes": f.stat().st_size, "sha256": sha256(f)})
    return pd.DataFrame(rows, columns=["file", "bytes", "sha256"])


def code_version() -> str:
    """The git commit of the code (with '+changes' when the work tree differs), or the package version."""
    root = Path(sendlib.__file__).resolve().parents[1]
    try:
        commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root, text=True,
                                capture_output=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               text=True, capture_output=True, check=True).stdout.strip()
        return f"{commit}{'+changes' if dirty else ''}"
    except (OSError, subprocess.CalledProcessError):
        return f"sendlib {sendlib.__version__} (no git)"


def package_versions() -> dict[str, str]:
    """Installed versions of the packages that shape the results."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def collect(parameters: dict, inputs=()) -> dict:
    """Everything the provenance block shows, as plain data."""
    return {
        "parameters": parameters,
        "inputs": input_checksums(inputs).to_dict("records"),
        "code_version": code_version(),
        "packages": package_versions(),
        "run_time": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
    }


def as_html(info: dict) -> str:
    """The provenance block as compact HTML for the end of a report."""
    params = pd.DataFrame({"parameter": list(info["parameters"]),
                           "value": [json.dumps(v) if not isinstance(v, str) else v
                                     for v in info["parameters"].values()]})
    pkgs = pd.DataFrame({"package": list(info["packages"]), "version": list(info["packages"].values())})
    inputs = pd.DataFrame(info["inputs"], columns=["file", "bytes", "sha256"])
    return render.render("provenance.html.j2", code_version=info["code_version"], run_time=info["run_time"],
                         parameters=render.table_view(params), inputs=render.table_view(inputs),
                         packages=render.table_view(pkgs))
