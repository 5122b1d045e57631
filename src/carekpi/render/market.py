"""``carekpi score``: the market for one period (text), every result as tidy rows for Power BI
and pandas (CSV), and all of it with the summary (JSON).

The text is a table with the providers down and the KPIs across (worst first unless sorted by
provider), each cell the band, the value and the direction of travel since the period before
(``↑`` better, ``↓`` worse, ``→`` the same, honouring the KPI's direction), then the market
summary. A framework with more KPIs than the terminal is wide for is shown in several tables
of KPIs, each with the providers.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, Any

from carekpi.render.csv import consequences_text, write_rows
from carekpi.render.json import dumps
from carekpi.render.registry import RenderOptions, plural, renders
from carekpi.render.text import BAND_STYLE, BAND_TEXT, error_lines, terminal_safe

if TYPE_CHECKING:
    from carekpi.market.codes import MarketFinding
    from carekpi.market.report import MarketReport, ProviderRow
    from carekpi.scoring.results import KpiResult, ReturnScore

_MOVED = re.compile(r"^(?P<who>.*?): (?P<label>.*) moved from (?P<a>\S+) in \S+ to (?P<b>\S+) in ")
ARROWS = {"better": "↑", "worse": "↓", "same": "→", None: ""}
PROVIDER_WIDTH = 26
KPI_WIDTH = 14

MARKET_COLUMNS = [
    "provider_id", "provider_name", "cqc_location_id", "period", "period_start", "period_end", "cadence",
    "return_type", "file", "received", "on_time", "kpi", "ref", "label", "numerator", "denominator", "value",
    "target", "band", "direction", "critical", "critical_failure", "flags", "reason", "consequences",
]


def _kpi_head(ref: str | None, label: str) -> str:
    return ref or (label if len(label) <= KPI_WIDTH else label[:KPI_WIDTH - 1] + "…")


def _state(row: ProviderRow) -> str:
    subs = row.now.members
    if not subs:
        return "missing" if row.now.expected else "none"
    if len(subs) == 1:
        s = subs[0]
        text = s.timeliness if s.received else "received"
        return text + (f", {plural(s.errors, 'error')}" if s.errors else "")
    return f"{len(subs)} of {row.now.expected}"


@renders("text", "market")
def market_text(report: MarketReport, options: RenderOptions) -> str:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=options.color, no_color=not options.color, width=options.width,
                      highlight=False, emoji=False, soft_wrap=False, markup=False)
    fw, rt, p = report.framework, report.return_type, report.period
    kpis = fw.kpis_for(rt.id)
    how = "as returned" if report.native else f"put together from {rt.cadence.value.replace('_', '-')} returns"
    title = f"{fw.id} {rt.label}: {p.label} ({how})"
    per_table = max(1, (options.width - PROVIDER_WIDTH - 16) // (KPI_WIDTH + 3))
    rows = report.sorted_rows(options.sort)
    groups = [kpis[i:i + per_table] for i in range(0, len(kpis), per_table)] or [[]]
    for n, group in enumerate(groups, start=1):
        table = Table(title=title + (f" ({n} of {len(groups)})" if len(groups) > 1 else ""), header_style="bold",
                      show_lines=False)
        table.add_column("Provider", max_width=PROVIDER_WIDTH, overflow="fold")
        for kpi in group:
            table.add_column(_kpi_head(kpi.ref, kpi.label), justify="right", max_width=KPI_WIDTH, overflow="fold")
        table.add_column("Return", max_width=16, overflow="fold")
        for row in rows:
            cells: list[Any] = [terminal_safe(row.provider.name)]
            for kpi in group:
                res = row.result(kpi.id)
                if res is None:
                    cells.append(Text("-", style="dim"))
                    continue
                cell = Text(BAND_TEXT[res.band], style=BAND_STYLE[res.band])
                if res.critical_failure:
                    cell.append("!", style="bold red")
                shown = res.display if res.display and res.display != "n/a" else ""
                cell.append(f" {shown}" if shown else "")
                arrow = ARROWS[row.directions.get(kpi.id)]
                if arrow:
                    cell.append(f" {arrow}")
                cells.append(cell)
            cells.append(_state(row))
            table.add_row(*cells)
        console.print(table)
    if len(groups) > 1 or any(k.ref for k in kpis):
        console.print("KPIs: " + "; ".join(f"{k.ref or k.id}: {k.label}" for k in kpis))
    console.print("Bands with value and direction since the period before (↑ better, ↓ worse, → same); "
                  "! a critical failure.")
    _summary_text(report, console)
    return buf.getvalue()


def _summary_text(report: MarketReport, console: Any) -> None:
    s = report.summary()
    r = s["returns"]
    register = "" if report.register else " (no register: timeliness unknown)"
    console.print("")
    console.print(f"Market summary for {s['period']}: {plural(s['providers'], 'provider')}; "
                  f"returns: {r['expected']} expected, {r['received']} received ({r['on_time']} on time, {r['late']} "
                  f"late, {r['timeliness_unknown']} unknown{register}), {r['missing']} missing, {r['not_yet_due']} not "
                  f"yet due, {r['superseded']} superseded, {r['conflicts']} in conflict, {r['invalid']} with errors, "
                  f"{r['unreadable']} unreadable.")
    labels = {k.id: k.ref or k.id for k in report.framework.kpis}
    parts = []
    for kid, c in s["bands"].items():
        parts.append(f"{labels[kid]} {c['green']}G {c['amber']}A {c['red']}R" + (f" {c['na']} n/a" if c["na"] else ""))
    if parts:
        console.print("Bands: " + "; ".join(parts) + ".")
    for title, items in (("Critical performance failures", s["critical_failures"]),
                         ("Consistent failures", s["consistent_failures"]),
                         ("Service failures", s["service_failures"])):
        if items:
            console.print(f"{title}:")
            for item in items:
                console.print("  " + terminal_safe(item))
    keys = report.period_keys()
    shown = [f for f in report.findings if f.code.code not in ("J301", "J302") and (f.period is None or f.period in keys)]
    if shown:
        console.print("Submissions and queries:")
        moved: dict[tuple[str, str], list[str]] = {}
        for f in sorted(shown, key=lambda f: (f.code.code, f.provider or "", f.file or "", f.field or "")):
            m = _MOVED.match(f.message) if f.code.code == "Q201" and f.explanation is None else None
            if m:  # one line per return: which figures moved, and from what to what
                moved.setdefault((m["who"], f.period or ""), []).append(f"{m['label']} {m['a']} -> {m['b']}")
                continue
            console.print(f"  {f.code.code} {f.level:<7} " + terminal_safe(f.shown()))
        share = report.framework.plausibility.max_change
        for (who, period), figures in moved.items():
            console.print(f"  Q201 warning {terminal_safe(who)}, {period}: {len(figures)} figure"
                          f"{'s' if len(figures) > 1 else ''} moved by more than {float(share or 0) * 100:.0f}% since the "
                          "period before (please confirm or explain): " + terminal_safe("; ".join(figures)))
    for line in error_lines(sc for sc in report.scores.returns if sc.period in keys):
        console.print(terminal_safe(line), soft_wrap=True)
    if report.unreadable:
        console.print("Unreadable:")
        for path, why in report.unreadable:
            console.print(f"  {terminal_safe(path)}: {terminal_safe(why)}")


_FLAGGED = {"Q201": "query", "Q202": "query", "J301": "consistent failure"}


def _flags(flagging: dict[tuple[str | None, str | None], list[MarketFinding]], sc: ReturnScore, k: KpiResult,
           provider: str | None, status: str | None) -> str:
    flags = []
    if status and status != "counted":
        flags.append(status)
    if not sc.valid:
        flags.append("errors")
    for f in flagging.get((provider, sc.period), ()):
        if f.code.code == "Q201" or f.field == k.kpi:
            flag = _FLAGGED[f.code.code]
            if f.explanation is not None:
                flag += " (explained)"
            if flag not in flags:
                flags.append(flag)
    return ";".join(flags)


def market_rows(report: MarketReport) -> list[list[Any]]:
    """Tidy rows: one per provider, period and KPI (every return scored, then the period shown
    when it is put together from several)."""
    subs = {s.file: s for s in report.submissions.received}
    # the findings that flag a row, by provider and period (in the report's order)
    flagging: dict[tuple[str | None, str | None], list[MarketFinding]] = {}
    for f in report.findings:
        if f.code.code in _FLAGGED:
            flagging.setdefault((f.provider, f.period), []).append(f)
    rows: list[list[Any]] = []
    for sc in report.scores.returns:
        if sc.unreadable:
            continue
        sub = subs.get(sc.file)
        prov = sub.provider if sub else None
        period = sub.period if sub else None
        for k in sc.kpis:
            d = k.to_dict()
            rows.append([
                prov.id if prov else "", prov.name if prov else sc.provider, sc.cqc_location_id, sc.period,
                period.start.isoformat() if period else "", period.end.isoformat() if period else "",
                period.cadence.value if period else "", sc.return_type, sc.file,
                sub.received.isoformat() if sub and sub.received else "",
                {True: "yes", False: "no", None: ""}[sub.on_time if sub else None], k.kpi, k.ref, k.label,
                d["numerator"], d["denominator"], d["value"], k.target, k.band,
                report.trends.get(sc.file, {}).get(k.kpi) or "",
                "yes" if k.critical else "no",
                "yes" if k.critical_failure else "no",
                _flags(flagging, sc, k, prov.id if prov else None, sub.status if sub else None), k.reason,
                consequences_text(k),
            ])
    if not report.native:
        p = report.period
        for row in report.rows:
            together = row.now.score
            if together is None:
                continue
            for k in together.kpis:
                d = k.to_dict()
                rows.append([
                    row.provider.id, row.provider.name, row.provider.cqc_location_id, p.key, p.start.isoformat(),
                    p.end.isoformat(), p.cadence.value, report.return_type.id, together.file, "", "", k.kpi, k.ref,
                    k.label,
                    d["numerator"], d["denominator"], d["value"], k.target, k.band, row.directions.get(k.kpi) or "",
                    "yes" if k.critical else "no", "yes" if k.critical_failure else "no", "put together", k.reason,
                    consequences_text(k),
                ])
    key = {c: i for i, c in enumerate(MARKET_COLUMNS)}
    return sorted(rows, key=lambda r: (str(r[key["provider_id"]]), r[key["flags"]] == "put together",
                                       str(r[key["period_start"]]), str(r[key["file"]])))


@renders("csv", "market")
def market_csv(report: MarketReport, options: RenderOptions) -> str:
    return write_rows([MARKET_COLUMNS, *market_rows(report)])


@renders("json", "market")
def market_json(report: MarketReport, options: RenderOptions) -> str:
    p = report.period
    providers = []
    for row in report.sorted_rows("provider"):
        sc = row.now.score
        providers.append({
            "provider_id": row.provider.id, "name": row.provider.name, "cqc_location_id": row.provider.cqc_location_id,
            "returns": [s.file for s in row.now.members], "expected": row.now.expected,
            "kpis": [{**k.to_dict(), "direction": row.directions.get(k.kpi)} for k in (sc.kpis if sc else ())],
        })
    doc = {
        "framework": report.framework.id, "framework_version": report.framework.version,
        "return_type": report.return_type.id,
        "period": {"key": p.key, "label": p.label, "start": p.start.isoformat(), "end": p.end.isoformat(),
                   "cadence": p.cadence.value, "as_returned": report.native},
        "summary": report.summary(),
        "providers": providers,
        "submissions": [{"file": s.file, "provider_id": s.provider.id if s.provider else None,
                         "return_type": s.return_type, "period": s.period.key, "due": s.due.isoformat(),
                         "received": s.received.isoformat() if s.received else None, "timeliness": s.timeliness,
                         "status": s.status, "valid": s.valid} for s in report.submissions.received],
        "expected": [{"provider_id": x.provider.id, "return_type": x.return_type, "period": x.period.key,
                      "due": x.due.isoformat(), "state": x.state, "timeliness": x.timeliness}
                     for x in report.submissions.expected],
        "findings": [f.to_dict() for f in sorted(report.findings, key=lambda f: (f.code.code, f.provider or "",
                                                                                 f.period or "", f.file or ""))],
        "returns": [{**sc.to_dict(), "directions": report.trends.get(sc.file, {})} for sc in report.scores.returns],
        "unreadable": [{"file": f, "reason": why} for f, why in report.unreadable],
    }
    return dumps(doc)
