"""Fill a generated template by defined name: how samples and tests make returns."""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet


def fill_workbook(template: bytes, values: Mapping[str, Any], *, tables: Mapping[str, list[list[Any]]] | None = None) -> bytes:
    """Return a copy of ``template`` with each named cell set to its value.

    ``values`` maps defined names (item ids) to values; strings are stored as typed
    (so ``"12 "`` is text, as if a person typed it). ``tables`` maps a record table id
    to rows of values written from the table's first row.
    """
    wb = openpyxl.load_workbook(io.BytesIO(template))
    for name, value in values.items():
        dn = wb.defined_names[name]
        title, ref = next(iter(dn.destinations))
        ws = wb[title]
        assert isinstance(ws, Worksheet)
        cell = ws[ref.replace("$", "").split(":")[0]]
        if isinstance(value, date) and not isinstance(value, datetime):
            value = datetime(value.year, value.month, value.day)
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"  # keep '=...' or '#DIV/0!' typed as text exactly as given
    for table_id, rows in (tables or {}).items():
        dn = wb.defined_names[table_id]
        title, ref = next(iter(dn.destinations))
        ws = wb[title]
        assert isinstance(ws, Worksheet)
        first = ref.replace("$", "").split(":")[0]
        start = ws[first]
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                if isinstance(value, date) and not isinstance(value, datetime):
                    value = datetime(value.year, value.month, value.day)
                cell = ws.cell(row=start.row + i, column=start.column + j, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # text as typed, even '=...
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
