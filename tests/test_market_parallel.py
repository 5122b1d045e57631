"""Scoring a market on every core: the same results as one by one, whatever the order, and one
bad file (unreadable, crashing its reader, stuck) costs only that file."""

from __future__ import annotations

import os
import random
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from carekpi.cli import app
from carekpi.cli import common as cli_common
from carekpi.framework.discovery import bundled_dir, find_framework
from carekpi.market import pool
from carekpi.market.batch import score_paths
from carekpi.render.registry import render
from conftest import TODAY

SAMPLES = bundled_dir("sample_returns") / "surrey"


def _market(tmp_path: Path) -> list[Path]:
    """The bundled Surrey samples, a damaged file and a non-workbook, in one folder."""
    d = tmp_path / "market"
    d.mkdir()
    for f in sorted(SAMPLES.glob("*.xlsx")):
        shutil.copy(f, d / f.name)
    (d / "zz-damaged.xlsx").write_bytes((SAMPLES / "oakridge-2026-01.xlsx").read_bytes()[:3000])
    (d / "aa-not-a-workbook.xlsx").write_text("provider,calls\nx,1\n")
    return sorted(d.glob("*.xlsx"))


def _scored(paths: list[Path], **kw: Any) -> str:
    fw = find_framework("surrey")
    report = score_paths(fw, paths, today=TODAY, commissioner_data=SAMPLES / "commissioner-data.csv", **kw).scores
    return render("json", "score", report)


def test_parallel_results_equal_serial_in_any_order(tmp_path: Path) -> None:
    files = _market(tmp_path)
    serial = _scored(files, jobs=1)
    assert '"unreadable"' in serial and "zz-damaged.xlsx" in serial
    rng = random.Random(9)
    for _ in range(3):
        shuffled = files[:]
        rng.shuffle(shuffled)
        assert _scored(shuffled, jobs=2) == serial
        assert _scored(shuffled, jobs=1) == serial


def test_progress_is_reported_for_every_file(tmp_path: Path) -> None:
    files = _market(tmp_path)
    seen: list[tuple[int, int]] = []
    _scored(files, jobs=2, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(n, len(files)) for n in range(1, len(files) + 1)]


def _crash_on(name: str, how: str) -> Any:
    real = pool.read_one

    def read_one(path: Path, *args: Any) -> pool.Outcome:
        if path.name == name:
            if how == "exit":
                os._exit(7)  # the reader process dies (as if killed or out of memory)
            if how == "hang":
                time.sleep(3600)
            raise RuntimeError("a bug")
        return real(path, *args)

    return read_one


@pytest.mark.skipif(sys.platform == "win32", reason="workers inherit the patched reader by fork")
@pytest.mark.parametrize("how, reason", [
    ("exit", "stopped its reader (exit code 7)"),
    ("bug", "internal error (RuntimeError); please report it"),
    ("hang", "took longer than 1 s and was stopped"),
])
def test_a_worker_failure_is_that_files_cannot_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      how: str, reason: str) -> None:
    files = _market(tmp_path)
    victim = files[3]
    monkeypatch.setattr(pool, "read_one", _crash_on(victim.name, how))
    monkeypatch.setattr(pool, "FILE_TIME_LIMIT", 1.0)
    fw = find_framework("surrey")
    report = score_paths(fw, files, today=TODAY, jobs=2).scores
    unreadable = {r.file: r.unreadable for r in report.returns if r.unreadable}
    assert reason in unreadable[str(victim)]
    assert set(unreadable) == {str(victim), str(files[0]), str(files[-1])}  # the two bad files, and the victim
    assert len(report.returns) - len(unreadable) == len(files) - 3  # every other return scored


def test_cli_jobs_option_and_no_progress_bar_when_piped(tmp_path: Path) -> None:
    files = _market(tmp_path)
    runs = [CliRunner().invoke(app, ["score", "-f", "surrey", "--today", "2026-11-22", "-j", jobs, "--format", "json",
                                     str(files[0].parent)]) for jobs in ("1", "2")]
    assert [r.exit_code for r in runs] == [1, 1]  # an unreadable file in the batch
    assert runs[0].stdout == runs[1].stdout
    assert "Reading returns" not in runs[1].stderr
    bad = CliRunner().invoke(app, ["score", "-f", "surrey", "-j", "0", str(files[0].parent)])
    assert bad.exit_code == 2


@pytest.mark.parametrize("fmt, ci, tty, drawn", [
    ("text", None, True, True), ("text", "true", True, False), ("text", None, False, False),
    ("json", None, True, False), ("csv", None, True, False), ("xlsx", None, True, False),
])
def test_progress_bar_only_on_a_terminal_outside_ci_for_people(monkeypatch: pytest.MonkeyPatch, fmt: str,
                                                                 ci: str | None, tty: bool, drawn: bool) -> None:
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: tty)
    with cli_common.progress_bar(fmt, "Reading returns") as progress:
        assert (progress is not None) == drawn
        if progress is not None:
            progress(1, 2)
            progress(2, 2)
