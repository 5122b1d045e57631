"""Neutralise values copied from untrusted returns before they go into our own outputs.

Text written to CSV or to an Excel cell must never be interpreted as a formula
by whoever opens the output (CSV/formula injection), and text written to HTML
must be escaped.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell

__all__ = ["FORMULA_TRIGGERS", "csv_safe", "html_escape", "set_cell_text"]

#: A string starting with one of these may be run as a formula by a spreadsheet program.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")

#: Characters an XLSX cell cannot hold (openpyxl raises IllegalCharacterError on them).
_ILLEGAL_XML_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

def html_escape(text: str, quote: bool = True) -> str:
    """Escape text for HTML output (:func:`html.escape`, quotes included)."""
    import html  # here, not at start-up: html.entities is large and few commands write HTML

    return html.escape(text, quote)


_T = TypeVar("_T")


@overload
def csv_safe(value: str) -> str: ...
@overload
def csv_safe(value: _T) -> _T: ...
def csv_safe(value: object) -> object:
    """Prefix ``'`` to a string a spreadsheet would treat as a formula; leave other values alone.

    Numbers (int, float, Decimal, including negatives) and other non-strings are
    returned unchanged, so a negative number stays a number.
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def set_cell_text(cell: Cell, value: object) -> None:
    """Put a value into an openpyxl cell so that text is always stored as text, never a formula.

    Strings get the string type even if they start with ``=`` (openpyxl would
    otherwise write a formula) or look like an error code such as ``#N/A``;
    formula-like strings also get Excel's quote prefix so editing the cell keeps
    it text. Control characters an XLSX file cannot hold become U+FFFD.
    Numbers, dates, booleans and None are stored as they are.
    """
    if not isinstance(value, str):
        cell.value = cast(Any, value)  # numbers stay numbers; dates etc.: openpyxl picks the type
        return
    text = _ILLEGAL_XML_CHARS.sub("\ufffd", value)
    cell.value = text
    cell.data_type = "s"
    if text.startswith(FORMULA_TRIGGERS):
        cell.quotePrefix = True
