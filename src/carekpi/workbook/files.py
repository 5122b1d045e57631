"""Which files are workbooks: those named, and those found in folders."""

from __future__ import annotations

from pathlib import Path

from carekpi.base.errors import UsageError

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm"}


def collect_files(paths: list[Path], *, recursive: bool = True) -> list[Path]:
    """Workbooks named or found in folders (sorted; Excel lock files and hidden files skipped)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = p.rglob("*") if recursive else p.glob("*")
            out += sorted(f for f in found if f.is_file() and f.suffix.lower() in WORKBOOK_SUFFIXES
                          and not f.name.startswith(("~$", ".")))
        elif p.exists():
            out.append(p)
        else:
            raise UsageError(f"{p}: no such file or folder")
    return out
