"""Templates people can read and print: every row as tall as its wrapped text, print settings,
and a legend of the bands carekpi applies, for every return type of every bundled framework."""

from __future__ import annotations

from typing import Any

import pytest
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from carekpi.framework.cover import CHECKS_SHEET, COVER_SHEET, META_SHEET, NOTES_SHEET, SUMMARY_SHEET
from carekpi.framework.discovery import find_framework
from carekpi.framework.model import Framework
from carekpi.workbook.layout import Layout, band_legend
from carekpi.workbook.template import build_template
from carekpi.workbook.textfit import FONT_NAME, LINE_FACTOR, ROW_PADDING, line_room, lines_needed, text_width

FRAMEWORKS = ["surrey", "bcp", "dorset", "cheshire-east-awc", "cheshire-east-dpss"]
RETURNS = [(fid, rt.id) for fid in FRAMEWORKS for rt in find_framework(fid).returns]
_BUILT: dict[tuple[str, str], tuple[Framework, Workbook, Layout]] = {}


def built(fid: str, rid: str) -> tuple[Framework, Workbook, Layout]:
    if (fid, rid) not in _BUILT:
        fw = find_framework(fid)
        wb, layout = build_template(fw, rid)
        _BUILT[(fid, rid)] = (fw, wb, layout)
    return _BUILT[(fid, rid)]


def visible(wb: Workbook) -> list[Worksheet]:
    return [ws for ws in wb.worksheets if ws.title != META_SHEET]


def width(ws: Worksheet, first: int, last: int) -> float:
    return sum(float(ws.column_dimensions[get_column_letter(c)].width or 8.43) for c in range(first, last + 1))


def needed(text: str, cell: Any, columns: float) -> float:
    size = float(cell.font.sz or 10)
    return lines_needed(text, columns, size, bool(cell.font.b)) * size * LINE_FACTOR + ROW_PADDING


@pytest.mark.parametrize(("fid", "rid"), RETURNS)
def test_every_row_is_as_tall_as_its_wrapped_text(fid: str, rid: str) -> None:
    _, wb, _ = built(fid, rid)
    clipped = []
    for ws in visible(wb):
        merged = {(r.min_row, r.min_col): (r.min_col, r.max_col) for r in ws.merged_cells.ranges}
        inside = {(r.min_row, c) for r in ws.merged_cells.ranges for c in range(r.min_col + 1, r.max_col + 1)}
        for (row, col), cell in ws._cells.items():
            if (row, col) in inside or not isinstance(cell.value, str) or cell.value.startswith("="):
                continue
            if not cell.alignment.wrap_text:
                continue
            first, last = merged.get((row, col), (col, col))
            height = ws.row_dimensions[row].height
            if height is None or height < needed(cell.value, cell, width(ws, first, last)) - 0.01:
                clipped.append(f"{ws.title}!{cell.coordinate} ({height}): {cell.value[:50]!r}")
    assert not clipped, clipped[:10]


@pytest.mark.parametrize(("fid", "rid"), RETURNS)
def test_checks_rows_are_tall_enough_for_their_longest_message(fid: str, rid: str) -> None:
    _, wb, layout = built(fid, rid)
    ws = wb[CHECKS_SHEET]
    result_width = width(ws, 3, 3)
    for row in layout.checks.rows:
        if row.formula is not None:
            cell = ws.cell(row=row.row, column=3)
            assert ws.row_dimensions[row.row].height >= needed(row.longest, cell, result_width) - 0.01, row.name


@pytest.mark.parametrize(("fid", "rid"), RETURNS)
def test_every_sheet_prints_landscape_one_page_wide_with_headers_and_a_footer(fid: str, rid: str) -> None:
    fw, wb, _ = built(fid, rid)
    for ws in visible(wb):
        setup = ws.page_setup
        assert setup.orientation == ("portrait" if ws.title == COVER_SHEET else "landscape"), ws.title
        assert (str(setup.paperSize), setup.fitToWidth, setup.fitToHeight) == ("9", 1, 0), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        foot = ws.oddFooter
        assert foot.left.text == f"{fw.id} version {fw.version}: {fw.return_type(rid).label}".replace("&", "&&")
        assert (foot.center.text, foot.right.text) == ("&A", "Page &P of &N"), ws.title
        if ws.title != COVER_SHEET:
            rows = ws.print_title_rows
            assert rows, f"{ws.title} repeats no header row"
            first = int(rows.split(":")[0].lstrip("$"))
            assert {ws.cell(row=first, column=c).value for c in range(1, 4)} - {None}, ws.title


@pytest.mark.parametrize(("fid", "rid"), RETURNS)
def test_notes_never_break_an_id(fid: str, rid: str) -> None:
    """The Notes sheet says what each note applies to ("rule complaints_outcomes_within_received")
    on one line: an id is never broken mid-word."""
    _, wb, _ = built(fid, rid)
    ws = wb[NOTES_SHEET]
    room = line_room(width(ws, 1, 1))
    applies = [cell.value for (row, col), cell in ws._cells.items() if col == 1 and row > 3 and isinstance(cell.value, str)]
    assert applies and all(text_width(a) <= room for a in applies), [a for a in applies if text_width(a) > room]


@pytest.mark.parametrize(("fid", "rid"), RETURNS)
def test_one_font_whose_widths_carekpi_measures(fid: str, rid: str) -> None:
    _, wb, _ = built(fid, rid)
    for ws in visible(wb):
        names = {cell.font.name for cell in ws._cells.values() if cell.value is not None}
        assert names == {FONT_NAME}, (ws.title, names)


def test_cover_instruction_and_titles_span_the_sheet(surrey: Framework) -> None:
    _, wb, _ = built("surrey", "monthly")
    ws = wb[COVER_SHEET]
    spans = {str(r) for r in ws.merged_cells.ranges}
    assert {"B1:D1", "B5:D5"} <= spans
    assert "Select a yellow cell" in ws["B5"].value and "Hover" not in ws["B5"].value
    assert ws.row_dimensions[5].height >= 3 * 12.75


def test_summary_cells_wrap_so_nothing_is_cut_off(surrey: Framework) -> None:
    _, wb, _ = built("surrey", "monthly")
    ws = wb[SUMMARY_SHEET]
    for row in range(4, 8):
        for col in (2, 3, 4, 5):
            assert ws.cell(row=row, column=col).alignment.wrap_text, (row, col)
    # KPI 4's value and band cells show "Calculated by the council" / "Scored by the council" whole
    assert ws.row_dimensions[7].height >= 2 * 12.75


def test_legend_states_the_bands_carekpi_applies_and_the_printed_wording(surrey: Framework) -> None:
    kpi = next(k for k in surrey.kpis if k.id == "care_certificate")
    assert band_legend(surrey, kpi) == (
        "carekpi applies: Green: 95% or more; Amber: 75% to 94.9%; Red: below 75%.\n"
        "As printed in the source: Green 95+%, Amber 75-89%, Red 0-74%.\n"
        "See the Notes sheet: KPI 3 bands leave 90-94% unassigned."
    )
    _, wb, layout = built("surrey", "monthly")
    band = layout.slots["kpi_care_certificate_band"]
    assert wb[band.sheet].cell(row=band.row, column=5).value == band_legend(surrey, kpi)


def test_a_legend_without_printed_wording_states_the_bands_once() -> None:
    fw = find_framework("cheshire-east-awc")
    kpi = next(k for k in fw.kpis if k.bands.scheme == "none" and not k.bands.as_printed and not k.notes)
    assert band_legend(fw, kpi) == "carekpi applies: Management information: not banded."
