"""Tests for carekpi.base.atomic: all-or-nothing file replacement."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import openpyxl
import pytest

from carekpi.base import atomic
from carekpi.base.atomic import atomic_path, atomic_write_bytes, atomic_write_text


def _leftovers(directory: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name not in keep)


def test_write_bytes_creates_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    atomic_write_bytes(target, b"one")
    assert target.read_bytes() == b"one"
    atomic_write_bytes(str(target), b"two")
    assert target.read_bytes() == b"two"
    assert _leftovers(tmp_path, {"out.bin"}) == []


def test_write_text_encoding_and_newlines(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    atomic_write_text(target, "a,b\r\ncafé\n")
    assert target.read_bytes() == "a,b\r\ncafé\n".encode()
    atomic_write_text(target, "café", encoding="utf-16")
    assert target.read_bytes() == "café".encode("utf-16")


def test_failure_keeps_existing_file_and_removes_temp(tmp_path: Path) -> None:
    target = tmp_path / "report.xlsx"
    target.write_bytes(b"original")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half-writ")
        raise RuntimeError("boom")
    assert target.read_bytes() == b"original"
    assert not tmp.exists()
    assert _leftovers(tmp_path, {"report.xlsx"}) == []


def test_failure_with_no_existing_file_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "new.txt"
    with pytest.raises(KeyboardInterrupt), atomic_path(target):
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_temp_is_in_same_directory_and_keeps_suffix(tmp_path: Path) -> None:
    target = tmp_path / "report.xlsx"
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path
        assert tmp.suffix == ".xlsx"
        assert tmp != target
        assert not target.exists()  # nothing visible until success
        wb = openpyxl.Workbook()
        wb.save(tmp)
    assert openpyxl.load_workbook(target).sheetnames == ["Sheet"]
    assert _leftovers(tmp_path, {"report.xlsx"}) == []


def test_existing_file_not_truncated_while_writing(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    with atomic_path(target) as tmp:
        tmp.write_text("new")
        assert target.read_text() == "old"
    assert target.read_text() == "new"


def test_fsync_before_replace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        calls.append("fsync")
        real_fsync(fd)

    def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        calls.append("replace")
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "fsync", fsync)
    monkeypatch.setattr(atomic.os, "replace", replace)
    atomic_write_bytes(tmp_path / "f", b"x")
    assert "replace" in calls
    assert calls.index("fsync") < calls.index("replace")


def test_replace_failure_cleans_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "f.txt"
    target.write_text("keep")

    def broken(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(atomic.os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(target, "new")
    assert target.read_text() == "keep"
    assert _leftovers(tmp_path, {"f.txt"}) == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_mode_of_replaced_file_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "f.txt"
    target.write_text("x")
    target.chmod(0o640)
    atomic_write_text(target, "y")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_new_file_gets_umask_mode_not_0600(tmp_path: Path) -> None:
    target = tmp_path / "new.txt"
    atomic_write_text(target, "y")
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~atomic._UMASK
