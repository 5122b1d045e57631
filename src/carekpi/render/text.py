"""Human-readable text: plain lines for findings and lint problems, a rich table for scores.

Text from returns is made harmless for a terminal (:func:`terminal_safe`). rich is imported
when a score is rendered, so listing formats costs nothing at start-up.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from carekpi.render.registry import RenderOptions, plural, renders

if TYPE_CHECKING:
    from carekpi.framework.lint import LintResult
    from carekpi.scoring.results import ReturnScore, ScoreReport
    from carekpi.validation.findings import Finding, ValidationReport, ValidationTotals

BAND_STYLE = {"green": "bold green", "amber": "bold yellow", "red": "bold red", "na": "dim"}
BAND_TEXT = {"green": "Green", "amber": "Amber", "red": "Red", "na": "n/a"}

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_safe(text: str) -> str:
    """Text from a return, made harmless for a terminal: control characters (escape
    sequences that could recolour or rewrite the screen) become U+FFFD."""
    return _CONTROL.sub("\ufffd", text)


def counts_text(counts: dict[str, int]) -> str:
    explained = f" ({counts['explained']} explained)" if counts.get("explained") else ""
    return f"{plural(counts['error'], 'error')}, {plural(counts['warning'], 'warning')}, {counts['info']} info{explained}"


@renders("text", "validation")
def validation(reports: list[ValidationReport], options: RenderOptions) -> str:
    out: list[str] = []
    for rep in reports:
        if rep.unreadable:
            out.append(f"{rep.file}: cannot be read: {rep.unreadable}")
            continue
        head = [f"{rep.framework} {rep.framework_version}", f"{rep.return_type} return"]
        who = rep.provider or "provider not named"
        if rep.cqc_location_id:
            who += f" ({rep.cqc_location_id})"
        head.append(who)
        if rep.period:
            head.append(rep.period)
        out.append(f"{rep.file}: {', '.join(head)}")
        for f in rep.sorted_findings():
            where = f"{f.sheet}!{f.cell}" if f.sheet and f.cell else "(workbook)"
            item = f"  [{f.field}]" if f.field else ""
            more = f" [--verbose lists the {len(f.details)}]" if f.details and not options.verbose else ""
            out.append(f"  {where:<28} {f.severity:<8} {f.code}  {f.message}{item}{more}")
            if options.verbose:
                out += [f"  {'':<28} {'':<8}       - {d.message}" for d in f.details]
            if f.explanation is not None:
                out.append(f"  {'':<28} {'':<8} {'':<4}  explained by the provider: {f.explanation}")
        if rep.valid:
            verdict = "valid: the return can be accepted"
            if rep.unexplained_warnings:
                verdict += " (check the warnings)"
        else:
            verdict = "NOT VALID: correct the errors and validate again before sending"
        out.append(f"Result: {verdict}. {counts_text(rep.counts)}.")
        out.append("")
    if len(reports) > 1:
        from carekpi.validation.findings import ValidationTotals  # what is rendered: loaded when it is

        out.append(totals_text(ValidationTotals.of(reports)))
    return terminal_safe("\n".join(out).rstrip("\n")) + "\n"


def totals_text(t: ValidationTotals) -> str:
    """The line that ends a batch: files, valid, invalid, unreadable; errors and warnings."""
    return (f"Totals: {plural(t.files, 'file')}: {t.valid} valid, {t.invalid} not valid, {t.unreadable} unreadable; "
            f"{plural(t.errors, 'error')}, {plural(t.warnings, 'warning')}, {t.info} info in the files read.")


def _n(x: object) -> str:
    numerator, denominator = getattr(x, "numerator", None), getattr(x, "denominator", None)
    if isinstance(numerator, int) and isinstance(denominator, int) and not isinstance(x, int):
        # a Fraction, told by its parts: importing fractions here would slow every start-up
        return str(numerator) if denominator == 1 else format(numerator / denominator, ".4g")
    return str(x)


#: below these widths the score table drops its least useful columns: Target (the reason says
#: the threshold) under WIDE; Num/Den, and Provider and Period merged into one column, under NARROW
WIDE, NARROW = 120, 100
#: the errors named per return below the table (the rest are counted)
ERRORS_SHOWN = 3


@renders("text", "score")
def score(report: ScoreReport, options: RenderOptions) -> str:
    """The score table, fitted to ``options.width`` (all columns from :data:`WIDE` characters;
    :data:`FULL_WIDTH` when not on a terminal), then the summary, the returns with errors
    (code, item and cell of each) and critical failures."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=options.color, no_color=not options.color, width=options.width,
                      highlight=False, emoji=False, soft_wrap=False, markup=False)
    if report.source_note:
        console.print(report.source_note)
    wide, narrow = options.width >= WIDE, options.width < NARROW
    table = Table(title=f"KPI scores: {report.framework}", show_lines=False, header_style="bold")
    columns: list[tuple[str, dict[str, object]]] = (
        [("Return", {"overflow": "fold", "max_width": 22})] if narrow
        else [("Provider", {"overflow": "fold", "max_width": 28}), ("Period", {})])
    columns += [("KPI", {"max_width": 34})]
    columns += [] if narrow else [("Num/Den", {"justify": "right"})]
    columns += [("Value", {"justify": "right"})]
    columns += [("Target", {})] if wide else []
    columns += [("Band", {}), ("Reason", {"overflow": "fold"})]
    for col, kw in columns:
        table.add_column(col, **kw)  # type: ignore[arg-type]
    for r in report.returns:
        who = r.provider or r.file
        if r.unreadable:
            row: dict[str, object] = {"Provider": terminal_safe(who), "Return": terminal_safe(who),
                                      "Band": Text("unreadable", style="bold red"), "Reason": terminal_safe(r.unreadable)}
            table.add_row(*(row.get(col, "") for col, _ in columns))  # type: ignore[arg-type]
            continue
        flag = f" [{plural(r.errors, 'error')}]" if not r.valid else ""
        for i, k in enumerate(r.kpis):
            numden = ""
            if k.numerator is not None and k.denominator is not None:
                numden = f"{_n(k.numerator)}/{_n(k.denominator)}"
            elif k.numerator is not None:
                numden = _n(k.numerator)
            band = Text(BAND_TEXT[k.band], style=BAND_STYLE[k.band])
            if k.critical_failure:
                band.append(" CRITICAL", style="bold red")
            reason = k.reason
            if k.consequences and k.band in ("amber", "red"):
                reason += ". Possible consequences: " + "; ".join(k.consequences)
            first = i == 0
            row = {"Provider": terminal_safe(who + flag) if first else "", "Period": (r.period or "") if first else "",
                   "Return": terminal_safe(f"{who} {r.period or ''}".strip() + flag) if first else "",
                   "KPI": f"{k.ref + ' ' if k.ref else ''}{k.label}", "Num/Den": numden, "Value": k.display,
                   "Target": k.target or "", "Band": band, "Reason": terminal_safe(reason)}
            table.add_row(*(row[col] for col, _ in columns), end_section=i == len(r.kpis) - 1)  # type: ignore[arg-type]
    console.print(table)
    c = report.band_counts()
    # lines below the table are left to the terminal to wrap (a file keeps each on one line)
    console.print(f"{plural(report.scored, 'return')} scored, {report.unreadable} unreadable: "
                  f"{c['green']} green, {c['amber']} amber, {c['red']} red, {c['na']} n/a.", soft_wrap=True)
    for line in error_lines(report.returns):
        console.print(terminal_safe(line), soft_wrap=True)
    for r in report.returns:
        for k in r.kpis:
            if k.critical_failure:
                console.print(Text(f"CRITICAL PERFORMANCE FAILURE: {r.provider or r.file} {r.period or ''}: "
                                   f"{k.ref or ''} {k.label}: {k.reason}", style="bold red"))
    return buf.getvalue()


def error_lines(returns: Iterable[ReturnScore]) -> list[str]:
    """The lines below a score table naming each return with errors: who, period and file, then
    each error's code, item and cell (what "[2 errors]" in a table is); none without errors."""
    lines = [f"  {r.provider or r.file}, {r.period or 'period unknown'} ({r.file}): "
             f"{_errors_text(r.error_findings, r.errors)}" for r in returns if not r.unreadable and r.error_findings]
    if not lines:
        return []
    return ["Returns with errors (a KPI using a figure in error is not banded; carekpi validate FILE explains each):",
            *lines]


def _errors_text(findings: tuple[Finding, ...], total: int) -> str:
    """A return's errors, each as its code, item and cell: ``V201 restarts_taken (KPI 1-3!C22)``."""
    parts = []
    for f in findings[:ERRORS_SHOWN]:
        where = f"{f.sheet}!{f.cell}" if f.sheet and f.cell else "the workbook"
        parts.append(f"{f.code} {f.field} ({where})" if f.field else f"{f.code} ({where})")
    more = total - len(parts)
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


@renders("text", "lint")
def lint(result: LintResult, options: RenderOptions) -> str:
    problems = result.problems
    lines = [str(p) for p in problems]
    if problems:
        lines.append(f"{plural(len(problems), 'problem')} in {plural(len({p.file for p in problems}), 'file')}.")
    else:
        lines.append(f"{plural(len(result.files), 'framework file')} checked: no problems.")
    return "\n".join(lines) + "\n"
