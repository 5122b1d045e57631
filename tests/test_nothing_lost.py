"""Nothing lost: inputs are only ever read, outputs are written whole or not at all, and in a
batch one bad file never hides the results of the others."""

from __future__ import annotations

import builtins
import csv
import hashlib
import io
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

import workbook_variants as wv
from carekpi.base import atomic
from carekpi.cli import app
from carekpi.framework.discovery import find_framework
from carekpi.render.registry import RENDERERS
from carekpi.workbook.fill import fill_workbook
from carekpi.workbook.template import template_bytes
from conftest import SURREY_CLEAN, TODAY, template_for

DAY = TODAY.isoformat()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(paths: list[Path]) -> dict[Path, tuple[str, int, int]]:
    return {p: (sha256(p), p.stat().st_mtime_ns, p.stat().st_mode) for p in paths}


_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_TRUNC | os.O_CREAT


@contextmanager
def read_only(paths: list[Path], monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Fail on any attempt to open an input for writing, or to replace, remove, chmod or touch it;
    yield the modes each input was opened with."""
    guarded = {os.path.realpath(p) for p in paths}
    modes: list[str] = []
    real_open, real_os_open = builtins.open, os.open

    def is_input(file: Any) -> bool:
        return isinstance(file, (str, bytes, os.PathLike)) and os.path.realpath(file) in guarded

    def g_open(file: Any, mode: str = "r", *a: Any, **k: Any) -> Any:
        if is_input(file):
            modes.append(mode)
            assert not set(mode) & set("wax+"), f"{file} opened with mode {mode!r}"
        return real_open(file, mode, *a, **k)

    def g_os_open(path: Any, flags: int, *a: Any, **k: Any) -> int:
        if is_input(path):
            modes.append(f"os.open({flags:#o})")
            assert not flags & _WRITE_FLAGS, f"{path} opened with flags {flags:#o}"
        return real_os_open(path, flags, *a, **k)

    def refuse(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for a in args[:2]:
                assert not is_input(a), f"os.{name}({a}) on an input"
            return real(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(builtins, "open", g_open)
    monkeypatch.setattr(io, "open", g_open)
    monkeypatch.setattr(os, "open", g_os_open)
    for name in ("replace", "rename", "remove", "unlink", "chmod", "utime", "truncate"):
        monkeypatch.setattr(os, name, refuse(name, getattr(os, name)))
    try:
        yield modes
    finally:
        monkeypatch.undo()


def invoke(*args: str) -> Any:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert "Traceback" not in result.stderr
    return result


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    surrey = find_framework("surrey")
    d = tmp_path / "in"
    d.mkdir()
    clean = fill_workbook(template_for(surrey), SURREY_CLEAN)
    files = {
        "clean": ("clean.xlsx", clean),
        "errors": ("errors.xlsx", fill_workbook(clean, {"calls_total": "1,100", "restarts_taken": 11,
                                                         "calls_late": "-", "provider_name": "=1+1"})),
        "macros": ("macros.xlsm", wv.as_xlsm(clean)),
        "copied": ("copied.xlsx", wv.copied_into_new_workbook(clean)),
        "pdf": ("not-a-workbook.xlsx", b"%PDF-1.7\n"),
        "template": ("template.xlsx", template_bytes(surrey)),
    }
    out = {}
    for key, (name, data) in files.items():
        (d / name).write_bytes(data)
        out[key] = d / name
    return out


COMMANDS: list[tuple[str, list[str]]] = [
    *[(f"validate-{fmt}", ["validate", "--format", fmt, "--today", DAY, "{clean}", "{errors}", "{macros}", "{pdf}"])
      for fmt in ("text", "json", "csv", "github", "sarif")],
    ("validate-framework", ["validate", "--framework", "surrey", "--today", DAY, "{copied}"]),
    ("validate-o", ["validate", "--format", "json", "--today", DAY, "{clean}", "{errors}", "-o", "{out}/v.json"]),
    *[(f"score-{fmt}", ["score", "--framework", "surrey", "--format", fmt, "--today", DAY, "{dir}"])
      for fmt in ("text", "json", "csv")],
    ("score-xlsx", ["score", "--framework", "surrey", "--format", "xlsx", "--today", DAY, "{dir}", "-o", "{out}/s.xlsx"]),
    ("score-files-csv-o", ["score", "--framework", "surrey", "--format", "csv", "--today", DAY, "{clean}", "{copied}",
                           "-o", "{out}/s.csv"]),
    ("template-check", ["template", "--check", "{template}"]),
    ("template-check-return", ["template", "--check", "{clean}", "{macros}"]),
    ("template-check-folder", ["template", "--check", "{dir}"]),
]


@pytest.mark.parametrize(("name", "args"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_every_command_leaves_its_inputs_untouched(name: str, args: list[str], inputs: dict[str, Path],
                                                   tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    out.mkdir()
    fields = {**{k: str(v) for k, v in inputs.items()}, "dir": str(inputs["clean"].parent), "out": str(out)}
    argv = [a.format(**fields) for a in args]
    if argv[0] == "score":
        argv += ["--jobs", "1"]  # read here, where the opens are watched (workers read the same way)
    files = sorted(inputs["clean"].parent.iterdir())
    before = snapshot(files)
    with read_only(files, monkeypatch) as modes:
        result = invoke(*argv)
    assert result.exit_code in (0, 1, 2), (result.stdout, result.stderr)
    assert "internal error" not in result.stderr
    assert snapshot(files) == before
    assert sorted(inputs["clean"].parent.iterdir()) == files  # nothing added beside the inputs
    assert modes and all(m == "rb" for m in modes), modes  # the inputs were read, in binary, read-only
    for written in out.iterdir():
        assert written.stat().st_size > 0


# --- outputs are written whole or not at all --------------------------------------------------------


def _leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


OUTPUTS: list[tuple[str, list[str], str]] = [
    ("score-xlsx", ["score", "--framework", "surrey", "--format", "xlsx", "--today", DAY, "{clean}", "-o", "{target}"],
     "scores.xlsx"),
    ("score-csv", ["score", "--framework", "surrey", "--format", "csv", "--today", DAY, "{clean}", "-o", "{target}"],
     "scores.csv"),
    ("score-json", ["score", "--framework", "surrey", "--format", "json", "--today", DAY, "{clean}", "-o", "{target}"],
     "scores.json"),
    ("validate-csv", ["validate", "--format", "csv", "--today", DAY, "{clean}", "-o", "{target}"], "findings.csv"),
    ("validate-json", ["validate", "--format", "json", "--today", DAY, "{clean}", "-o", "{target}"], "findings.json"),
    ("template", ["template", "--framework", "surrey", "-o", "{target}"], "template.xlsx"),
]


def _run_output(args: list[str], inputs: dict[str, Path], target: Path) -> Any:
    return CliRunner().invoke(app, [a.format(clean=inputs["clean"], target=target) for a in args])


@pytest.mark.parametrize(("name", "args", "filename"), OUTPUTS, ids=[o[0] for o in OUTPUTS])
def test_an_interrupted_write_leaves_the_old_output(name: str, args: list[str], filename: str,
                                                   inputs: dict[str, Path], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    target = folder / filename
    ok = _run_output(args, inputs, target)
    assert ok.exit_code == 0, ok.stderr
    previous = target.read_bytes()
    target.write_bytes(b"the report from last month")

    # 1. the writer dies half way through the new file (disk full, killed...)
    real_open = builtins.open

    class HalfWritten:
        def __init__(self, fh: Any):
            self.fh = fh

        def __enter__(self) -> HalfWritten:
            return self

        def __exit__(self, *exc: Any) -> None:
            self.fh.close()

        def write(self, data: bytes) -> int:
            self.fh.write(data[: len(data) // 2])
            self.fh.flush()
            raise OSError(28, "No space left on device")

    def half_open(file: Any, mode: str = "r", *a: Any, **k: Any) -> Any:
        fh = real_open(file, mode, *a, **k)
        return HalfWritten(fh) if "w" in mode and str(file).startswith(str(folder)) else fh

    monkeypatch.setattr(atomic, "open", half_open, raising=False)
    failed = _run_output(args, inputs, target)
    monkeypatch.undo()
    assert failed.exit_code != 0
    assert "Traceback" not in failed.stderr
    assert target.read_bytes() == b"the report from last month"
    assert _leftovers(folder, {filename}) == []

    # 2. interrupted (Ctrl-C) after the temporary file is complete, before it replaces the old one
    def interrupted(src: Any, dst: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic.os, "replace", interrupted)
    stopped = _run_output(args, inputs, target)
    monkeypatch.undo()
    assert stopped.exit_code == 130
    assert target.read_bytes() == b"the report from last month"
    assert _leftovers(folder, {filename}) == []

    # 3. and when nothing goes wrong the new output replaces the old one whole
    assert _run_output(args, inputs, target).exit_code == 0
    if filename.endswith(".xlsx"):
        assert openpyxl.load_workbook(target).sheetnames
    else:
        assert target.read_bytes().startswith(previous[:20])


@pytest.mark.parametrize(("renderer", "args"), [
    (("xlsx", "market"), ["score", "--framework", "surrey", "--format", "xlsx", "--today", DAY, "{clean}",
                         "-o", "{target}"]),
    (("csv", "market"), ["score", "--framework", "surrey", "--format", "csv", "--today", DAY, "{clean}",
                        "-o", "{target}"]),
    (("json", "validation"), ["validate", "--format", "json", "--today", DAY, "{clean}", "-o", "{target}"]),
])
def test_a_renderer_failing_half_way_writes_nothing(renderer: tuple[str, str], args: list[str],
                                                    inputs: dict[str, Path], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out" / "report"
    target.parent.mkdir()
    target.write_bytes(b"keep me")
    entry = RENDERERS[renderer]

    def broken(*a: Any, **k: Any) -> Any:
        entry.fn(*a, **k)  # render everything, then fail before returning it
        raise RuntimeError("renderer failed")

    monkeypatch.setitem(RENDERERS, renderer, replace(entry, fn=broken))
    result = _run_output(args, inputs, target)
    assert result.exit_code == 3 and "Traceback" not in result.stderr
    assert target.read_bytes() == b"keep me"
    assert _leftovers(target.parent, {"report"}) == []


def test_template_write_failing_half_way_keeps_the_old_template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import carekpi.workbook.template as template_module

    target = tmp_path / "surrey.xlsx"
    target.write_bytes(b"old template")

    def broken(*a: Any, **k: Any) -> bytes:
        raise MemoryError  # the generator dies while building the workbook

    monkeypatch.setattr(template_module, "template_bytes", broken)
    result = CliRunner().invoke(app, ["template", "--framework", "surrey", "-o", str(target)])
    assert result.exit_code != 0
    assert target.read_bytes() == b"old template"
    assert _leftovers(tmp_path, {"surrey.xlsx"}) == []


# --- a batch: one bad file never hides the others -----------------------------------------------------


@pytest.fixture
def batch(tmp_path: Path) -> Path:
    surrey = find_framework("surrey")
    d = tmp_path / "returns"
    d.mkdir()
    clean = fill_workbook(template_for(surrey), SURREY_CLEAN)
    good = {
        "a-first.xlsx": fill_workbook(clean, {"provider_name": "Alpha Care"}),
        "m-middle.xlsm": wv.as_xlsm(fill_workbook(clean, {"provider_name": "Mid Care"})),
        "z-last.xlsx": fill_workbook(clean, {"provider_name": "Zulu Care", "restarts_taken": 11}),  # invalid
    }
    bad = {
        "b-pdf.xlsx": b"%PDF-1.7\n",
        "c-empty.xlsx": b"",
        "d-truncated.xlsx": clean[: len(clean) // 2],
        "e-5000-sheets.xlsx": wv.with_many_sheet_entries(clean),
        "f-other-framework.xlsx": wv.with_meta(clean, "framework", "bcp"),
        "g-empty-archive.xlsx": b"PK\x05\x06" + b"\x00" * 18,  # nothing but the end-of-archive record
    }
    for name, data in {**good, **bad}.items():
        (d / name).write_bytes(data)
    (d / "~$a-first.xlsx").write_bytes(b"lock")  # Excel's lock file: skipped
    (d / "notes.txt").write_text("not a return")
    return d


BAD = 6


def test_score_a_folder_reports_every_good_return_and_counts_the_bad(batch: Path) -> None:
    text = invoke("score", "--framework", "surrey", "--today", DAY, str(batch), "--by-return")
    assert text.exit_code == 1
    for provider in ("Alpha Care", "Mid Care", "Zulu Care"):
        assert provider in text.stdout
    assert f"3 returns scored, {BAD} unreadable" in text.stdout

    data = json.loads(invoke("score", "--framework", "surrey", "--format", "json", "--today", DAY, str(batch),
                             "--by-return").stdout)
    assert data["summary"]["unreadable"] == BAD
    # one meaning of each count in every format: returns scored, files unreadable, files in all
    assert data["summary"]["returns"] == 3
    assert data["summary"]["files"] == 3 + BAD
    scored = [r for r in data["returns"] if not r.get("unreadable")]
    assert sorted(r["provider"] for r in scored) == ["Alpha Care", "Mid Care", "Zulu Care"]
    reasons = {Path(r["file"]).name: r["unreadable"] for r in data["returns"] if r.get("unreadable")}
    assert sorted(reasons) == ["b-pdf.xlsx", "c-empty.xlsx", "d-truncated.xlsx", "e-5000-sheets.xlsx",
                               "f-other-framework.xlsx", "g-empty-archive.xlsx"]
    assert all(reason and "\n" not in reason for reason in reasons.values())

    rows = list(csv.DictReader(io.StringIO(
        invoke("score", "--framework", "surrey", "--format", "csv", "--today", DAY, str(batch), "--by-return").stdout)))
    unreadable = [r for r in rows if r["return_valid"] == "unreadable"]
    assert sorted(Path(r["file"]).name for r in unreadable) == sorted(reasons)
    assert all(r["reason"] for r in unreadable)
    assert {r["provider"] for r in rows if r["return_valid"] != "unreadable"} == {"Alpha Care", "Mid Care", "Zulu Care"}


def test_score_xlsx_of_a_folder_has_a_row_for_every_file(batch: Path, tmp_path: Path) -> None:
    out = tmp_path / "scores.xlsx"
    assert invoke("score", "--framework", "surrey", "--format", "xlsx", "--today", DAY, str(batch), "--by-return",
                  "-o", str(out)).exit_code == 1
    ws = openpyxl.load_workbook(out)["Scores"]
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in ws.iter_rows(min_row=2)]
    assert len([r for r in rows if r["return_valid"] == "unreadable"]) == BAD
    assert {r["provider"] for r in rows} - {None} == {"Alpha Care", "Mid Care", "Zulu Care"}


def test_validate_many_files_reports_each_even_after_a_bad_one(batch: Path) -> None:
    files = sorted(str(p) for p in batch.iterdir() if p.suffix in (".xlsx", ".xlsm") and not p.name.startswith("~$"))
    result = invoke("validate", "--format", "json", "--today", DAY, *files)
    assert result.exit_code == 2
    reports = {Path(r["file"]).name: r for r in json.loads(result.stdout)}
    assert len(reports) == len(files)
    assert reports["a-first.xlsx"]["valid"] and reports["m-middle.xlsm"]["valid"]
    assert not reports["z-last.xlsx"]["valid"] and not reports["z-last.xlsx"].get("unreadable")
    assert {n for n, r in reports.items() if r.get("unreadable")} == {
        "b-pdf.xlsx", "c-empty.xlsx", "d-truncated.xlsx", "e-5000-sheets.xlsx", "f-other-framework.xlsx",
        "g-empty-archive.xlsx"}
    # a workbook claiming another framework (a usage problem, exit 2) is reported in its place
    assert reports["f-other-framework.xlsx"]["unreadable"] == "framework bcp has no return type 'monthly' (it has: quarterly)"
    text = invoke("validate", "--today", DAY, *files)
    assert text.exit_code == 2
    assert "Alpha Care" in text.stdout and "Zulu Care" in text.stdout
    assert text.stdout.count("cannot be read:") == BAD
