"""CSV: one row per finding or per KPI result, neutralised against formula injection."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any

from carekpi.base.safety import csv_safe
from carekpi.render.registry import RenderOptions, renders

if TYPE_CHECKING:
    from carekpi.scoring.results import KpiResult, ScoreReport
    from carekpi.validation.findings import ValidationReport

SCORE_COLUMNS = [
    "file", "provider", "cqc_location_id", "period", "return_valid", "kpi", "ref", "label", "numerator",
    "denominator", "value", "display", "target", "band", "reason", "critical", "critical_failure", "consequences",
]
FINDING_COLUMNS = ["file", "provider", "cqc_location_id", "period", "code", "severity", "field", "sheet", "cell",
                   "message", "explanation"]


def consequences_text(k: KpiResult) -> str:
    """The KPI's range of potential consequences, for a result that is not Green (Amber or Red)."""
    return "; ".join(k.consequences) if k.band in ("amber", "red") else ""


def _cell(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, str) and "\r" in v:
        # the writer quotes fields holding its line terminator ("\n") but not a lone CR, which
        # spreadsheet programs read as a new row: "x\r=cmd..." would start a row with a formula
        v = v.replace("\r\n", "\n").replace("\r", "\n")
    return csv_safe(v)


def write_rows(rows: list[list[Any]]) -> str:
    """Rows as CSV, every value neutralised against formula injection."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for row in rows:
        w.writerow([_cell(v) for v in row])
    return buf.getvalue()


@renders("csv", "validation")
def validation(reports: list[ValidationReport], options: RenderOptions) -> str:
    rows: list[list[Any]] = [FINDING_COLUMNS]
    for rep in reports:
        who = [rep.file, rep.provider, rep.cqc_location_id, rep.period]
        if rep.unreadable:
            rows.append([*who, "unreadable", "error", "", "", "", rep.unreadable, ""])
        for f in rep.sorted_findings():
            rows.append([*who, f.code, f.severity, f.field, f.sheet, f.cell, f.message, f.explanation])
    return write_rows(rows)


@renders("csv", "score")
def score(report: ScoreReport, options: RenderOptions) -> str:
    rows: list[list[Any]] = [SCORE_COLUMNS]
    for r in report.returns:
        if r.unreadable:
            row: list[Any] = [""] * len(SCORE_COLUMNS)
            row[0], row[4], row[SCORE_COLUMNS.index("reason")] = r.file, "unreadable", r.unreadable
            rows.append(row)
            continue
        for k in r.kpis:
            d = k.to_dict()
            rows.append([r.file, r.provider, r.cqc_location_id, r.period, "yes" if r.valid else "no",
                         k.kpi, k.ref, k.label, d["numerator"], d["denominator"], d["value"], k.display,
                         k.target, k.band, k.reason, "yes" if k.critical else "no",
                         "yes" if k.critical_failure else "no", consequences_text(k)])
    return write_rows(rows)
