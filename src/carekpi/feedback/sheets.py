"""Sheets of findings and KPI results, for a feedback copy of a return and for the officer's reports.

* :func:`write_findings`: a table of findings (severity, code, where, item, message, explanation),
  each row's "where" a link to the cell when the findings are in the same workbook, coloured by
  severity; with ``file`` the table also names each finding's return (a report over many).
* :func:`write_kpi_results`: a table of KPI results (numerator, denominator, value as a number in
  a percentage or money format, target, band coloured, reason), optionally naming the return.
* :func:`report_heading`: the lines that say which return, which framework, and the verdict.

Every text from a return is written as text (never a formula); widths are set, rows are as tall as
their text, the header row stays in view and prints on every page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from carekpi.base.enums import Band
from carekpi.scoring.passes import NO_COUNCIL_DATA
from carekpi.scoring.results import KpiResult, ReturnScore
from carekpi.validation.findings import Finding, ValidationReport
from carekpi.workbook.sheetkit import (
    BAND_COLOURS,
    BOLD,
    FONT,
    SEVERITY_COLOURS,
    TITLE,
    fill,
    fit_rows,
    freeze_below,
    header_row,
    link_to,
    merged_text,
    print_setup,
    put,
    set_widths,
)
from carekpi.workbook.textfit import width_for

FINDING_HEADERS = ("#", "Severity", "Code", "Where", "Item", "Finding", "Explanation")
FINDING_WIDTHS = (5, 11, 7, 20, 26, 80, 40)
KPI_HEADERS = ("Ref", "KPI", "Numerator", "Denominator", "Value", "Target", "Band", "Reason")
KPI_WIDTHS = (9, 40, 12, 14, 11, 16, 11, 70)
#: the text of a band cell
BAND_TEXT = {Band.green: "Green", Band.amber: "Amber", Band.red: "Red", Band.na: "n/a"}


def severity_key(f: Finding) -> str:
    """The colour a finding is shown in: explained warnings and information apart."""
    if f.explained:
        return "explained"
    return f.severity.value


def verdict(report: ValidationReport) -> str:
    """What the provider must do, in one sentence."""
    if report.unreadable:
        return f"Cannot be read: {report.unreadable}"
    if not report.valid:
        return "NOT VALID: correct the errors, validate again and send the return again."
    if report.unexplained_warnings:
        return ("Valid: the return can be accepted. Check the warnings; explain on the Explanations sheet any "
                "figure that is right.")
    return "Valid: the return can be accepted."


def counts_text(report: ValidationReport) -> str:
    c = report.counts
    parts = [f"{c['error']} error{'s' if c['error'] != 1 else ''}", f"{c['warning']} warning{'s' if c['warning'] != 1 else ''}",
             f"{c['info']} for information"]
    explained = f" ({c['explained']} explained by the provider)" if c["explained"] else ""
    return ", ".join(parts) + explained + "."


def report_heading(report: ValidationReport) -> list[str]:
    """Which return this is: the framework and return type, the provider, the period."""
    who = report.provider or "provider not named"
    if report.cqc_location_id:
        who += f" ({report.cqc_location_id})"
    what = f"framework {report.framework} version {report.framework_version}, {report.return_type} return"
    period = f", period {report.period}" if report.period else ""
    return [f"{who}{period}", what]


@dataclass(frozen=True)
class Place:
    """Where a finding's link goes: the sheet and cell of the workbook the table is in."""

    sheet: str
    cell: str


def write_findings(ws: Worksheet, rows: Sequence[tuple[ValidationReport, Finding]], *, first_row: int,
                   link: bool = True, file: bool = False) -> int:
    """A table of findings from ``first_row`` (a header row, then one row per finding); each
    "where" links to its cell when ``link`` (the findings are of this workbook). With ``file`` the
    table starts with the return's file. Returns the row after the table."""
    headers = (("Return",) if file else ()) + FINDING_HEADERS
    widths: list[float] = list(((28,) if file else ()) + FINDING_WIDTHS)
    # a link is shown on one line: the Where column is as wide as its longest place
    shift = 1 if file else 0
    widths[3 + shift] = width_for([f"{f.sheet}!{f.cell}" for _, f in rows if f.sheet and f.cell], least=14, most=40)
    set_widths(ws, dict(enumerate(widths, start=1)))
    header_row(ws, first_row, enumerate(headers, start=1))
    row = first_row + 1
    for n, (rep, f) in enumerate(rows, start=1):
        if file:
            put(ws, row, 1, rep.file)
        put(ws, row, 1 + shift, n)
        colour, font_colour = SEVERITY_COLOURS[severity_key(f)]
        put(ws, row, 2 + shift, f"{f.severity.value}{' (explained)' if f.explained else ''}",
            font=_bold(font_colour), fill_=fill(colour))
        put(ws, row, 3 + shift, f.code)
        where = f"{f.sheet}!{f.cell}" if f.sheet and f.cell else "the workbook"
        cell = put(ws, row, 4 + shift, where, wrap=False)
        if link and f.sheet and f.cell:
            link_to(cell, f.sheet, f.cell, where)
        put(ws, row, 5 + shift, f.field)
        put(ws, row, 6 + shift, f.message)
        put(ws, row, 7 + shift, f.explanation)
        row += 1
    if not rows:
        put(ws, row, 1 + shift, "No findings.")
        row += 1
    return row


def _number(value: Decimal | str | Fraction | None) -> float | int | str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else float(value)
    return int(value) if value == value.to_integral_value() and value.as_tuple().exponent == 0 else float(value)


def value_format(k: KpiResult) -> str:
    """The number format that shows a KPI's value as carekpi displays it (92.9 as 92.9%)."""
    places = 0
    if isinstance(k.value, Decimal):
        exponent = k.value.as_tuple().exponent
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    decimals = ("." + "0" * places) if places else ""
    if k.unit == "percent":
        return f'0{decimals}"%"'
    if k.unit == "money":
        return "£#,##0.00"
    return f"#,##0{decimals}"


#: a provider's feedback copy says this where the officer is told :data:`NO_COUNCIL_DATA` (the
#: provider cannot give carekpi the council's data, and has nothing to fix)
FOR_PROVIDER = {NO_COUNCIL_DATA: "worked out by the council from its own records (not part of your return)"}


def write_kpi_results(ws: Worksheet, rows: Sequence[tuple[ReturnScore, KpiResult]], *, first_row: int,
                      file: bool = False, provider: bool = False) -> int:
    """A table of KPI results from ``first_row``: values as numbers shown as carekpi shows them,
    bands coloured, the reason (and the possible consequences of an Amber or Red band). With
    ``file`` the table starts with the return's provider and period; with ``provider`` the
    reasons are worded for the provider (:data:`FOR_PROVIDER`). Returns the row after it."""
    headers = (("Provider", "Period") if file else ()) + KPI_HEADERS
    widths = ((28, 10) if file else ()) + KPI_WIDTHS
    set_widths(ws, dict(enumerate(widths, start=1)))
    header_row(ws, first_row, enumerate(headers, start=1))
    shift = 2 if file else 0
    row = first_row + 1
    for score, k in rows:
        if file:
            put(ws, row, 1, score.provider or score.file)
            put(ws, row, 2, score.period)
        put(ws, row, 1 + shift, k.ref)
        put(ws, row, 2 + shift, k.label)
        put(ws, row, 3 + shift, _number(k.numerator), wrap=False)
        put(ws, row, 4 + shift, _number(k.denominator), wrap=False)
        value: Any = _number(k.value)
        shown = put(ws, row, 5 + shift, value if value is not None else k.display or None, wrap=False,
                    number_format=value_format(k) if not isinstance(value, str) else None)
        shown.alignment = Alignment(horizontal="right", vertical="top")
        target = put(ws, row, 6 + shift, k.target)
        target.alignment = Alignment(horizontal="center", vertical="top", wrap_text=True)
        colour, font_colour = BAND_COLOURS[BAND_TEXT[k.band]]
        put(ws, row, 7 + shift, BAND_TEXT[k.band] + (" CRITICAL" if k.critical_failure else ""),
            font=_bold(font_colour), fill_=fill(colour))
        reason = FOR_PROVIDER.get(k.reason, k.reason) if provider else k.reason
        if k.consequences and k.band in (Band.amber, Band.red):
            reason += ". Possible consequences: " + "; ".join(k.consequences)
        put(ws, row, 8 + shift, reason)
        row += 1
    if not rows:
        put(ws, row, 1 + shift, "No KPI results.")
        row += 1
    return row


def findings_sheet(ws: Worksheet, report: ValidationReport, *, footer: str, title: str) -> None:
    """The Findings sheet of a feedback copy: which return, the verdict, then every finding."""
    last = len(FINDING_HEADERS)
    merged_text(ws, 1, 1, last, title, font=TITLE)
    lines = [*report_heading(report), verdict(report), counts_text(report),
             "Each cell a finding names is coloured (red: error; amber: warning; green: explained by the provider; "
             "blue: for information) and has a comment saying what carekpi found. Select a cell under Where to go "
             "to it. To explain a warning about a figure that is right, add its Item and Code with your "
             "explanation on the Explanations sheet, then send the return again."]
    for n, text in enumerate(lines, start=2):
        merged_text(ws, n, 1, last, text, font=BOLD if n in (2, 4) else FONT)
    header = len(lines) + 3
    rows = [(report, f) for f in report.sorted_findings()]
    end = write_findings(ws, rows, first_row=header, link=True)
    fit_rows(ws)
    freeze_below(ws, header + 1)
    print_setup(ws, footer=footer, title_rows=(header, header), last_row=end - 1)


def kpi_sheet(ws: Worksheet, score: ReturnScore | None, *, footer: str, title: str, note: str) -> None:
    """The KPI results sheet of a feedback copy."""
    last = len(KPI_HEADERS)
    merged_text(ws, 1, 1, last, title, font=TITLE)
    merged_text(ws, 2, 1, last, note)
    rows = [(score, k) for k in score.kpis] if score is not None else []
    end = write_kpi_results(ws, rows, first_row=4, provider=True)
    fit_rows(ws)
    freeze_below(ws, 5)
    print_setup(ws, footer=footer, title_rows=(4, 4), last_row=end - 1)


def _bold(colour: str) -> Font:
    return Font(name=BOLD.name, size=BOLD.sz, bold=True, color=colour)
