"""The template's layout, planned without writing a workbook.

:func:`plan` works out, from a framework and one of its return types, every row of every
sheet the template will have, every named cell (a :class:`Slot`), every live KPI formula and
every input's data validation. :mod:`carekpi.workbook.template` writes the plan with openpyxl;
validation compares a return's fingerprint with :meth:`Layout.fingerprint` of the plan, so it
never builds a workbook to do so.

Input sheets: each section of the return type, in order, on its ``sheet``: a section header,
an optional description row, a header row, one row per item, then the KPIs whose first
input is in the section (a header row and a value row each), then a blank row.

The Checks sheet (:mod:`carekpi.workbook.checks`: a live check of every required item and every
rule, with the count of open problems also shown on the Cover) and the Explanations sheet (a
table named ``explanations``: item, finding code, explanation) are planned here too; their
names and formulas are part of the fingerprint.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from carekpi.base.enums import Severity
from carekpi.framework.bands.base import EXTRA_PLACES, Direction
from carekpi.framework.compiled import CompiledReturn, compiled
from carekpi.framework.cover import (
    CHECKS_SHEET,
    COVER_SHEET,
    EXPLANATIONS_SHEET,
    EXPLANATIONS_TABLE,
    META_SHEET,
    NOTES_SHEET,
    OPEN_CHECKS_NAME,
    SUMMARY_SHEET,
    cover_items,
    rule_check_name,
    service_item_id,
)
from carekpi.framework.expr import excel_string
from carekpi.framework.messages import labels_for
from carekpi.framework.model import FieldType, Framework, ItemField, Kpi, RecordTable, ReturnType, Section, Source
from carekpi.workbook.checks import (
    DOUBT,
    HELP_STATUS_COL,
    HELP_VALUE_COL,
    NOT_APPLICABLE,
    OK,
    WAITING,
    ChecksPlan,
    ChecksPlanner,
)

COL_REF, COL_LABEL, COL_VALUE, COL_DEF, COL_WHY = 1, 2, 3, 4, 5
#: the first row of cover items on the Cover sheet
COVER_FIRST_ROW = 7
#: the first row of an input sheet's content (below its title)
SHEET_FIRST_ROW = 3
#: record tables: the header row, and the first row of cases
TABLE_HEADER_ROW = 4
TABLE_FIRST_ROW = 5
#: the metadata sheet's column holding drop-down lists too long for a validation's own text
LISTS_COLUMN = 8
#: the Checks sheet: the cell counting open problems, the header row and the first check's row;
#: the columns of a check (the result cell is named)
CHECKS_COUNT_CELL = (3, 3)
CHECKS_HEADER_ROW = 6
CHECKS_FIRST_ROW = 7
CHECK_COL_REF, CHECK_COL_WHAT, CHECK_COL_RESULT, CHECK_COL_STATUS, CHECK_COL_ITEM, CHECK_COL_CODE, CHECK_COL_GOTO = (
    1, 2, 3, 4, 5, 6, 7)
#: the Explanations sheet: the header row, the first row of the table and how many rows it has
EXPLANATIONS_HEADER_ROW = 4
EXPLANATIONS_FIRST_ROW = 5
EXPLANATIONS_ROWS = 25


def column_letter(n: int) -> str:
    """Excel's column letters for column number ``n`` (1 is A)."""
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def quote_sheetname(name: str) -> str:
    """A sheet name as a formula refers to it: in quotes, any quote in it doubled."""
    return "'" + name.replace("'", "''") + "'"


def sheet_prefix(name: str) -> str:
    """A sheet name as a formula in a cell refers to it, quoted only where it must be (the form
    spreadsheet programs keep when they save: ``Checks!``, ``'KPI 1-3'!``)."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z_.]*", name):
        return name
    return quote_sheetname(name)


@dataclass
class Slot:
    """Where one named cell is: an input item, a KPI value or band cell, or a record table."""

    name: str
    sheet: str
    row: int
    col: int
    label: str
    kind: str  # "input" | "kpi_value" | "kpi_band" | "table"
    item: ItemField | None = None
    #: a table's last column and row (a range, not one cell)
    last_col: int | None = None
    last_row: int | None = None

    @property
    def coordinate(self) -> str:
        return f"{column_letter(self.col)}{self.row}"

    @property
    def reference(self) -> str:
        first = f"{quote_sheetname(self.sheet)}!${column_letter(self.col)}${self.row}"
        if self.last_col is None or self.last_row is None:
            return first
        return f"{first}:${column_letter(self.last_col)}${self.last_row}"


@dataclass(frozen=True)
class Validation:
    """An input's data validation: the rule (what the fingerprint covers) and its texts."""

    record: dict[str, Any]
    prompt_title: str
    prompt: str
    error: str


@dataclass(frozen=True)
class Row:
    """One planned row of an input sheet: ``kind`` says what it holds."""

    kind: str  # "section" | "description" | "headers" | "item" | "kpi_headers" | "kpi"
    row: int
    section: Section | None = None
    text: str | None = None
    item: ItemField | None = None
    kpi: Kpi | None = None


@dataclass
class SheetPlan:
    title: str
    rows: list[Row] = field(default_factory=list)


@dataclass
class Layout:
    framework: str
    version: str
    return_type: str
    sheets: list[str] = field(default_factory=list)
    slots: dict[str, Slot] = field(default_factory=dict)
    formulas: dict[str, str] = field(default_factory=dict)
    validations: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: the plan behind it (what the writer writes)
    input_sheets: list[SheetPlan] = field(default_factory=list)
    cover_rows: list[tuple[int, ItemField]] = field(default_factory=list)
    tables: list[RecordTable] = field(default_factory=list)
    inputs: dict[str, Validation] = field(default_factory=dict)
    #: drop-down lists kept on the metadata sheet, in order (column LISTS_COLUMN)
    lists: list[list[str]] = field(default_factory=list)
    #: the Checks sheet, and the Cover's rows showing its counts (the first of them)
    checks: ChecksPlan = field(default_factory=ChecksPlan)
    cover_checks_row: int = 0
    #: formulas of cells without a name (the Checks sheet's helper cells, the Cover's counts),
    #: by "sheet!coordinate"
    cell_formulas: dict[str, str] = field(default_factory=dict)
    #: the Explanations table's item drop-down
    explanation_items: Validation | None = None

    def fingerprint(self) -> str:
        """A digest of everything a provider's workbook must match: names, places, labels,
        validation rules, KPI formulas and the Checks sheet's formulas (worked out once per layout: every return checks it)."""
        cached = self.__dict__.get("_fingerprint")
        if cached is not None:
            return str(cached)
        doc = {
            "framework": self.framework,
            "version": self.version,
            "return_type": self.return_type,
            "sheets": self.sheets,
            "slots": sorted((s.name, s.sheet, s.coordinate, s.label, s.kind) for s in self.slots.values()),
            "formulas": sorted(self.formulas.items()),
            "cells": sorted(self.cell_formulas.items()),
            "validations": sorted((k, json.dumps(v, sort_keys=True)) for k, v in self.validations.items()),
        }
        blob = json.dumps(doc, sort_keys=True, ensure_ascii=True).encode()
        self.__dict__["_fingerprint"] = digest = hashlib.sha256(blob).hexdigest()[:16]
        return digest


# --- formulas ---------------------------------------------------------------------------------


def _service_condition(fw: Framework, applies_to: list[str] | None) -> str | None:
    if not applies_to or not fw.service_types:
        return None
    all_ids = [service_item_id(s.id) for s in fw.service_types]
    parts = [f'{service_item_id(s)}="Yes"' for s in applies_to]
    # Nothing answered yet: treat every item as applying (the validator asks for the answer).
    parts.append(f"COUNTA({','.join(all_ids)})=0")
    return f"OR({','.join(parts)})"


def excel_names(comp: CompiledReturn) -> Callable[[str], str]:
    """How an expression names a value in Excel: an item by its defined name, a derived value
    by its own expression, in brackets."""

    def name(n: str) -> str:
        if n in comp.derived:
            return f"({comp.derived[n].to_excel(name)})"
        return n

    return name


def kpi_value_formula(fw: Framework, comp: CompiledReturn, kpi: Kpi) -> str | None:
    """The Excel formula of a KPI's value cell (None when the council supplies its data)."""
    exprs = comp.kpis[kpi.id]
    inputs = comp.kpi_inputs_as_written(kpi.id)
    if any(comp.items[n].source == Source.commissioner for n in inputs if n in comp.items):
        return None
    kind = kpi.kind_def
    core = kind.excel_core(exprs, excel_names(comp), shown_formula(kpi, comp.rtype, fw.kpi_precision(kpi)))
    count = "COUNTA" if kind.answer else "COUNT"
    formula = f'IF({count}({",".join(inputs)})<{len(inputs)},"",{core})'
    cond = _service_condition(fw, kpi.applies_to)
    if cond:
        formula = f'IF({cond},{formula},"n/a")'
    return formula


def shown_formula(kpi: Kpi, rtype: ReturnType, places: int) -> Callable[[str], str]:
    """How the value cell shows the exact value ``x``: rounded to the KPI's precision; for a
    KPI judged on its exact value, with more places where rounding would carry it across a band
    edge (as carekpi shows it: 99.95%, never 100.0% under a 100% target)."""
    bands = kpi.bands
    edges = bands.excel_edges(rtype.cadence) if bands.judges_exactly() else []
    if not edges:
        return lambda x: f"ROUND({x},{places})"

    op = ">=" if bands.better() == Direction.higher else "<="

    def shown(x: str) -> str:
        rounded = f"ROUND({x},{places})"
        crossed = ",".join(f"({x}{op}{excel_number(e)})<>({rounded}{op}{excel_number(e)})" for e in edges)
        return f"IF(OR({crossed}),ROUND({x},{places + EXTRA_PLACES}),{rounded})"

    return shown


def kpi_band_formula(rtype: ReturnType, kpi: Kpi) -> str | None:
    """The Excel formula of a KPI's band cell (None: the scheme does not band in the workbook)."""
    return kpi.bands.excel_formula(kpi.value_name, rtype.cadence)


def band_legend(fw: Framework, kpi: Kpi) -> str:
    """The legend of a KPI's bands: the bands carekpi applies; the source's own wording when it
    differs; and the titles of the notes on how carekpi reads the KPI (on the Notes sheet)."""
    applied = kpi.bands.legend(kpi.effective_unit(), fw.kpi_precision(kpi))
    exact = " (judged on the exact value, before rounding)" if kpi.bands.judges_exactly() else ""
    text = f"carekpi applies: {applied}{exact}."
    printed = kpi.bands.as_printed
    if printed and printed.strip().rstrip(".") != applied:
        text += f"\nAs printed in the source: {printed.strip()}"
        if not printed.strip().endswith("."):
            text += "."
    if kpi.notes:
        text += "\nSee the Notes sheet: " + "; ".join(n.title for n in kpi.notes) + "."
    return text


# --- data validation --------------------------------------------------------------------------


def excel_number(x: Any) -> str:
    s = format(x, "f") if not isinstance(x, float) else repr(x)
    return s.rstrip("0").rstrip(".") if "." in s else s


def validation_for(item: ItemField) -> Validation:
    """The data validation of an input cell: Excel refuses what the item cannot hold."""
    t = item.type
    lo, hi = item.bounds()
    kw: dict[str, Any]
    if t in (FieldType.count, FieldType.integer):
        if lo is not None and hi is not None:
            kw = {"type": "whole", "operator": "between", "formula1": excel_number(lo), "formula2": excel_number(hi)}
        else:
            kw = {"type": "whole", "operator": "greaterThanOrEqual",
                  "formula1": excel_number(lo if lo is not None else -999999999)}
        err = "Enter a whole number" + (f" of at least {excel_number(lo)}" if lo is not None else "") + "."
    elif t in (FieldType.number, FieldType.money):
        kw = {"type": "decimal", "operator": "greaterThanOrEqual",
              "formula1": excel_number(lo if lo is not None else -999999999)}
        err = "Enter a number" + (f" of at least {excel_number(lo)}" if lo is not None else "") + "."
    elif t == FieldType.percentage:
        # cells are formatted as percentages: Excel stores 95% as 0.95
        kw = {"type": "decimal", "operator": "between", "formula1": excel_number((lo or 0) / 100),
              "formula2": excel_number((hi or 100) / 100)}
        err = f"Enter a percentage from {excel_number(lo or 0)}% to {excel_number(hi or 100)}%."
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
    prompt = item.help or item.guidance or item.definition or item.label
    return Validation(dict(kw), item.label[:32], prompt[:255], err[:255])


def _choices_fit_inline(choices: list[str]) -> bool:
    text = ",".join(choices)
    return len(text) < 250 and not any("," in c or '"' in c for c in choices)


# --- planning ---------------------------------------------------------------------------------


class _Planner:
    def __init__(self, fw: Framework, rtype: ReturnType):
        self.fw = fw
        self.rtype = rtype
        self.comp = compiled(fw, rtype.id)
        self.layout = Layout(fw.id, fw.version, rtype.id)
        self.list_rows = 0

    def name(self, slot: Slot) -> None:
        self.layout.slots[slot.name] = slot

    def input(self, sheet: str, row: int, item: ItemField) -> None:
        v = validation_for(item)
        choices = item.allowed_choices()
        if choices and not _choices_fit_inline(choices):
            start = self.list_rows + 1
            letter = column_letter(LISTS_COLUMN)
            v.record["formula1"] = (f"{sheet_prefix(META_SHEET)}!${letter}${start}:"
                                    f"${letter}${start + len(choices) - 1}")
            self.layout.lists.append(list(choices))
            self.list_rows += len(choices)
        self.layout.inputs[item.id] = v
        self.layout.validations[item.id] = v.record
        self.name(Slot(item.id, sheet, row, COL_VALUE, item.label, "input", item))

    def plan(self) -> Layout:
        lay = self.layout
        row = COVER_FIRST_ROW
        for item in cover_items(self.fw, self.rtype):
            lay.cover_rows.append((row, item))
            self.input(COVER_SHEET, row, item)
            row += 1
        sheets: list[str] = []
        for sec in self.rtype.sections:
            if sec.sheet not in sheets:
                sheets.append(sec.sheet)
        homes = self.kpi_homes()
        for sheet in sheets:
            lay.input_sheets.append(self.input_sheet(sheet, homes))
        for table in self.rtype.record_tables:
            lay.tables.append(table)
            self.name(Slot(table.id, table.sheet, TABLE_FIRST_ROW, 1, table.label, "table",
                           last_col=len(table.columns), last_row=TABLE_HEADER_ROW + table.max_rows))
        self.checks_sheet(row + 1)
        self.withhold_kpis()
        self.explanations_sheet()
        lay.sheets = [COVER_SHEET, *sheets, *(t.sheet for t in self.rtype.record_tables), SUMMARY_SHEET, CHECKS_SHEET,
                      EXPLANATIONS_SHEET, NOTES_SHEET]
        return lay

    def checks_sheet(self, cover_row: int) -> None:
        """The Checks sheet, and the Cover's rows showing its counts from ``cover_row``."""
        lay = self.layout
        labels = labels_for(self.fw, self.rtype)
        checks = ChecksPlanner(self.fw, self.rtype, self.comp, labels, CHECKS_FIRST_ROW, column_letter).build()
        lay.checks = checks
        for r in checks.rows:
            if r.name is not None and r.formula is not None:
                lay.formulas[r.name] = r.formula
                self.name(Slot(r.name, CHECKS_SHEET, r.row, CHECK_COL_RESULT, r.what, "check"))
        for reading in checks.readings.values():
            lay.cell_formulas[f"{CHECKS_SHEET}!{column_letter(HELP_STATUS_COL)}{reading.row}"] = reading.status_formula
            lay.cell_formulas[f"{CHECKS_SHEET}!{column_letter(HELP_VALUE_COL)}{reading.row}"] = reading.value_formula
        for row, _what, formula in checks.helpers:
            lay.cell_formulas[f"{CHECKS_SHEET}!{column_letter(HELP_STATUS_COL)}{row}"] = formula
        first, last = CHECKS_FIRST_ROW, max((r.row for r in checks.rows), default=CHECKS_FIRST_ROW)
        status = f"${column_letter(CHECK_COL_STATUS)}${first}:${column_letter(CHECK_COL_STATUS)}${last}"
        row, col = CHECKS_COUNT_CELL
        lay.formulas[OPEN_CHECKS_NAME] = f'COUNTIF({status},"Error")+COUNTIF({status},"Warning")'
        self.name(Slot(OPEN_CHECKS_NAME, CHECKS_SHEET, row, col, "Open problems", "check_count"))
        lay.cover_checks_row = cover_row
        lay.cell_formulas[f"{COVER_SHEET}!{column_letter(COL_VALUE)}{cover_row}"] = OPEN_CHECKS_NAME
        result = f"${column_letter(CHECK_COL_RESULT)}${first}:${column_letter(CHECK_COL_RESULT)}${last}"
        lay.cell_formulas[f"{COVER_SHEET}!{column_letter(COL_VALUE)}{cover_row + 1}"] = \
            f"COUNTIF({sheet_prefix(CHECKS_SHEET)}!{result},{excel_string(DOUBT)})"

    def withhold_kpis(self) -> None:
        """A KPI value cell shows "n/a" while a rule on its inputs fails on the Checks sheet, as
        carekpi does not band a KPI whose inputs carry an error (11 restarts taken of 10 offered
        is never shown as 110% Green). Rules the sheet cannot check are left to carekpi validate."""
        lay = self.layout
        live = {r.name for r in lay.checks.rows if r.name is not None and r.formula is not None}
        fails = (f'AND({{n}}<>"{OK}",{{n}}<>{excel_string(WAITING)},{{n}}<>{excel_string(NOT_APPLICABLE)},'
                 f'{{n}}<>{excel_string(DOUBT)})')
        for kpi in self.fw.kpis_for(self.rtype.id):
            value = lay.formulas.get(kpi.value_name)
            if value is None:
                continue
            inputs = set(self.comp.kpi_inputs(kpi.id))
            names = [rule_check_name(r.id) for r in self.comp.rules
                     if r.severity == Severity.error and inputs & set(r.fields) and rule_check_name(r.id) in live]
            if names:
                failing = ",".join(fails.format(n=n) for n in names)
                lay.formulas[kpi.value_name] = f'IF(OR({failing}),"n/a",{value})'

    def explanations_sheet(self) -> None:
        lay = self.layout
        self.name(Slot(EXPLANATIONS_TABLE, EXPLANATIONS_SHEET, EXPLANATIONS_FIRST_ROW, 1, "Explanations", "table",
                       last_col=3, last_row=EXPLANATIONS_FIRST_ROW + EXPLANATIONS_ROWS - 1))
        ids = [i.id for i in cover_items(self.fw, self.rtype)] + [i.id for i in self.rtype.items()
                                                                  if i.source != Source.commissioner]
        start = self.list_rows + 1
        letter = column_letter(LISTS_COLUMN)
        record = {"type": "list", "formula1": f"{sheet_prefix(META_SHEET)}!${letter}${start}:${letter}${start + len(ids) - 1}"}
        self.layout.lists.append(ids)
        self.list_rows += len(ids)
        v = Validation(record, "Item", "The item the finding names: its id, as the Checks sheet and carekpi's reports "
                                       "show it (for example calls_late).", "Choose the item from the list.")
        lay.explanation_items = v
        lay.validations[f"{EXPLANATIONS_TABLE}.item"] = record

    def kpi_homes(self) -> dict[str, list[Kpi]]:
        """Each KPI is shown under the section holding the first item it uses."""
        where: dict[str, str] = {}
        for sec in self.rtype.sections:
            for item in sec.all_items():
                where.setdefault(item.id, sec.id)
        homes: dict[str, list[Kpi]] = {}
        for kpi in self.fw.kpis_for(self.rtype.id):
            names = self.comp.kpi_inputs_as_written(kpi.id)
            home = next((where[n] for n in names if n in where), self.rtype.sections[0].id)
            homes.setdefault(home, []).append(kpi)
        return homes

    def input_sheet(self, title: str, homes: dict[str, list[Kpi]]) -> SheetPlan:
        plan = SheetPlan(title)
        row = SHEET_FIRST_ROW
        for sec in [s for s in self.rtype.sections if s.sheet == title]:
            plan.rows.append(Row("section", row, sec))
            row += 1
            if sec.description or sec.applies_to:
                text = sec.description or ""
                if sec.applies_to:
                    labels = [s.label for s in self.fw.service_types if s.id in sec.applies_to]
                    text = (text + " " if text else "") + f"Applies to: {', '.join(labels)}."
                plan.rows.append(Row("description", row, sec, text=text))
                row += 1
            plan.rows.append(Row("headers", row, sec))
            row += 1
            for item in sec.all_items():
                plan.rows.append(Row("item", row, sec, item=item))
                if item.source != Source.commissioner:
                    self.input(title, row, item)
                row += 1
            for kpi in homes.get(sec.id, []):
                plan.rows.append(Row("kpi_headers", row, sec, kpi=kpi))
                row += 1
                plan.rows.append(Row("kpi", row, sec, kpi=kpi))
                self.kpi(title, row, kpi)
                row += 1
            row += 1
        return plan

    def kpi(self, sheet: str, row: int, kpi: Kpi) -> None:
        value = kpi_value_formula(self.fw, self.comp, kpi)
        if value is not None:
            self.layout.formulas[kpi.value_name] = value
            band = kpi_band_formula(self.rtype, kpi)
            if band is not None:
                self.layout.formulas[kpi.band_name] = band
        self.name(Slot(kpi.value_name, sheet, row, COL_VALUE, kpi.label, "kpi_value"))
        self.name(Slot(kpi.band_name, sheet, row, COL_DEF, kpi.label, "kpi_band"))


def plan(fw: Framework, return_id: str | None = None) -> Layout:
    """The template's layout for return type ``return_id`` (default: the first)."""
    return _Planner(fw, fw.return_type(return_id)).plan()


_LAYOUTS: dict[tuple[int, str | None], tuple[Framework, Layout]] = {}


def template_layout(fw: Framework, return_id: str | None = None) -> Layout:
    """The template's layout, planned once per loaded framework and return type (validating a
    batch plans it once)."""
    key = (id(fw), return_id)
    hit = _LAYOUTS.get(key)
    if hit is None or hit[0] is not fw:
        hit = (fw, plan(fw, return_id))
        _LAYOUTS[key] = hit
    return hit[1]
