"""Generate the Excel workbook a provider fills in, from a framework.

Layout: a Cover sheet (provider, CQC location ID, period, service types, contact);
one input sheet per ``sheet`` named in the framework, sections stacked as the
schedule groups them, each item with its definition and why it is collected; a KPI
summary; the framework's notes; and a hidden ``_carekpi`` metadata sheet.

Every input cell is a workbook defined name equal to its item id, carries Excel
data validation with an input message, and is the only unlocked cell (sheets are
protected without a password). Each KPI has a live value cell and band cell
(``kpi_<id>_value`` / ``kpi_<id>_band``) computed by Excel formulas from the same
expression trees carekpi evaluates, coloured by conditional formatting.

Generation is deterministic: the same framework gives byte-identical files.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from carekpi import __version__
from carekpi.framework.expr import Expression
from carekpi.framework.loader import CompiledReturn, compiled
from carekpi.framework.model import (
    Cadence,
    Direction,
    FieldType,
    Framework,
    ItemField,
    Kpi,
    KpiKind,
    MappingBands,
    MetBands,
    NoBands,
    RangeBands,
    RelativeBands,
    ReturnType,
    Source,
    ThresholdBands,
    TrajectoryBands,
)
from carekpi.workbook.cover import cover_items, period_number_format, service_item_id

META_SHEET = "_carekpi"
COVER_SHEET = "Cover"
SUMMARY_SHEET = "KPI summary"
NOTES_SHEET = "Notes"

# --- styles -------------------------------------------------------------------------------------
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")  # pale yellow: type here
COUNCIL_FILL = PatternFill("solid", fgColor="D9D9D9")
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
SECTION_FILL = PatternFill("solid", fgColor="DDEBF7")
KPI_FILL = PatternFill("solid", fgColor="EDEDED")
BAND_FILLS = {
    "Green": ("C6EFCE", "006100"),
    "Amber": ("FFEB9C", "9C5700"),
    "Red": ("FFC7CE", "9C0006"),
    "n/a": ("EDEDED", "595959"),
}
THIN = Side(style="thin", color="BFBFBF")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
WHITE_BOLD = Font(bold=True, color="FFFFFF")
FIXED_TIMESTAMP = (1980, 1, 1, 0, 0, 0)

COL_REF, COL_LABEL, COL_VALUE, COL_DEF, COL_WHY = 1, 2, 3, 4, 5
#: band cell text where the band needs what only scoring knows (contract dates, peers)
TRAJECTORY_PENDING = "Amber or Green: scored against the target in force"
RELATIVE_PENDING = "Compared with other providers when scored"
VALUE_COLUMN = get_column_letter(COL_VALUE)


@dataclass
class Slot:
    """Where one named cell is: an input item or a KPI value/band cell."""

    name: str
    sheet: str
    row: int
    col: int
    label: str
    kind: str  # "input" | "kpi_value" | "kpi_band"
    item: ItemField | None = None

    @property
    def coordinate(self) -> str:
        return f"{get_column_letter(self.col)}{self.row}"

    @property
    def reference(self) -> str:
        return f"{quote_sheetname(self.sheet)}!${get_column_letter(self.col)}${self.row}"


@dataclass
class Layout:
    framework: str
    version: str
    return_type: str
    sheets: list[str] = field(default_factory=list)
    slots: dict[str, Slot] = field(default_factory=dict)
    formulas: dict[str, str] = field(default_factory=dict)
    validations: dict[str, dict[str, Any]] = field(default_factory=dict)

    def fingerprint(self) -> str:
        """A digest of everything a provider's workbook must match: names, places, labels,
        validation rules and KPI formulas."""
        doc = {
            "framework": self.framework,
            "version": self.version,
            "return_type": self.return_type,
            "sheets": self.sheets,
            "slots": sorted((s.name, s.sheet, s.coordinate, s.label, s.kind) for s in self.slots.values()),
            "formulas": sorted(self.formulas.items()),
            "validations": sorted((k, json.dumps(v, sort_keys=True)) for k, v in self.validations.items()),
        }
        blob = json.dumps(doc, sort_keys=True, ensure_ascii=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


# --- KPI formulas ---------------------------------------------------------------------------------


def _service_condition(fw: Framework, applies_to: list[str] | None) -> str | None:
    if not applies_to or not fw.service_types:
        return None
    all_ids = [service_item_id(s.id) for s in fw.service_types]
    parts = [f'{service_item_id(s)}="Yes"' for s in applies_to]
    # Nothing answered yet: treat every item as applying (the validator asks for the answer).
    parts.append(f"COUNTA({','.join(all_ids)})=0")
    return f"OR({','.join(parts)})"


def _expand(comp: CompiledReturn) -> Any:
    def name(n: str) -> str:
        if n in comp.derived:
            return f"({comp.derived[n].to_excel(name)})"
        return n

    return name


def _inputs(comp: CompiledReturn, e: Expression) -> list[str]:
    out: list[str] = []

    def walk(names: frozenset[str]) -> None:
        for n in sorted(names):
            if n in comp.derived:
                walk(comp.derived[n].names)
            elif n not in out:
                out.append(n)

    walk(e.names)
    return out


def period_months(rtype: ReturnType) -> float:
    return {Cadence.monthly: 1, Cadence.quarterly: 3, Cadence.annual: 12, Cadence.four_weekly: 12 / 13}[rtype.cadence]


def _num(x: Any) -> str:
    s = format(x, "f") if not isinstance(x, float) else repr(x)
    return s.rstrip("0").rstrip(".") if "." in s else s


def kpi_value_formula(fw: Framework, comp: CompiledReturn, kpi: Kpi) -> str | None:
    """The Excel formula of a KPI's value cell (None when the council supplies its data)."""
    exprs = comp.kpis[kpi.id]
    name = _expand(comp)
    parts = [e for e in (exprs.numerator, exprs.denominator, exprs.value) if e is not None]
    inputs: list[str] = []
    for e in parts:
        inputs += [n for n in _inputs(comp, e) if n not in inputs]
    if any(comp.items[n].source == Source.commissioner for n in inputs if n in comp.items):
        return None
    p = fw.kpi_precision(kpi)
    if kpi.kind == KpiKind.ratio:
        assert exprs.numerator and exprs.denominator
        num, den = exprs.numerator.to_excel(name), exprs.denominator.to_excel(name)
        core = f'IF({den}=0,"n/a",ROUND({num}/{den}*100,{p}))'
    elif kpi.kind in (KpiKind.value, KpiKind.count_target):
        assert exprs.value
        core = f"ROUND({exprs.value.to_excel(name)},{p})"
    else:
        assert exprs.value
        core = exprs.value.to_excel(name)
    if kpi.kind in (KpiKind.compliance, KpiKind.rating):
        formula = f'IF(COUNTA({",".join(inputs)})<{len(inputs)},"",{core})'
    else:
        formula = f'IF(COUNT({",".join(inputs)})<{len(inputs)},"",{core})'
    cond = _service_condition(fw, kpi.applies_to)
    if cond:
        formula = f'IF({cond},{formula},"n/a")'
    return formula


def kpi_band_formula(fw: Framework, rtype: ReturnType, kpi: Kpi) -> str | None:
    v = kpi.value_name
    b = kpi.bands
    blank = f'IF({v}="n/a","n/a","")'
    if isinstance(b, ThresholdBands):
        cmp = ">=" if b.direction == Direction.higher else "<="
        inner = '"Red"' if b.amber is None else f'IF({v}{cmp}{_num(b.amber)},"Amber","Red")'
        return f'IF(ISNUMBER({v}),IF({v}{cmp}{_num(b.green)},"Green",{inner}),{blank})'
    if isinstance(b, RangeBands):
        out = '""'
        for r in reversed(b.ranges):
            out = f'IF(AND({v}>={_num(r.min)},{v}<={_num(r.max)}),"{r.band.capitalize()}",{out})'
        return f"IF(ISNUMBER({v}),{out},{blank})"
    if isinstance(b, MetBands):
        target: Any = b.target
        target = f"{_num(b.target)}*{_num(period_months(rtype))}/{b.per_months}" if b.per_months else _num(target)
        cmp = ">=" if b.direction == Direction.higher else "<="
        return f'IF(ISNUMBER({v}),IF({v}{cmp}{target},"Green","Red"),{blank})'
    if isinstance(b, MappingBands):
        out = '""'
        for answer, band in reversed(list(b.map.items())):
            label = "n/a" if band == "na" else band.capitalize()
            out = f'IF({v}="{answer}","{label}",{out})'
        return f'IF({v}="","",{out})'
    if isinstance(b, TrajectoryBands):
        # The target in force depends on the contract's dates, which the workbook does not
        # know; but it is never below the minimum nor beyond the final target, so Red and
        # (at the final target) Green are exact here. In between, carekpi decides when scored.
        worse, best = ("<", ">=") if b.direction == Direction.higher else (">", "<=")
        return (f'IF(ISNUMBER({v}),IF({v}{worse}{_num(b.minimum)},"Red",IF({v}{best}{_num(b.final)},"Green",'
                f'"{TRAJECTORY_PENDING}")),{blank})')
    if isinstance(b, RelativeBands):
        return f'IF(ISNUMBER({v}),"{RELATIVE_PENDING}",{blank})'
    return None  # management information: not banded


# --- writing ----------------------------------------------------------------------------------


def _validation(item: ItemField, rtype: ReturnType) -> tuple[DataValidation, dict[str, Any]]:
    t = item.type
    lo, hi = item.bounds()
    kw: dict[str, Any] = {}
    if t in (FieldType.count, FieldType.integer):
        if lo is not None and hi is not None:
            kw = {"type": "whole", "operator": "between", "formula1": _num(lo), "formula2": _num(hi)}
        else:
            kw = {"type": "whole", "operator": "greaterThanOrEqual", "formula1": _num(lo if lo is not None else -999999999)}
        err = "Enter a whole number" + (f" of at least {_num(lo)}" if lo is not None else "") + "."
    elif t in (FieldType.number, FieldType.money):
        kw = {"type": "decimal", "operator": "greaterThanOrEqual", "formula1": _num(lo if lo is not None else -999999999)}
        err = "Enter a number" + (f" of at least {_num(lo)}" if lo is not None else "") + "."
    elif t == FieldType.percentage:
        # cells are formatted as percentages: Excel stores 95% as 0.95
        kw = {"type": "decimal", "operator": "between", "formula1": _num((lo or 0) / 100), "formula2": _num((hi or 100) / 100)}
        err = f"Enter a percentage from {_num(lo or 0)}% to {_num(hi or 100)}%."
    elif t == FieldType.date:
        kw = {"type": "date", "operator": "between", "formula1": "36526", "formula2": "73051"}  # 2000-01-01..2099-12-31
        err = "Enter a date, e.g. 31/03/2026."
    elif item.allowed_choices():
        choices = item.allowed_choices() or []
        kw = {"type": "list", "formula1": '"' + ",".join(choices) + '"'}
        err = "Choose one of: " + ", ".join(choices) + "."
    else:
        kw = {"type": "textLength", "operator": "lessThanOrEqual", "formula1": "4000"}
        err = "Enter text of at most 4000 characters."
    prompt = item.help or item.definition or item.label
    dv = DataValidation(
        allow_blank=True, showInputMessage=True, showErrorMessage=True, errorStyle="stop",
        promptTitle=item.label[:32], prompt=prompt[:255], errorTitle="Not accepted", error=err[:255], **kw,
    )
    record = {k: v for k, v in kw.items()}
    return dv, record


def _choices_source_ok(choices: list[str]) -> bool:
    text = ",".join(choices)
    return len(text) < 250 and not any("," in c or '"' in c for c in choices)


class _Writer:
    def __init__(self, fw: Framework, rtype: ReturnType):
        self.fw = fw
        self.rtype = rtype
        self.comp = compiled(fw, rtype.id)
        self.wb = Workbook()
        self.layout = Layout(fw.id, fw.version, rtype.id)
        self.list_rows = 0
        self._lists_col = 8  # column H on the metadata sheet holds long drop-down lists

    # helpers
    def name(self, slot: Slot) -> None:
        self.layout.slots[slot.name] = slot
        self.wb.defined_names[slot.name] = DefinedName(slot.name, attr_text=slot.reference)

    def input_cell(self, ws: Worksheet, row: int, item: ItemField, *, number_format: str | None = None) -> None:
        cell = ws.cell(row=row, column=COL_VALUE)
        cell.fill = INPUT_FILL
        cell.border = BOX
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
            cell.alignment = WRAP
        dv, record = _validation(item, self.rtype)
        choices = item.allowed_choices()
        if choices and not _choices_source_ok(choices):
            dv.formula1 = self._list_range(choices)
            record["formula1"] = dv.formula1
        ws.add_data_validation(dv)
        dv.add(cell)
        self.layout.validations[item.id] = record
        self.name(Slot(item.id, ws.title, row, COL_VALUE, item.label, "input", item))

    def _list_range(self, choices: list[str]) -> str:
        meta = self.wb[META_SHEET]
        col = get_column_letter(self._lists_col)
        start = self.list_rows + 1
        for i, c in enumerate(choices):
            meta.cell(row=start + i, column=self._lists_col, value=c)
        self.list_rows += len(choices)
        return f"{quote_sheetname(META_SHEET)}!${col}${start}:${col}${start + len(choices) - 1}"

    # sheets
    def build(self) -> tuple[Workbook, Layout]:
        wb = self.wb
        cover = wb.active
        assert cover is not None
        cover.title = COVER_SHEET
        meta = wb.create_sheet(META_SHEET)
        meta.sheet_state = "hidden"
        self.write_cover(cover)
        sheets: list[str] = []
        for sec in self.rtype.sections:
            if sec.sheet not in sheets:
                sheets.append(sec.sheet)
        kpi_home = self.kpi_homes()
        for sheet in sheets:
            ws = wb.create_sheet(sheet)
            self.write_input_sheet(ws, kpi_home)
        for table in self.rtype.record_tables:
            self.write_record_table(wb.create_sheet(table.sheet), table)
        self.write_summary(wb.create_sheet(SUMMARY_SHEET))
        self.write_notes(wb.create_sheet(NOTES_SHEET))
        wb.move_sheet(META_SHEET, offset=len(wb.sheetnames))
        self.layout.sheets = [s for s in wb.sheetnames if s != META_SHEET]
        self.write_meta(meta)
        for ws in wb.worksheets:
            ws.protection.sheet = True
            ws.protection.formatCells = False
            ws.protection.formatColumns = False
            ws.protection.formatRows = False
        wb.calculation.fullCalcOnLoad = True
        return wb, self.layout

    def kpi_homes(self) -> dict[str, list[Kpi]]:
        """Each KPI is shown under the section holding the first item it uses."""
        where: dict[str, str] = {}
        for sec in self.rtype.sections:
            for item in sec.all_items():
                where.setdefault(item.id, sec.id)
        homes: dict[str, list[Kpi]] = {}
        for kpi in self.fw.kpis_for(self.rtype.id):
            exprs = self.comp.kpis[kpi.id]
            names: list[str] = []
            for e in (exprs.numerator, exprs.denominator, exprs.value):
                if e is not None:
                    names += _inputs(self.comp, e)
            home = next((where[n] for n in names if n in where), self.rtype.sections[0].id)
            homes.setdefault(home, []).append(kpi)
        return homes

    def write_cover(self, ws: Worksheet) -> None:
        fw, rt = self.fw, self.rtype
        ws.column_dimensions["A"].width = 4
        ws.column_dimensions["B"].width = 44
        ws.column_dimensions["C"].width = 40
        ws.column_dimensions["D"].width = 70
        ws["B1"] = fw.name
        ws["B1"].font = TITLE
        ws["B2"] = f"{fw.commissioner}: {rt.label}"
        ws["B3"] = f"Framework {fw.id} version {fw.version}, in force from {fw.effective_from:%d %B %Y}."
        ws["B4"] = f"Due: {rt.deadline.text or rt.deadline.rule}"
        ws["B5"] = ("Fill in the yellow cells on every sheet. Grey cells are calculated or supplied by "
                    "the council. Hover over a yellow cell to see what it asks for.")
        ws["B5"].alignment = WRAP
        ws.row_dimensions[5].height = 30
        row = 7
        for item in cover_items(fw, rt):
            label = ws.cell(row=row, column=COL_LABEL, value=item.label)
            label.font = BOLD
            fmt = period_number_format(rt) if item.id == "reporting_period" else None
            self.input_cell(ws, row, item, number_format=fmt)
            ws.cell(row=row, column=COL_DEF, value=item.help).alignment = WRAP
            row += 1

    def write_input_sheet(self, ws: Worksheet, kpi_home: dict[str, list[Kpi]]) -> None:
        for col, width in ((COL_REF, 8), (COL_LABEL, 55), (COL_VALUE, 16), (COL_DEF, 60), (COL_WHY, 60)):
            ws.column_dimensions[get_column_letter(col)].width = width
        ws.cell(row=1, column=COL_REF, value=f"{self.fw.name}: {ws.title}").font = TITLE
        row = 3
        for sec in [s for s in self.rtype.sections if s.sheet == ws.title]:
            head = ws.cell(row=row, column=COL_REF, value=sec.label)
            head.font = BOLD
            for c in range(COL_REF, COL_WHY + 1):
                ws.cell(row=row, column=c).fill = SECTION_FILL
            row += 1
            if sec.description or sec.applies_to:
                text = sec.description or ""
                if sec.applies_to:
                    labels = [s.label for s in self.fw.service_types if s.id in sec.applies_to]
                    text = (text + " " if text else "") + f"Applies to: {', '.join(labels)}."
                cell = ws.cell(row=row, column=COL_REF, value=text)
                ws.merge_cells(start_row=row, start_column=COL_REF, end_row=row, end_column=COL_WHY)
                cell.alignment = WRAP
                ws.row_dimensions[row].height = 30
                row += 1
            for col, text in ((COL_REF, "Ref"), (COL_LABEL, "Item"), (COL_VALUE, "Your figure"),
                              (COL_DEF, "Definition"), (COL_WHY, "Why we are collecting this")):
                head_cell = ws.cell(row=row, column=col, value=text)
                head_cell.font = WHITE_BOLD
                head_cell.fill = HEADER_FILL
            row += 1
            for item in sec.all_items():
                ws.cell(row=row, column=COL_REF, value=item.ref)
                ws.cell(row=row, column=COL_LABEL, value=item.label).alignment = WRAP
                if item.source == Source.commissioner:
                    council = ws.cell(row=row, column=COL_VALUE, value="Supplied by the council")
                    council.fill = COUNCIL_FILL
                    council.alignment = WRAP
                else:
                    self.input_cell(ws, row, item)
                ws.cell(row=row, column=COL_DEF, value=item.definition).alignment = WRAP
                ws.cell(row=row, column=COL_WHY, value=item.why).alignment = WRAP
                row += 1
            for kpi in kpi_home.get(sec.id, []):
                row = self.write_kpi_row(ws, row, kpi)
            row += 1

    def write_kpi_row(self, ws: Worksheet, row: int, kpi: Kpi) -> int:
        for col, text in ((COL_LABEL, "KPI"), (COL_VALUE, "Value"), (COL_DEF, "Band"), (COL_WHY, "Bands")):
            c = ws.cell(row=row, column=col, value=text)
            c.font = WHITE_BOLD
            c.fill = HEADER_FILL
        row += 1
        ws.cell(row=row, column=COL_REF, value=kpi.ref)
        ws.cell(row=row, column=COL_LABEL, value=kpi.label).font = BOLD
        value_formula = kpi_value_formula(self.fw, self.comp, kpi)
        band_formula = kpi_band_formula(self.fw, self.rtype, kpi)
        vcell = ws.cell(row=row, column=COL_VALUE)
        bcell = ws.cell(row=row, column=COL_DEF)
        if value_formula is None:
            vcell.value = "Calculated by the council"
            bcell.value = "Scored by the council"
        else:
            vcell.value = "=" + value_formula
            self.layout.formulas[kpi.value_name] = value_formula
            if band_formula is None:
                bcell.value = "Banded when scored" if kpi.bands.scheme != "none" else "Not banded"
            else:
                bcell.value = "=" + band_formula
                self.layout.formulas[kpi.band_name] = band_formula
        unit = kpi.effective_unit()
        if unit == "percent":
            vcell.number_format = '0.0"%"' if self.fw.kpi_precision(kpi) == 1 else '0"%"'
        for kpi_cell in (vcell, bcell):
            kpi_cell.fill = KPI_FILL
            kpi_cell.border = BOX
            kpi_cell.font = BOLD
        self.name(Slot(kpi.value_name, ws.title, row, COL_VALUE, kpi.label, "kpi_value"))
        self.name(Slot(kpi.band_name, ws.title, row, COL_DEF, kpi.label, "kpi_band"))
        self.band_colours(ws, bcell.coordinate)
        ws.cell(row=row, column=COL_WHY, value=kpi.bands.as_printed or _describe_bands(kpi)).alignment = WRAP
        return row + 1

    @staticmethod
    def band_colours(ws: Worksheet, coord: str) -> None:
        for text, (fill, font) in BAND_FILLS.items():
            ws.conditional_formatting.add(coord, CellIsRule(
                operator="equal", formula=[f'"{text}"'],
                fill=PatternFill("solid", fgColor=fill, bgColor=fill), font=Font(color=font, bold=True),
            ))

    def write_record_table(self, ws: Worksheet, table: Any) -> None:
        ws.cell(row=1, column=1, value=table.label).font = TITLE
        if table.description:
            ws.cell(row=2, column=1, value=table.description)
        how = f"One row per case, at most {table.max_rows} rows. Use case references, never names."
        if table.computes is not None:
            checked = [self.comp.items[i].label for i in (table.computes.total, table.computes.declared) if i]
            how += (f" carekpi counts working days from these dates itself (weekends and England and Wales bank "
                    f"holidays excluded) and checks: {'; '.join(checked)}.")
        ws.cell(row=3, column=1, value=how)
        for i, col in enumerate(table.columns, start=1):
            c = ws.cell(row=4, column=i, value=col.label)
            c.font = WHITE_BOLD
            c.fill = HEADER_FILL
            ws.column_dimensions[get_column_letter(i)].width = 24
            item = ItemField(id=col.id, label=col.label, type=col.type, choices=col.choices, help=col.help)
            dv, _ = _validation(item, self.rtype)
            ws.add_data_validation(dv)
            letter = get_column_letter(i)
            dv.add(f"{letter}5:{letter}{4 + table.max_rows}")
            for r in range(5, 5 + table.max_rows):
                cell = ws.cell(row=r, column=i)
                cell.protection = Protection(locked=False)
                if col.type == FieldType.date:
                    cell.number_format = "dd/mm/yyyy"
                elif col.reference:
                    cell.number_format = "@"  # references keep their leading zeros
        last = get_column_letter(len(table.columns))
        ref = f"{quote_sheetname(ws.title)}!$A$5:${last}${4 + table.max_rows}"
        self.wb.defined_names[table.id] = DefinedName(table.id, attr_text=ref)
        self.layout.slots[table.id] = Slot(table.id, ws.title, 5, 1, table.label, "table")

    def write_summary(self, ws: Worksheet) -> None:
        ws.column_dimensions["A"].width = 10
        ws.column_dimensions["B"].width = 50
        ws.column_dimensions["C"].width = 14
        ws.column_dimensions["D"].width = 16
        ws.column_dimensions["E"].width = 50
        ws["A1"] = f"KPI summary: {self.rtype.label}"
        ws["A1"].font = TITLE
        for col, text in enumerate(["Ref", "KPI", "Value", "Band", "Bands", "Critical"], start=1):
            c = ws.cell(row=3, column=col, value=text)
            c.font = WHITE_BOLD
            c.fill = HEADER_FILL
        row = 4
        for kpi in self.fw.kpis_for(self.rtype.id):
            ws.cell(row=row, column=1, value=kpi.ref)
            ws.cell(row=row, column=2, value=kpi.label).alignment = WRAP
            v = ws.cell(row=row, column=3, value=f'=IF(ISBLANK({kpi.value_name}),"",{kpi.value_name})')
            if kpi.effective_unit() == "percent":
                v.number_format = '0.0"%"'
            b = ws.cell(row=row, column=4, value=f'=IF(ISBLANK({kpi.band_name}),"",{kpi.band_name})')
            b.font = BOLD
            self.band_colours(ws, b.coordinate)
            ws.cell(row=row, column=5, value=kpi.bands.as_printed or _describe_bands(kpi)).alignment = WRAP
            ws.cell(row=row, column=6, value="Yes" if kpi.critical else "")
            row += 1

    def write_notes(self, ws: Worksheet) -> None:
        ws.column_dimensions["A"].width = 26
        ws.column_dimensions["B"].width = 40
        ws.column_dimensions["C"].width = 100
        ws["A1"] = "How carekpi reads this framework: interpretations of the source document"
        ws["A1"].font = TITLE
        for col, text in enumerate(["Applies to", "Note", "Decision"], start=1):
            c = ws.cell(row=3, column=col, value=text)
            c.font = WHITE_BOLD
            c.fill = HEADER_FILL
        row = 4
        for where, note in self.fw.all_notes():
            ws.cell(row=row, column=1, value=where).alignment = WRAP
            ws.cell(row=row, column=2, value=note.title).alignment = WRAP
            ws.cell(row=row, column=3, value=note.text).alignment = WRAP
            row += 1

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
        ws.cell(row=r, column=1, value="item")
        ws.cell(row=r, column=2, value="sheet")
        ws.cell(row=r, column=3, value="cell")
        ws.cell(row=r, column=4, value="label")
        for slot in self.layout.slots.values():
            r += 1
            ws.cell(row=r, column=1, value=slot.name)
            ws.cell(row=r, column=2, value=slot.sheet)
            ws.cell(row=r, column=3, value=slot.coordinate)
            ws.cell(row=r, column=4, value=slot.label)


def _describe_bands(kpi: Kpi) -> str:
    b = kpi.bands
    if isinstance(b, ThresholdBands):
        sym = "+" if b.direction == Direction.higher else " or lower"
        text = f"Green {_num(b.green)}{sym}"
        if b.amber is not None:
            text += f", Amber {_num(b.amber)}{sym}"
        return text + ", otherwise Red"
    if isinstance(b, MetBands):
        per = f" per {b.per_months} months" if b.per_months else ""
        return f"Target {_num(b.target)}{per}: met (Green) or not met (Red)"
    if isinstance(b, MappingBands):
        return ", ".join(f"{k}: {v.capitalize()}" for k, v in b.map.items())
    if isinstance(b, NoBands):
        return "Management information: not banded"
    if isinstance(b, TrajectoryBands):
        return (f"Red beyond the minimum {_num(b.minimum)}; the target rises from {_num(b.minimum)} to "
                f"{_num(b.final)} in {b.steps} steps between the contract dates: Green at the target in force, "
                "otherwise Amber")
    if isinstance(b, RelativeBands):
        return (f"Compared with the other providers' returns for the period (at least {b.min_peers}): top quartile "
                f"Green, bottom quartile Red, otherwise Amber ({b.direction.value} is better)")
    return b.scheme


def build_template(fw: Framework, return_id: str | None = None) -> tuple[Workbook, Layout]:
    rtype = fw.return_type(return_id)
    return _Writer(fw, rtype).build()


_LAYOUTS: dict[tuple[int, str | None], tuple[Framework, Layout]] = {}


def template_layout(fw: Framework, return_id: str | None = None) -> Layout:
    """The template's layout (cached per loaded framework: validating a batch builds it once)."""
    key = (id(fw), return_id)
    hit = _LAYOUTS.get(key)
    if hit is None or hit[0] is not fw:
        hit = (fw, build_template(fw, return_id)[1])
        _LAYOUTS[key] = hit
    return hit[1]


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
    from carekpi.base.atomic import atomic_write_bytes

    p = Path(path)
    atomic_write_bytes(p, template_bytes(fw, return_id))
    return p
