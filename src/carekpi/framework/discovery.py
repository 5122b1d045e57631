"""Where frameworks are found, which version is in force, and which framework a workbook names.

Search order (every command, and the library): :func:`search_dirs`. The folders named with
``--frameworks-dir`` (in the order given), then those in ``CAREKPI_FRAMEWORKS_DIR``
(``os.pathsep``-separated), then ``frameworks/`` in the current folder (a council's framework
repository), then the frameworks bundled with carekpi. A folder named twice is searched
once. A framework is named by its id (``surrey``) or by the path of a YAML file; the first
folder with a file of that id wins.

A workbook is untrusted: its metadata may name a framework *id*, never a file to load
(:func:`framework_for_workbook` is the one place that rule lives).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import NamedTuple

from carekpi.base.errors import FrameworkError, UsageError
from carekpi.framework.cache import load_through_cache
from carekpi.framework.model import Framework
from carekpi.framework.versions import declared_id, folder_files, in_force, oldest_first

ENV_FRAMEWORKS_DIR = "CAREKPI_FRAMEWORKS_DIR"
#: what a framework id looks like (a workbook naming anything else is refused)
FRAMEWORK_ID = re.compile(r"[a-z][a-z0-9-]{0,63}")


def bundled_dir(kind: str = "frameworks") -> Path:
    """Where the bundled frameworks (or sample returns) are: in the installed package,
    or at the top of a source checkout."""
    pkg = resources.files("carekpi") / "_bundled" / kind
    if pkg.is_dir():
        return Path(str(pkg))
    return Path(__file__).resolve().parents[3] / kind


#: the folder of the current directory searched for frameworks (a council's repository layout)
LOCAL_FRAMEWORKS = Path("frameworks")


class SearchDir(NamedTuple):
    """A folder searched for frameworks: ``origin`` is ``local`` or ``bundled``; ``named_by``
    says how it came to be searched (for messages)."""

    origin: str
    path: Path
    named_by: str


def search_dirs(extra: list[Path] | None = None) -> list[SearchDir]:
    """The folders searched for frameworks, in order: ``extra`` (``--frameworks-dir``), then
    ``CAREKPI_FRAMEWORKS_DIR``, then ``./frameworks``, then the bundled frameworks. Folders that
    do not exist are listed (an unknown framework's message names them) but hold nothing."""
    bundled = bundled_dir()
    dirs = [SearchDir("local", Path(d), "--frameworks-dir") for d in extra or []]
    env = os.environ.get(ENV_FRAMEWORKS_DIR)
    if env:
        dirs += [SearchDir("local", Path(part), ENV_FRAMEWORKS_DIR) for part in env.split(os.pathsep) if part]
    dirs.append(SearchDir("local", LOCAL_FRAMEWORKS, "the current folder's frameworks/"))
    dirs.append(SearchDir("bundled", bundled, "bundled with carekpi"))
    # a folder named twice (option and environment variable; ./frameworks in a checkout of
    # carekpi itself, which is the bundled folder) is searched once, as what it is
    seen: dict[Path, int] = {}
    unique: list[SearchDir] = []
    for d in dirs:
        key = d.path.resolve()
        if key in seen:
            if d.origin == "bundled":
                unique[seen[key]] = d
            continue
        seen[key] = len(unique)
        unique.append(d)
    return [d for d in unique if d.path.is_dir() or d.path != LOCAL_FRAMEWORKS]


def framework_files(extra: list[Path] | None = None) -> Iterator[tuple[str, Path]]:
    """The current framework files (not ``versions/``) of every search folder, in search order."""
    for d in search_dirs(extra):
        if d.path.is_dir():
            for p in sorted(d.path.iterdir()):
                if p.suffix in (".yaml", ".yml") and p.is_file():
                    yield d.origin, p


def searched_text(extra: list[Path] | None = None) -> str:
    """The folders searched, in order, in words (for a framework that was not found)."""
    parts = []
    for d in search_dirs(extra):
        state = "" if d.path.is_dir() else ", no such folder"
        parts.append(f"{d.path} ({d.named_by}{state})")
    return "; ".join(parts)


@lru_cache(maxsize=64)
def _load_cached(path: str, mtime_ns: int) -> Framework:
    return load_through_cache(path, _load_file)


def _load_file(path: str) -> Framework:
    # the loader (and PyYAML) is imported only when a file is parsed, not when the cache has it
    from carekpi.framework.loader import load_framework

    return load_framework(path)


def load_cached(path: Path) -> Framework:
    """A framework file, loaded once per process while it is unchanged (and read back from
    the framework cache between runs: :mod:`carekpi.framework.cache`)."""
    return _load_cached(str(path), path.stat().st_mtime_ns)


def find_framework(ref: str, extra: list[Path] | None = None, at: date | None = None) -> Framework:
    """A framework by id (``surrey``) or by path to a YAML file. Local folders come first.

    With ``at``, the version of framework ``ref`` in force on that date (versions live in a
    ``versions/`` folder beside the current file: see :mod:`carekpi.framework.versions`); a
    path is always that file.
    """
    p = Path(ref)
    if p.suffix in (".yaml", ".yml") and p.is_file():
        return load_cached(p)
    if at is not None:
        return version_in_force(ref, at, extra)
    # Files are conventionally named after their id; fall back to reading each file's id.
    candidates = list(framework_files(extra))
    for _, path in candidates:
        if path.stem == ref:
            return load_cached(path)
    for _, path in candidates:
        if declared_id(path) == ref:
            return load_cached(path)
    known = sorted({declared_id(path) or path.stem for _, path in candidates})
    hint = "" if p.suffix not in (".yaml", ".yml") else f"; {ref} is not a file"
    raise UsageError(f"unknown framework {ref!r} (known: {', '.join(known) or 'none'}){hint}. "
                     f"Folders searched, in order: {searched_text(extra)}")


def version_files(framework_id: str, extra: list[Path] | None = None) -> list[Path]:
    """Files of every version of ``framework_id``, from the first search folder that has any."""
    for d in search_dirs(extra):
        files = [p for p in folder_files(d.path) if declared_id(p) == framework_id]
        if files:
            return files
    return []


def framework_versions(framework_id: str, extra: list[Path] | None = None) -> list[Framework]:
    """Every version of a framework, oldest first (a file that does not load raises FrameworkError)."""
    loaded = [load_cached(path) for path in version_files(framework_id, extra)]
    return oldest_first([fw for fw in loaded if fw.id == framework_id])


def version_in_force(framework_id: str, at: date, extra: list[Path] | None = None) -> Framework:
    """The version of ``framework_id`` in force on ``at``; UsageError when there is none."""
    versions = framework_versions(framework_id, extra)
    if not versions:
        return find_framework(framework_id, extra)  # raises the usual "unknown framework" error
    fw = in_force(versions, at)
    if fw is None:
        first = versions[0]
        raise UsageError(f"no version of framework {framework_id} was in force on {at:%d %B %Y}: the earliest, "
                         f"version {first.version}, is in force from {first.effective_from:%d %B %Y}")
    return fw


def framework_for_workbook(where: str, named: str | None, requested: Framework | str | None = None,
                           extra: list[Path] | None = None, *, must_match: bool = True) -> Framework:
    """The framework to read a workbook with.

    ``named`` is the framework id the workbook's metadata names (untrusted), ``requested`` the
    framework the user asked for (an id, a YAML path or a loaded framework). What the user asks
    for wins; with ``must_match`` a workbook naming another framework is refused. Without a
    request, the workbook's own id is used, and only if it is an id: a workbook never makes
    carekpi load a file of its choosing.
    """
    if requested is not None:
        fw = requested if isinstance(requested, Framework) else find_framework(requested, extra)
        if must_match and named and named != fw.id:
            raise UsageError(f"{where} is a return for framework {named}, not {fw.id}")
        return fw
    if not named:
        raise UsageError(f"{where} has no carekpi metadata, so its framework is unknown: name it with --framework")
    if not FRAMEWORK_ID.fullmatch(named):
        raise UsageError(f"{where} names the framework {named[:80]!r}, which is not a framework id: "
                         "name it with --framework")
    return find_framework(named, extra)


def list_frameworks(extra: list[Path] | None = None) -> list[tuple[str, str, str, str, str]]:
    """Every framework file found, in search order: (id, version, origin, commissioner or
    problem, path); a framework shadowed by one found earlier says so in its origin."""
    rows: list[tuple[str, str, str, str, str]] = []
    seen: set[str] = set()
    for origin, path in framework_files(extra):
        try:
            fw = load_cached(path)
        except FrameworkError as exc:
            rows.append((path.stem, "?", origin, f"does not load ({len(exc.problems)} problems: run carekpi lint)",
                         str(path)))
            continue
        shadowed = fw.id in seen
        seen.add(fw.id)
        rows.append((fw.id, fw.version, origin + (" (shadowed)" if shadowed else ""), fw.commissioner, str(path)))
    return rows
