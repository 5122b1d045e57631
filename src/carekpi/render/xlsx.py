"""Score results as a workbook for officers who live in Excel (and Power BI)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from carekpi.render.csv import SCORE_COLUMNS, consequences_text
from carekpi.render.registry import RenderOptions, renders

if TYPE_CHECKING:
    from carekpi.scoring.results import ScoreReport

FILLS = {"green": "C6EFCE", "amber": "FFEB9C", "red": "FFC7CE", "na": "EDEDED"}


@renders("xlsx", "score", binary=True)
def score(report: ScoreReport, options: RenderOptions) -> bytes:
    from openpyxl import Workbook  # heavy: imported when an xlsx is written
    from openpyxl.cell.cell import Cell
    from openpyxl.styles import Font, PatternFill

    from carekpi.base.safety import set_cell_text

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Scores"
    for col, name in enumerate(SCORE_COLUMNS, start=1):
        ws.cell(row=1, column=col, value=name).font = Font(bold=True)
    row = 2
    for r in report.returns:
        if r.unreadable:
            for col, text in ((1, r.file), (5, "unreadable"), (15, r.unreadable)):
                cell = ws.cell(row=row, column=col)
                assert isinstance(cell, Cell)
                set_cell_text(cell, text)
            row += 1
            continue
        for k in r.kpis:
            d = k.to_dict()
            values = [r.file, r.provider, r.cqc_location_id, r.period, "yes" if r.valid else "no", k.kpi, k.ref,
                      k.label, d["numerator"], d["denominator"], d["value"], k.display, k.target, k.band.value,
                      k.reason, "yes" if k.critical else "no", "yes" if k.critical_failure else "no",
                      consequences_text(k) or None]
            for col, v in enumerate(values, start=1):
                cell = ws.cell(row=row, column=col)
                assert isinstance(cell, Cell)
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    cell.value = v
                elif v is not None:
                    set_cell_text(cell, str(v))
            band_cell = ws.cell(row=row, column=SCORE_COLUMNS.index("band") + 1)
            band_cell.fill = PatternFill("solid", fgColor=FILLS[k.band])
            row += 1
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
