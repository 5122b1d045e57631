"""Case logs and other record tables: every row typed, references never names, and the
figures carekpi works out itself.

A record table may be a *case log* behind figures the return declares (a referral log
behind "referrals met within 5 working days"):

* a column marked ``reference: true`` must hold case references: a value that looks like
  a person's name (two or more capitalised words and no digit) is an error, V401, naming
  the cell (the message never repeats the value, so reports carry no personal data);
* a table with ``computes`` (:class:`carekpi.framework.model.CaseLogComputes`) is counted in
  working days (weekends and England and Wales bank holidays excluded, via
  :func:`carekpi.framework.periods.working_days_between`); every disagreement with a declared
  figure is an error, V402, naming the declared cell and the log sheet.

The computed figures are stored on :class:`carekpi.validation.context.ReturnData`; scoring
uses them in place of the declared figures and says so in the reason of every KPI built on
them (:mod:`carekpi.scoring.passes`).
"""

from __future__ import annotations

from datetime import date, datetime
from fractions import Fraction
from typing import Any

from carekpi.base.enums import Severity
from carekpi.base.rounding import round_half_away
from carekpi.framework.expr import to_number
from carekpi.framework.model import CaseLogComputes, Column, RecordTable
from carekpi.framework.periods import add_working_days, period_for, working_days_between
from carekpi.validation.checks.base import Check
from carekpi.validation.checks.items import none_hint
from carekpi.validation.checks.values import COERCION_CODES
from carekpi.validation.context import CheckContext, Code, ComputedFigure
from carekpi.workbook.coerce import coerce
from carekpi.workbook.reader import read_table

V401 = Code("V401", "case log row problem", Severity.error)
V402 = Code("V402", "case log disagrees with the declared figure", Severity.error)
V403 = Code("V403", "a record table's rows do not add up to the figure they list", Severity.error)


class TablesCheck(Check):
    name = "tables"
    codes = (V401, V402, V403)

    def run(self, ctx: CheckContext) -> None:
        for table in ctx.rtype.record_tables:
            rows = read_table(ctx.content, table.id, len(table.columns))
            parsed: list[dict[str, Any]] = []
            for rownum, cells in rows:
                rec: dict[str, Any] = {"_row": rownum, "_cells": cells}
                for col, item, raw in zip(table.columns, table.column_items, cells, strict=False):
                    c = coerce(item, raw.value, number_format=raw.number_format, data_type=raw.data_type)
                    for note in c.notes:
                        # a row's unreadable value is a row problem; a corrected one keeps its warning
                        code = V401 if note.severity == Severity.error else COERCION_CODES[note.code]
                        ctx.add(code, f"{table.label}, row {rownum}, {col.label}: {note.message}",
                                severity=note.severity, raw=raw)
                    if c.value is None and col.required and not c.notes:
                        ctx.add(V401, f"{table.label}, row {rownum}: {col.label} is required{none_hint(col.type.value)}",
                                raw=raw)
                    rec[col.id] = c.value
                parsed.append(rec)
            ctx.data.tables[table.id] = parsed
            check_rows_reconcile(ctx, table, parsed)
            check_case_log(ctx, table, parsed)


_NAME_PUNCTUATION = set("'’.-,")


def looks_like_name(value: Any) -> bool:
    """Whether a case-log value looks like a person's name rather than a reference:
    two or more words, each starting with a capital letter and made of letters (and
    ' ’ . - ,), and no digit anywhere. "Jane Smith", "Mr O'Neil", "SMITH, John" do;
    "REF-0042", "CE/2026/17", "jane smith" do not."""
    if not isinstance(value, str) or any(ch.isdigit() for ch in value):
        return False
    words = value.split()
    if len(words) < 2:
        return False
    for w in words:
        w = w.strip(",")
        if not w or not w[0].isupper() or not all(ch.isalpha() or ch in _NAME_PUNCTUATION for ch in w):
            return False
    return True


def _as_date(v: Any) -> date | None:
    if isinstance(v, datetime):
        return v.date()
    return v if isinstance(v, date) else None


def _fmt(v: Any) -> str:
    n = to_number(v)
    if n is None:
        return "blank" if v is None else str(v)
    return str(n.numerator) if n.denominator == 1 else format(float(n), "g")


def check_references(ctx: CheckContext, table: RecordTable, rows: list[dict[str, Any]]) -> None:
    """V401 for every reference cell that looks like a person's name."""
    for rec in rows:
        for i, col in enumerate(table.columns):
            if col.reference and looks_like_name(rec.get(col.id)):
                ctx.add(V401, f"{table.label}, row {rec['_row']}, {col.label}: this looks like a person's name "
                            "(two or more capitalised words and no digits); case logs must hold case references, "
                            "never names: replace it with the case reference", raw=rec["_cells"][i])


def check_rows_reconcile(ctx: CheckContext, table: RecordTable, rows: list[dict[str, Any]]) -> None:
    """V403 when a table with ``one_row_per`` does not have one row for each case its figure counts."""
    item = table.one_row_per
    if item is None or not ctx.data.applies(table.applies_to):
        return
    declared = to_number(ctx.data.values.get(item))
    if declared is None or declared == len(rows):
        return  # a missing or unreadable figure is already reported
    label = ctx.labels.get(item, item)
    raw = ctx.data.cells.get(item)
    cell = f" in {raw.sheet}!{raw.coordinate}" if raw else ""
    listed = f"{len(rows)} row{'s' if len(rows) != 1 else ''}"
    fix = ("list every case on it, one row each" if len(rows) < declared
           else "remove the rows that are not counted, or correct the figure")
    ctx.add(V403, f"{label}: the return declares {_fmt(declared)}{cell}, but the {table.sheet} sheet "
                  f"({table.label}) has {listed}, and it must have one row per case counted: {fix}", item=item)


def _case_period(ctx: CheckContext, spec: CaseLogComputes, start: date) -> tuple[date, str] | None:
    """The date that places a case in a reporting period, and what it is (None: not checked)."""
    if spec.period == "any":
        return None
    if spec.period == "start":
        return start, "start"
    limit = spec.within_working_days
    return add_working_days(start, limit), f"{limit}-working-day deadline"


def check_case_log(ctx: CheckContext, table: RecordTable, rows: list[dict[str, Any]]) -> None:
    """Compute a case log's figures, report disagreements (V402) and store the figures."""
    check_references(ctx, table, rows)
    spec = table.computes
    if spec is None or not ctx.data.applies(table.applies_to):
        return
    cols: dict[str, tuple[int, Column]] = {c.id: (i, c) for i, c in enumerate(table.columns)}
    (si, start_col), (ei, end_col) = cols[spec.start], cols[spec.end]
    limit = spec.within_working_days
    period = ctx.data.period
    cases = met = in_time = 0
    total_days = 0
    for rec in rows:
        start, end = _as_date(rec.get(spec.start)), _as_date(rec.get(spec.end))
        if start is None:
            continue  # a blank or bad start date is already an error (V401) on that cell
        placed = _case_period(ctx, spec, start)
        if period is not None and placed is not None and not period.start <= placed[0] <= period.end:
            day, what = placed
            other = period_for(ctx.rtype, day)
            ctx.add(V401, f"{table.label}, row {rec['_row']}: {start_col.label} {start:%d/%m/%Y} puts the case's "
                          f"{what} on {day:%A} {day.day} {day:%B %Y}, in {other.label}, not in this return's period "
                          f"{period.label}: the case is counted in the return for {other.label}, so remove the row "
                          "from this log (it is left out of the figures)", raw=rec["_cells"][si])
            continue
        if end is not None and end < start:
            ctx.add(V401, f"{table.label}, row {rec['_row']}: {end_col.label} ({end:%d/%m/%Y}) is before "
                        f"{start_col.label} ({start:%d/%m/%Y}); the row is left out of the figures",
                        raw=rec["_cells"][ei])
            continue
        cases += 1
        if end is None:
            continue
        days = working_days_between(start, end)
        met += 1
        total_days += days
        if days <= limit:
            in_time += 1
    data = ctx.data
    labels = ctx.labels
    where = f"the {table.sheet} sheet"
    days_text = f"{limit} working day{'s' if limit != 1 else ''}"
    figures: list[ComputedFigure] = []
    if spec.total:
        figures.append(ComputedFigure(
            spec.total, labels.get(spec.total, spec.total), Fraction(cases), data.values.get(spec.total),
            table.id, table.sheet, f"{where} lists {cases} case{'s' if cases != 1 else ''}"))
    figures.append(ComputedFigure(
        spec.declared, labels.get(spec.declared, spec.declared), Fraction(in_time), data.values.get(spec.declared),
        table.id, table.sheet,
        f"{in_time} of the {cases} cases on {where} were met within {days_text} "
        "(weekends and England and Wales bank holidays excluded)"))
    if spec.average and met:
        avg = Fraction(total_days, met)
        figures.append(ComputedFigure(
            spec.average, labels.get(spec.average, spec.average), avg, data.values.get(spec.average),
            table.id, table.sheet,
            f"the {met} cases met on {where} took {format(round_half_away(avg, 1).normalize(), 'f')} working days "
            "on average", places=1))
    if not rows:
        for f in figures:
            if to_number(f.declared):
                ctx.add(V402, f"{f.label}: the return declares {_fmt(f.declared)}, but {where} lists no cases: "
                            f"list every case behind the figure on {where}", item=f.item)
        return
    for f in figures:
        data.computed[f.item] = f
        if f.declared is None:
            continue  # missing declared figure: already V101
        if f.differs:
            raw = data.cells.get(f.item)
            cell = f"{raw.sheet}!{raw.coordinate}" if raw else f.item
            ctx.add(V402, f"{f.label}: the return declares {_fmt(f.declared)} in {cell}, but {f.explanation}, "
                        f"so carekpi computes {f.shown()}: correct the figure or the log", item=f.item)


