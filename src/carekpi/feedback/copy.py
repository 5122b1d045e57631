"""A provider's own workbook with carekpi's findings marked on it.

The workbook is opened the way validation opens it (preflight first, then openpyxl without
macros or external links: :func:`carekpi.workbook.reader.open_workbook`), changed in memory and
saved as new bytes; the file it came from is never written. Every cell a finding names is filled
by the worst severity among its findings and carries a comment listing them (a comment already on
the cell is kept below); a row too low for the text typed in it is made taller; a Findings sheet
and a KPI results sheet are put first, and the Findings sheet is the one that opens.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from carekpi.base.version import __version__
from carekpi.feedback.sheets import findings_sheet, kpi_sheet, severity_key
from carekpi.framework.cover import FINDINGS_SHEET, KPI_RESULTS_SHEET
from carekpi.scoring.results import ReturnScore
from carekpi.validation.findings import Finding, ValidationReport
from carekpi.workbook.reader import cell_ref
from carekpi.workbook.sheetkit import SEVERITY_COLOURS, add_note, fill, fit_rows

#: which colour wins on a cell with several findings
_RANK = {"error": 0, "warning": 1, "explained": 2, "info": 3}


def _free_title(wb: Workbook, wanted: str) -> str:
    """``wanted``, or ``wanted (carekpi)``, ``wanted (carekpi) 2``... if the workbook has it."""
    taken = {t.casefold() for t in wb.sheetnames}
    if wanted.casefold() not in taken:
        return wanted
    n = 1
    while True:
        title = f"{wanted} (carekpi)" + (f" {n}" if n > 1 else "")
        if title.casefold() not in taken:
            return title
        n += 1


def _target(ws: Worksheet, coordinate: str) -> Cell | None:
    """The cell to mark: the first cell of a merged block the coordinate is in."""
    coord = cell_ref(coordinate)
    if coord is None:
        return None
    cell = ws[coord]
    if isinstance(cell, MergedCell):
        for rng in ws.merged_cells.ranges:
            if cell.coordinate in rng:
                top = ws.cell(row=rng.min_row, column=rng.min_col)
                return top if isinstance(top, Cell) else None
        return None
    return cell if isinstance(cell, Cell) else None


def comment_text(findings: Iterable[Finding]) -> str:
    lines = ["carekpi validate:"]
    for f in findings:
        lines.append(f"{f.code} {f.severity.value}: {f.message}")
        if f.explanation is not None:
            lines.append(f"  Explained by the provider: {f.explanation}")
    return "\n".join(lines)


def mark_findings(wb: Workbook, findings: Iterable[Finding]) -> int:
    """Fill and comment every cell a finding names; returns how many cells were marked."""
    by_cell: dict[tuple[str, str], list[Finding]] = {}
    for f in findings:
        if f.sheet and f.cell and f.sheet in wb.sheetnames:
            by_cell.setdefault((f.sheet, f.cell), []).append(f)
    marked = 0
    for (sheet, coordinate), found in by_cell.items():
        ws = wb[sheet]
        if not isinstance(ws, Worksheet):
            continue
        cell = _target(ws, coordinate)
        if cell is None:
            continue
        worst = min((severity_key(f) for f in found), key=_RANK.__getitem__)
        cell.fill = fill(SEVERITY_COLOURS[worst][0])
        add_note(cell, comment_text(found))
        marked += 1
    return marked


def annotate(wb: Workbook, report: ValidationReport, score: ReturnScore | None, *,
             source_name: str) -> bytes:
    """The feedback copy of the provider's workbook ``wb`` (loaded whole), as bytes."""
    mark_findings(wb, report.findings)
    for ws in wb.worksheets:  # a long answer shows whole (the template's row may be too low for it)
        if isinstance(ws, Worksheet):
            fit_rows(ws, grow_only=True)
    footer = f"carekpi {__version__} feedback on {source_name}"
    findings_ws = wb.create_sheet(_free_title(wb, FINDINGS_SHEET), 0)
    kpi_ws = wb.create_sheet(_free_title(wb, KPI_RESULTS_SHEET), 1)
    findings_sheet(findings_ws, report, footer=footer, title=f"carekpi findings: {source_name}")
    note = ("As carekpi scores this return: values rounded as shown; each band judged on the value shown, or on "
            "the exact value where the framework says so (the reason says which)."
            if score is not None and not score.unreadable else "The return could not be scored.")
    kpi_sheet(kpi_ws, score, footer=footer, title=f"KPI results: {source_name}", note=note)
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = False
    wb.active = 0
    findings_ws.sheet_view.tabSelected = True
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
