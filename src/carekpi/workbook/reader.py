"""Read a provider's workbook: find each item's cell, without trusting the file.

Cells are found by their defined names (the item ids); where a name is missing
(a sheet copied into another workbook, an older template) or does not point at
one real cell (``#REF!``, a whole column, a row past 1048576, a sheet that is not
there) the item's label is looked for instead, on the item's own sheet first,
with a warning; the figure is in the "Your figure" column, else just after the
label (after the whole block when the label is merged across cells). A formula
cell carries the value Excel last calculated (:attr:`RawCell.cached`); a formula
without one is reported, never read as blank.

The file is checked by preflight, which keeps the parts this module reads, so it is
decompressed once; its content decides how it is read, not its file name. Cells are
typed by :mod:`carekpi.workbook.book` exactly as openpyxl types them. Every failure to
read it ends as UnreadableWorkbook, one sentence.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from carekpi.base.errors import UnreadableWorkbook
from carekpi.framework.cover import META_SHEET
from carekpi.workbook import preflight as _preflight
from carekpi.workbook.book import Book, Cell, Sheet, iter_cells
from carekpi.workbook.cells import MAX_COLUMN, MAX_ROW, column_index, column_letter, split_coordinate
from carekpi.workbook.preflight import PreflightWarning

#: how far a label search looks on one sheet (rows, columns): bounds hostile dimensions
LABEL_SEARCH_ROWS = 2000
LABEL_SEARCH_COLS = 8
#: the longest text taken for a label (the longest label of a bundled framework is under 200
#: characters); longer text in the label columns is not normalised or indexed
MAX_LABEL_CHARS = 1000
#: the most rows of a case-log table that are read
MAX_TABLE_ROWS = 10000


@dataclass
class RawCell:
    """One cell as found in the workbook.

    For a formula cell ``value`` is the formula (``data_type`` "f") and ``cached`` the value
    Excel last calculated (None when it has none); for any other cell ``cached`` is ``value``.
    """

    sheet: str
    coordinate: str
    value: Any
    data_type: str
    number_format: str
    formula: str | None = None
    found_by: str = "name"  # "name" | "label"
    order: tuple[int, int, int] = (0, 0, 0)
    cached: Any = None


@dataclass
class WorkbookContent:
    """An opened return: its parts, carekpi's metadata and what preflight warned about."""

    path: str
    book: Book
    meta: dict[str, str] = field(default_factory=dict)
    warnings: list[PreflightWarning] = field(default_factory=list)

    @property
    def sheetnames(self) -> list[str]:
        return list(self.book.sheetnames)


def open_workbook(path: str | Path) -> WorkbookContent:
    """Open ``path`` safely, or raise :class:`UnreadableWorkbook` with one clear sentence."""
    p = Path(path)
    if not p.exists():
        raise UnreadableWorkbook(p, "no such file")
    if p.is_dir():
        raise UnreadableWorkbook(p, "is a folder, not a workbook")
    package = _preflight.inspect(p, defer=True)  # each part's content scan as it is read
    book = Book(str(p), package)
    if not book.worksheet_names:
        raise UnreadableWorkbook(p, "the workbook has no worksheets")
    content = WorkbookContent(str(p), book, warnings=list(package.warnings))
    meta = book.sheet(META_SHEET)  # a chart sheet of that name holds no metadata
    if meta is not None:
        for r in range(1, 21):
            key = meta.cell(r, 1).value
            if key is None:
                break
            value = meta.cell(r, 2).value
            content.meta[str(key)] = "" if value is None else str(value)
    return content


def _raw(content: WorkbookContent, sheet: Sheet, row: int, col: int, found_by: str) -> RawCell:
    cell: Cell = sheet.cell(row, col)
    return RawCell(
        sheet=sheet.title, coordinate=f"{column_letter(col)}{row}", value=cell.value, data_type=cell.data_type,
        number_format=cell.number_format, formula=cell.formula, found_by=found_by,
        order=(sheet.index, row, col), cached=cell.cached,
    )


def cell_ref(ref: str) -> str | None:
    """``ref`` (``$C$7``, ``c7``) as a plain coordinate, or None unless it is one cell on a real sheet.

    Whole rows or columns (``$C:$C``), ``#REF!`` and cells beyond the last row (1048576) or
    column (XFD) are not cells: a defined name pointing at one is treated as missing.
    """
    m = re.fullmatch(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})", ref.strip())
    if not m:
        return None
    col, row = m.group(1).upper(), int(m.group(2))
    try:
        if not 1 <= row <= MAX_ROW or column_index(col) > MAX_COLUMN:
            return None
    except ValueError:
        return None
    return f"{col}{row}"


# A defined name that is one reference to one sheet, in the forms Excel writes: read directly.
# Anything else is read by openpyxl's formula tokenizer, as before.
_SIMPLE_NAME = re.compile(r"^(?:'((?:[^']|'')+)'|([A-Za-z_][A-Za-z0-9_.]*))!"
                          r"(\$?[A-Za-z]{1,3}\$?\d+(?::\$?[A-Za-z]{1,3}\$?\d+)?)$")


def destinations(value: str) -> list[tuple[str, str]]:
    """(sheet title, reference) of each range a defined name's text names; [] when it names none
    (a constant, a formula, ``#REF!``). Quoted titles stay as written, as openpyxl gives them."""
    m = _SIMPLE_NAME.match(value)
    if m is not None:
        return [(m.group(1) if m.group(1) is not None else m.group(2), m.group(3))]
    # anything unusual: openpyxl's own reading of the name (imported here only; rare)
    from openpyxl.formula.tokenizer import TokenizerError
    from openpyxl.workbook.defined_name import DefinedName

    try:
        return list(DefinedName("x", attr_text=value).destinations)
    except (ValueError, TypeError, AttributeError, IndexError, TokenizerError):
        return []


def _named_targets(content: WorkbookContent, name: str) -> list[str]:
    book = content.book
    if name in book.names:
        return [book.names[name]]
    # sheet-scoped names, in sheet order (openpyxl keeps only worksheets' names)
    out = []
    for index, (_, _, chart) in enumerate(book.sheet_entries):
        local = book.local_names.get(index, {})
        if not chart and name in local:
            out.append(local[name])
    return out


@functools.lru_cache(maxsize=4096)  # a market's returns share their template's names
def _first_cells(value: str) -> tuple[tuple[str, int, int], ...]:
    """(sheet title, row, column) of the first cell of each range a defined name's text names,
    leaving out ranges that are not cells."""
    out = []
    for title, ref in destinations(value):
        first = cell_ref(ref.split(":")[0])
        if first is not None:
            col, row = split_coordinate(first)
            out.append((title, row, column_index(col)))
    return tuple(out)


def find_named_cell(content: WorkbookContent, name: str) -> RawCell | None:
    """The first cell of a workbook- or sheet-scoped defined name, if it points at a real cell."""
    book = content.book
    for value in _named_targets(content, name):
        for title, row, col in _first_cells(value):
            if title not in book.sheetnames:
                continue
            sheet = book.sheet(title)
            if sheet is None:
                continue
            return _raw(content, sheet, row, col, "name")
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
        book = self.content.book
        for title in book.worksheet_names:
            if title == META_SHEET:
                continue
            sheet = book.sheet(title)
            if sheet is None:
                continue
            for row, col, cell in iter_cells(sheet, LABEL_SEARCH_ROWS, LABEL_SEARCH_COLS):
                value = cell.value
                if isinstance(value, str) and len(value) <= MAX_LABEL_CHARS and value.strip():
                    key = _norm(value)
                    index.setdefault(key, []).append((title, row, col))
                    if key == "your figure":
                        self._value_col.setdefault(title, col)
        return index

    def find(self, label: str, prefer_sheet: str | None, used: set[tuple[str, str]]) -> RawCell | None:
        if self._index is None:
            self._index = self._build()
        hits = self._index.get(_norm(label), [])
        hits = sorted(hits, key=lambda h: (h[0] != prefer_sheet, h[1]))
        book = self.content.book
        for title, row, col in hits:
            sheet = book.sheet(title)
            assert sheet is not None
            # a label merged across cells (B6:C6) has its figure after the merged block
            end = max((c2 for c1, r1, c2, r2 in sheet.merged if r1 <= row <= r2 and c1 <= col <= c2), default=col)
            vcol = self._value_col.get(title, end + 1)
            if vcol <= end:
                vcol = end + 1
            if vcol > MAX_COLUMN:
                continue
            if (title, f"{column_letter(vcol)}{row}") in used:
                continue
            return _raw(self.content, sheet, row, vcol, "label")
        return None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_table(content: WorkbookContent, name: str, columns: int) -> list[tuple[int, list[RawCell]]]:
    """Non-empty rows of a named table range, as (row number, cells)."""
    book = content.book
    value = book.names.get(name)
    if value is None:
        return []
    rows: list[tuple[int, list[RawCell]]] = []
    for title, ref in destinations(value):
        if title not in book.sheetnames:
            continue
        sheet = book.sheet(title)
        if sheet is None:
            continue
        start, _, end = ref.partition(":")
        first, last_cell = cell_ref(start), cell_ref(end or start)
        if first is None or last_cell is None:
            continue  # not a block of cells (a whole column, #REF!...): the table is not there
        c1, r1 = split_coordinate(first)
        _, r2 = split_coordinate(last_cell)
        col1 = column_index(c1)
        if col1 + columns - 1 > MAX_COLUMN:
            continue
        last = min(r2, r1 + MAX_TABLE_ROWS - 1, sheet.max_row or r1)
        cols = range(col1, col1 + columns)
        for r in range(r1, last + 1):
            if all(_blank(sheet.cell(r, c).value) for c in cols):
                continue
            rows.append((r, [_raw(content, sheet, r, c, "name") for c in cols]))
        break
    return rows
