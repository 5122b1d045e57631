"""Lint framework files: everything the loader checks, with file and line, for CI."""

from __future__ import annotations

from pathlib import Path

from carekpi.errors import FrameworkError, FrameworkProblem, UsageError
from carekpi.loader import bundled_dir, load_framework


def framework_paths(paths: list[Path], extra_dirs: list[Path] | None = None) -> list[Path]:
    if not paths:
        local = Path("frameworks")
        paths = [local] if local.is_dir() else [*(extra_dirs or []), bundled_dir()]
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(f for f in p.iterdir() if f.suffix in (".yaml", ".yml") and f.is_file())
        elif p.is_file():
            out.append(p)
        else:
            raise UsageError(f"{p}: no such file or folder")
    return out


def lint_file(path: Path) -> list[FrameworkProblem]:
    try:
        load_framework(path)
    except FrameworkError as exc:
        return exc.problems
    return []


def lint_paths(paths: list[Path], extra_dirs: list[Path] | None = None) -> tuple[list[str], list[FrameworkProblem]]:
    files = framework_paths(paths, extra_dirs)
    problems: list[FrameworkProblem] = []
    for f in files:
        problems += lint_file(f)
    return [str(f) for f in files], problems
