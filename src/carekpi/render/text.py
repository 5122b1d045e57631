"""Human-readable text: plain lines for findings and lint problems, a rich table for scores.

Text from returns is made harmless for a terminal (:func:`terminal_safe`). rich is imported
when a score is rendered, so listing formats costs nothing at start-up.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING

from carekpi.render.registry import RenderOptions, plural, renders

if TYPE_CHECKING:
    from carekpi.framework.lint import LintResult
    from carekpi.scoring.results import ScoreReport
    from carekpi.validation.findings import ValidationReport

BAND_STYLE = {"green": "bold green", "amber": "bold yellow", "red": "bold red", "na": "dim"}
BAND_TEXT = {"green": "Green", "amber": "Amber", "red": "Red", "na": "n/a"}

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_safe(text: str) -> str:
    """Text from a return, made harmless for a terminal: control characters (escape
    sequences that could recolour or rewrite the screen) become U+FFFD."""
    return _CONTROL.sub("\ufffd", text)


def counts_text(counts: dict[str, int]) -> str:
    return f"{plural(counts['error'], 'error')}, {plural(counts['warning'], 'warning')}, {counts['info']} info"


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
            out.append(f"  {where:<28} {f.severity:<8} {f.code}  {f.message}{item}")
        if rep.valid:
            verdict = "valid: the return can be accepted"
            if rep.counts["warning"]:
                verdict += " (check the warnings)"
        else:
            verdict = "NOT VALID: correct the errors and validate again before sending"
        out.append(f"Result: {verdict}. {counts_text(rep.counts)}.")
        out.append("")
    return terminal_safe("\n".join(out).rstrip("\n")) + "\n"


def _n(x: object) -> str:
    numerator, denominator = getattr(x, "numerator", None), getattr(x, "denominator", None)
    if isinstance(numerator, int) and isinstance(denominator, int) and not isinstance(x, int):
        # a Fraction, told by its parts: importing fractions here would slow every start-up
        return str(numerator) if denominator == 1 else format(numerator / denominator, ".4g")
    return str(x)


@renders("text", "score")
def score(report: ScoreReport, options: RenderOptions) -> str:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=options.color, no_color=not options.color, width=options.width,
                      highlight=False, emoji=False, soft_wrap=False, markup=False)
    if report.source_note:
        console.print(report.source_note)
    table = Table(title=f"KPI scores: {report.framework}", show_lines=False, header_style="bold")
    for col, kw in (("Provider", {"overflow": "fold", "max_width": 28}), ("Period", {}), ("KPI", {"max_width": 34}),
                    ("Num/Den", {"justify": "right"}), ("Value", {"justify": "right"}), ("Target", {}),
                    ("Band", {}), ("Reason", {"overflow": "fold"})):
        table.add_column(col, **kw)
    for r in report.returns:
        who = r.provider or r.file
        if r.unreadable:
            table.add_row(terminal_safe(who), "", "", "", "", "", Text("unreadable", style="bold red"),
                          terminal_safe(r.unreadable))
            continue
        if not r.valid:
            who += f" [{r.errors} error{'s' if r.errors != 1 else ''}]"
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
            table.add_row(terminal_safe(who) if i == 0 else "", (r.period or "") if i == 0 else "",
                          f"{k.ref + ' ' if k.ref else ''}{k.label}", numden, k.display, k.target or "", band,
                          terminal_safe(reason), end_section=i == len(r.kpis) - 1)
    console.print(table)
    c = report.band_counts()
    scored = len(report.returns) - report.unreadable
    console.print(f"{plural(scored, 'return')} scored, {report.unreadable} unreadable: "
                  f"{c['green']} green, {c['amber']} amber, {c['red']} red, {c['na']} n/a.")
    for r in report.returns:
        for k in r.kpis:
            if k.critical_failure:
                console.print(Text(f"CRITICAL PERFORMANCE FAILURE: {r.provider or r.file} {r.period or ''}: "
                                   f"{k.ref or ''} {k.label}: {k.reason}", style="bold red"))
    return buf.getvalue()


@renders("text", "lint")
def lint(result: LintResult, options: RenderOptions) -> str:
    problems = result.problems
    lines = [str(p) for p in problems]
    if problems:
        lines.append(f"{plural(len(problems), 'problem')} in {plural(len({p.file for p in problems}), 'file')}.")
    else:
        lines.append(f"{plural(len(result.files), 'framework file')} checked: no problems.")
    return "\n".join(lines) + "\n"
