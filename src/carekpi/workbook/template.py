"""Generate the Excel workbook a provider fills in, from a framework.

Layout: a Cover sheet (provider, CQC location ID, period, service types, contact, and how many
problems the checks find); one input sheet per ``sheet`` named in the framework, sections
stacked as the schedule groups them, each item with its definition and why it is collected; the
case logs; a KPI summary; the Checks sheet (what ``carekpi validate`` will say, live); the
Explanations sheet (a provider's explanation of a warning); the framework's notes; and a hidden
``_carekpi`` metadata sheet.

Every input cell is a workbook defined name equal to its item id, carries Excel data validation
with an input message, and is the only unlocked cell (sheets are protected without a password).
Each KPI has a live value cell and band cell (``kpi_<id>_value`` / ``kpi_<id>_band``) computed
by Excel formulas from the same expression trees carekpi evaluates, coloured by conditional
formatting, with a legend of the bands carekpi applies (and the source's own wording where it
differs).

People read and print it: every row is as tall as its wrapped text needs
(:func:`carekpi.workbook.sheetkit.fit_rows`), long titles and descriptions span the sheet, and
every sheet prints landscape on A4, one page wide, with its header row repeated and a footer
naming the framework, its version and the page.

The layout (which row holds what, every named cell, formula and validation) is planned by
:mod:`carekpi.workbook.layout`; this module writes the plan. Generation is deterministic: the
same framework gives byte-identical files.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, Protection
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from carekpi.base.atomic import atomic_write_bytes
from carekpi.base.enums import Severity
from carekpi.base.version import __version__
from carekpi.framework.compiled import compiled
from carekpi.framework.cover import (
    CHECKS_SHEET,
    COVER_SHEET,
    EXPLANATIONS_SHEET,
    META_SHEET,
    NOTES_SHEET,
    OPEN_CHECKS_NAME,
    SUMMARY_SHEET,
    period_number_format,
)
from carekpi.framework.model import FieldType, Framework, ItemField, Kpi, RecordTable, ReturnType, Source
from carekpi.workbook import checks as ck
from carekpi.workbook.layout import (
    CHECK_COL_CODE,
    CHECK_COL_GOTO,
    CHECK_COL_ITEM,
    CHECK_COL_REF,
    CHECK_COL_RESULT,
    CHECK_COL_STATUS,
    CHECK_COL_WHAT,
    CHECKS_COUNT_CELL,
    CHECKS_HEADER_ROW,
    COL_DEF,
    COL_LABEL,
    COL_REF,
    COL_VALUE,
    COL_WHY,
    EXPLANATIONS_FIRST_ROW,
    EXPLANATIONS_HEADER_ROW,
    EXPLANATIONS_ROWS,
    LISTS_COLUMN,
    TABLE_FIRST_ROW,
    TABLE_HEADER_ROW,
    Layout,
    Row,
    SheetPlan,
    Validation,
    band_legend,
    plan,
    sheet_prefix,
    validation_for,
)
from carekpi.workbook.sheetkit import (
    BAND_COLOURS,
    BOLD,
    BOX,
    CALCULATED_FILL,
    COUNCIL_FILL,
    INPUT_FILL,
    NOTE_FONT,
    SECTION_FILL,
    SEVERITY_COLOURS,
    SUBTITLE,
    TITLE,
    fill,
    fit_rows,
    freeze_below,
    header_row,
    link_to,
    merged_text,
    new_workbook,
    print_setup,
    put,
    put_formula,
    set_widths,
)
from carekpi.workbook.textfit import width_for

FIXED_TIMESTAMP = (1980, 1, 1, 0, 0, 0)

#: column widths (Excel units): the Cover, an input sheet, the KPI summary, the Checks sheet, the
#: Explanations sheet and the Notes sheet
COVER_WIDTHS = {1: 2, 2: 34, 3: 26, 4: 62}
INPUT_WIDTHS = {COL_REF: 7, COL_LABEL: 42, COL_VALUE: 15, COL_DEF: 52, COL_WHY: 46}
SUMMARY_WIDTHS = {1: 8, 2: 40, 3: 14, 4: 20, 5: 62, 6: 9}
CHECKS_WIDTHS = {CHECK_COL_REF: 5, CHECK_COL_WHAT: 44, CHECK_COL_RESULT: 58, CHECK_COL_STATUS: 15, CHECK_COL_ITEM: 26,
                 CHECK_COL_CODE: 10, CHECK_COL_GOTO: 16}
EXPLANATIONS_WIDTHS = {1: 30, 2: 14, 3: 94}
NOTES_WIDTHS = {1: 30, 2: 36, 3: 86}
#: the least height of a row holding an input cell (a comfortable target to type in)
INPUT_ROW_HEIGHT = 16.5

COVER_INSTRUCTION = (
    "Fill in the yellow cells on every sheet; grey cells are calculated, or supplied by the council. Select a yellow "
    "cell to see what it asks for. The Checks sheet shows, as you type, what carekpi validate will say about the "
    "return: correct every error, check every warning, and where a figure a warning queries is right, explain it on "
    "the Explanations sheet."
)
CHECKS_INTRO = (
    "Each check updates as you type. OK: it holds. A message: what carekpi validate will say, word for word; "
    "correct an Error, and check a Warning (if the figure is right, explain it on the Explanations sheet: it then "
    "shows as Explained). \u201cWaiting\u201d: a figure the check uses is still blank. \u201ccarekpi validate\u201d: "
    "an answer was typed in a way only carekpi reads (such as a figure typed as text), or the check is one only "
    "carekpi validate can make; run carekpi validate on the return."
)
EXPLANATIONS_INTRO = (
    "Where carekpi gives a warning about a figure that is right, say why here: the item and the finding's code (both "
    "shown on the Checks sheet and in every carekpi report, e.g. {example}) and your explanation. An "
    "explained warning stays in every report, marked as explained, and does not hold up the return. An error cannot "
    "be explained: correct it."
)


def explanation_example(fw: Framework, rtype: ReturnType) -> str:
    """An item and finding code a provider of this return type could explain, for the
    Explanations sheet's instructions: a figure one of the framework's warnings checks, else the
    return's first figure (every figure a check queries is explained the same way)."""
    for rule in compiled(fw, rtype.id).rules:
        if not rule.generated and rule.severity == Severity.warning and rule.fields:
            return f"{rule.fields[0]} and V201"
    items = [i.id for i in rtype.items() if i.source == Source.provider]
    return f"{items[0]} and V201" if items else "an item and V201"


def _data_validation(v: Validation) -> DataValidation:
    return DataValidation(
        allow_blank=True, showInputMessage=True, showErrorMessage=True, errorStyle="stop",
        promptTitle=v.prompt_title, prompt=v.prompt, errorTitle="Not accepted", error=v.error, **v.record,
    )


def _band_colours(ws: Worksheet, coord: str) -> None:
    for text, (fill_colour, font_colour) in BAND_COLOURS.items():
        ws.conditional_formatting.add(coord, CellIsRule(
            operator="equal", formula=[f'"{text}"'], fill=fill(fill_colour), font=Font(color=font_colour, bold=True),
        ))


class _Writer:
    def __init__(self, fw: Framework, rtype: ReturnType):
        self.fw = fw
        self.rtype = rtype
        self.comp = compiled(fw, rtype.id)
        self.layout = plan(fw, rtype.id)
        self.wb = new_workbook()
        self.footer = f"{fw.id} version {fw.version}: {rtype.label}"

    def build(self) -> tuple[Workbook, Layout]:
        wb = self.wb
        cover = wb.active
        assert cover is not None
        cover.title = COVER_SHEET
        meta = wb.create_sheet(META_SHEET)
        meta.sheet_state = "hidden"
        self.write_cover(cover)
        for sheet in self.layout.input_sheets:
            self.write_input_sheet(wb.create_sheet(sheet.title), sheet)
        for table in self.layout.tables:
            self.write_record_table(wb.create_sheet(table.sheet), table)
        self.write_summary(wb.create_sheet(SUMMARY_SHEET))
        self.write_checks(wb.create_sheet(CHECKS_SHEET))
        self.write_explanations(wb.create_sheet(EXPLANATIONS_SHEET))
        self.write_notes(wb.create_sheet(NOTES_SHEET))
        wb.move_sheet(META_SHEET, offset=len(wb.sheetnames))
        assert self.layout.sheets == [s for s in wb.sheetnames if s != META_SHEET]
        self.write_meta(meta)
        for slot in self.layout.slots.values():
            wb.defined_names[slot.name] = DefinedName(slot.name, attr_text=slot.reference)
        for ws in wb.worksheets:
            ws.protection.sheet = True
            ws.protection.formatCells = True  # input cells keep the formats that say how a value is read
            ws.protection.formatColumns = False
            ws.protection.formatRows = False
        wb.calculation.fullCalcOnLoad = True
        return wb, self.layout

    # -- cells ------------------------------------------------------------------------------------
    def input_cell(self, ws: Worksheet, row: int, item: ItemField, *, number_format: str | None = None) -> None:
        cell = put(ws, row, COL_VALUE, None, wrap=item.type == FieldType.text, fill_=INPUT_FILL, border=BOX)
        cell.protection = Protection(locked=False)
        if number_format:
            cell.number_format = number_format
        elif item.type == FieldType.percentage:
            cell.number_format = "0.0%"
        elif item.type == FieldType.date:
            cell.number_format = "dd/mm/yyyy"
        elif item.type == FieldType.money:
            cell.number_format = "£#,##0.00"
        elif item.type in (FieldType.count, FieldType.integer):
            cell.number_format = "#,##0"
        elif item.type == FieldType.text:
            cell.number_format = "@"
        dv = _data_validation(self.layout.inputs[item.id])
        ws.add_data_validation(dv)
        dv.add(cell)

    def inputs_tall_enough(self, ws: Worksheet, rows: list[int]) -> None:
        for r in rows:
            dim = ws.row_dimensions[r]
            if dim.height is None or dim.height < INPUT_ROW_HEIGHT:
                dim.height = INPUT_ROW_HEIGHT

    # -- sheets -----------------------------------------------------------------------------------
    def write_cover(self, ws: Worksheet) -> None:
        fw, rt, lay = self.fw, self.rtype, self.layout
        set_widths(ws, COVER_WIDTHS)
        merged_text(ws, 1, 2, 4, fw.name, font=TITLE)
        merged_text(ws, 2, 2, 4, f"{fw.commissioner}: {rt.label}", font=SUBTITLE)
        merged_text(ws, 3, 2, 4, f"Framework {fw.id} version {fw.version}, {fw.in_force_text()}.")
        merged_text(ws, 4, 2, 4, f"Due: {rt.deadline.text or rt.deadline.rule}")
        merged_text(ws, 5, 2, 4, COVER_INSTRUCTION, font=BOLD)
        for row, item in lay.cover_rows:
            put(ws, row, COL_LABEL, item.label, font=BOLD)
            fmt = period_number_format(rt) if item.id == "reporting_period" else None
            self.input_cell(ws, row, item, number_format=fmt)
            put(ws, row, COL_DEF, item.help)
        row = lay.cover_checks_row
        open_cell = f"{get_column_letter(COL_VALUE)}{row}"
        put(ws, row, COL_LABEL, "Problems the checks find now", font=BOLD)
        put_formula(ws, row, COL_VALUE, lay.cell_formulas[f"{COVER_SHEET}!{open_cell}"], font=BOLD,
                    number_format="0").border = BOX
        for op, colour in (("greaterThan", "error"), ("equal", None)):
            fill_colour, font_colour = SEVERITY_COLOURS[colour] if colour else BAND_COLOURS["Green"]
            ws.conditional_formatting.add(open_cell, CellIsRule(operator=op, formula=["0"], fill=fill(fill_colour),
                                                                font=Font(color=font_colour, bold=True)))
        put(ws, row, COL_DEF, "Errors to correct and warnings to check or explain: see the Checks sheet. Until "
                              "the return is filled in, every answer still to give counts, so the number falls as "
                              "you fill it in; 0 means nothing left to do.")
        put(ws, row + 1, COL_LABEL, "Answers only carekpi validate can read", font=BOLD)
        doubt_cell = f"{get_column_letter(COL_VALUE)}{row + 1}"
        put_formula(ws, row + 1, COL_VALUE, lay.cell_formulas[f"{COVER_SHEET}!{doubt_cell}"], font=BOLD,
                    number_format="0").border = BOX
        put(ws, row + 1, COL_DEF, "Answers typed in a way the checks cannot read, such as a figure typed as text: "
                                  "retype them, or run carekpi validate.")
        fit_rows(ws, hints={(row, COL_VALUE): "0", (row + 1, COL_VALUE): "0"})
        self.inputs_tall_enough(ws, [r for r, _ in lay.cover_rows])
        print_setup(ws, footer=self.footer, landscape=False)

    def ref_width(self, least: float) -> float:
        """The width of a column of the source's references (wide enough for most of them)."""
        refs = [i.ref or "" for i in self.rtype.items()] + [k.ref or "" for k in self.fw.kpis_for(self.rtype.id)]
        return width_for(refs, least=least, most=14)

    def write_input_sheet(self, ws: Worksheet, sheet: SheetPlan) -> None:
        set_widths(ws, {**INPUT_WIDTHS, COL_REF: self.ref_width(INPUT_WIDTHS[COL_REF])})
        merged_text(ws, 1, COL_REF, COL_WHY, f"{self.fw.name}: {ws.title}", font=TITLE)
        input_rows = []
        for r in sheet.rows:
            self.write_row(ws, r)
            if r.kind == "item":
                input_rows.append(r.row)
        fit_rows(ws)
        self.inputs_tall_enough(ws, input_rows)
        first_headers = next((r.row for r in sheet.rows if r.kind == "headers"), None)
        print_setup(ws, footer=self.footer,
                    title_rows=(first_headers, first_headers) if first_headers is not None else None)

    def write_row(self, ws: Worksheet, r: Row) -> None:
        row = r.row
        if r.kind == "section":
            assert r.section is not None
            merged_text(ws, row, COL_REF, COL_WHY, r.section.label, font=BOLD, fill_=SECTION_FILL)
        elif r.kind == "description":
            merged_text(ws, row, COL_REF, COL_WHY, r.text or "")
        elif r.kind == "headers":
            header_row(ws, row, ((COL_REF, "Ref"), (COL_LABEL, "Item"), (COL_VALUE, "Your figure"),
                                 (COL_DEF, "Definition"), (COL_WHY, "Why we are collecting this")))
        elif r.kind == "item":
            item = r.item
            assert item is not None
            put(ws, row, COL_REF, item.ref)
            put(ws, row, COL_LABEL, item.label)
            if item.source == Source.commissioner:
                put(ws, row, COL_VALUE, "Supplied by the council", fill_=COUNCIL_FILL)
            else:
                self.input_cell(ws, row, item)
            put(ws, row, COL_DEF, item.definition_text())
            put(ws, row, COL_WHY, item.why)
        elif r.kind == "kpi_headers":
            header_row(ws, row, ((COL_REF, "Ref"), (COL_LABEL, "KPI"), (COL_VALUE, "Value"), (COL_DEF, "Band"),
                                 (COL_WHY, "Bands")))
        elif r.kind == "kpi":
            assert r.kpi is not None
            self.write_kpi(ws, row, r.kpi)

    def write_kpi(self, ws: Worksheet, row: int, kpi: Kpi) -> None:
        put(ws, row, COL_REF, kpi.ref)
        put(ws, row, COL_LABEL, kpi.label, font=BOLD)
        value_formula = self.layout.formulas.get(kpi.value_name)
        band_formula = self.layout.formulas.get(kpi.band_name)
        if value_formula is None:
            vcell = put(ws, row, COL_VALUE, "Calculated by the council", font=BOLD)
            bcell = put(ws, row, COL_DEF, "Scored by the council", font=BOLD)
        else:
            vcell = put_formula(ws, row, COL_VALUE, value_formula, font=BOLD)
            if band_formula is not None:
                bcell = put_formula(ws, row, COL_DEF, band_formula, font=BOLD)
            else:
                bcell = put(ws, row, COL_DEF, kpi.bands.static_band_text(), font=BOLD)
        vcell.number_format = self.value_format(kpi)
        for kpi_cell in (vcell, bcell):
            kpi_cell.fill = CALCULATED_FILL
            kpi_cell.border = BOX
        _band_colours(ws, bcell.coordinate)
        put(ws, row, COL_WHY, band_legend(self.fw, kpi) + (f"\n{kpi.description}" if kpi.description else ""))

    def value_format(self, kpi: Kpi) -> str:
        """How a KPI's value cell is shown: percentages at the KPI's precision, with up to
        three more places for a value judged exactly (99.95%, never 100.0%)."""
        if kpi.effective_unit() != "percent":
            return "General"
        places = self.fw.kpi_precision(kpi)
        digits = "0" * places + ("###" if kpi.bands.judges_exactly() else "")
        return (f'0.{digits}"%"' if digits else '0"%"')

    def write_record_table(self, ws: Worksheet, table: RecordTable) -> None:
        last = len(table.columns)
        widths = {i: 22.0 for i in range(1, last + 1)}
        set_widths(ws, widths)
        merged_text(ws, 1, 1, max(last, 4), table.label, font=TITLE)
        if table.description:
            merged_text(ws, 2, 1, max(last, 4), table.description)
        how = f"One row per case, at most {table.max_rows} rows. Use case references, never names."
        if table.one_row_per is not None:
            how += (f" Every case counted in \"{self.comp.items[table.one_row_per].label}\" has its row: carekpi "
                    "checks that the rows add up to that figure.")
        if table.computes is not None:
            checked = [self.comp.items[i].label for i in (table.computes.total, table.computes.declared) if i]
            how += (f" carekpi counts working days from these dates itself (weekends and England and Wales bank "
                    f"holidays excluded) and checks: {'; '.join(checked)}.")
        merged_text(ws, 3, 1, max(last, 4), how)
        header_row(ws, TABLE_HEADER_ROW, ((i, col.label) for i, col in enumerate(table.columns, start=1)))
        for i, col in enumerate(table.columns, start=1):
            item = ItemField(id=col.id, label=col.label, type=col.type, choices=col.choices, help=col.help)
            dv = _data_validation(validation_for(item))
            ws.add_data_validation(dv)
            letter = get_column_letter(i)
            dv.add(f"{letter}{TABLE_FIRST_ROW}:{letter}{TABLE_HEADER_ROW + table.max_rows}")
            for r in range(TABLE_FIRST_ROW, TABLE_FIRST_ROW + table.max_rows):
                cell = ws.cell(row=r, column=i)
                cell.protection = Protection(locked=False)
                if col.type == FieldType.date:
                    cell.number_format = "dd/mm/yyyy"
                elif col.reference:
                    cell.number_format = "@"  # references keep their leading zeros
        fit_rows(ws, rows=range(1, TABLE_HEADER_ROW + 1))
        freeze_below(ws, TABLE_FIRST_ROW)
        print_setup(ws, footer=self.footer, title_rows=(TABLE_HEADER_ROW, TABLE_HEADER_ROW), last_col=max(last, 4))

    def write_summary(self, ws: Worksheet) -> None:
        set_widths(ws, {**SUMMARY_WIDTHS, 1: self.ref_width(SUMMARY_WIDTHS[1])})
        merged_text(ws, 1, 1, 6, f"KPI summary: {self.rtype.label}", font=TITLE)
        header_row(ws, 3, enumerate(["Ref", "KPI", "Value", "Band", "Bands", "Critical"], start=1))
        hints: dict[tuple[int, int], str] = {}
        row = 4
        for kpi in self.fw.kpis_for(self.rtype.id):
            put(ws, row, 1, kpi.ref)
            put(ws, row, 2, kpi.label)
            v = put_formula(ws, row, 3, f'IF(ISBLANK({kpi.value_name}),"",{kpi.value_name})')
            v.number_format = self.value_format(kpi)
            b = put_formula(ws, row, 4, f'IF(ISBLANK({kpi.band_name}),"",{kpi.band_name})', font=BOLD)
            _band_colours(ws, b.coordinate)
            band_formula = self.layout.formulas.get(kpi.band_name)
            if kpi.value_name not in self.layout.formulas:
                hints[(row, 3)], hints[(row, 4)] = "Calculated by the council", "Scored by the council"
            else:
                hints[(row, 4)] = max(re.findall(r'"([^"]*)"', band_formula or ""), key=len, default="") \
                    if band_formula else kpi.bands.static_band_text()
            put(ws, row, 5, band_legend(self.fw, kpi))
            put(ws, row, 6, "Yes" if kpi.critical else "")
            row += 1
        fit_rows(ws, hints=hints)
        freeze_below(ws, 4)
        print_setup(ws, footer=self.footer, title_rows=(3, 3))

    def write_checks(self, ws: Worksheet) -> None:
        lay = self.layout
        checks = lay.checks
        goto_slots = [lay.slots[r.goto] for r in checks.rows if r.goto in lay.slots]
        set_widths(ws, {**CHECKS_WIDTHS,
                        # the item ids and the links shown on one line each
                        CHECK_COL_ITEM: width_for([r.item or "" for r in checks.rows],
                                                  least=CHECKS_WIDTHS[CHECK_COL_ITEM], most=40),
                        CHECK_COL_GOTO: width_for([f"{s.sheet}!{s.coordinate}" for s in goto_slots],
                                                  least=CHECKS_WIDTHS[CHECK_COL_GOTO], most=34)})
        merged_text(ws, 1, 1, CHECK_COL_GOTO, "Checks: what carekpi validate will say about this return", font=TITLE)
        merged_text(ws, 2, 1, CHECK_COL_GOTO, CHECKS_INTRO)
        count_row, count_col = CHECKS_COUNT_CELL
        put(ws, count_row, CHECK_COL_WHAT, "Open problems (errors, and warnings not explained)", font=BOLD)
        put_formula(ws, count_row, count_col, lay.formulas[OPEN_CHECKS_NAME], font=BOLD, number_format="0",
                    wrap=False).border = BOX
        header_row(ws, CHECKS_HEADER_ROW, ((CHECK_COL_REF, "#"), (CHECK_COL_WHAT, "Check"),
                                            (CHECK_COL_RESULT, "Result"), (CHECK_COL_STATUS, "Status"),
                                            (CHECK_COL_ITEM, "Item"), (CHECK_COL_CODE, "Code"),
                                            (CHECK_COL_GOTO, "Go to")))
        for row, title in checks.titles:
            merged_text(ws, row, CHECK_COL_REF, CHECK_COL_GOTO, title, font=BOLD, fill_=SECTION_FILL)
        last_explanation = EXPLANATIONS_FIRST_ROW + EXPLANATIONS_ROWS - 1
        item_range, code_range, text_range = (
            f"{sheet_prefix(EXPLANATIONS_SHEET)}!${c}${EXPLANATIONS_FIRST_ROW}:${c}${last_explanation}" for c in "ABC")
        hints: dict[tuple[int, int], str] = {}
        slots = {s.name: s for s in lay.slots.values()}
        for n, r in enumerate(checks.rows, start=1):
            put(ws, r.row, CHECK_COL_REF, n)
            put(ws, r.row, CHECK_COL_WHAT, r.what)
            result = f"{get_column_letter(CHECK_COL_RESULT)}{r.row}"
            if r.formula is not None:
                put_formula(ws, r.row, CHECK_COL_RESULT, r.formula)
                hints[(r.row, CHECK_COL_RESULT)] = r.longest
                explained = "FALSE()"
                if r.severity.value == "warning" and r.item:
                    explained = f'COUNTIFS({item_range},"{r.item}",{code_range},"{r.code}",{text_range},"<>")>0'
                problem = "Warning" if r.severity.value == "warning" else "Error"
                status = (f'IF({result}="{ck.OK}","{ck.STATUS_OK}",IF({result}="{ck.WAITING}","{ck.STATUS_WAITING}",'
                          f'IF({result}="{ck.NOT_APPLICABLE}","{ck.STATUS_NA}",IF({result}="{ck.DOUBT}",'
                          f'"{ck.STATUS_VALIDATE}",IF({explained},"{ck.STATUS_EXPLAINED}","{problem}")))))')
                put_formula(ws, r.row, CHECK_COL_STATUS, status, font=BOLD)
                hints[(r.row, CHECK_COL_STATUS)] = ck.STATUS_VALIDATE
            else:
                text = ck.COUNCIL_ONLY if r.group == "council" else ck.VALIDATE_ONLY
                put(ws, r.row, CHECK_COL_RESULT, f"{text}: {r.reason}" if r.reason else text, font=NOTE_FONT)
                put(ws, r.row, CHECK_COL_STATUS, ck.STATUS_COUNCIL if r.group == "council" else ck.STATUS_VALIDATE,
                    font=BOLD)
            put(ws, r.row, CHECK_COL_ITEM, r.item)
            put(ws, r.row, CHECK_COL_CODE, r.code)
            goto = slots.get(r.goto) if r.goto else None
            if goto is not None:
                cell = put(ws, r.row, CHECK_COL_GOTO, None)
                link_to(cell, goto.sheet, goto.coordinate)
        status_col = get_column_letter(CHECK_COL_STATUS)
        last = max((r.row for r in checks.rows), default=CHECKS_HEADER_ROW)
        status_range = f"{status_col}{CHECKS_HEADER_ROW + 1}:{status_col}{last}"
        for text, colour in ((ck.STATUS_ERROR, SEVERITY_COLOURS["error"]), (ck.STATUS_WARNING, SEVERITY_COLOURS["warning"]),
                             (ck.STATUS_OK, BAND_COLOURS["Green"]), (ck.STATUS_EXPLAINED, SEVERITY_COLOURS["explained"])):
            ws.conditional_formatting.add(status_range, CellIsRule(
                operator="equal", formula=[f'"{text}"'], fill=fill(colour[0]), font=Font(color=colour[1], bold=True)))
        # the readings the checks use, in hidden helper columns
        for reading in checks.readings.values():
            ws.cell(row=reading.row, column=ck.HELP_LABEL_COL, value=reading.item.id)
            ws.cell(row=reading.row, column=ck.HELP_STATUS_COL, value="=" + reading.status_formula)
            ws.cell(row=reading.row, column=ck.HELP_VALUE_COL, value="=" + reading.value_formula)
        for row, what, formula in checks.helpers:
            ws.cell(row=row, column=ck.HELP_LABEL_COL, value=what)
            ws.cell(row=row, column=ck.HELP_STATUS_COL, value="=" + formula)
        for col in (ck.HELP_LABEL_COL, ck.HELP_STATUS_COL, ck.HELP_VALUE_COL):
            ws.column_dimensions[get_column_letter(col)].hidden = True
        fit_rows(ws, hints=hints, rows=[r for r in range(1, last + 1)])
        freeze_below(ws, CHECKS_HEADER_ROW + 1)
        print_setup(ws, footer=self.footer, title_rows=(CHECKS_HEADER_ROW, CHECKS_HEADER_ROW),
                    last_col=CHECK_COL_GOTO, last_row=last)

    def write_explanations(self, ws: Worksheet) -> None:
        set_widths(ws, EXPLANATIONS_WIDTHS)
        merged_text(ws, 1, 1, 3, "Explanations of warnings", font=TITLE)
        merged_text(ws, 2, 1, 3, EXPLANATIONS_INTRO.format(example=explanation_example(self.fw, self.rtype)))
        header_row(ws, EXPLANATIONS_HEADER_ROW, ((1, "Item"), (2, "Finding code"), (3, "Explanation")))
        items = self.layout.explanation_items
        assert items is not None
        item_dv = _data_validation(items)
        code_dv = _data_validation(Validation({"type": "textLength", "operator": "lessThanOrEqual", "formula1": "20"},
                                              "Finding code", "The code of the finding you explain, e.g. V201.",
                                              "Enter a finding code of at most 20 characters, e.g. V201."))
        text_dv = _data_validation(Validation({"type": "textLength", "operator": "lessThanOrEqual", "formula1": "4000"},
                                              "Explanation", "Why the figure is right although the check queries it.",
                                              "Enter text of at most 4000 characters."))
        last = EXPLANATIONS_FIRST_ROW + EXPLANATIONS_ROWS - 1
        for col, dv in ((1, item_dv), (2, code_dv), (3, text_dv)):
            ws.add_data_validation(dv)
            letter = get_column_letter(col)
            dv.add(f"{letter}{EXPLANATIONS_FIRST_ROW}:{letter}{last}")
        for r in range(EXPLANATIONS_FIRST_ROW, last + 1):
            for col in (1, 2, 3):
                cell = put(ws, r, col, None, fill_=INPUT_FILL, border=BOX, number_format="@")
                cell.protection = Protection(locked=False)
        fit_rows(ws, rows=range(1, EXPLANATIONS_HEADER_ROW + 1))
        self.inputs_tall_enough(ws, list(range(EXPLANATIONS_FIRST_ROW, last + 1)))
        freeze_below(ws, EXPLANATIONS_FIRST_ROW)
        print_setup(ws, footer=self.footer, title_rows=(EXPLANATIONS_HEADER_ROW, EXPLANATIONS_HEADER_ROW))

    def write_notes(self, ws: Worksheet) -> None:
        fw = self.fw
        version = f"{fw.name}, version {fw.version}, {fw.in_force_text()}."
        if fw.effective_from_placeholder:
            version += (" carekpi chose this date so that versions can be told apart; it is not a date from the "
                        "source document, and the commissioner's own date should replace it.")
        rows: list[tuple[str, str, str]] = [("framework", "Version and date in force", version)]
        late = fw.submissions.describe()
        if late:
            rows.append(("framework", "Late or missing returns", late))
        rows += [(where, note.title, note.text) for where, note in fw.all_notes()]
        # what a note applies to ("rule complaints_outcomes_within_received") shows on one line, so
        # an id is never broken (the page is scaled to fit); past the widest the column may be, the
        # id goes onto the line after its kind
        applies = width_for((where for where, _, _ in rows), least=NOTES_WIDTHS[1], most=NOTES_WIDTHS[1] + 14)
        set_widths(ws, {**NOTES_WIDTHS, 1: applies})
        merged_text(ws, 1, 1, 3, "How carekpi reads this framework: interpretations of the source document", font=TITLE)
        header_row(ws, 3, enumerate(["Applies to", "Note", "Decision"], start=1))
        row = 4
        for where, title, text in rows:
            put(ws, row, 1, where)
            put(ws, row, 2, title, font=BOLD)
            put(ws, row, 3, text)
            row += 1
        fit_rows(ws)
        freeze_below(ws, 4)
        print_setup(ws, footer=self.footer, title_rows=(3, 3))

    def write_meta(self, ws: Worksheet) -> None:
        rows = [
            ("framework", self.fw.id),
            ("framework_version", self.fw.version),
            ("return_type", self.rtype.id),
            ("fingerprint", self.layout.fingerprint()),
            ("generator", f"carekpi {__version__}"),
        ]
        for r, (k, v) in enumerate(rows, start=1):
            ws.cell(row=r, column=1, value=k)
            ws.cell(row=r, column=2, value=v)
        r = len(rows) + 2
        for col, text in enumerate(("item", "sheet", "cell", "label"), start=1):
            ws.cell(row=r, column=col, value=text)
        for slot in self.layout.slots.values():
            r += 1
            ws.cell(row=r, column=1, value=slot.name)
            ws.cell(row=r, column=2, value=slot.sheet)
            ws.cell(row=r, column=3, value=slot.coordinate)
            put(ws, r, 4, slot.label, font=None, wrap=False)
        lists_row = 0
        for choices in self.layout.lists:
            for c in choices:
                lists_row += 1
                put(ws, lists_row, LISTS_COLUMN, c, font=None, wrap=False)


def build_template(fw: Framework, return_id: str | None = None) -> tuple[Workbook, Layout]:
    """The template as an openpyxl workbook, with its layout."""
    return _Writer(fw, fw.return_type(return_id)).build()


_CORE_TIME = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def template_bytes(fw: Framework, return_id: str | None = None) -> bytes:
    """The template as bytes, identical on every run for the same framework."""
    wb, _ = build_template(fw, return_id)
    stamp = datetime(fw.effective_from.year, fw.effective_from.month, fw.effective_from.day)
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.properties.creator = "carekpi"
    wb.properties.title = f"{fw.name}: {fw.return_type(return_id).label}"
    raw = io.BytesIO()
    wb.save(raw)
    return _normalise_zip(raw.getvalue(), stamp)


def _normalise_zip(data: bytes, stamp: datetime) -> bytes:
    """Re-pack with fixed timestamps so that two runs give the same bytes."""
    out = io.BytesIO()
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _CORE_TIME.sub(lambda m: m.group(1) + iso + m.group(3), content)
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_TIMESTAMP)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, content)
    return out.getvalue()


def write_template(fw: Framework, path: str | Path, return_id: str | None = None) -> Path:
    p = Path(path)
    atomic_write_bytes(p, template_bytes(fw, return_id))
    return p

