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

The layout (which row holds what, every named cell, formula and validation) is planned
by :mod:`carekpi.workbook.layout`; this module writes the plan. Generation is
deterministic: the same framework gives byte-identical files.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from carekpi.base.atomic import atomic_write_bytes
from carekpi.base.version import __version__
from carekpi.framework.compiled import compiled
from carekpi.framework.cover import COVER_SHEET, META_SHEET, NOTES_SHEET, SUMMARY_SHEET, period_number_format
from carekpi.framework.model import FieldType, Framework, ItemField, Kpi, ReturnType, Source
from carekpi.workbook.layout import (
    COL_DEF,
    COL_LABEL,
    COL_REF,
    COL_VALUE,
    COL_WHY,
    LISTS_COLUMN,
    Layout,
    Row,
    SheetPlan,
    Validation,
    plan,
    validation_for,
)

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



def _data_validation(v: Validation) -> DataValidation:
    return DataValidation(
        allow_blank=True, showInputMessage=True, showErrorMessage=True, errorStyle="stop",
        promptTitle=v.prompt_title, prompt=v.prompt, errorTitle="Not accepted", error=v.error, **v.record,
    )


class _Writer:
    def __init__(self, fw: Framework, rtype: ReturnType):
        self.fw = fw
        self.rtype = rtype
        self.comp = compiled(fw, rtype.id)
        self.layout = plan(fw, rtype.id)
        self.wb = Workbook()

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
        self.write_notes(wb.create_sheet(NOTES_SHEET))
        wb.move_sheet(META_SHEET, offset=len(wb.sheetnames))
        assert self.layout.sheets == [s for s in wb.sheetnames if s != META_SHEET]
        self.write_meta(meta)
        for slot in self.layout.slots.values():
            wb.defined_names[slot.name] = DefinedName(slot.name, attr_text=slot.reference)
        for ws in wb.worksheets:
            ws.protection.sheet = True
            ws.protection.formatCells = False
            ws.protection.formatColumns = False
            ws.protection.formatRows = False
        wb.calculation.fullCalcOnLoad = True
        return wb, self.layout

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
        dv = _data_validation(self.layout.inputs[item.id])
        ws.add_data_validation(dv)
        dv.add(cell)

    def write_cover(self, ws: Worksheet) -> None:
        fw, rt = self.fw, self.rtype
        ws.column_dimensions["A"].width = 4
        ws.column_dimensions["B"].width = 44
        ws.column_dimensions["C"].width = 40
        ws.column_dimensions["D"].width = 70
        ws["B1"] = fw.name
        ws["B1"].font = TITLE
        ws["B2"] = f"{fw.commissioner}: {rt.label}"
        ws["B3"] = f"Framework {fw.id} version {fw.version}, {fw.in_force_text()}."
        ws["B4"] = f"Due: {rt.deadline.text or rt.deadline.rule}"
        ws["B5"] = ("Fill in the yellow cells on every sheet. Grey cells are calculated or supplied by "
                    "the council. Hover over a yellow cell to see what it asks for.")
        ws["B5"].alignment = WRAP
        ws.row_dimensions[5].height = 30
        for row, item in self.layout.cover_rows:
            label = ws.cell(row=row, column=COL_LABEL, value=item.label)
            label.font = BOLD
            fmt = period_number_format(rt) if item.id == "reporting_period" else None
            self.input_cell(ws, row, item, number_format=fmt)
            ws.cell(row=row, column=COL_DEF, value=item.help).alignment = WRAP

    def write_input_sheet(self, ws: Worksheet, sheet: SheetPlan) -> None:
        for col, width in ((COL_REF, 8), (COL_LABEL, 55), (COL_VALUE, 16), (COL_DEF, 60), (COL_WHY, 60)):
            ws.column_dimensions[get_column_letter(col)].width = width
        ws.cell(row=1, column=COL_REF, value=f"{self.fw.name}: {ws.title}").font = TITLE
        for r in sheet.rows:
            self.write_row(ws, r)

    def write_row(self, ws: Worksheet, r: Row) -> None:
        row = r.row
        if r.kind == "section":
            assert r.section is not None
            ws.cell(row=row, column=COL_REF, value=r.section.label).font = BOLD
            for c in range(COL_REF, COL_WHY + 1):
                ws.cell(row=row, column=c).fill = SECTION_FILL
        elif r.kind == "description":
            cell = ws.cell(row=row, column=COL_REF, value=r.text)
            ws.merge_cells(start_row=row, start_column=COL_REF, end_row=row, end_column=COL_WHY)
            cell.alignment = WRAP
            ws.row_dimensions[row].height = 30
        elif r.kind == "headers":
            self.headers(ws, row, ((COL_REF, "Ref"), (COL_LABEL, "Item"), (COL_VALUE, "Your figure"),
                                   (COL_DEF, "Definition"), (COL_WHY, "Why we are collecting this")))
        elif r.kind == "item":
            item = r.item
            assert item is not None
            ws.cell(row=row, column=COL_REF, value=item.ref)
            ws.cell(row=row, column=COL_LABEL, value=item.label).alignment = WRAP
            if item.source == Source.commissioner:
                council = ws.cell(row=row, column=COL_VALUE, value="Supplied by the council")
                council.fill = COUNCIL_FILL
                council.alignment = WRAP
            else:
                self.input_cell(ws, row, item)
            ws.cell(row=row, column=COL_DEF, value=item.definition_text()).alignment = WRAP
            ws.cell(row=row, column=COL_WHY, value=item.why).alignment = WRAP
        elif r.kind == "kpi_headers":
            self.headers(ws, row, ((COL_LABEL, "KPI"), (COL_VALUE, "Value"), (COL_DEF, "Band"), (COL_WHY, "Bands")))
        elif r.kind == "kpi":
            assert r.kpi is not None
            self.write_kpi(ws, row, r.kpi)

    @staticmethod
    def headers(ws: Worksheet, row: int, texts: tuple[tuple[int, str], ...]) -> None:
        for col, text in texts:
            c = ws.cell(row=row, column=col, value=text)
            c.font = WHITE_BOLD
            c.fill = HEADER_FILL

    def write_kpi(self, ws: Worksheet, row: int, kpi: Kpi) -> None:
        ws.cell(row=row, column=COL_REF, value=kpi.ref)
        ws.cell(row=row, column=COL_LABEL, value=kpi.label).font = BOLD
        value_formula = self.layout.formulas.get(kpi.value_name)
        band_formula = self.layout.formulas.get(kpi.band_name)
        vcell = ws.cell(row=row, column=COL_VALUE)
        bcell = ws.cell(row=row, column=COL_DEF)
        if value_formula is None:
            vcell.value = "Calculated by the council"
            bcell.value = "Scored by the council"
        else:
            vcell.value = "=" + value_formula
            bcell.value = "=" + band_formula if band_formula is not None else kpi.bands.static_band_text()
        vcell.number_format = self.value_format(kpi)
        for kpi_cell in (vcell, bcell):
            kpi_cell.fill = KPI_FILL
            kpi_cell.border = BOX
            kpi_cell.font = BOLD
        self.band_colours(ws, bcell.coordinate)
        about = kpi.bands.shown() + (f"\n{kpi.description}" if kpi.description else "")
        ws.cell(row=row, column=COL_WHY, value=about).alignment = WRAP

    def value_format(self, kpi: Kpi) -> str:
        """How a KPI's value cell is shown: percentages at the KPI's precision, with up to
        three more places for a value judged exactly (99.95%, never 100.0%)."""
        if kpi.effective_unit() != "percent":
            return "General"
        places = self.fw.kpi_precision(kpi)
        digits = "0" * places + ("###" if kpi.bands.judges_exactly() else "")
        return (f'0.{digits}"%"' if digits else '0"%"')

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
        if table.one_row_per is not None:
            how += (f" Every case counted in \"{self.comp.items[table.one_row_per].label}\" has its row: carekpi "
                    "checks that the rows add up to that figure.")
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
            dv = _data_validation(validation_for(item))
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
            v.number_format = self.value_format(kpi)
            b = ws.cell(row=row, column=4, value=f'=IF(ISBLANK({kpi.band_name}),"",{kpi.band_name})')
            b.font = BOLD
            self.band_colours(ws, b.coordinate)
            ws.cell(row=row, column=5, value=kpi.bands.shown()).alignment = WRAP
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
        row = 4
        for where, title, text in rows:
            ws.cell(row=row, column=1, value=where).alignment = WRAP
            ws.cell(row=row, column=2, value=title).alignment = WRAP
            ws.cell(row=row, column=3, value=text).alignment = WRAP
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


        lists_row = 0
        for choices in self.layout.lists:
            for c in choices:
                lists_row += 1
                ws.cell(row=lists_row, column=LISTS_COLUMN, value=c)


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
