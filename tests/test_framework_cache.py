"""The framework cache: a loaded framework is read back in later runs while its file and carekpi
are unchanged, and anything odd about an entry means the YAML is loaded again."""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from carekpi.framework import cache
from carekpi.framework.cache import ENV_CACHE_DIR, ENV_NO_CACHE, load_through_cache
from carekpi.framework.discovery import bundled_dir
from carekpi.framework.loader import load_framework
from carekpi.framework.model import Framework
from carekpi.workbook.fingerprint import layout_fingerprint
from carekpi.workbook.layout import plan

ROOT = Path(__file__).resolve().parents[1]
SURREY = bundled_dir() / "surrey.yaml"


class Loads:
    """A loader that counts the files it had to parse."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, path: str) -> Framework:
        self.calls += 1
        return load_framework(path)


def never(path: str) -> Framework:
    raise AssertionError(f"{path} was parsed although the cache holds it")


@pytest.fixture()
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "cache"
    monkeypatch.setenv(ENV_CACHE_DIR, str(d))
    monkeypatch.delenv(ENV_NO_CACHE, raising=False)
    return d


@pytest.fixture()
def framework_file(tmp_path: Path) -> Path:
    p = tmp_path / "fw" / "surrey.yaml"
    p.parent.mkdir()
    shutil.copy(SURREY, p)
    return p


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.framework.pickle"))


def test_a_second_run_reads_the_framework_back_without_parsing_it(folder: Path, framework_file: Path) -> None:
    loads = Loads()
    first = load_through_cache(str(framework_file), loads)
    assert loads.calls == 1 and len(entries(folder)) == 1
    again = load_through_cache(str(framework_file), never)
    assert again.model_dump() == first.model_dump()
    assert again.path == str(framework_file)


def test_an_edited_framework_is_loaded_again_and_replaces_its_old_entry(folder: Path, framework_file: Path) -> None:
    load_through_cache(str(framework_file), Loads())
    framework_file.write_text(framework_file.read_text(encoding="utf-8").replace(
        "name: ", "name: Edited ", 1), encoding="utf-8")
    loads = Loads()
    fw = load_through_cache(str(framework_file), loads)
    assert loads.calls == 1 and fw.name.startswith("Edited ")
    assert len(entries(folder)) == 1  # the old entry is gone
    assert load_through_cache(str(framework_file), never).name == fw.name


def test_the_same_file_at_another_path_is_not_mistaken_for_it(folder: Path, framework_file: Path) -> None:
    load_through_cache(str(framework_file), Loads())
    other = framework_file.parent / "copy.yaml"
    shutil.copy(framework_file, other)
    loads = Loads()
    assert load_through_cache(str(other), loads).path == str(other)
    assert loads.calls == 1


@pytest.mark.parametrize("content", [b"", b"not a pickle", pickle.dumps({"id": "surrey"}), pickle.dumps(42)[:-1]])
def test_a_damaged_or_foreign_entry_is_ignored_and_rewritten(folder: Path, framework_file: Path, content: bytes) -> None:
    load_through_cache(str(framework_file), Loads())
    (entry,) = entries(folder)
    entry.write_bytes(content)
    loads = Loads()
    assert load_through_cache(str(framework_file), loads).id == "surrey"
    assert loads.calls == 1
    assert load_through_cache(str(framework_file), never).id == "surrey"


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_an_entry_in_a_folder_others_may_write_to_is_never_read(folder: Path, framework_file: Path) -> None:
    load_through_cache(str(framework_file), Loads())
    folder.chmod(0o777)
    loads = Loads()
    load_through_cache(str(framework_file), loads)
    load_through_cache(str(framework_file), loads)
    assert loads.calls == 2


def test_the_cache_can_be_turned_off(folder: Path, framework_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_NO_CACHE, "1")
    loads = Loads()
    load_through_cache(str(framework_file), loads)
    load_through_cache(str(framework_file), loads)
    assert loads.calls == 2 and not folder.exists()


def test_a_folder_that_cannot_be_made_never_fails_a_load(tmp_path: Path, framework_file: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv(ENV_CACHE_DIR, str(blocker / "cache"))
    assert load_through_cache(str(framework_file), Loads()).id == "surrey"


def test_a_framework_that_does_not_load_is_not_cached(folder: Path, tmp_path: Path) -> None:
    from carekpi.base.errors import FrameworkError

    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\n", encoding="utf-8")
    with pytest.raises(FrameworkError):
        load_through_cache(str(bad), Loads())
    assert entries(folder) == []


def test_the_key_follows_carekpis_code(folder: Path, framework_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    load_through_cache(str(framework_file), Loads())
    monkeypatch.setattr(cache, "code_fingerprint", lambda: b"another carekpi")
    loads = Loads()
    load_through_cache(str(framework_file), loads)
    assert loads.calls == 1


def test_the_code_stamp_changes_with_any_module_and_nothing_else(tmp_path: Path) -> None:
    """What the key takes from carekpi's code: every .py file, however deep, by its path in the
    package, size and modification time; compiled files and other files do not count."""
    pkg = tmp_path / "pkg"
    (pkg / "sub" / "deeper").mkdir(parents=True)
    (pkg / "__pycache__").mkdir()
    (pkg / "a.py").write_text("x = 1\n")
    (pkg / "sub" / "b.py").write_text("y = 2\n")
    (pkg / "sub" / "deeper" / "c.py").write_text("z = 3\n")

    def stamp() -> list[str]:
        return cache._module_stamps(str(pkg), "")

    first = stamp()
    assert [s.split("\0")[0] for s in first] == ["a.py", os.path.join("sub", "b.py"), os.path.join("sub", "deeper", "c.py")]
    (pkg / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"compiled")
    (pkg / "sub" / "notes.txt").write_text("not code")
    assert stamp() == first
    c = pkg / "sub" / "deeper" / "c.py"
    c.write_text("z = 30\n")  # a module edited, deep down
    edited = stamp()
    assert edited != first
    st = c.stat()
    os.utime(c, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # only touched
    assert stamp() != edited
    (pkg / "sub" / "new.py").write_text("")  # a module added
    assert len(stamp()) == 4


def test_the_cached_copy_carries_what_a_read_asks_of_the_framework(folder: Path, framework_file: Path) -> None:
    """A validate that reads the framework back builds no model, imports no YAML parser and
    neither imports nor plans the template layout: what it asks of the framework (items, cover
    items, case-log columns, labels, the layout's fingerprint) came with it."""
    load_through_cache(str(framework_file), Loads())
    sample = sorted((ROOT / "sample_returns" / "surrey").glob("*.xlsx"))[0]
    code = (
        "import sys, pydantic\n"
        "from carekpi.validation.validate import validate_file\n"
        "import carekpi.framework.model as m\n"
        f"rep = validate_file({str(sample)!r}, framework={str(framework_file)!r})\n"
        "built = sorted(n for n, c in vars(m).items() if isinstance(c, type) and issubclass(c, pydantic.BaseModel)"
        " and c.__pydantic_complete__)\n"
        "print(rep.framework, built, 'yaml' in sys.modules, 'carekpi.workbook.layout' in sys.modules,"
        " [f.code for f in rep.findings])\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    # (no V003: the sample's fingerprint is the one the cache carried)
    assert r.stdout.split() == ["surrey", "[]", "False", "False", "['V306']"]


def test_an_entry_written_before_a_preparer_was_registered_is_completed_once(
        folder: Path, framework_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A command that never imports the layout (``carekpi lint``) caches a framework without its
    layout's fingerprint; the next read that knows the preparer adds it and rewrites the entry."""
    with monkeypatch.context() as m:
        m.delitem(cache.PREPARERS, "layout fingerprint")
        load_through_cache(str(framework_file), Loads())
    (entry,) = entries(folder)
    before = entry.read_bytes()
    fw = load_through_cache(str(framework_file), never)
    assert entry.read_bytes() != before
    again = load_through_cache(str(framework_file), never)
    assert entries(folder) == [entry]
    expected = plan(load_framework(str(framework_file)), "monthly").fingerprint()
    assert layout_fingerprint(again, "monthly") == layout_fingerprint(fw, "monthly") == expected
    assert again.memo(("layout fingerprint", "monthly"), lambda: "not carried") == expected


def test_validate_says_the_same_with_and_without_the_cache(folder: Path) -> None:
    sample = sorted((ROOT / "sample_returns" / "surrey" / "with-warnings").glob("*.xlsx"))[0]
    args = [sys.executable, "-m", "carekpi", "validate", str(sample), "--today", "2026-11-22"]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    outs = []
    for extra in ({ENV_NO_CACHE: "1"}, {}, {}):  # without, then writing the cache, then reading it
        r = subprocess.run(args, capture_output=True, text=True, env={**env, **extra}, timeout=120)
        outs.append((r.returncode, r.stdout))
    assert outs[0] == outs[1] == outs[2]
    assert outs[0][0] == 0 and "V" in outs[0][1]
    assert len(entries(folder)) == 1
