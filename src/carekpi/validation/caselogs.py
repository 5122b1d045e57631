"""Case logs: references, never names, and the figures carekpi works out itself.

A record table may be a *case log* behind figures the return declares (a referral log
behind "referrals met within 5 working days"). Two checks live here:

* a column marked ``reference: true`` must hold case references: a value that looks like
  a person's name (two or more capitalised words and no digit) is an error, V401, naming
  the cell (the message never repeats the value, so reports carry no personal data);
* a table with ``computes`` (:class:`carekpi.framework.model.CaseLogComputes`) is counted in working
  days (weekends and England and Wales bank holidays excluded, via
  :func:`carekpi.framework.periods.working_days_between`); every disagreement with a declared figure
  is an error, V402, naming the declared cell and the log sheet.

Validation stores the computed figures on :class:`carekpi.validation.validate.ReturnData`; scoring
uses them in place of the declared figures (:func:`computed_env`) and says so in the
reason of every KPI built on them (:func:`explain`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from carekpi.base.rounding import round_half_away
from carekpi.framework.expr import to_number
from carekpi.framework.model import Column, Framework, Kpi, RecordTable
from carekpi.framework.periods import working_days_between

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


@dataclass
class ComputedFigure:
    """One declared item as carekpi computed it from a case log."""

    item: str
    label: str
    value: Fraction
    declared: Any
    table: str
    sheet: str
    explanation: str
    places: int | None = None  # compare at this many decimal places (None: exactly)

    @property
    def differs(self) -> bool:
        d = to_number(self.declared)
        if d is None:
            return True
        if self.places is None:
            return d != self.value
        return round_half_away(d, self.places) != round_half_away(self.value, self.places)

    def shown(self) -> str:
        if self.value.denominator == 1:
            return str(self.value.numerator)
        return format(round_half_away(self.value, self.places or 1).normalize(), "f")


def _as_date(v: Any) -> date | None:
    if isinstance(v, datetime):
        return v.date()
    return v if isinstance(v, date) else None


def _fmt(v: Any) -> str:
    n = to_number(v)
    if n is None:
        return "blank" if v is None else str(v)
    return str(n.numerator) if n.denominator == 1 else format(float(n), "g")


def check_references(checker: Any, table: RecordTable, rows: list[dict[str, Any]]) -> None:
    """V401 for every reference cell that looks like a person's name."""
    for rec in rows:
        for i, col in enumerate(table.columns):
            if col.reference and looks_like_name(rec.get(col.id)):
                checker.add("V401", "error",
                            f"{table.label}, row {rec['_row']}, {col.label}: this looks like a person's name "
                            "(two or more capitalised words and no digits); case logs must hold case references, "
                            "never names: replace it with the case reference", raw=rec["_cells"][i])


def check_case_log(checker: Any, table: RecordTable, rows: list[dict[str, Any]]) -> None:
    """Compute a case log's figures, report disagreements (V402) and store the figures."""
    check_references(checker, table, rows)
    spec = table.computes
    if spec is None or not checker.data.applies(table.applies_to):
        return
    cols: dict[str, tuple[int, Column]] = {c.id: (i, c) for i, c in enumerate(table.columns)}
    (_si, start_col), (ei, end_col) = cols[spec.start], cols[spec.end]
    limit = spec.within_working_days
    cases = met = in_time = 0
    total_days = 0
    for rec in rows:
        start, end = _as_date(rec.get(spec.start)), _as_date(rec.get(spec.end))
        if start is None:
            continue  # a blank or bad start date is already an error (V401) on that cell
        if end is not None and end < start:
            checker.add("V401", "error",
                        f"{table.label}, row {rec['_row']}: {end_col.label} ({end:%d/%m/%Y}) is before "
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
    data = checker.data
    labels = checker.labels
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
                checker.add("V402", "error",
                            f"{f.label}: the return declares {_fmt(f.declared)}, but {where} lists no cases: "
                            f"list every case behind the figure on {where}", item=f.item)
        return
    for f in figures:
        data.computed[f.item] = f
        if f.declared is None:
            continue  # missing declared figure: already V101
        if f.differs:
            raw = data.cells.get(f.item)
            cell = f"{raw.sheet}!{raw.coordinate}" if raw else f.item
            checker.add("V402", "error",
                        f"{f.label}: the return declares {_fmt(f.declared)} in {cell}, but {f.explanation}, "
                        f"so carekpi computes {f.shown()}: correct the figure or the log", item=f.item)


# --- scoring ----------------------------------------------------------------------------------


def computed_env(fw: Framework, data: Any, values: dict[str, Any]) -> dict[str, Any] | None:
    """The evaluation environment with the case-log figures in place of the declared ones
    that differ from them (None when every declared figure agrees with its log)."""
    computed: dict[str, ComputedFigure] = getattr(data, "computed", None) or {}
    if not computed:
        return None
    from carekpi.framework.loader import compiled
    from carekpi.validation.validate import evaluation_env

    differing = {item: f.value for item, f in computed.items() if f.differs}
    if not differing:
        return None
    return evaluation_env(compiled(fw, data.rtype.id), {**values, **differing})


def _kpi_inputs(fw: Framework, data: Any, kpi: Kpi) -> set[str]:
    from carekpi.framework.loader import compiled

    comp = compiled(fw, data.rtype.id)
    exprs = comp.kpis.get(kpi.id)
    out: set[str] = set()
    if exprs is None:
        return out

    def walk(names: Any) -> None:
        for n in names:
            if n in comp.derived:
                walk(comp.derived[n].names)
            else:
                out.add(n)

    for e in (exprs.numerator, exprs.denominator, exprs.value):
        if e is not None:
            walk(e.names)
    return out


def explain(fw: Framework, data: Any, kpi: Kpi, result: Any) -> None:
    """Say in a KPI result's reason that its figures come from a case log."""
    computed: dict[str, ComputedFigure] = getattr(data, "computed", None) or {}
    if not computed:
        return
    used = [computed[i] for i in sorted(_kpi_inputs(fw, data, kpi)) if i in computed]
    if not used:
        return
    differing = [f for f in used if f.differs]
    sheets = sorted({f.sheet for f in used})
    if differing:
        parts = [f"{f.label} {f.shown()} (the return declares {_fmt(f.declared)})" for f in differing]
        result.reason += (f"; computed by carekpi from the {' and '.join(sheets)} sheet"
                          f"{'s' if len(sheets) > 1 else ''}, not the declared figures: " + "; ".join(parts))
    else:
        result.reason += f"; the declared figures agree with the {' and '.join(sheets)} sheet{'s' if len(sheets) > 1 else ''}"
