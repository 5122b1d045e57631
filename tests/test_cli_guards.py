"""Guards around outputs and untrusted metadata in the command line."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from carekpi.cli import app
from carekpi.framework.model import Framework
from conftest import SURREY_CLEAN

runner = CliRunner()


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.mark.parametrize("args", [
    ["validate", "{f}", "--format", "csv", "-o", "{f}"],
    ["score", "{f}", "-f", "surrey", "--format", "xlsx", "-o", "{f}"],
])
def test_output_that_is_an_input_is_refused(surrey: Framework, make_return: Callable[..., Path], args: list[str]) -> None:
    f = make_return(surrey, SURREY_CLEAN)
    before = _sha(f)
    result = runner.invoke(app, [a.format(f=f) for a in args])
    assert result.exit_code == 2
    assert "it is one of the input files" in result.output
    assert _sha(f) == before


def test_a_write_that_fails_is_one_message_and_exit_2(surrey: Framework, make_return: Callable[..., Path],
                                                      monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    f = make_return(surrey, SURREY_CLEAN)
    out = tmp_path / "report.json"
    out.write_text("old report")

    def disk_full(path: object, data: bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("carekpi.cli.common.atomic_write_bytes", disk_full)
    result = runner.invoke(app, ["validate", str(f), "--format", "json", "-o", str(out)])
    assert result.exit_code == 2
    assert "cannot write" in result.output and "No space left on device" in result.output
    assert "Traceback" not in result.output
    assert out.read_text() == "old report"


def test_template_check_never_loads_a_file_the_workbook_names(surrey: Framework, make_return: Callable[..., Path],
                                                               tmp_path: Path) -> None:
    f = make_return(surrey, SURREY_CLEAN)
    wb = openpyxl.load_workbook(f)
    meta = wb["_carekpi"]
    for row in meta.iter_rows(min_row=1, max_row=10):
        if row[0].value == "framework":
            row[1].value = str(Path(__file__).resolve().parents[1] / "frameworks" / "surrey.yaml")
    buf = io.BytesIO()
    wb.save(buf)
    evil = tmp_path / "evil.xlsx"
    evil.write_bytes(buf.getvalue())
    result = runner.invoke(app, ["template", "--check", str(evil)])
    assert result.exit_code == 2
    assert "which is not a framework id" in result.output



def test_provider_text_is_not_rich_markup(surrey: Framework, make_return: Callable[..., Path]) -> None:
    f = make_return(surrey, {**SURREY_CLEAN, "provider_name": "[/bold]Evil [red]Care"})
    for args in (["validate", str(f)], ["score", str(f), "-f", "surrey"]):
        result = runner.invoke(app, args)
        assert result.exit_code in (0, 1), result.output
        assert "[/bold]Evil [red]Care" in result.stdout


def test_escape_sequences_from_a_return_never_reach_the_terminal() -> None:
    from carekpi.render import render
    from carekpi.validation.findings import Finding, ValidationReport

    rep = ValidationReport("r.xlsx", "surrey", "2021.10", provider="Evil\x1b[2J Care",
                           findings=[Finding("V102", "error", "'\x1b]0;owned\x07' is not a number", "calls_total")])
    out = render("text", "validation", [rep])
    assert "\x1b" not in out and "\x07" not in out
    assert "Evil\ufffd[2J Care" in out


def test_frameworks_dir_from_option_and_environment_is_listed_once(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    src = Path(__file__).resolve().parents[1] / "frameworks" / "surrey.yaml"
    (tmp_path / "surrey-local.yaml").write_text(src.read_text().replace("\nid: surrey\n", "\nid: surrey-local\n"))
    monkeypatch.setenv("CAREKPI_FRAMEWORKS_DIR", str(tmp_path))
    result = runner.invoke(app, ["frameworks"])
    assert result.exit_code == 0
    lines = [line for line in result.output.splitlines() if line.startswith("surrey-local")]
    assert len(lines) == 1 and " local " in lines[0]
