"""Human-readable text: plain lines for findings, a rich table for scores."""

from __future__ import annotations

import io
import re

from rich.console import Console
from rich.table import Table
from rich.text import Text

from carekpi.base.errors import FrameworkProblem
from carekpi.render.base import Renderer
from carekpi.scoring.engine import ScoreReport
from carekpi.validation.findings import ValidationReport

BAND_STYLE = {"green": "bold green", "amber": "bold yellow", "red": "bold red", "na": "dim"}
BAND_TEXT = {"green": "Green", "amber": "Amber", "red": "Red", "na": "n/a"}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def counts_text(counts: dict[str, int]) -> str:
    return f"{_plural(counts['error'], 'error')}, {_plural(counts['warning'], 'warning')}, {counts['info']} info"


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _safe(text: str) -> str:
    """Text from a return, made harmless for a terminal: control characters (escape
    sequences that could recolour or rewrite the screen) become U+FFFD."""
    return _CONTROL.sub("\ufffd", text)


class TextRenderer(Renderer):
    name = "text"

    def __init__(self, color: bool = False, width: int = 150):
        self.color = color
        self.width = width

    def _console(self, buf: io.StringIO) -> Console:
        return Console(file=buf, force_terminal=self.color, no_color=not self.color, width=self.width,
                       highlight=False, emoji=False, soft_wrap=False, markup=False)

    def validation(self, reports: list[ValidationReport]) -> str:
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
        return _safe("\n".join(out).rstrip("\n")) + "\n"

    def score(self, report: ScoreReport) -> str:
        buf = io.StringIO()
        console = self._console(buf)
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
                table.add_row(_safe(who), "", "", "", "", "", Text("unreadable", style="bold red"), _safe(r.unreadable))
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
                table.add_row(_safe(who) if i == 0 else "", (r.period or "") if i == 0 else "",
                              f"{k.ref + ' ' if k.ref else ''}{k.label}", numden, k.display, k.target or "", band, _safe(reason),
                              end_section=i == len(r.kpis) - 1)
        console.print(table)
        c = report.band_counts()
        scored = len(report.returns) - report.unreadable
        console.print(f"{_plural(scored, 'return')} scored, {report.unreadable} unreadable: "
                      f"{c['green']} green, {c['amber']} amber, {c['red']} red, {c['na']} n/a.")
        critical = [(r, k) for r in report.returns for k in r.kpis if k.critical_failure]
        for r, k in critical:
            console.print(Text(f"CRITICAL PERFORMANCE FAILURE: {r.provider or r.file} {r.period or ''}: "
                               f"{k.ref or ''} {k.label}: {k.reason}", style="bold red"))
        return buf.getvalue()

    def lint(self, problems: list[FrameworkProblem], files: list[str]) -> str:
        lines = [str(p) for p in problems]
        if problems:
            lines.append(f"{_plural(len(problems), 'problem')} in {_plural(len({p.file for p in problems}), 'file')}.")
        else:
            lines.append(f"{_plural(len(files), 'framework file')} checked: no problems.")
        return "\n".join(lines) + "\n"


def _n(x: object) -> str:
    from fractions import Fraction

    if isinstance(x, Fraction):
        return str(x.numerator) if x.denominator == 1 else format(float(x), ".4g")
    return str(x)
