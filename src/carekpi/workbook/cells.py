"""Cell coordinates and ranges (``C7``, ``$A$1:$B$2``, ``C:C``), as Excel and openpyxl read them.

Kept here, without openpyxl, so that preflight and the reader import nothing heavy: the
semantics (what is a valid column, how a one-sided range is read) follow openpyxl 3.1's
``openpyxl.utils.cell`` exactly, which the tests check.
"""

from __future__ import annotations

import re
from functools import cache

#: the last row and column a worksheet can have (Excel 2007 and later)
MAX_ROW, MAX_COLUMN = 1048576, 16384

_RANGE = re.compile(r"""^[$]?(?P<min_col>[A-Za-z]{1,3})?[$]?(?P<min_row>\d+)?"""
                    r"""(:[$]?(?P<max_col>[A-Za-z]{1,3})?[$]?(?P<max_row>\d+)?)?$""")
_COORD = re.compile(r"^[$]?([A-Za-z]{1,3})[$]?(\d+)$")


@cache
def column_index(letters: str) -> int:
    """``"C"`` -> 3; ValueError for anything that is not a column from A to XFD."""
    if not 1 <= len(letters) <= 3 or not letters.isascii() or not letters.isalpha():
        raise ValueError(f"{letters!r} is not a column")
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    if n > MAX_COLUMN:
        raise ValueError(f"{letters!r} is beyond the last column")
    return n


@cache
def column_letter(index: int) -> str:
    """3 -> ``"C"``."""
    if not 1 <= index <= MAX_COLUMN:
        raise ValueError(f"{index} is not a column number")
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def split_coordinate(coordinate: str) -> tuple[str, int]:
    """``"$C$7"`` -> ``("C", 7)``; ValueError unless it is one cell reference."""
    m = _COORD.match(coordinate)
    if m is None:
        raise ValueError(f"{coordinate!r} is not a cell reference")
    return m.group(1).upper(), int(m.group(2))


def cell_position(coordinate: str) -> tuple[int, int]:
    """``"C7"`` -> ``(7, 3)`` (row, column)."""
    col, row = split_coordinate(coordinate)
    return row, column_index(col)


def range_boundaries(ref: str) -> tuple[int | None, int | None, int | None, int | None]:
    """(min_col, min_row, max_col, max_row) of ``A1``, ``A1:B2``, ``A:B`` or ``1:2``;
    None for an open side. ValueError for anything else."""
    m = _RANGE.match(ref)
    if not m:
        raise ValueError(f"{ref} is not a valid coordinate or range")
    min_col, min_row, sep, max_col, max_row = m.groups()
    if sep:
        cols, rows = (min_col, max_col), (min_row, max_row)
        if not (all(cols + rows) or (all(cols) and not any(rows)) or (all(rows) and not any(cols))):
            raise ValueError(f"{ref} is not a valid coordinate or range")
    c1 = column_index(min_col) if min_col is not None else None
    r1 = int(min_row) if min_row is not None else None
    c2 = column_index(max_col) if max_col is not None else c1
    r2 = int(max_row) if max_row is not None else r1
    return c1, r1, c2, r2
