"""What every workbook carekpi writes for people is made with: one font, readable widths, rows
tall enough for their wrapped text, header rows that stay in view and print on every page,
print settings, percentages shown as percentages, links between cells, and text that can never
become a formula.

Templates (:mod:`carekpi.workbook.template`), feedback copies of returns and the officer's
reports use these, so they look and print alike:

* :func:`new_workbook`: a workbook whose default font is :data:`~carekpi.workbook.textfit.FONT_NAME`
  (Arial, drawn by LibreOffice with the metric-compatible Liberation Sans), the font
  :mod:`carekpi.workbook.textfit` measures;
* :func:`put` writes a value (text through :func:`carekpi.base.safety.set_cell_text`, so text
  from a return can never become a formula); :func:`put_formula` writes one of carekpi's own
  formulas; :func:`header_row`, :func:`merged_text`;
* :func:`fit_rows` sets each row's height from the text of its cells and their widths;
* :func:`print_setup`: landscape A4, one page wide, header rows repeated on every page, and a
  footer naming the framework, its version and the page;
* :func:`link_to` (a link to a cell of the workbook), :func:`add_note` (a cell comment);
* number formats: :data:`PERCENT_NUMBER` (92.9 shown as 92.9%) and :func:`percent_format`.

openpyxl is imported with this module: render modules import it when they run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from copy import copy
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.styles.borders import DEFAULT_BORDER
from openpyxl.styles.named_styles import NamedStyleList
from openpyxl.utils import get_column_letter
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet.header_footer import HeaderFooterItem, _HeaderFooterPart
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from carekpi.base.safety import set_cell_text
from carekpi.workbook.textfit import FONT_NAME, FONT_SIZE, CellText, row_height

# --- fonts, fills, borders ----------------------------------------------------------------------
FONT = Font(name=FONT_NAME, size=FONT_SIZE)
BOLD = Font(name=FONT_NAME, size=FONT_SIZE, bold=True)
TITLE = Font(name=FONT_NAME, size=14, bold=True)
SUBTITLE = Font(name=FONT_NAME, size=11, bold=True)
WHITE_BOLD = Font(name=FONT_NAME, size=FONT_SIZE, bold=True, color="FFFFFF")
LINK = Font(name=FONT_NAME, size=FONT_SIZE, color="0563C1", underline="single")
NOTE_FONT = Font(name=FONT_NAME, size=9, italic=True, color="595959")

INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")  # pale yellow: type here
COUNCIL_FILL = PatternFill("solid", fgColor="D9D9D9")
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
SECTION_FILL = PatternFill("solid", fgColor="DDEBF7")
CALCULATED_FILL = PatternFill("solid", fgColor="EDEDED")

#: fill and font colours of the bands, by the text a band cell shows
BAND_COLOURS = {
    "Green": ("C6EFCE", "006100"),
    "Amber": ("FFEB9C", "9C5700"),
    "Red": ("FFC7CE", "9C0006"),
    "n/a": ("EDEDED", "595959"),
}
#: fill and font colours of findings, by severity (and of an explained finding)
SEVERITY_COLOURS = {
    "error": ("FFC7CE", "9C0006"),
    "warning": ("FFEB9C", "9C5700"),
    "info": ("DDEBF7", "1F4E78"),
    "explained": ("E2EFDA", "375623"),
}

THIN = Side(style="thin", color="BFBFBF")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")

# --- number formats -----------------------------------------------------------------------------
#: a percentage held as a number of per cent (92.9 shown as 92.9%), as carekpi computes KPIs
PERCENT_NUMBER = '0.0"%"'


def percent_format(places: int = 1, *, fraction: bool = False) -> str:
    """The number format of a percentage shown to ``places`` decimal places: of a number of per
    cent (92.9 is 92.9%), or of a ``fraction`` (0.929 is 92.9%, a typed 92.9% is stored so)."""
    decimals = ("." + "0" * places) if places else ""
    return f"0{decimals}%" if fraction else f'0{decimals}"%"'


def fill(colour: str) -> PatternFill:
    return PatternFill("solid", fgColor=colour, bgColor=colour)


# --- the workbook ---------------------------------------------------------------------------------


def new_workbook() -> Workbook:
    """An empty workbook whose default font (the ``Normal`` style) is Arial 10."""
    wb = Workbook()
    default = Font(name=FONT_NAME, size=FONT_SIZE, family=2)
    # openpyxl keeps the default font as the first of the workbook's fonts and in the Normal
    # style; both are set before any cell is styled
    wb._fonts = IndexedList([default])  # type: ignore[attr-defined]
    wb._named_styles = NamedStyleList()  # type: ignore[attr-defined]
    wb.add_named_style(NamedStyle(name="Normal", font=copy(default), border=copy(DEFAULT_BORDER), builtinId=0))
    return wb


def set_widths(ws: Worksheet, widths: Mapping[int, float]) -> None:
    """Column widths (Excel units) by column number."""
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width


def put(ws: Worksheet, row: int, col: int, value: Any, *, font: Font | None = FONT, wrap: bool = True,
        fill_: PatternFill | None = None, border: Border | None = None, number_format: str | None = None) -> Cell:
    """Write ``value`` into a cell: text is always text (never a formula: it may come from a
    return), numbers and dates stay what they are."""
    cell = ws.cell(row=row, column=col)
    assert isinstance(cell, Cell)
    if value is not None:
        set_cell_text(cell, value)
    if font is not None:
        cell.font = font
    cell.alignment = WRAP if wrap else TOP
    if fill_ is not None:
        cell.fill = fill_
    if border is not None:
        cell.border = border
    if number_format is not None:
        cell.number_format = number_format
    return cell


def put_formula(ws: Worksheet, row: int, col: int, formula: str, *, font: Font | None = FONT, wrap: bool = True,
                number_format: str | None = None) -> Cell:
    """Write one of carekpi's own formulas (given without the leading ``=``)."""
    cell = ws.cell(row=row, column=col, value="=" + formula)
    assert isinstance(cell, Cell)
    if font is not None:
        cell.font = font
    cell.alignment = WRAP if wrap else TOP
    if number_format is not None:
        cell.number_format = number_format
    return cell


def header_row(ws: Worksheet, row: int, texts: Iterable[tuple[int, str]]) -> None:
    """White bold headers on dark blue."""
    for col, text in texts:
        put(ws, row, col, text, font=WHITE_BOLD, fill_=HEADER_FILL)


def merged_text(ws: Worksheet, row: int, first_col: int, last_col: int, text: str, *, font: Font = FONT,
                fill_: PatternFill | None = None) -> Cell:
    """Text across several columns (merged), wrapped: a title, a description, an instruction."""
    cell = put(ws, row, first_col, text, font=font, fill_=fill_)
    if last_col > first_col:
        ws.merge_cells(start_row=row, start_column=first_col, end_row=row, end_column=last_col)
        if fill_ is not None:
            for c in range(first_col + 1, last_col + 1):
                ws.cell(row=row, column=c).fill = fill_
    return cell


# --- heights ------------------------------------------------------------------------------------------

_STRING_LITERAL = re.compile(r'"((?:[^"]|"")*)"')


def shown_text(value: Any) -> str:
    """The longest text a cell may show: its text, or for a formula the longest text it quotes."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith("="):
        literals = [m.group(1).replace('""', '"') for m in _STRING_LITERAL.finditer(value)]
        return max(literals, key=len, default="")
    return str(value)


def _width(ws: Worksheet, col: int) -> float:
    dim = ws.column_dimensions.get(get_column_letter(col))
    return float(dim.width) if dim is not None and dim.width else 8.43


def fit_rows(ws: Worksheet, *, hints: Mapping[tuple[int, int], str] | None = None, rows: Iterable[int] | None = None,
             minimum: float | None = None, grow_only: bool = False) -> None:
    """Set the height of every row (or of ``rows``) so the text of each cell shows whole: from the
    text (``hints`` give the longest text a formula cell may show), the font and the width of its
    column, or of all the columns of a merged cell. With ``grow_only`` (a workbook someone else
    laid out) a row is only ever made taller, and only for text typed in a cell, not a formula's."""
    hints = hints or {}
    spans: dict[tuple[int, int], float] = {}
    covered: set[tuple[int, int]] = set()
    for rng in ws.merged_cells.ranges:
        if rng.min_row == rng.max_row:
            spans[(rng.min_row, rng.min_col)] = sum(_width(ws, c) for c in range(rng.min_col, rng.max_col + 1))
            covered.update((rng.min_row, c) for c in range(rng.min_col + 1, rng.max_col + 1))
    by_row: dict[int, list[CellText]] = {}
    wanted = set(rows) if rows is not None else None
    for (r, c), cell in ws._cells.items():
        if (wanted is not None and r not in wanted) or (r, c) in covered:
            continue
        if grow_only and (not isinstance(cell.value, str) or cell.data_type == "f"):
            continue
        text = hints.get((r, c)) or shown_text(cell.value)
        if not text:
            continue
        font = cell.font
        width = spans.get((r, c), _width(ws, c))
        by_row.setdefault(r, []).append(CellText(text, width, float(font.sz or FONT_SIZE), bool(font.b),
                                                 bool(cell.alignment.wrap_text)))
    for r, cells in by_row.items():
        height = row_height(cells, minimum=minimum)
        if grow_only:
            now = ws.row_dimensions[r].height if r in ws.row_dimensions else None
            if height <= (now if now is not None else float(ws.sheet_format.defaultRowHeight or 15)):
                continue
        ws.row_dimensions[r].height = height


# --- printing -------------------------------------------------------------------------------------


def _footer_text(text: str) -> str:
    return text.replace("&", "&&")


def _Part(text: str) -> _HeaderFooterPart:
    return _HeaderFooterPart(text=text, size=8)


def print_setup(ws: Worksheet, *, footer: str, title_rows: tuple[int, int] | None = None, landscape: bool = True,
                last_col: int | None = None, last_row: int | None = None) -> None:
    """Print on A4, ``landscape``, one page wide (as many pages tall as needed), ``title_rows``
    repeated at the top of every page, and a footer: ``footer`` on the left, the sheet in the
    middle, the page number and count on the right. ``last_col`` / ``last_row`` bound the printed
    area (hidden helper columns, empty rows of a long table)."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.gridLines = False
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = 0.6
    ws.page_margins.bottom = 0.7
    ws.page_margins.footer = 0.3
    if title_rows is not None:
        ws.print_title_rows = f"{title_rows[0]}:{title_rows[1]}"
    if last_col is not None or last_row is not None:
        col = get_column_letter(last_col or ws.max_column)
        ws.print_area = f"A1:{col}{last_row or ws.max_row}"
    ws.oddFooter = HeaderFooterItem(left=_Part(_footer_text(footer)), center=_Part("&A"),
                                    right=_Part("Page &P of &N"))


def freeze_below(ws: Worksheet, row: int, col: int = 1) -> None:
    """Keep the rows above ``row`` (and the columns before ``col``) in view while scrolling."""
    ws.freeze_panes = f"{get_column_letter(col)}{row}"


# --- links and notes --------------------------------------------------------------------------------


def quote_sheet(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def link_to(cell: Cell, sheet: str, coordinate: str, text: str | None = None) -> None:
    """Make ``cell`` a link to ``coordinate`` on ``sheet`` of the same workbook."""
    set_cell_text(cell, text if text is not None else f"{sheet}!{coordinate}")
    cell.hyperlink = Hyperlink(ref=cell.coordinate, location=f"{quote_sheet(sheet)}!{coordinate}",
                               display=str(cell.value))
    cell.font = LINK


def add_note(cell: Cell, text: str, *, author: str = "carekpi", width: float = 320) -> None:
    """A cell comment sized for its text (a comment on the cell already is kept below it)."""
    old = cell.comment
    if old is not None and old.text and old.text.strip() != text.strip():
        text = f"{text}\n\n{old.text}"
    lines = sum(max(1, -(-len(p) // 50)) for p in text.split("\n"))
    comment = Comment(text, author)
    comment.width = width
    comment.height = min(20 + 15 * lines, 600)
    cell.comment = comment
