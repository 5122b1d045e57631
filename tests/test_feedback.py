"""``carekpi feedback``: a copy of the provider's own return with every finding marked on it, a
Findings sheet first (each finding linked to its cell) and the KPI results; the return itself is
never modified, and nothing from the return becomes a formula."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from carekpi.cli import app
from carekpi.framework.model import Framework
from carekpi.validation.validate import validate_file
from carekpi.workbook.sheetkit import SEVERITY_COLOURS
from conftest import SURREY_CLEAN, TODAY

# an error (restarts), a rule's warning (complaints, explained), a typing warning (calls_total) and
# text that would be a formula if it were not written as text
FLAWED = {"calls_total": "1,100", "restarts_taken": 11, "complaints_upheld": 2, "provider_name": '=HYPERLINK("http://x","y")',
          "contact_name": "+44 cmd|' /c calc'!A0"}
EXPLANATION = "=1+1 was how we counted: two complaints concluded this month."


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, [*args, "--today", TODAY.isoformat()], catch_exceptions=False)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def flawed(surrey: Framework, make_return: Callable[..., Path]) -> Path:
    return make_return(surrey, {**SURREY_CLEAN, **FLAWED}, name="acme-march.xlsx",
                       tables={"explanations": [["complaints_upheld", "V201", EXPLANATION]]})


def test_the_copy_marks_every_finding_and_the_return_is_untouched(flawed: Path, tmp_path: Path) -> None:
    before = sha(flawed)
    out = tmp_path / "acme-march-feedback.xlsx"
    r = invoke("feedback", str(flawed), "-o", str(out))
    assert r.exit_code == 1  # the return has an error; the copy is written all the same
    assert r.stdout == (f"wrote {out}: 1 error, 2 warnings, 1 for information (1 explained by the provider) "
                        f"({flawed})\n")
    assert sha(flawed) == before
    report = validate_file(flawed, today=TODAY)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[:3] == ["Findings", "KPI results", "Cover"]
    assert wb.active is not None and wb.active.title == "Findings"
    for f in report.findings:
        assert f.sheet is not None and f.cell is not None
        cell = wb[f.sheet][f.cell]
        colour = "explained" if f.explained else f.severity.value
        assert cell.fill.fgColor.rgb == "00" + SEVERITY_COLOURS[colour][0], (f.code, colour)
        assert cell.comment is not None
        assert f"{f.code} {f.severity.value}: {f.message}" in cell.comment.text
        if f.explained:
            assert f"Explained by the provider: {EXPLANATION}" in cell.comment.text


def test_findings_sheet_lists_every_finding_with_a_link_to_its_cell(flawed: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    invoke("feedback", str(flawed), "-o", str(out))
    report = validate_file(flawed, today=TODAY)
    ws = openpyxl.load_workbook(out)["Findings"]
    header = next(r for r in range(1, 20) if ws.cell(row=r, column=1).value == "#")
    rows = [[ws.cell(row=r, column=c) for c in range(1, 8)] for r in range(header + 1, header + 1 + len(report.findings))]
    assert [(row[2].value, row[4].value, row[5].value) for row in rows] == \
        [(f.code, f.field, f.message) for f in report.sorted_findings()]
    for row, f in zip(rows, report.sorted_findings(), strict=True):
        where = row[3]
        assert where.value == f"{f.sheet}!{f.cell}"
        assert where.hyperlink is not None and where.hyperlink.location == f"'{f.sheet}'!{f.cell}"
    explained = [row for row in rows if row[1].value == "warning (explained)"]
    assert [row[6].value for row in explained] == [EXPLANATION]
    heading = [ws.cell(row=r, column=1).value for r in range(1, header)]
    assert "NOT VALID: correct the errors, validate again and send the return again." in heading
    assert "1 error, 2 warnings, 1 for information (1 explained by the provider)." in heading


def test_nothing_from_the_return_becomes_a_formula(flawed: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    invoke("feedback", str(flawed), "-o", str(out))
    wb = openpyxl.load_workbook(out)
    texts = []
    for title in ("Findings", "KPI results"):
        for row in wb[title].iter_rows():
            for cell in row:
                assert cell.data_type != "f", (title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    assert any(t.startswith('=HYPERLINK("http://x","y")') for t in texts)  # the provider, as text
    assert EXPLANATION in texts
    # the provider's own cells keep what they held: text stays text
    assert wb["Cover"]["C7"].data_type == "s"
    # the copy's formulas are the template's own, unchanged
    original = openpyxl.load_workbook(flawed)
    for ws in original.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    assert wb[ws.title][cell.coordinate].value == cell.value


def test_kpi_results_are_numbers_shown_as_carekpi_shows_them(flawed: Path, surrey: Framework, make_return: Callable[..., Path],
                                                             tmp_path: Path) -> None:
    clean = make_return(surrey, SURREY_CLEAN, name="clean.xlsx")
    out = tmp_path / "clean-feedback.xlsx"
    assert invoke("feedback", str(clean), "-o", str(out)).exit_code == 0
    ws = openpyxl.load_workbook(out)["KPI results"]
    rows = {ws.cell(row=r, column=1).value: [ws.cell(row=r, column=c) for c in range(1, 9)] for r in range(5, 9)}
    calls = rows["KPI 1"]
    assert (calls[2].value, calls[3].value, calls[4].value, calls[4].number_format) == (900, 1000, 90, '0.0"%"')
    assert (calls[5].value, calls[6].value, calls[7].value) == ("90%", "Green", "at or above Green 90%")
    assert rows["KPI 4"][6].value == "n/a"
    # KPI 4 is built on the council's own data: the provider is not told to use a command option
    assert rows["KPI 4"][7].value == "worked out by the council from its own records (not part of your return)"
    assert not any("--" in str(c.value) for r in ws.iter_rows() for c in r if c.value)


def test_the_copy_validates_as_the_return_does(flawed: Path, tmp_path: Path) -> None:
    """A provider may correct the copy and send it back: it reads as the return it came from."""
    out = tmp_path / "copy.xlsx"
    invoke("feedback", str(flawed), "-o", str(out))
    original = validate_file(flawed, today=TODAY)
    copy = validate_file(out, today=TODAY)
    assert {(f.code, f.sheet, f.cell, f.message) for f in copy.findings} == \
        {(f.code, f.sheet, f.cell, f.message) for f in original.findings}


def test_many_returns_into_a_folder(surrey: Framework, make_return: Callable[..., Path], tmp_path: Path) -> None:
    a, b = tmp_path / "north", tmp_path / "south"
    a.mkdir()
    b.mkdir()
    for folder in (a, b):
        (folder / "march.xlsx").write_bytes(make_return(surrey, SURREY_CLEAN).read_bytes())
    (a / "april.xlsx").write_bytes(make_return(surrey, {**SURREY_CLEAN, "restarts_taken": 11}).read_bytes())
    (a / "broken.xlsx").write_bytes(b"not a workbook")
    out = tmp_path / "feedback"
    out.mkdir()
    r = invoke("feedback", str(a), str(b), "--out-dir", str(out))
    assert r.exit_code == 2  # one file cannot be read: the others still get their copies
    assert sorted(p.name for p in out.iterdir()) == ["april-feedback.xlsx", "north-march-feedback.xlsx",
                                                     "south-march-feedback.xlsx"]
    assert "broken.xlsx" in r.stderr and "no feedback written" in r.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["-o", "{ret}"], "it is one of the returns, which carekpi never modifies"),
    (["-o", "{tmp}/out.xlsm"], "a feedback copy is an .xlsx workbook"),
    ([], "say where the feedback goes"),
    (["-o", "{tmp}/a.xlsx", "--out-dir", "{tmp}"], "say where the feedback goes"),
    (["-o", "{tmp}/nowhere/out.xlsx"], "does not exist"),
])
def test_misuse_is_one_sentence_and_writes_nothing(flawed: Path, tmp_path: Path, args: list[str], message: str) -> None:
    before = sha(flawed)
    files = sorted(p.name for p in tmp_path.iterdir())
    r = invoke("feedback", str(flawed), *(a.format(ret=flawed, tmp=tmp_path) for a in args))
    assert r.exit_code == 2
    assert message in r.stderr
    assert sha(flawed) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == files


def test_a_sheet_called_findings_is_kept(flawed: Path, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(flawed)
    wb.create_sheet("Findings").cell(row=1, column=1, value="our own notes")
    buf = io.BytesIO()
    wb.save(buf)
    mine = tmp_path / "mine.xlsx"
    mine.write_bytes(buf.getvalue())
    out = tmp_path / "out.xlsx"
    invoke("feedback", str(mine), "-o", str(out))
    copy = openpyxl.load_workbook(out)
    assert copy.sheetnames[:2] == ["Findings (carekpi)", "KPI results"]
    assert copy["Findings"]["A1"].value == "our own notes"


def test_a_long_answer_shows_whole_and_other_rows_keep_their_height(surrey: Framework, make_return: Callable[..., Path],
                                                                      tmp_path: Path) -> None:
    reasons = ("Two complaints about late calls on the Tuesday rounds were upheld after review; the rota was "
               "changed, the carers concerned were supervised again and both families were visited. ") * 4
    path = make_return(surrey, {**SURREY_CLEAN, "complaints_upheld_reasons": reasons}, name="long.xlsx")
    out = tmp_path / "long-feedback.xlsx"
    assert invoke("feedback", str(path), "-o", str(out)).exit_code in (0, 1)
    before, after = openpyxl.load_workbook(path), openpyxl.load_workbook(out)

    def where(wb: Any, text: str) -> tuple[str, int]:
        return next((ws.title, c.row) for ws in wb.worksheets for r in ws.iter_rows() for c in r if c.value == text)

    title, row = where(after, reasons)
    grown = after[title].row_dimensions[row].height
    assert grown is not None and grown > (before[title].row_dimensions[row].height or 15) + 30
    title, row = where(after, SURREY_CLEAN["contact_name"])
    assert after[title].row_dimensions[row].height == before[title].row_dimensions[row].height
