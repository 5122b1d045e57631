"""The reader as it was before carekpi read workbooks itself: openpyxl's full loader (and a
second, values-only load for formula results). Kept for the tests only, as the reference the
fast reader (carekpi.workbook.reader) must agree with on every sample and variant.

Below, the original docstring: find each item's cell, without trusting the file.

Cells are found by their defined names (the item ids); where a name is missing
(a sheet copied into another workbook, an older template) or does not point at
one real cell (``#REF!``, a whole column, a row past 1048576, a sheet that is not
there) the item's label is looked for instead, on the item's own sheet first,
with a warning; the figure is in the "Your figure" column, else just after the
label (after the whole block when the label is merged across cells). Formula
cells are read for their cached values, and a formula without one is reported,
never read as blank.

The workbook is opened read-only from disk and never written; its content
(checked by preflight) decides how it is read, not its file name. Every failure
to read it ends as UnreadableWorkbook, one sentence.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.formula.tokenizer import TokenizerError
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from carekpi.base.errors import UnreadableWorkbook
from carekpi.framework.cover import META_SHEET
from carekpi.workbook import openpyxl_load as _preflight
from carekpi.workbook import preflight as _pf
from carekpi.workbook.preflight import PreflightWarning
from carekpi.workbook.reader import RawCell

#: how far a label search looks on one sheet (rows, columns): bounds hostile dimensions
LABEL_SEARCH_ROWS = 2000
LABEL_SEARCH_COLS = 8
#: the most rows of a case-log table that are read
MAX_TABLE_ROWS = 10000
#: openpyxl errors on files that pass preflight, beyond preflight.OPENPYXL_READ_ERRORS:
#: AttributeError from a chart sheet without a drawing, which openpyxl itself writes
#: (openpyxl/reader/excel.py read_chartsheet: ``'list' object has no attribute 'find'``)
READER_EXTRA_ERRORS: tuple[type[BaseException], ...] = (AttributeError,)


_XML_CHECKED = False
#: the values-only load of each workbook being read, by id of the full load
_CACHED: dict[int, Workbook] = {}


@dataclass
class WorkbookContent:
    path: str
    workbook: Workbook
    cached: Workbook | None = None
    meta: dict[str, str] = field(default_factory=dict)
    warnings: list[PreflightWarning] = field(default_factory=list)

    @property
    def sheetnames(self) -> list[str]:
        return list(self.workbook.sheetnames)


def open_workbook(path: str | Path, *, data_only: bool = False) -> WorkbookContent:
    """Open ``path`` safely, or raise :class:`UnreadableWorkbook` with one clear sentence."""

    global _XML_CHECKED
    if not _XML_CHECKED:
        _preflight.ensure_safe_xml()  # refuse to read anything if openpyxl's XML parsing is not defused
        _XML_CHECKED = True

    p = Path(path)
    if not p.exists():
        raise UnreadableWorkbook(p, "no such file")
    if p.is_dir():
        raise UnreadableWorkbook(p, "is a folder, not a workbook")
    notes = _pf.preflight(p)
    try:
        # opened as a file, so the content (checked by preflight) decides, not the name: a
        # workbook saved without its .xlsx extension is still read
        with warnings.catch_warnings(), open(p, "rb") as fh:
            # openpyxl warns about extensions it does not read (slicers, extra validation
            # types...); they do not affect the values carekpi reads.
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(fh, data_only=data_only, keep_vba=False, keep_links=False, rich_text=False)
    except (*_preflight.OPENPYXL_READ_ERRORS, *READER_EXTRA_ERRORS) as exc:
        raise UnreadableWorkbook(p, f"the file is damaged or is not an Excel workbook ({type(exc).__name__})") from None
    if not wb.worksheets:
        raise UnreadableWorkbook(p, "the workbook has no worksheets")
    content = WorkbookContent(str(p), wb, warnings=list(notes))
    if not data_only:
        content.cached = open_workbook(p, data_only=True).workbook
        _CACHED.clear()
        _CACHED[id(wb)] = content.cached
    meta_ws = wb[META_SHEET] if META_SHEET in wb.sheetnames else None
    if isinstance(meta_ws, Worksheet):  # a chart sheet of that name holds no metadata
        ws = meta_ws
        for row in ws.iter_rows(min_row=1, max_row=20, max_col=2, values_only=True):
            if row[0] is None:
                break
            content.meta[str(row[0])] = "" if row[1] is None else str(row[1])
    return content


def _sheet_index(wb: Workbook, title: str) -> int:
    try:
        return wb.sheetnames.index(title)
    except ValueError:
        return 999


def _raw(wb: Workbook, ws: Worksheet, coordinate: str, found_by: str) -> RawCell:
    cell = ws[coordinate]
    value = cell.value
    formula = None
    if cell.data_type == "f" or (isinstance(value, str) and value.startswith("=") and cell.data_type == "f"):
        formula = str(value)
    elif hasattr(value, "text") and type(value).__name__ in ("ArrayFormula", "DataTableFormula"):
        formula = str(getattr(value, "text", value))
    col, row = coordinate_from_string(coordinate)
    cached = value
    if formula is not None and _CACHED.get(id(wb)) is not None:
        cached = _CACHED[id(wb)][ws.title][coordinate].value
    return RawCell(
        sheet=ws.title, coordinate=coordinate, value=value, data_type=cell.data_type,
        number_format=cell.number_format or "General", formula=formula, found_by=found_by,
        order=(_sheet_index(wb, ws.title), row, column_index_from_string(col)), cached=cached,
    )


#: what reading a defined name's destinations raises when its text is not a reference
#: (openpyxl tokenizes it as a formula: "'Cover55!$C$13" raises TokenizerError)
_NAME_ERRORS: tuple[type[BaseException], ...] = (ValueError, TypeError, AttributeError, TokenizerError)

#: the last row and column a worksheet can have (Excel 2007 and later)
MAX_ROW, MAX_COLUMN = 1048576, 16384


def cell_ref(ref: str) -> str | None:
    """``ref`` (``$C$7``, ``c7``) as a plain coordinate, or None unless it is one cell on a real sheet.

    Whole rows or columns (``$C:$C``), ``#REF!`` and cells beyond the last row (1048576) or
    column (XFD) are not cells: a defined name pointing at one is treated as missing.
    """
    m = re.fullmatch(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})", ref.strip())
    if not m:
        return None
    col, row = m.group(1).upper(), int(m.group(2))
    if not 1 <= row <= MAX_ROW or column_index_from_string(col) > MAX_COLUMN:
        return None
    return f"{col}{row}"


def find_named_cell(content: WorkbookContent, name: str) -> RawCell | None:
    """The first cell of a workbook- or sheet-scoped defined name, if it points at a real cell."""
    wb = content.workbook
    dn = wb.defined_names.get(name)
    candidates = [dn] if dn is not None else []
    if not candidates:
        for ws in wb.worksheets:
            local = ws.defined_names.get(name)
            if local is not None:
                candidates.append(local)
    for d in candidates:
        try:
            dests = list(d.destinations)
        except _NAME_ERRORS:
            continue
        for title, ref in dests:
            if title not in wb.sheetnames:
                continue
            first = cell_ref(ref.split(":")[0])
            if first is None:
                continue
            ws = wb[title]
            if not isinstance(ws, Worksheet):
                continue
            return _raw(wb, ws, first, "name")
    return None


def _norm(text: Any) -> str:
    return re.sub(r"[\s\u00a0]+", " ", str(text)).strip().casefold().rstrip(":?.")


class LabelIndex:
    """Where each label text appears, for finding items whose defined names were lost."""

    def __init__(self, content: WorkbookContent):
        self.content = content
        self._index: dict[str, list[tuple[str, int, int]]] | None = None
        self._value_col: dict[str, int] = {}

    def _build(self) -> dict[str, list[tuple[str, int, int]]]:
        index: dict[str, list[tuple[str, int, int]]] = {}
        for ws in self.content.workbook.worksheets:
            if ws.title == META_SHEET:
                continue
            max_row = min(ws.max_row or 0, LABEL_SEARCH_ROWS)
            max_col = min(ws.max_column or 0, LABEL_SEARCH_COLS)
            for row in ws.iter_rows(min_row=1, max_row=max_row, max_col=max_col):
                for cell in row:
                    if isinstance(cell.value, str) and cell.value.strip():
                        key = _norm(cell.value)
                        index.setdefault(key, []).append((ws.title, cell.row, cell.column))
                        if key == "your figure":
                            self._value_col.setdefault(ws.title, cell.column)
        return index

    def find(self, label: str, prefer_sheet: str | None, used: set[tuple[str, str]]) -> RawCell | None:
        if self._index is None:
            self._index = self._build()
        hits = self._index.get(_norm(label), [])
        hits = sorted(hits, key=lambda h: (h[0] != prefer_sheet, h[1]))
        wb = self.content.workbook
        for title, row, col in hits:
            ws = wb[title]
            assert isinstance(ws, Worksheet)
            # a label merged across cells (B6:C6) has its figure after the merged block
            end = max((r.max_col for r in ws.merged_cells.ranges
                       if r.min_row <= row <= r.max_row and r.min_col <= col <= r.max_col), default=col)
            vcol = self._value_col.get(title, end + 1)
            if vcol <= end:
                vcol = end + 1
            coord = f"{get_column_letter(vcol)}{row}"
            if (title, coord) in used:
                continue
            return _raw(wb, ws, coord, "label")
        return None


def read_table(content: WorkbookContent, name: str, columns: int) -> list[tuple[int, list[RawCell]]]:
    """Non-empty rows of a named table range, as (row number, cells)."""
    wb = content.workbook
    dn = wb.defined_names.get(name)
    if dn is None:
        return []
    rows: list[tuple[int, list[RawCell]]] = []
    try:
        dests = list(dn.destinations)
    except _NAME_ERRORS:
        return []
    for title, ref in dests:
        if title not in wb.sheetnames or not isinstance(wb[title], Worksheet):
            continue
        ws = wb[title]
        assert isinstance(ws, Worksheet)
        start, _, end = ref.partition(":")
        first, last_cell = cell_ref(start), cell_ref(end or start)
        if first is None or last_cell is None:
            continue  # not a block of cells (a whole column, #REF!...): the table is not there
        c1, r1 = coordinate_from_string(first)
        _, r2 = coordinate_from_string(last_cell)
        col1 = column_index_from_string(c1)
        if col1 + columns - 1 > MAX_COLUMN:
            continue
        last = min(r2, r1 + MAX_TABLE_ROWS - 1, ws.max_row or r1)
        for r in range(r1, last + 1):
            cells = [_raw(wb, ws, f"{get_column_letter(col1 + i)}{r}", "name") for i in range(columns)]
            if all(c.value is None or (isinstance(c.value, str) and not c.value.strip()) for c in cells):
                continue
            rows.append((r, cells))
        break
    return rows
