"""What the officer opens: `carekpi report` (overview, a sheet and charts per KPI, trends,
submissions, problems, notes) and `carekpi score --format xlsx` (scores as numbers, summary,
problems). Read back sheet by sheet, values, number formats and the charts' own XML."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from carekpi.cli import app

runner = CliRunner()
TODAY = "2026-12-01"


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "market.xlsx"
    r = runner.invoke(app, ["report", "--framework", "surrey", "-o", str(out), "--today", TODAY])
    assert r.exit_code == 0, r.output
    return out


def test_report_sheets(report_file: Path) -> None:
    wb = openpyxl.load_workbook(report_file)
    assert wb.sheetnames == ["Overview", "Summary", "KPI 1", "KPI 2", "KPI 3", "KPI 4", "Trends", "Submissions",
                             "Problems", "Notes"]
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
        assert "Page &P of &N" in ws.oddFooter.right.text


def test_overview_shows_bands_values_and_directions_worst_first(report_file: Path) -> None:
    ws = openpyxl.load_workbook(report_file)["Overview"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=4, max_row=7, max_col=6)]
    assert rows[0] == ["Provider", "KPI 1", "KPI 2", "KPI 3", "KPI 4", "Return"]
    assert rows[1] == ["Oakridge Community Care", "Red 74.9% ↓", "Red 66.7% ↓", "Amber 76.0% ↑", "Red 70.1% ↑", "late"]
    assert rows[3][0] == "Brightwater Home Care Ltd" and rows[3][-1] == "on time"
    assert ws.freeze_panes == "A5"
    rules = [r.formula[0] for cf in ws.conditional_formatting for r in cf.rules]
    assert 'LEFT(B5,3)="Red"' in rules and 'LEFT(B5,5)="Green"' in rules


def test_kpi_sheet_has_numbers_as_percentages_and_the_target(report_file: Path) -> None:
    ws = openpyxl.load_workbook(report_file)["KPI 1"]
    header = [c.value for c in ws[4]][:6]
    assert header == ["Provider", "Value", "Target", "Band", "Since before", "Reason"]
    brightwater = [c for c in ws[5]]
    assert brightwater[0].value == "Brightwater Home Care Ltd"
    assert brightwater[1].value == pytest.approx(0.91) and brightwater[1].number_format == "0.0%"
    assert brightwater[2].value == pytest.approx(0.90) and brightwater[3].value == "Green"


def _charts(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n).decode() for n in zf.namelist() if n.startswith("xl/charts/chart")}


def test_native_charts_and_their_series_ranges(report_file: Path) -> None:
    charts = _charts(report_file)
    refs = sorted(f for xml in charts.values() for f in re.findall(r"<(?:c:)?f>([^<]+)</(?:c:)?f>", xml))
    # KPI 1: values and the target line against the providers, and the providers in each band
    assert "'KPI 1'!$B$5:$B$7" in refs and "'KPI 1'!$C$5:$C$7" in refs and "'KPI 1'!$A$5:$A$7" in refs
    assert "'KPI 1'!$B$10:$B$13" in refs and "'KPI 1'!$A$10:$A$13" in refs
    # a line chart per KPI over the periods, one series per provider
    assert "'Trends'!$B$6:$B$8" in refs and "'Trends'!$A$6:$A$8" in refs
    kinds = [re.findall(r"<(?:c:)?(barChart|lineChart)>", xml) for xml in charts.values()]
    assert sum(k == ["barChart", "lineChart"] for k in kinds) == 4  # values against the target, per KPI
    assert sum(k == ["lineChart"] for k in kinds) == 4  # trends


def test_trends_and_submissions(report_file: Path) -> None:
    wb = openpyxl.load_workbook(report_file)
    trends = wb["Trends"]
    assert [c.value for c in trends[5]][:4] == ["Period", "Brightwater Home Care Ltd", "Meadowbank Care Services",
                                                "Oakridge Community Care"]
    assert trends["A6"].value == "2026-01" and trends["B6"].value == pytest.approx(0.962)
    subs = wb["Submissions"]
    states = {(row[0].value, row[2].value): (row[5].value, row[6].value) for row in subs.iter_rows(min_row=5)}
    assert states[("Oakridge Community Care", "2026-02")] == ("received", "late")
    assert states[("Brightwater Home Care Ltd", "2026-01")] == ("received", "on time")


def test_a_kpis_trend_table_and_chart_are_never_split_across_pages(report_file: Path) -> None:
    """The Trends sheet prints at a fixed scale (a sheet fitted to a page ignores its page breaks
    in Excel), with a page break before a KPI's block that would not fit the page; the
    providers' names wrap in the header instead of being cut; percentages chart from 0 to 100%."""
    from carekpi.render.report import PAGE_CHARS_AT_100, PAGE_ROWS_AT_100

    trends = openpyxl.load_workbook(report_file)["Trends"]
    assert not trends.sheet_properties.pageSetUpPr.fitToPage
    scale = trends.page_setup.scale
    assert 40 <= scale < 100  # three providers and a chart: a little smaller than 100%
    page_rows = PAGE_ROWS_AT_100 * 100 // scale
    breaks = [b.id for b in trends.row_breaks.brk]
    starts = [c.row for c in trends["A"] if isinstance(c.value, str) and c.value.startswith("KPI ")]
    assert len(starts) == 4 and breaks  # four KPI blocks, more than one page
    pages = [0, *breaks, 10_000]
    for first, end in zip(starts, [*starts[1:], trends.max_row + 16], strict=True):
        page = next(i for i in range(len(pages) - 1) if pages[i] < first <= pages[i + 1])
        assert end - 1 <= pages[page + 1], (first, breaks)  # the block ends on the page it starts on
        assert end - 1 - max(pages[page], 0) <= page_rows + 2
    assert trends.row_dimensions[5].height and trends.row_dimensions[5].height > 15  # names wrap, shown whole
    assert PAGE_CHARS_AT_100 * 100 // scale >= 14 + 16 * 3 + 9  # the table fits across at that scale
    charts = _charts(report_file)
    trend_charts = [xml for xml in charts.values() if "'Trends'!" in xml]
    assert len(trend_charts) == 4 and all(re.search(r"<(?:c:)?max val=\"1\"", xml) for xml in trend_charts)


def test_problems_and_notes(report_file: Path) -> None:
    wb = openpyxl.load_workbook(report_file)
    sheet = wb["Problems"]
    assert sheet["A1"].value == "Problems" and sheet["A4"].value == "File" and sheet.freeze_panes == "A5"
    problems = [[c.value for c in row] for row in sheet.iter_rows(min_row=5)]
    assert any(p[4] == "M108" and "Oakridge Community Care" in p[6] for p in problems)
    notes = [[c.value for c in row] for row in wb["Notes"].iter_rows(min_row=5)]
    assert any(n[0] == "kpi successful_calls" for n in notes)


def test_score_xlsx_has_numbers_widths_summary_and_problems(tmp_path: Path) -> None:
    out = tmp_path / "scores.xlsx"
    r = runner.invoke(app, ["score", "--framework", "surrey", "--format", "xlsx", "-o", str(out), "--today", TODAY])
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Scores", "Summary", "Problems"]
    ws = wb["Scores"]
    header = [c.value for c in ws[1]]
    value = header.index("value") + 1
    first = next(row for row in ws.iter_rows(min_row=2) if row[header.index("kpi")].value == "successful_calls")
    assert first[value - 1].value == pytest.approx(0.962) and first[value - 1].number_format == "0.0%"
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:")
    assert ws.column_dimensions["B"].width >= 25  # provider names fit
    summary = {row[0].value: row[1].value for row in wb["Summary"].iter_rows(min_row=5, max_row=16)}
    assert summary["Returns expected"] == 3 and summary["Late"] == 1
    per_return = tmp_path / "per-return.xlsx"
    r = runner.invoke(app, ["score", "--framework", "surrey", "--format", "xlsx", "-o", str(per_return), "--by-return",
                            "--today", TODAY])
    assert r.exit_code == 0
    ws = openpyxl.load_workbook(per_return)["Scores"]
    assert ws["K2"].value == pytest.approx(0.962) and ws["K2"].number_format == "0.0%"


def test_a_wide_scores_sheet_prints_across_pages_a_person_can_read(tmp_path: Path) -> None:
    """The market's tidy rows (25 columns) are not squeezed onto one page: they print two pages
    across, across then down, the provider's name repeated on each; the Problems and Summary
    sheets still print one page wide."""
    for extra in ([], ["--by-return"]):
        out = tmp_path / f"scores{len(extra)}.xlsx"
        r = runner.invoke(app, ["score", "--framework", "surrey", "--format", "xlsx", "-o", str(out), "--today",
                                TODAY, *extra])
        assert r.exit_code == 0, r.output
        wb = openpyxl.load_workbook(out)
        scores = wb["Scores"]
        assert scores.page_setup.fitToWidth == 2 and scores.page_setup.pageOrder == "overThenDown"
        assert scores.print_title_cols == "$B:$B" and scores.print_title_rows == "$1:$1"
        assert [c.value for c in scores[1]][1] in ("provider", "provider_name")
        for name in ("Summary", "Problems"):
            assert wb[name].page_setup.fitToWidth == 1 and wb[name].print_title_cols is None


def test_text_from_returns_cannot_become_a_formula_in_the_report(tmp_path: Path) -> None:
    from carekpi.framework.discovery import find_framework
    from carekpi.workbook.fill import fill_workbook
    from carekpi.workbook.template import template_bytes
    from conftest import SURREY_CLEAN

    fw = find_framework("surrey")
    folder = tmp_path / "r"
    folder.mkdir()
    (folder / "x.xlsx").write_bytes(fill_workbook(template_bytes(fw), {**SURREY_CLEAN,
                                                                       "provider_name": '=HYPERLINK("http://x","y")'}))
    out = tmp_path / "market.xlsx"
    r = runner.invoke(app, ["report", str(folder), "-o", str(out), "--today", TODAY])
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(out)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not on PATH")
def test_the_report_opens_in_libreoffice(report_file: Path, tmp_path: Path) -> None:
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(report_file)],
                   check=True, capture_output=True, timeout=240)
    pdf = (tmp_path / "market.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 10
