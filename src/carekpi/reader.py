"""Read a provider's workbook: find each item's cell, without trusting the file.

Cells are found by their defined names (the item ids); where a name is missing
(a sheet copied into another workbook, an older template) the item's label is
looked for on the sheet instead, with a warning. Formula cells are read for
their cached values, and a formula without one is reported, never read as blank.

The workbook is opened read-only from disk and never written.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from carekpi.errors import UnreadableWorkbook
from carekpi.template import META_SHEET

#: how far a label search looks on one sheet (rows, columns): bounds hostile dimensions
LABEL_SEARCH_ROWS = 2000
LABEL_SEARCH_COLS = 8
#: the most rows of a case-log table that are read
MAX_TABLE_ROWS = 10000


@dataclass
class RawCell:
    """One cell as found in the workbook."""

    sheet: str
    coordinate: str
    value: Any
    data_type: str
    number_format: str
    formula: str | None = None
    found_by: str = "name"  # "name" | "label"
    order: tuple[int, int, int] = (0, 0, 0)


@dataclass
class WorkbookContent:
    path: str
    workbook: Workbook
    meta: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    macros: bool = False

    @property
    def sheetnames(self) -> list[str]:
        return list(self.workbook.sheetnames)


def open_workbook(path: str | Path, *, data_only: bool = False) -> WorkbookContent:
    """Open ``path`` safely, or raise :class:`UnreadableWorkbook` with one clear sentence."""
    import openpyxl

    from carekpi.preflight import OPENPYXL_READ_ERRORS, preflight

    p = Path(path)
    if not p.exists():
        raise UnreadableWorkbook(p, "no such file")
    if p.is_dir():
        raise UnreadableWorkbook(p, "is a folder, not a workbook")
    notes = preflight(p)
    try:
        with warnings.catch_warnings():
            # openpyxl warns about extensions it does not read (slicers, extra validation
            # types...); they do not affect the values carekpi reads.
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(p, data_only=data_only, keep_vba=False, keep_links=False, rich_text=False)
    except OPENPYXL_READ_ERRORS as exc:
        raise UnreadableWorkbook(p, f"the file is damaged or is not an Excel workbook ({type(exc).__name__})") from None
    if not wb.worksheets:
        raise UnreadableWorkbook(p, "the workbook has no worksheets")
    content = WorkbookContent(str(p), wb, warnings=list(notes))
    content.macros = p.suffix.lower() == ".xlsm" or any("macro" in n for n in notes)
    if META_SHEET in wb.sheetnames:
        ws = wb[META_SHEET]
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
    return RawCell(
        sheet=ws.title, coordinate=coordinate, value=value, data_type=cell.data_type,
        number_format=cell.number_format or "General", formula=formula, found_by=found_by,
        order=(_sheet_index(wb, ws.title), row, column_index_from_string(col)),
    )


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
        except (ValueError, TypeError, AttributeError):
            continue
        for title, ref in dests:
            if title not in wb.sheetnames:
                continue
            first = ref.replace("$", "").split(":")[0]
            if not re.fullmatch(r"[A-Z]{1,3}[0-9]{1,7}", first):
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
            vcol = self._value_col.get(title, col + 1)
            if vcol <= col:
                vcol = col + 1
            coord = f"{get_column_letter(vcol)}{row}"
            if (title, coord) in used:
                continue
            ws = wb[title]
            assert isinstance(ws, Worksheet)
            return _raw(wb, ws, coord, "label")
        return None


def cached_values(path: str, cells: list[RawCell]) -> dict[tuple[str, str], Any]:
    """Cached (last calculated) values of formula cells, from a second, values-only read."""
    content = open_workbook(path, data_only=True)
    out: dict[tuple[str, str], Any] = {}
    for c in cells:
        ws = content.workbook[c.sheet]
        out[(c.sheet, c.coordinate)] = ws[c.coordinate].value
    return out


def read_table(content: WorkbookContent, name: str, columns: int) -> list[tuple[int, list[RawCell]]]:
    """Non-empty rows of a named table range, as (row number, cells)."""
    wb = content.workbook
    dn = wb.defined_names.get(name)
    if dn is None:
        return []
    rows: list[tuple[int, list[RawCell]]] = []
    for title, ref in dn.destinations:
        if title not in wb.sheetnames:
            continue
        ws = wb[title]
        assert isinstance(ws, Worksheet)
        ref = ref.replace("$", "")
        start, _, end = ref.partition(":")
        c1, r1 = coordinate_from_string(start)
        _, r2 = coordinate_from_string(end or start)
        col1 = column_index_from_string(c1)
        last = min(r2, r1 + MAX_TABLE_ROWS - 1, ws.max_row or r1)
        for r in range(r1, last + 1):
            cells = [_raw(wb, ws, f"{get_column_letter(col1 + i)}{r}", "name") for i in range(columns)]
            if all(c.value is None or (isinstance(c.value, str) and not c.value.strip()) for c in cells):
                continue
            rows.append((r, cells))
        break
    return rows
