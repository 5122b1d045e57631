"""A loaded framework kept between runs, so a command does not parse and check the YAML again.

Loading a framework (parsing the YAML, checking it against the models, compiling its
expressions) and building the models' validators cost about a fifth of a one-return
``carekpi validate``. The first load of a framework file writes the result to the cache
folder; later runs read it back while the file and carekpi are unchanged.

An entry is used only when its name matches the framework file's path and bytes, the Python
and pydantic versions, and carekpi's own code (every module's size and modification time): an
edited framework or an upgraded carekpi is simply loaded again, and the new entry replaces the
old one. Anything odd about an entry (unreadable, not a framework, written by another user, in a
folder others may write to) makes carekpi ignore it and load the YAML, as if there were no cache.

The folder is ``CAREKPI_CACHE_DIR`` when set, else the platform's user cache folder
(``$XDG_CACHE_HOME/carekpi`` or ``~/.cache/carekpi``; ``%LOCALAPPDATA%\\carekpi\\cache`` on
Windows). ``CAREKPI_NO_CACHE=1`` turns the cache off. A folder carekpi cannot create or write
to turns it off silently: a cache never makes a command fail.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import stat
import sys
from collections.abc import Callable
from pathlib import Path

from carekpi.base.atomic import atomic_write_bytes
from carekpi.base.version import __version__
from carekpi.framework.model import Framework

#: what higher layers work out from a framework for every return read (the template layout's
#: fingerprint, :mod:`carekpi.workbook.fingerprint`), by name: each function keeps its result with
#: :meth:`Framework.memo`, so a cached framework carries it (registered with :func:`prepares`)
PREPARERS: dict[str, Callable[[Framework], None]] = {}
_PREPARED = "cache: prepared by"

ENV_CACHE_DIR = "CAREKPI_CACHE_DIR"
ENV_NO_CACHE = "CAREKPI_NO_CACHE"
_SUFFIX = ".framework.pickle"


def cache_dir() -> Path | None:
    """Where frameworks are cached; None when the cache is turned off."""
    if os.environ.get(ENV_NO_CACHE, "").strip() not in ("", "0"):
        return None
    chosen = os.environ.get(ENV_CACHE_DIR, "").strip()
    if chosen:
        return Path(chosen)
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA", "").strip()
        return Path(base) / "carekpi" / "cache" if base else None
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "carekpi"
    try:
        return Path.home() / ".cache" / "carekpi"
    except RuntimeError:  # no home folder
        return None


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> bytes:
    """carekpi's version, every module's size and modification time, and the Python and
    pydantic versions: a cached framework is only as good as the classes that pickled it."""
    import pydantic

    package = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    h.update(f"{__version__}\0{sys.version_info[:3]}\0{pydantic.VERSION}\0{package}\0".encode())
    h.update("".join(_module_stamps(str(package), "")).encode("utf-8", "surrogateescape"))
    return h.digest()


def _module_stamps(folder: str, relative: str) -> list[str]:
    """Each ``.py`` file under ``folder`` as its path relative to the package, size and
    modification time, in name order (paths are joined as they are walked: working each out
    with ``os.path`` tripled the walk's time)."""
    stamps: list[str] = []
    with os.scandir(folder) as it:
        entries = sorted(it, key=lambda e: e.name)
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            if entry.name != "__pycache__":
                stamps += _module_stamps(entry.path, f"{relative}{entry.name}{os.sep}")
        elif entry.name.endswith(".py"):
            st = entry.stat()
            stamps.append(f"{relative}{entry.name}\0{st.st_size}\0{st.st_mtime_ns}\0")
    return stamps


def _entry_names(path: str, data: bytes) -> tuple[str, str]:
    """(prefix shared by every entry of this framework path, this entry's file name)."""
    where = hashlib.sha256(path.encode("utf-8", "surrogatepass")).hexdigest()[:20]
    what = hashlib.sha256(code_fingerprint() + b"\0" + data).hexdigest()[:40]
    return f"{where}-", f"{where}-{what}{_SUFFIX}"


def _trusted(folder: Path, entry: Path) -> bool:
    """The folder belongs to this user and no one else may write to it, and the entry is this
    user's own file (a pickle runs code when read: only this user's own writes are read back)."""
    if not hasattr(os, "getuid"):  # Windows: the user's own profile folder
        return entry.is_file()
    try:
        st = os.stat(entry, follow_symlinks=False)
        return _trusted_folder(folder) and st.st_uid == os.getuid() and stat.S_ISREG(st.st_mode)
    except OSError:
        return False


def load_through_cache(path: str, load: Callable[[str], Framework]) -> Framework:
    """``load(path)``, or the framework a previous run cached for the same file and code."""
    folder = cache_dir()
    if folder is None:
        return load(path)
    try:
        data = Path(path).read_bytes()
    except OSError:
        return load(path)  # the loader words the problem
    prefix, name = _entry_names(os.path.abspath(path), data)
    entry = folder / name
    if _trusted(folder, entry):
        try:
            fw = pickle.loads(entry.read_bytes())
        except Exception:
            fw = None
        if isinstance(fw, Framework) and fw._path == str(Path(path)):
            if not set(PREPARERS) <= fw.memo(_PREPARED, frozenset):
                # written by a run that had not imported every preparer: complete it, once
                _store(folder, prefix, entry, fw, data, path)
            return fw
    fw = load(path)
    _store(folder, prefix, entry, fw, data, path)
    return fw


def _store(folder: Path, prefix: str, entry: Path, fw: Framework, data: bytes, path: str) -> None:
    """Write the entry (atomically) and remove this path's older entries; never raises."""
    with contextlib.suppress(OSError, pickle.PicklingError, TypeError, AttributeError, RecursionError):
        if Path(path).read_bytes() != data:  # changed while it was loaded: do not cache
            return
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _trusted_folder(folder):
            return
        _prepare(fw)
        atomic_write_bytes(entry, pickle.dumps(fw, protocol=pickle.HIGHEST_PROTOCOL))
        for old in folder.glob(prefix + "*" + _SUFFIX):
            if old.name != entry.name:
                with contextlib.suppress(OSError):
                    old.unlink()


def prepares(name: str) -> Callable[[Callable[[Framework], None]], Callable[[Framework], None]]:
    """Decorator: register a preparer (see :data:`PREPARERS`)."""

    def register(fn: Callable[[Framework], None]) -> Callable[[Framework], None]:
        PREPARERS[name] = fn
        return fn

    return register


def _prepare(fw: Framework) -> None:
    """Work out now what every read of a return asks of the framework (each return type's items,
    the cover's items, each case log's columns, the labels, and what :data:`PREPARERS` add), so
    that the cached copy carries it and a run that reads it back builds no model at all."""
    from carekpi.framework.compiled import compiled
    from carekpi.framework.cover import cover_items

    for rt in fw.returns:
        cover_items(fw, rt)
        _ = rt.frozen_item_map
        for table in rt.record_tables:
            _ = table.column_items
        _ = compiled(fw, rt.id).labels
    done = set(fw.memo(_PREPARED, frozenset))
    for name, fn in list(PREPARERS.items()):
        if name not in done:
            with contextlib.suppress(Exception):  # worked out when it is used, as without a cache
                fn(fw)
            done.add(name)
    fw._memo[_PREPARED] = frozenset(done)


def _trusted_folder(folder: Path) -> bool:
    if not hasattr(os, "getuid"):
        return True
    st = os.stat(folder)
    return st.st_uid == os.getuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


__all__ = ["ENV_CACHE_DIR", "ENV_NO_CACHE", "PREPARERS", "cache_dir", "code_fingerprint", "load_through_cache",
           "prepares"]
