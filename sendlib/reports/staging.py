"""Output folders of a review cycle, written so that a failed or killed run never leaves a half
state: each stage writes a staging copy beside its folder and the copy is renamed into place
(:func:`swap_into_place`); single files are replaced atomically (:func:`write_atomic`).

Layout beside an output folder `F` (e.g. `reports/demo`): `F/../.staging/F.name` is the copy
being built, `F/../.staging/F.name.old` the previous copy for the instant of the swap. A run
killed between the two renames is repaired by :func:`recover` (the next run, or the watchdog).
Only folders sendlib wrote are ever replaced: :func:`output_problems` refuses a folder holding
anything else, as well as output folders that are files, read-only, or nested in the inputs.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from sendlib.errors import SendlibInputError

STAGING = ".staging"
MARKER = ".sendlib-output"  # written into every output folder sendlib builds
# What a folder written by an earlier sendlib (before the marker) holds.
_LEGACY = {
    "processed": re.compile(r"\d{4}|README\.md"),
    "reports": re.compile(r"index\.html|cycle\.json|executed|analyst|tables|\d\d_[\w-]+\.html"),
}


def staging_dir(target: Path) -> Path:
    return target.parent / STAGING / target.name


def _old_dir(target: Path) -> Path:
    return target.parent / STAGING / f"{target.name}.old"


def _mark(folder: Path) -> None:
    (folder / MARKER).write_text("written by sendlib run-cycle; replaced whole by each run\n", encoding="utf-8")


def make_output(folder: Path) -> None:
    """Create output folder `folder` (marked as ours) if it is not there yet."""
    if not folder.exists():
        folder.mkdir(parents=True)
        _mark(folder)


def fresh_staging(target: Path, copy_current: bool = False) -> Path:
    """An empty staging folder for `target` (or a copy of its current content), marked as ours."""
    stage = staging_dir(target)
    if stage.exists():
        shutil.rmtree(stage)
    stage.parent.mkdir(parents=True, exist_ok=True)
    if copy_current and target.is_dir():
        shutil.copytree(target, stage)
    else:
        stage.mkdir()
    _mark(stage)
    return stage


def swap_into_place(stage: Path, target: Path) -> None:
    """Replace `target` by `stage` with two renames on the same file system; the previous copy is
    deleted afterwards (a leftover from a kill is repaired by :func:`recover`)."""
    old = _old_dir(target)
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        os.rename(target, old)
    os.rename(stage, target)
    shutil.rmtree(old, ignore_errors=True)


def recover(target: Path) -> None:
    """Undo what a killed run left: restore the previous copy if the swap was cut in half, and
    remove a half-built staging copy."""
    old = _old_dir(target)
    if old.exists() and not target.exists():
        os.rename(old, target)
    for leftover in (old, staging_dir(target)):
        if leftover.exists():
            shutil.rmtree(leftover, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _umask()


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` so that a reader sees the old or the new file, never half of one."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.fchmod(fd, 0o666 & ~_UMASK)  # as an ordinary write would leave it, not mkstemp's 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _writable(folder: Path) -> bool:
    """Whether files can really be created in `folder` (a probe: permissions alone do not tell
    for root, nor for immutable or read-only mounted folders)."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".sendlib-probe-", dir=folder)
    except OSError:
        return False
    os.close(fd)
    os.unlink(probe)
    return True


def _inside(path: Path, folder: Path) -> bool:
    return os.path.commonpath([path, folder]) == str(folder)


def _is_ours(folder: Path, kind: str) -> bool:
    if (folder / MARKER).exists():
        return True
    return all(_LEGACY[kind].fullmatch(p.name) for p in folder.iterdir())


def _folder_problem(folder: Path, kind: str, label: str) -> str | None:
    """Why output folder `folder` cannot be written, or None."""
    if folder.exists():
        if not folder.is_dir():
            return f"{label} {folder} is a file, not a folder"
        if not _is_ours(folder, kind):
            strays = sorted(p.name for p in folder.iterdir() if not _LEGACY[kind].fullmatch(p.name))
            return (f"{label} {folder} holds files sendlib did not write ({', '.join(strays[:3])}); "
                    "each run replaces the folder whole, so give an empty or new folder")
        blocked = next((f for f in (folder, folder.parent) if not _writable(f)), None)
        return f"{label} {folder} cannot be written: {blocked} is read-only" if blocked else None
    return _creation_problem(folder, label)


def _creation_problem(folder: Path, label: str) -> str | None:
    """Why the missing folder `folder` cannot be made, or None."""
    existing = next(p for p in folder.absolute().parents if p.exists())
    if not existing.is_dir():
        return f"{label} {folder} cannot be made: {existing} is a file, not a folder"
    if not _writable(existing):
        return f"{label} {folder} cannot be made: {existing} is read-only"
    return None


def require_writable(folder: Path | str, label: str = "output folder", inputs: dict[str, Path] | None = None) -> Path:
    """Raise a one-line :class:`SendlibInputError` unless files can be written into `folder` (made
    if missing), outside every input folder of `inputs` (label -> folder); returns it. For the
    single commands (`clean`, `equality`, `forecast`), which write into the folder in place."""
    folder = Path(folder)
    for other, path in (inputs or {}).items():
        if _inside(folder.resolve(), Path(path).resolve()):
            raise SendlibInputError(f"the {label} is inside the {other} {path}; choose a folder outside it",
                                    file=str(folder))
    if folder.exists() and not folder.is_dir():
        problem: str | None = f"{label} {folder} is a file, not a folder"
    elif folder.exists():
        problem = None if _writable(folder) else f"{label} {folder} cannot be written: it is read-only"
    else:
        problem = _creation_problem(folder, label)
    if problem:
        raise SendlibInputError(problem)
    return folder


def output_problems(outputs: dict[str, tuple[Path, str]], inputs: dict[str, Path]) -> list[str]:
    """Problems with the output folders (label -> (folder, kind)): a file in the way, read-only,
    not ours, or nested in an input folder or another output folder (a run replaces each output
    folder whole, so nothing else may live inside it)."""
    problems = []
    for label, (folder, _) in outputs.items():
        for other, path in inputs.items():
            if _inside(folder, path):
                problems.append(f"{label} {folder} is inside the {other} {path}; choose a folder outside it")
            elif _inside(path, folder):
                problems.append(f"the {other} {path} is inside the {label} {folder}, which each run replaces")
    labels = list(outputs)
    for i, a in enumerate(labels):
        for b in labels[i + 1:]:
            fa, fb = outputs[a][0], outputs[b][0]
            if _inside(fa, fb) or _inside(fb, fa):
                problems.append(f"{a} {fa} and {b} {fb} must not be inside one another")
    if not problems:
        problems += [p for label, (folder, kind) in outputs.items()
                     if (p := _folder_problem(folder, kind, label))]
    return problems
