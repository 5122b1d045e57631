"""Scores as a workbook for officers who live in Excel (and Power BI): ``score --format xlsx``.

A **Scores** sheet (one row per provider, period and KPI for a market; per return and KPI with
``--by-return``) with widths that fit, values as numbers (a percentage stored as 0.929 and shown
as 92.9%), bands coloured, the header frozen and filters on; a **Summary** sheet (the same counts
as every other format) and a **Problems** sheet (each return's errors and warnings, with sheet
and cell, and every unreadable file).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from carekpi.render.csv import SCORE_COLUMNS, consequences_text
from carekpi.render.registry import RenderOptions, renders

if TYPE_CHECKING:
    from openpyxl import Workbook

    from carekpi.market.report import MarketReport
    from carekpi.scoring.results import ScoreReport


def _save(wb: Workbook, footer: str = "carekpi scores", title_cols: dict[str, str] | None = None) -> bytes:
    from carekpi.render import sheets as sh

    sh.print_setup(wb, footer, {ws.title: int("".join(ch for ch in ws.freeze_panes if ch.isdigit())) - 1
                                for ws in wb.worksheets if ws.freeze_panes}, title_cols)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@renders("xlsx", "score", binary=True)
def score(report: ScoreReport, options: RenderOptions) -> bytes:
    from openpyxl import Workbook  # heavy: imported when an xlsx is written
    from openpyxl.utils import get_column_letter

    from carekpi.render import sheets as sh

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Scores"
    widths = {"file": 40, "label": 45, "reason": 70, "consequences": 60, "provider": 30}
    columns = [sh.Column(c, max_width=widths.get(c, 18), wrap=c in ("reason", "consequences", "label"))
               for c in SCORE_COLUMNS]
    rows: list[list[Any]] = []
    formats: list[list[str | None]] = []
    for r in report.returns:
        if r.unreadable:
            row: list[Any] = [None] * len(SCORE_COLUMNS)
            row[0], row[4], row[SCORE_COLUMNS.index("reason")] = r.file, "unreadable", r.unreadable
            rows.append(row)
            formats.append([None] * len(SCORE_COLUMNS))
            continue
        for k in r.kpis:
            fmt = sh.number_format(k.unit, sh.places_shown(k.value, 1 if k.unit == "percent" else 0))
            rows.append([r.file, r.provider, r.cqc_location_id, r.period, "yes" if r.valid else "no", k.kpi, k.ref,
                         k.label, k.numerator, k.denominator, sh.excel_value(k.value, k.unit), k.display, k.target,
                         k.band.value, k.reason, "yes" if k.critical else "no", "yes" if k.critical_failure else "no",
                         consequences_text(k) or None])
            formats.append([None] * 10 + [fmt] + [None] * 7)
    last = sh.write_table(ws, columns, rows, formats=formats)
    band = chr(ord("A") + SCORE_COLUMNS.index("band"))
    sh.band_colours(ws, f"{band}2:{band}{max(last, 2)}")
    _score_summary(wb.create_sheet("Summary"), report)
    _problems(wb.create_sheet("Problems"), [(r.file, r.provider, r.period, "error" if r.unreadable else None,
                                             None, None, r.unreadable or f"{r.errors} error(s) in the return")
                                            for r in report.returns if r.unreadable or r.errors])
    return _save(wb, title_cols={"Scores": get_column_letter(SCORE_COLUMNS.index("provider") + 1)})


def _score_summary(ws: Any, report: ScoreReport) -> None:
    from carekpi.render import sheets as sh

    top = sh.title(ws, f"KPI scores: {report.framework}")
    c = report.band_counts()
    rows = [["Returns scored", report.scored], ["Unreadable files", report.unreadable],
            ["Green", c["green"]], ["Amber", c["amber"]], ["Red", c["red"]], ["Not banded (n/a)", c["na"]]]
    sh.write_table(ws, [sh.Column("What", max_width=40), sh.Column("Number", "0")], rows, top=top, filters=False)


def _problems(ws: Any, rows: list[tuple[Any, ...]], *, heading: tuple[str, str] | None = None) -> None:
    """The Problems table; with ``heading`` (title, subtitle) under a title, as the report's
    sheets are (the score workbook's tables start at A1, for tools that import them)."""
    from carekpi.render import sheets as sh

    columns = [sh.Column("File", max_width=45, wrap=True), sh.Column("Provider", max_width=30), sh.Column("Period"),
               sh.Column("Severity"), sh.Column("Code"), sh.Column("Where", max_width=24),
               sh.Column("Message", max_width=90, wrap=True)]
    if not rows:
        rows = [("", "", "", "", "", "", "No problems: every return read and valid.")]
    top = sh.title(ws, *heading) if heading else 1
    sh.write_table(ws, columns, [list(r) for r in rows], top=top)


@renders("xlsx", "market", binary=True)
def market(report: MarketReport, options: RenderOptions) -> bytes:
    """The market as tidy rows (as the CSV), with a Summary and a Problems sheet."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    from carekpi.render import sheets as sh
    from carekpi.render.market import MARKET_COLUMNS, market_rows

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Scores"
    wide = {"provider_name": 30, "file": 40, "label": 45, "reason": 70, "consequences": 60, "flags": 24}
    columns = [sh.Column(c, max_width=wide.get(c, 16), wrap=c in ("reason", "consequences", "label"))
               for c in MARKET_COLUMNS]
    units = {k.id: (k.effective_unit(), report.framework.kpi_precision(k)) for k in report.framework.kpis}
    value_col = MARKET_COLUMNS.index("value")
    rows, formats = [], []
    for row in market_rows(report):
        kid = row[MARKET_COLUMNS.index("kpi")]
        unit, places = units.get(kid, ("count", 0))
        row = list(row)
        fmt: list[str | None] = [None] * len(MARKET_COLUMNS)
        fmt[value_col] = sh.number_format(unit, sh.places_shown(row[value_col], places))
        if isinstance(row[value_col], (int, float)) and unit == "percent":
            row[value_col] = row[value_col] / 100
        row[MARKET_COLUMNS.index("band")] = str(row[MARKET_COLUMNS.index("band")])
        rows.append(row)
        formats.append(fmt)
    last = sh.write_table(ws, columns, rows, formats=formats)
    band = chr(ord("A") + MARKET_COLUMNS.index("band"))
    sh.band_colours(ws, f"{band}2:{band}{max(last, 2)}")
    market_summary(wb.create_sheet("Summary"), report)
    _problems(wb.create_sheet("Problems"), market_problems(report))
    return _save(wb, title_cols={"Scores": get_column_letter(MARKET_COLUMNS.index("provider_name") + 1)})


def market_summary(ws: Any, report: MarketReport) -> None:
    """The market summary as a sheet: the same counts as text, CSV and JSON."""
    from carekpi.render import sheets as sh

    s = report.summary()
    top = sh.title(ws, f"Market summary: {report.framework.name}",
                   f"{report.return_type.label}, {report.period.label} ({report.period.key})")
    words = {"expected": "Returns expected", "received": "Received", "on_time": "On time", "late": "Late",
             "timeliness_unknown": "Timeliness unknown (no register)", "missing": "Missing",
             "not_yet_due": "Not yet due", "superseded": "Superseded", "conflicts": "In conflict",
             "invalid": "With errors", "unreadable": "Unreadable"}
    rows: list[list[Any]] = [["Providers", s["providers"]]]
    rows += [[words[k], v] for k, v in s["returns"].items()]
    last = sh.write_table(ws, [sh.Column("Returns", max_width=40), sh.Column("Number", "0")], rows, top=top,
                          filters=False, freeze=False)
    labels = {k.id: f"{k.ref + ' ' if k.ref else ''}{k.label}" for k in report.framework.kpis}
    band_rows = [[labels[kid], c["green"], c["amber"], c["red"], c["na"]] for kid, c in s["bands"].items()]
    last = sh.write_table(ws, [sh.Column("KPI", max_width=60, wrap=True), sh.Column("Green", "0"),
                               sh.Column("Amber", "0"), sh.Column("Red", "0"), sh.Column("n/a", "0")],
                          band_rows, top=last + 2, filters=False, freeze=False)
    for heading, items in (("Critical performance failures", s["critical_failures"]),
                           ("Consistent failures", s["consistent_failures"]),
                           ("Service failures", s["service_failures"])):
        last = sh.write_table(ws, [sh.Column(heading, max_width=100, wrap=True)],
                              [[i] for i in items] or [["none"]], top=last + 2, filters=False, freeze=False)
    ws.column_dimensions["A"].width = 60


def market_problems(report: MarketReport) -> list[tuple[Any, ...]]:
    """Every return's errors and warnings (with sheet and cell), the market's own findings, and
    every unreadable file."""
    subs = {s.file: s for s in report.submissions.received}
    out: list[tuple[Any, ...]] = []
    for path, why in report.unreadable:
        out.append((path, "", "", "error", "unreadable", "", why))
    for file, rep in sorted(report.validations.items()):
        sub = subs.get(file)
        who = sub.provider.name if sub and sub.provider else rep.provider
        for f in rep.sorted_findings():
            if f.severity.value == "info":
                continue
            where = f"{f.sheet}!{f.cell}" if f.sheet and f.cell else ""
            out.append((file, who, rep.period, f.severity.value, f.code, where,
                        f.message + (f" (explained by the provider: {f.explanation})" if f.explanation else "")))
    names = {p.id: p.name for p in report.directory.providers}
    for m in sorted(report.findings, key=lambda m: (m.code.code, m.provider or "", m.period or "")):
        out.append((m.file or "", names.get(m.provider or "", ""), m.period or "", m.level.value, m.code.code, "",
                    m.shown()))
    return out
