"""Writing tables an officer can use in Excel: headers, widths that fit, numbers as numbers
(a percentage stored as 0.929 and shown as 92.9%), frozen headers, filters, band colours.

Every text cell goes through :func:`carekpi.base.safety.set_cell_text`, so text from a return
can never become a formula. Imported by the xlsx renderers when they run (openpyxl is heavy).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from openpyxl.cell.cell import Cell
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from carekpi.base.safety import set_cell_text

HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=14)
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
#: band colours (fill, font), as the template shows them
BAND_COLOURS = {"green": ("C6EFCE", "006100"), "amber": ("FFEB9C", "9C5700"), "red": ("FFC7CE", "9C0006"),
                "na": ("EDEDED", "595959")}
BAND_WORDS = {"green": "Green", "amber": "Amber", "red": "Red", "na": "n/a"}


@dataclass(frozen=True)
class Column:
    """One column of a table: its header, its number format and its widest width."""

    title: str
    number_format: str | None = None
    max_width: int = 50
    wrap: bool = False


def number_format(unit: str, places: int) -> str:
    """The Excel number format of a KPI value in ``unit`` (values of percentages are stored as fractions)."""
    decimals = "." + "0" * places if places else ""
    if unit == "percent":
        return f"0{decimals}%"
    if unit == "money":
        return "£#,##0.00"
    return f"#,##0{decimals}"


def places_shown(value: Any, places: int) -> int:
    """The decimal places to show ``value`` with: the KPI's precision, or more where carekpi
    reports more (a value judged exactly that rounding would carry across a band edge: 99.95%)."""
    if isinstance(value, Decimal):
        exponent = value.normalize().as_tuple().exponent
        return max(places, -exponent) if isinstance(exponent, int) else places
    if isinstance(value, float) and not value.is_integer():
        return max(places, len(repr(value).partition(".")[2]))
    return places


def excel_value(value: Any, unit: str) -> Any:
    """A KPI value as Excel should hold it: a percentage as a fraction (92.9% is 0.929)."""
    if isinstance(value, (Decimal, Fraction)):
        number = float(value)
        return number / 100 if unit == "percent" else (int(number) if number == int(number) else number)
    return value


def _cell(ws: Worksheet, row: int, col: int) -> Cell:
    cell = ws.cell(row=row, column=col)
    assert isinstance(cell, Cell), "tables are written to cells that are not merged"
    return cell


def put(ws: Worksheet, row: int, col: int, value: Any, *, fmt: str | None = None) -> Cell:
    """Write one value: numbers as numbers, text always as text (never a formula)."""
    cell = _cell(ws, row, col)
    if isinstance(value, bool):
        set_cell_text(cell, "yes" if value else "no")
    elif isinstance(value, (int, float)):
        cell.value = value
    elif isinstance(value, (Decimal, Fraction)):
        cell.value = float(value)
    elif value is None:
        pass
    else:
        set_cell_text(cell, str(value))
    if fmt and cell.value is not None and not isinstance(cell.value, str):
        cell.number_format = fmt
    return cell


def write_table(ws: Worksheet, columns: Sequence[Column], rows: Iterable[Sequence[Any]], *, top: int = 1,
                formats: Sequence[Sequence[str | None]] | None = None, freeze: bool = True,
                filters: bool = True) -> int:
    """A table with a styled header at row ``top``: widths fitted to the content (up to each
    column's ``max_width``), the header frozen and filters on. ``formats`` gives a number format
    per cell where it varies by row (a KPI's unit). Returns the last row written."""
    widths = [len(c.title) + 2 for c in columns]
    for j, c in enumerate(columns, start=1):
        cell = _cell(ws, top, j)
        set_cell_text(cell, c.title)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = WRAP
    r = top
    for i, values in enumerate(rows):
        r = top + 1 + i
        for j, (c, v) in enumerate(zip(columns, values, strict=True), start=1):
            fmt = (formats[i][j - 1] if formats is not None else None) or c.number_format
            cell = put(ws, r, j, v, fmt=fmt)
            if c.wrap:
                cell.alignment = WRAP
            else:
                cell.alignment = TOP
            shown = len(str(v)) if v is not None else 0
            widths[j - 1] = max(widths[j - 1], min(shown + (4 if c.wrap else 2), c.max_width))
    final = []
    for j, (w, c) in enumerate(zip(widths, columns, strict=True), start=1):
        letter = get_column_letter(j)
        before = ws.column_dimensions[letter].width if letter in ws.column_dimensions else 0
        final.append(max(min(max(w, 8), c.max_width), before or 0))  # a column is never narrowed
        ws.column_dimensions[letter].width = final[-1]
    heading = max(text_lines(c.title, w) for c, w in zip(columns, final, strict=True))
    if heading > 1:  # a header wider than its column wraps: show it whole
        ws.row_dimensions[top].height = row_height(heading)
    wrapped = [j for j, c in enumerate(columns) if c.wrap]
    if wrapped:  # spreadsheet programs do not grow a row for wrapped text by themselves: size it
        for n in range(top + 1, r + 1):
            lines = max(text_lines(ws.cell(row=n, column=j + 1).value, final[j]) for j in wrapped)
            if lines > 1:
                ws.row_dimensions[n].height = row_height(lines)
    if freeze:
        ws.freeze_panes = f"A{top + 1}"
    if filters and r > top:
        ws.auto_filter.ref = f"A{top}:{get_column_letter(len(columns))}{r}"
    return r


def text_lines(value: Any, width: float) -> int:
    """How many lines ``value`` takes in a wrapped cell ``width`` characters wide (a little
    generous, as fonts differ between Excel and LibreOffice)."""
    if value is None:
        return 1
    per_line = max(int(width) - 2, 1)
    total = 0
    for part in str(value).split("\n"):
        words, line = part.split(" "), 0
        count = 1
        for w in words:
            need = len(w) + (1 if line else 0)
            if line + need > per_line and line:
                count += 1
                line = len(w)
            else:
                line += need
            while line > per_line:  # a word longer than the line breaks
                count += 1
                line -= per_line
        total += count
    return total


def row_height(lines: int) -> float:
    """Points for ``lines`` lines of 11-point text (15 points each)."""
    return round(15.0 * lines + 2, 1)


def band_colours(ws: Worksheet, cells: str, *, words: bool = False) -> None:
    """Colour cells by the band they hold (``green``... or, with ``words``, ``Green``...)."""
    for band, (fill, font) in BAND_COLOURS.items():
        text = BAND_WORDS[band] if words else band
        ws.conditional_formatting.add(cells, CellIsRule(
            operator="equal", formula=[f'"{text}"'], fill=PatternFill("solid", fgColor=fill, bgColor=fill),
            font=Font(color=font, bold=True)))


#: about how many characters of column width a landscape A4 page shows at a readable size
#: (Excel's default 11 pt font printed at about 70%: a Problems sheet of 250 characters fits)
PAGE_WIDTH_CHARS = 250


def print_setup(wb: Any, footer: str, header_rows: dict[str, int] | None = None,
                title_cols: dict[str, str] | None = None) -> None:
    """Every sheet prints landscape on A4 with ``footer`` and the page number, and the header row
    of its table repeated on every page (``header_rows``: sheet title -> row).

    A sheet prints one page wide when its columns fit on a page at a readable size; a wider table
    (a market's tidy rows) is spread over as many pages across as it needs, printed across then
    down (so the pages of one set of rows follow each other), with the column that says whose row
    it is repeated on each (``title_cols``: sheet title -> column letter). A sheet that has set
    its own print scale (one with page breaks of its own: Excel ignores them on a sheet fitted to
    pages) keeps it."""
    from openpyxl.worksheet.properties import PageSetupProperties

    for ws in wb.worksheets:
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=ws.page_setup.scale is None)
        across = -(-table_width(ws) // PAGE_WIDTH_CHARS)
        ws.page_setup.fitToWidth = max(1, across)
        ws.page_setup.fitToHeight = 0
        if across > 1:
            ws.page_setup.pageOrder = "overThenDown"
            col = (title_cols or {}).get(ws.title)
            if col:
                ws.print_title_cols = f"{col}:{col}"
        ws.oddFooter.left.text = footer.replace("&", "&&")
        ws.oddFooter.right.text = "Page &P of &N"
        ws.print_options.gridLines = False
        row = (header_rows or {}).get(ws.title)
        if row:
            ws.print_title_rows = f"{row}:{row}"


def table_width(ws: Worksheet) -> int:
    """The width of the sheet's used columns, in characters (Excel's default for a column not set)."""
    total = 0.0
    for c in range(1, ws.max_column + 1):
        dim = ws.column_dimensions.get(get_column_letter(c))
        total += dim.width if dim is not None and dim.width else 8.43
    return int(total)


def title(ws: Worksheet, text: str, subtitle: str | None = None) -> int:
    """A title (and subtitle) at the top of a sheet; returns the first free row."""
    set_cell_text(_cell(ws, 1, 1), text)
    ws.cell(row=1, column=1).font = TITLE_FONT
    if subtitle:
        set_cell_text(_cell(ws, 2, 1), subtitle)
        return 4
    return 3
