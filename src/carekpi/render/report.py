"""The officer's workbook (``carekpi report``): the market for one period, every KPI charted, the
trends, who sent what and when, every return's findings and the notes behind the numbers.

Sheets:

* **Overview**: providers down, KPIs across, each cell the band word with its value and the
  direction of travel, coloured by conditional formatting, critical failures marked, then the
  market summary;
* one sheet per KPI: the providers' values (as numbers) with the target and band, a native
  column chart of the values against the target line and a chart of how many providers fall in
  each band;
* **Trends**: each KPI's value per provider over the periods returned, with a native line chart;
* **Submissions**: every return expected and received: on time, late, missing, superseded;
* **Problems**: every return's errors and warnings, the market's findings, unreadable files;
* **Notes**: how carekpi reads the framework, for the KPIs shown.

Charts are Excel's own (openpyxl writes DrawingML), so they open in Excel and LibreOffice.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from carekpi.render.registry import RenderOptions, renders

if TYPE_CHECKING:
    from carekpi.framework.model import Kpi
    from carekpi.market.report import MarketReport

ARROWS = {"better": "↑", "worse": "↓", "same": "→", None: ""}
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
#: sheet-name characters Excel refuses
_BAD = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(kpi: Kpi, used: set[str]) -> str:
    base = _BAD.sub("-", f"{kpi.ref or kpi.id}")[:28].strip("' ") or kpi.id[:28]
    name, n = base, 2
    while name.casefold() in used:
        name = f"{base[:26]} {n}"
        n += 1
    used.add(name.casefold())
    return name


def _target_number(text: str | None, unit: str) -> float | None:
    """The target a result states ("90%", "95% or lower", "225"), as Excel holds it."""
    if not text:
        return None
    m = _NUMBER.search(text)
    if not m:
        return None
    value = float(m.group(0))
    return value / 100 if unit == "percent" else value


@renders("xlsx", "report", binary=True)
def officer_workbook(report: MarketReport, options: RenderOptions) -> bytes:
    from openpyxl import Workbook  # heavy: imported when a report is written

    wb = Workbook()
    overview = wb.active
    assert overview is not None
    overview.title = "Overview"
    _overview(overview, report, options)
    used = {"overview", "trends", "submissions", "problems", "notes"}
    for kpi in report.framework.kpis_for(report.return_type.id):
        _kpi_sheet(wb.create_sheet(_sheet_name(kpi, used)), report, kpi)
    _trends(wb.create_sheet("Trends"), report)
    _submissions(wb.create_sheet("Submissions"), report)
    from carekpi.render.xlsx import _problems, market_problems

    _problems(wb.create_sheet("Problems"), market_problems(report), heading=(
        "Problems", "Every return's errors and warnings (with the sheet and cell), the market's own findings (M, Q "
                    "and J codes) and every file carekpi could not read."))
    _notes(wb.create_sheet("Notes"), report)
    from carekpi.render import sheets as sh

    sh.print_setup(wb, f"{report.framework.name}, {report.period.label}",
                   {ws.title: (ws.freeze_panes and int(re.sub(r"\D", "", ws.freeze_panes)) - 1) or 0
                    for ws in wb.worksheets if ws.freeze_panes})
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _overview(ws: Any, report: MarketReport, options: RenderOptions) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    from carekpi.render import sheets as sh
    from carekpi.render.xlsx import market_summary

    fw, p = report.framework, report.period
    how = "as returned" if report.native else "put together from the returns inside it"
    top = sh.title(ws, f"{fw.name}", f"{report.return_type.label}: {p.label} ({p.key}, {how}). Each cell: the band, "
                                    "the value and the direction since the period before (↑ better, ↓ worse, "
                                    "→ same); ! a critical failure.")
    kpis = fw.kpis_for(report.return_type.id)
    columns = [sh.Column("Provider", max_width=32)]
    columns += [sh.Column(f"{k.ref or k.id}", max_width=18) for k in kpis]
    columns += [sh.Column("Return", max_width=18)]
    rows = []
    for row in report.sorted_rows(options.sort):
        cells: list[Any] = [row.provider.name]
        for k in kpis:
            res = row.result(k.id)
            if res is None:
                cells.append("-")
                continue
            word = sh.BAND_WORDS[res.band.value]
            shown = f" {res.display}" if res.display and res.display != "n/a" else ""
            arrow = ARROWS[row.directions.get(k.id)]
            cells.append(f"{word}{'!' if res.critical_failure else ''}{shown}{(' ' + arrow) if arrow else ''}")
        subs = row.now.members
        cells.append(subs[0].timeliness if len(subs) == 1 else (f"{len(subs)} of {row.now.expected}" if subs
                                                                 else ("missing" if row.now.expected else "none")))
        rows.append(cells)
    last = sh.write_table(ws, columns, rows, top=top)
    if kpis and rows:
        first, end = get_column_letter(2), get_column_letter(1 + len(kpis))
        _band_prefix_colours(ws, f"{first}{top + 1}:{end}{last}")
        for r in range(top + 1, last + 1):
            for c in range(2, 2 + len(kpis)):
                if "!" in str(ws.cell(row=r, column=c).value or ""):
                    ws.cell(row=r, column=c).font = Font(bold=True, color="9C0006")
    legend = last + 2
    for i, k in enumerate(kpis):
        sh.put(ws, legend + i, 1, k.ref or k.id).font = sh.BOLD
        sh.put(ws, legend + i, 2, k.label)
    summary_ws = ws.parent.create_sheet("Summary", index=1)
    market_summary(summary_ws, report)


def _band_prefix_colours(ws: Any, cells: str) -> None:
    """Colour cells whose text starts with a band word (Green 92.5% ↑)."""
    from openpyxl.formatting.rule import FormulaRule
    from openpyxl.styles import Font, PatternFill

    from carekpi.render import sheets as sh

    first = cells.split(":")[0]
    for band, (fill, font) in sh.BAND_COLOURS.items():
        word = sh.BAND_WORDS[band]
        ws.conditional_formatting.add(cells, FormulaRule(
            formula=[f'LEFT({first},{len(word)})="{word}"'],
            fill=PatternFill("solid", fgColor=fill, bgColor=fill), font=Font(color=font)))


def _kpi_sheet(ws: Any, report: MarketReport, kpi: Kpi) -> None:
    from openpyxl.chart import BarChart, LineChart, Reference
    from openpyxl.chart.marker import DataPoint

    from carekpi.render import sheets as sh

    unit = kpi.effective_unit()
    places = report.framework.kpi_precision(kpi)
    fmt = sh.number_format(unit, places)
    top = sh.title(ws, f"{kpi.ref + ' ' if kpi.ref else ''}{kpi.label}",
                   f"{report.period.label}: {kpi.bands.shown()}")
    rows = []
    for row in sorted(report.rows, key=lambda r: r.provider.name.casefold()):
        res = row.result(kpi.id)
        if res is None:
            continue
        value = sh.excel_value(res.value, unit) if isinstance(res.value, Decimal) else None
        rows.append([row.provider.name, value, _target_number(res.target, unit), sh.BAND_WORDS[res.band.value],
                     ARROWS[row.directions.get(kpi.id)] or "", res.reason])
    columns = [sh.Column("Provider", max_width=32), sh.Column("Value", fmt), sh.Column("Target", fmt),
               sh.Column("Band"), sh.Column("Since before", max_width=12), sh.Column("Reason", max_width=80, wrap=True)]
    last = sh.write_table(ws, columns, rows, top=top)
    sh.band_colours(ws, f"D{top + 1}:D{max(last, top + 1)}", words=True)
    counts = {w: sum(1 for r in rows if r[3] == w) for w in ("Green", "Amber", "Red", "n/a")}
    table_top = top
    band_top = last + 2
    sh.write_table(ws, [sh.Column("Band"), sh.Column("Providers", "0")], [[w, n] for w, n in counts.items()],
                   top=band_top, freeze=False, filters=False)
    ws.freeze_panes = ws.cell(row=table_top + 1, column=1)
    numeric = [r for r in rows if isinstance(r[1], (int, float))]
    if numeric:
        bar = BarChart()
        bar.type = "col"
        bar.title = "Values by provider against the target"
        bar.y_axis.title = "Value"
        bar.y_axis.numFmt = fmt
        data = Reference(ws, min_col=2, min_row=table_top, max_row=last)
        cats = Reference(ws, min_col=1, min_row=table_top + 1, max_row=last)
        bar.add_data(data, titles_from_data=True)
        bar.set_categories(cats)
        if any(r[2] is not None for r in rows):
            line = LineChart()
            line.add_data(Reference(ws, min_col=3, min_row=table_top, max_row=last), titles_from_data=True)
            line.series[0].graphicalProperties.line.solidFill = "C00000"
            line.series[0].graphicalProperties.line.width = 28575
            bar += line
        bar.height, bar.width = 8, 18
        ws.add_chart(bar, f"H{top}")
    pie = BarChart()
    pie.type = "col"
    pie.title = "Providers in each band"
    pie.add_data(Reference(ws, min_col=2, min_row=band_top, max_row=band_top + 4), titles_from_data=True)
    pie.set_categories(Reference(ws, min_col=1, min_row=band_top + 1, max_row=band_top + 4))
    pie.legend = None
    for i, band in enumerate(("green", "amber", "red", "na")):
        point = DataPoint(idx=i)
        point.graphicalProperties.solidFill = {"green": "63BE7B", "amber": "FFC000", "red": "E0474C",
                                               "na": "BFBFBF"}[band]
        pie.series[0].dPt.append(point)
    pie.height, pie.width = 7, 12
    ws.add_chart(pie, f"H{top + 17}")


def _trends(ws: Any, report: MarketReport) -> None:
    from openpyxl.chart import LineChart, Reference
    from openpyxl.worksheet.pagebreak import Break

    from carekpi.market.submissions import begun
    from carekpi.render import sheets as sh

    top = sh.title(ws, "Trends", "Each KPI's value per provider in every period returned (returns that count).")
    subs = [s for s in report.submissions.received if s.counts and s.return_type == report.return_type.id
            and s.provider is not None]
    periods = begun({s.period for s in subs}, report.today)  # not a return dated in the future
    providers = sorted({s.provider.name for s in subs if s.provider is not None}, key=str.casefold)
    scores = {s.file: s for s in report.scores.returns}
    # A KPI's table and chart are never split across pages: printed at a fixed scale that fits
    # the table and chart across (a sheet fitted to a page ignores its page breaks in Excel),
    # with a break before a block that would not fit on the page's remaining rows.
    across = 14 + 16 * len(providers) + 9 + TREND_CHART_CHARS  # Period, the providers, a gap, the chart
    ws.page_setup.scale = max(40, min(100, 100 * PAGE_CHARS_AT_100 // across))
    page_rows = PAGE_ROWS_AT_100 * 100 // ws.page_setup.scale
    row = page_start = top
    for kpi in report.framework.kpis_for(report.return_type.id):
        height = max(len(periods) + 2, 16) + 2
        if row > page_start and row - page_start + height > page_rows:
            ws.row_breaks.append(Break(id=row - 1))
            page_start = row
        unit = kpi.effective_unit()
        fmt = sh.number_format(unit, report.framework.kpi_precision(kpi))
        sh.put(ws, row, 1, f"{kpi.ref + ' ' if kpi.ref else ''}{kpi.label}").font = sh.BOLD
        values: dict[tuple[str, str], Any] = {}
        for s in subs:
            res = next((k for k in scores[s.file].kpis if k.kpi == kpi.id), None) if s.file in scores else None
            if res is not None and isinstance(res.value, Decimal) and s.provider is not None:
                values[(s.period.key, s.provider.name)] = sh.excel_value(res.value, unit)
        columns = [sh.Column("Period")] + [sh.Column(name, fmt, max_width=16) for name in providers]
        rows = [[p.key, *(values.get((p.key, name)) for name in providers)] for p in periods]
        last = sh.write_table(ws, columns, rows, top=row + 1, freeze=False, filters=False)
        if rows and providers and values:
            chart = LineChart()
            chart.title = f"{kpi.ref or kpi.id} over time"
            chart.y_axis.numFmt = fmt
            chart.add_data(Reference(ws, min_col=2, max_col=1 + len(providers), min_row=row + 1, max_row=last),
                           titles_from_data=True)
            chart.set_categories(Reference(ws, min_col=1, min_row=row + 2, max_row=last))
            if unit == "percent":
                chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 1  # 0% to 100%, not 120%
            chart.height, chart.width = 7, 16
            ws.add_chart(chart, f"{_col(len(providers) + 3)}{row}")
        row = max(last, row + 15) + 2
    ws.column_dimensions["A"].width = 14


#: Trends printing: the characters of column width and the 15-point rows a landscape A4 page
#: holds at 100%, and the width of a chart (16 cm) in characters
PAGE_CHARS_AT_100 = 98
PAGE_ROWS_AT_100 = 27
TREND_CHART_CHARS = 66


def _col(n: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(n)


def _submissions(ws: Any, report: MarketReport) -> None:
    from carekpi.render import sheets as sh

    top = sh.title(ws, "Submissions", "Every return expected, and every return received: on time, late (from the "
                                      "submissions register), missing, superseded.")
    received = {(s.provider.id if s.provider else "", s.return_type, s.period.key): s
                for s in report.submissions.received}
    rows = []
    for x in sorted(report.submissions.expected, key=lambda x: (x.provider.name.casefold(), x.return_type,
                                                                 x.period.start)):
        sub = x.submission or received.get((x.provider.id, x.return_type, x.period.key))
        rows.append([x.provider.name, x.return_type, x.period.key, x.due,
                     sub.received if sub else None, x.state, x.timeliness or "", sub.file if sub else ""])
    expected = {(x.provider.id, x.return_type, x.period.key) for x in report.submissions.expected}
    for s in report.submissions.received:
        # a return that does not count, or one for a period nobody is expected to have returned
        # yet (dated in the future): listed as received, so that no file goes unmentioned
        if not s.counts or (s.provider.id if s.provider else "", s.return_type, s.period.key) not in expected:
            state = s.status if not s.counts else "future period"
            rows.append([s.provider.name if s.provider else "(no provider)", s.return_type, s.period.key, s.due,
                         s.received, state, s.timeliness, s.file])
    columns = [sh.Column("Provider", max_width=32), sh.Column("Return"), sh.Column("Period"),
               sh.Column("Due", "dd/mm/yyyy"), sh.Column("Received", "dd/mm/yyyy"), sh.Column("State", max_width=20),
               sh.Column("Timeliness"), sh.Column("File", max_width=50)]
    last = sh.write_table(ws, columns, rows, top=top)
    from openpyxl.formatting.rule import CellIsRule
    from openpyxl.styles import Font, PatternFill

    for text, (fill, font) in (("missing", ("FFC7CE", "9C0006")), ("late", ("FFEB9C", "9C5700")),
                               ("on time", ("C6EFCE", "006100"))):
        ws.conditional_formatting.add(f"F{top + 1}:G{max(last, top + 1)}", CellIsRule(
            operator="equal", formula=[f'"{text}"'], fill=PatternFill("solid", fgColor=fill, bgColor=fill),
            font=Font(color=font)))


def _notes(ws: Any, report: MarketReport) -> None:
    from carekpi.render import sheets as sh

    top = sh.title(ws, "The notes behind the numbers", f"How carekpi reads {report.framework.source_document}.")
    shown = {f"kpi {k.id}" for k in report.framework.kpis_for(report.return_type.id)}
    rows = [[where, n.title, n.text] for where, n in report.framework.all_notes()
            if where in shown or where == "framework" or where.startswith("return ")]
    sh.write_table(ws, [sh.Column("About", max_width=28, wrap=True), sh.Column("Note", max_width=40, wrap=True),
                        sh.Column("Decision", max_width=100, wrap=True)], rows, top=top)
