"""The fast reader reads every return exactly as openpyxl did.

carekpi reads workbooks itself (carekpi.workbook.book) rather than through openpyxl's full
loader. The reference is the reader as it was (tests/openpyxl_reader.py: openpyxl's full
load, and a values-only load for formula results). On every bundled sample return (valid,
invalid and with warnings, every framework), every real-world and hostile variant of a filled
Surrey return (tests/workbook_variants.py, fuzzed ones included) and values typed the way
people type them, both must give the same findings (code, severity, field, sheet, cell,
message), the same values and the same KPI results, or both refuse the file.

Where the two differ on purpose the difference is listed (IMPROVED, WITHIN_BUDGET) with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

import openpyxl_reader as reference
import workbook_variants as wv
from carekpi.base.errors import CarekpiError, UnreadableWorkbook
from carekpi.framework.discovery import bundled_dir, find_framework
from carekpi.scoring.passes import score_reports
from carekpi.validation import validate as validate_module
from carekpi.validation.checks import explanations as explanations_check
from carekpi.validation.checks import tables as tables_check
from carekpi.validation.checks import values as values_check
from carekpi.validation.validate import validate_file
from carekpi.workbook.fill import fill_workbook
from conftest import SURREY_CLEAN, TODAY, template_for

#: variants the fast reader reads although openpyxl could not, and why
IMPROVED = {
    # openpyxl fails on a chart sheet without a chart (which openpyxl itself writes); the
    # fast reader does not read chart sheets, so the return's own sheets are read as usual
    "empty-chart-sheet": "openpyxl could not read a chart sheet without a chart",
}
#: variants the fast reader refuses within its time and memory budget, which openpyxl read
#: only after about a minute (1 MB of shared strings in every one of 80,000 cells)
WITHIN_BUDGET = {"one-string-everywhere"}


@contextmanager
def openpyxl_reader(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with monkeypatch.context() as m:
        m.setattr(validate_module, "open_workbook", reference.open_workbook)
        m.setattr(validate_module, "find_named_cell", reference.find_named_cell)
        m.setattr(values_check, "find_named_cell", reference.find_named_cell)
        m.setattr(values_check, "LabelIndex", reference.LabelIndex)
        m.setattr(tables_check, "read_table", reference.read_table)
        m.setattr(explanations_check, "read_table", reference.read_table)
        yield


def outcome(path: Path, framework: str | None = None) -> Any:
    """What validating and scoring ``path`` gives: findings, values, KPIs; or the refusal."""
    try:
        rep = validate_file(path, framework=framework, today=TODAY)
    except UnreadableWorkbook:
        return "unreadable"
    except CarekpiError as exc:
        return ("refused", type(exc).__name__, str(exc))
    findings = sorted((f.code, str(f.severity), f.field, f.sheet, f.cell, f.message) for f in rep.findings)
    values = {k: repr(v) for k, v in sorted(rep.data.values.items())} if rep.data else {}
    fw = rep.data.framework if rep.data else None
    kpis = ([(k.kpi, repr(k.value), k.band, k.display, k.reason) for k in score_reports(fw, [rep]).returns[0].kpis]
            if fw is not None else [])
    return findings, values, kpis, rep.provider, rep.period


def both(path: Path, monkeypatch: pytest.MonkeyPatch, framework: str | None = None) -> tuple[Any, Any]:
    fast = outcome(path, framework)
    with openpyxl_reader(monkeypatch):
        slow = outcome(path, framework)
    return fast, slow


def _samples() -> list[Path]:
    return sorted(p for p in bundled_dir("sample_returns").rglob("*.xlsx"))


@pytest.mark.parametrize("path", _samples(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_sample_return_reads_the_same(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, slow = both(path, monkeypatch)
    assert fast != "unreadable"
    assert fast == slow


@pytest.fixture(scope="module")
def clean() -> bytes:
    return fill_workbook(template_for(find_framework("surrey")), SURREY_CLEAN)


def test_every_real_world_and_hostile_variant_reads_the_same(clean: bytes, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    read = compared = 0
    for name, suffix, data in wv.hostile_variants(clean, fuzz=60):
        path = tmp_path / f"{name}{suffix}"
        path.write_bytes(data)
        fast, slow = both(path, monkeypatch, "surrey")
        if name in IMPROVED:
            assert slow == "unreadable" and fast != "unreadable", name
            continue
        if name in WITHIN_BUDGET:
            assert fast == "unreadable", name
            continue
        if slow == "unreadable" and name.startswith("fuzz-"):
            # a damaged file openpyxl refused: the fast reader may read the parts it needs
            # (it reads fewer), but must never crash (outcome() lets any other error escape)
            continue
        assert fast == slow, name
        compared += 1
        read += fast != "unreadable"
        path.unlink()
    assert compared > 30 and read > 20


TYPED: list[Any] = [
    12, 12.5, "12", " 12 ", "1,234", "£1,234.50", "12 calls", "95%", 0.95, "0.95", True, "TRUE", "Yes", "y",
    "n/a", "-", "", " ", "#DIV/0!", "#N/A", 1e15, -3, "1e3", "Test & Co <Ltd>", "Line\nbreak", "x" * 300,
    date(2026, 3, 1), datetime(2026, 3, 1, 12, 30), "31/03/2026", "March 2026", 46112, "\u00a0Yes\u200b",
]


@pytest.mark.parametrize("typed", TYPED, ids=lambda v: repr(v)[:30])
def test_values_as_people_type_them_read_the_same(typed: Any, clean: bytes, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    cells = {name: typed for name in ("calls_total", "calls_late", "provider_name", "reporting_period", "delivers_hbc")}
    for formats in (None, {"calls_total": "0%", "calls_late": "dd/mm/yyyy", "provider_name": "@",
                           "reporting_period": "General", "delivers_hbc": "[h]:mm:ss"}):
        path = tmp_path / "typed.xlsx"
        path.write_bytes(wv.set_cells(clean, cells, formats))
        fast, slow = both(path, monkeypatch)
        assert fast == slow


def _extents(path: Path) -> list[tuple[str, tuple[int, int], tuple[int, int]]]:
    """Each worksheet's (last row, last column) as the reader gives it, beside the same worked
    out from every cell it stores (the full index)."""
    from carekpi.workbook.reader import open_workbook

    book = open_workbook(path).book
    out = []
    for title in book.worksheet_names:
        sheet = book.sheet(title)
        if sheet is None:
            continue
        given = (sheet.max_row, sheet.max_column)
        where = sheet._index()
        rows = [r for r, _ in where] + [r2 for _, _, _, r2 in sheet.merged]
        cols = [c for _, c in where] + [c2 for _, _, c2, _ in sheet.merged]
        out.append((title, given, (max(rows, default=0), max(cols, default=0))))
    return out


def test_a_sheets_extent_read_from_its_references_is_its_extent(clean: bytes, tmp_path: Path) -> None:
    """A sheet written the usual way has its last row and column read from its cells'
    references alone, without parsing them: on every sample and every variant the reader reads,
    that is the extent of the cells it stores."""
    checked = 0
    files = [(p.name, p) for p in _samples()]
    for name, suffix, data in wv.hostile_variants(clean, fuzz=60):
        path = tmp_path / f"{name}{suffix}"
        path.write_bytes(data)
        files.append((name, path))
    for name, path in files:
        try:
            extents = _extents(path)
        except UnreadableWorkbook:
            continue
        for title, given, full in extents:
            assert given == full, (name, title)
            checked += 1
    assert checked > 500


_MAIN_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#: ways other generators write a cell element than <c r="A1" ...> (the same XML to a parser)
CELL_FORMS = {
    "prefixed": lambda part: part.replace(b'<c r="', b'<x:c xmlns:x="' + _MAIN_NS + b'" r="').replace(b"</c>", b"</x:c>"),
    "style first": lambda part: re.sub(rb'<c r="([A-Z]+[0-9]+)" s="([0-9]+)"', rb'<c s="\2" r="\1"', part),
    "tab": lambda part: part.replace(b'<c r="', b'<c\tr="'),
    "line break": lambda part: part.replace(b'<c r="', b'<c\r\n r="'),
    "two spaces": lambda part: part.replace(b'<c r="', b'<c  r="'),
}


@pytest.mark.parametrize("form", CELL_FORMS)
def test_cells_written_in_other_forms_read_the_same(form: str, clean: bytes, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A sheet whose cells are not all written <c r="..." is read by parsing it, not by
    searching for references: it gives what openpyxl gives, and what the usual form gives."""
    from carekpi.workbook.reader import open_workbook

    flawed = wv.set_cells(clean, {"calls_total": "1,100", "restarts_taken": 11})
    members = wv.parts(flawed)
    sheets = [n for n in members if n.startswith("xl/worksheets/") and n.endswith(".xml")]
    for name in sheets:
        members[name] = CELL_FORMS[form](members[name])
    path = tmp_path / "other-form.xlsx"
    path.write_bytes(wv.rezip(members))
    usual = tmp_path / "usual.xlsx"
    usual.write_bytes(flawed)
    book = open_workbook(path).book
    read = [book.sheet(t) for t in book.worksheet_names]
    assert read and not any(s._direct for s in read if s is not None)
    assert all(s._direct for s in (open_workbook(usual).book.sheet(t) for t in book.worksheet_names) if s is not None)
    fast, slow = both(path, monkeypatch)
    assert fast == slow == outcome(usual)
    assert any(f[0] == "V201" for f in fast[0])
