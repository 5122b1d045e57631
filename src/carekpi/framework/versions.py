"""Framework versions: which edition of a framework is in force on a date.

Layout. In any frameworks folder (``frameworks/``, a ``--frameworks-dir`` folder, the bundled
one), ``<id>.yaml`` is the current version of a framework. Earlier versions (and a version
announced for a future date) live in a ``versions/`` folder beside it, one file each,
conventionally named ``<id>-<version>.yaml``::

    frameworks/
      surrey.yaml                     id: surrey, version: "2024.04", effective_from: 2024-04-01
      versions/
        surrey-2021.10.yaml           id: surrey, version: "2021.10", effective_from: 2021-10-01

Every file is a complete framework with its own ``version`` and ``effective_from``; the
file name is only a convention, the ``id:`` inside the file is what counts. (A file in
``versions/`` that carries the schema modeline points one folder further up:
``# yaml-language-server: $schema=../../schema/framework.schema.json``.) The version in
force on a date is the one with the latest ``effective_from`` on or before that date. A
return is validated against the version in force on the first day of its reporting period.

The versions of one framework all come from the first search folder that has the framework
(a local folder shadows the bundled one as a whole, as it does without versions).
``carekpi lint`` checks that two files of one framework never share a version or a date (F019).
Finding the files in the search folders is :mod:`carekpi.framework.discovery`'s job.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from carekpi.framework.model import Framework

VERSIONS_DIR = "versions"
_SUFFIXES = (".yaml", ".yml")


def _yaml_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in _SUFFIXES and p.is_file())


def folder_files(folder: Path) -> Iterator[Path]:
    """The framework files of one folder: its own, then those in its ``versions/`` folder."""
    yield from _yaml_files(folder)
    yield from _yaml_files(folder / VERSIONS_DIR)


def declared_id(path: Path) -> str | None:
    """The ``id:`` a framework file declares at its top level (read cheaply, without loading)."""
    try:
        head = path.read_text(encoding="utf-8")[:4000]
    except (OSError, UnicodeDecodeError):
        return None
    m = re.search(r"^id:\s*['\"]?([a-z][a-z0-9-]*)['\"]?\s*(#.*)?$", head, re.M)
    return m.group(1) if m else None


def in_force(versions: list[Framework], at: date) -> Framework | None:
    """The version in force on ``at``: the latest ``effective_from`` on or before it."""
    current = [v for v in versions if v.effective_from <= at]
    return current[-1] if current else None


def oldest_first(versions: list[Framework]) -> list[Framework]:
    """Versions by ``effective_from``; on a tie the current file (outside ``versions/``) comes
    last, so it wins (lint reports the tie as F019)."""
    return sorted(versions, key=lambda f: (f.effective_from, Path(f.path or "").parent.name != VERSIONS_DIR))
