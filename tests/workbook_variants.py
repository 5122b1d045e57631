"""Workbooks as providers really send them, and as an attacker might: built from a filled template.

Shared by tests/test_real_world.py, tests/test_properties.py, tests/test_nothing_lost.py and
scripts/hostile_report.py (which runs ``carekpi validate`` on every variant and reports the
worst time and memory). Each builder takes the bytes of a filled return and gives new bytes.
"""

from __future__ import annotations

import io
import random
import re
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import openpyxl
from openpyxl.chart import BarChart, Reference
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.worksheet import Worksheet

META_SHEET = "_carekpi"
MACRO_CONTENT_TYPE = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"
SHEET_CONTENT_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
#: the start of an OLE2 compound file: what a real xl/vbaProject.bin begins with
OLE2_HEAD = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


# --- zip parts --------------------------------------------------------------------------------------


def parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def rezip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in members.items():
            z.writestr(name, content)
    return buf.getvalue()


def sheet_part(data: bytes, title: str) -> str:
    """The zip member holding sheet ``title`` (openpyxl writes them in sheet order)."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return f"xl/worksheets/sheet{wb.sheetnames.index(title) + 1}.xml"


def _load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def _save(wb: openpyxl.Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- honest variants --------------------------------------------------------------------------------


def copied_into_new_workbook(data: bytes, *, keep_meta: bool = False,
                             label_column: dict[str, int] | None = None) -> bytes:
    """Each sheet's cell values copied into a fresh workbook: no defined names, no formatting,
    and (unless ``keep_meta``) no ``_carekpi`` sheet, as when a provider pastes the sheets into
    their own file. ``label_column`` moves the labels (column B) of the named sheets into that
    column and merges it with column B, as a provider tidying the layout might."""
    src = _load(data)
    wb = openpyxl.Workbook()
    assert wb.active is not None
    wb.remove(wb.active)
    for ws in src.worksheets:
        if ws.title == META_SHEET and not keep_meta:
            continue
        new = wb.create_sheet(ws.title)
        for row in ws.iter_rows():
            for c in row:
                if c.value is not None:
                    new.cell(row=c.row, column=c.column, value=c.value)
        col = (label_column or {}).get(ws.title)
        if col is not None:
            for r in range(1, new.max_row + 1):
                label = new.cell(row=r, column=2).value
                if isinstance(label, str) and new.cell(row=r, column=3).value is not None:
                    new.cell(row=r, column=col, value=label)
                    new.cell(row=r, column=2, value=None)
                    new.merge_cells(start_row=r, start_column=col, end_row=r, end_column=2)
        if ws.title == META_SHEET:
            new.sheet_state = "hidden"
    return _save(wb)


def without_names(data: bytes, names: list[str] | None = None) -> bytes:
    """The workbook without some (default: all) of its defined names, as an older template."""
    wb = _load(data)
    for name in list(wb.defined_names):
        if names is None or name in names:
            del wb.defined_names[name]
    return _save(wb)


def with_sheet_states(data: bytes, states: dict[str, str]) -> bytes:
    wb = _load(data)
    for title, state in states.items():
        wb[title].sheet_state = state
    return _save(wb)


def with_extra_sheets(data: bytes, copy_labels_from: str = "KPI 1-3") -> bytes:
    """Sheets the provider added: a working sheet first (with some of the template's labels and
    other figures beside them), an empty one in the middle and a chart sheet at the end."""
    wb = _load(data)
    work = wb.create_sheet("Our workings", 0)
    src = wb[copy_labels_from]
    assert isinstance(src, Worksheet)
    for r in range(1, src.max_row + 1):
        label = src.cell(row=r, column=2).value
        if isinstance(label, str):
            work.cell(row=r, column=2, value=label)
            work.cell(row=r, column=3, value=999999)
    wb.create_sheet("Sheet1", 3)
    chart = BarChart()
    chart.add_data(Reference(work, min_col=3, min_row=1, max_row=work.max_row))
    wb.create_chartsheet("Chart1").add_chart(chart)
    return _save(wb)


def with_empty_chartsheet(data: bytes) -> bytes:
    """A chart sheet without a chart: openpyxl writes it, but cannot read it back."""
    wb = _load(data)
    wb.create_chartsheet("Chart1")
    return _save(wb)


def with_rows_inserted(data: bytes, rows: dict[str, int]) -> bytes:
    """``rows[sheet]`` rows inserted above the data, as Excel would: cells, merged cells and the
    defined names pointing at that sheet all move down."""
    wb = _load(data)
    for title, n in rows.items():
        ws = wb[title]
        assert isinstance(ws, Worksheet)
        merged = [r.coord for r in ws.merged_cells.ranges]
        for coord in merged:
            ws.unmerge_cells(coord)
        ws.insert_rows(1, n)
        for coord in merged:
            ws.merge_cells(_shift(coord, n))
        for name, dn in list(wb.defined_names.items()):
            dests = list(dn.destinations)
            if dests and dests[0][0] == title:
                sheet_ref = "'" + title.replace("'", "''") + "'"
                refs = ",".join(f"{sheet_ref}!{_shift(ref, n, absolute=True)}" for _, ref in dests)
                wb.defined_names[name] = DefinedName(name, attr_text=refs)
    return _save(wb)


def _shift(ref: str, n: int, *, absolute: bool = False) -> str:
    def move(m: re.Match[str]) -> str:
        col, row = m.group(1), int(m.group(2)) + n
        return f"${col}${row}" if absolute else f"{col}{row}"

    return re.sub(r"\$?([A-Z]{1,3})\$?([0-9]+)", move, ref)


def set_cells(data: bytes, values: dict[str, Any], formats: dict[str, str] | None = None) -> bytes:
    """Named cells set to values (text stays text) and, optionally, given a number format."""
    wb = _load(data)
    for name in set(values) | set(formats or {}):
        title, ref = next(iter(wb.defined_names[name].destinations))
        cell = wb[title][ref.replace("$", "")]
        if name in values:
            cell.value = values[name]
            if isinstance(values[name], str):
                cell.data_type = "s"
        if formats and name in formats:
            cell.number_format = formats[name]
    return _save(wb)


def with_formulas(data: bytes, formulas: dict[str, str]) -> bytes:
    """Named cells holding formulas, saved without calculated values (as openpyxl saves them)."""
    wb = _load(data)
    for name, formula in formulas.items():
        title, ref = next(iter(wb.defined_names[name].destinations))
        wb[title][ref.replace("$", "")] = formula
    return _save(wb)


def as_xlsm(data: bytes) -> bytes:
    """The workbook as Excel saves a macro-enabled one: a VBA project part and the macro content type."""
    members = parts(data)
    ct = members["[Content_Types].xml"].replace(SHEET_CONTENT_TYPE, MACRO_CONTENT_TYPE)
    ct = ct.replace(b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')
    members["[Content_Types].xml"] = ct
    rels = members["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" '
        b'Target="vbaProject.bin"/></Relationships>')
    members["xl/_rels/workbook.xml.rels"] = rels
    members["xl/vbaProject.bin"] = OLE2_HEAD
    return rezip(members)


# --- hostile variants -------------------------------------------------------------------------------


def with_dimension(data: bytes, ref: str = "A1:XFD1048576", sheets: list[str] | None = None) -> bytes:
    """Every (or the named) worksheet declaring ``ref`` as its used range."""
    members = parts(data)
    wanted = None if sheets is None else {sheet_part(data, s) for s in sheets}
    for name in list(members):
        if name.startswith("xl/worksheets/sheet") and (wanted is None or name in wanted):
            members[name] = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), members[name])
    return rezip(members)


def with_far_cell(data: bytes, title: str = "Notes") -> bytes:
    """A real cell at XFD1048576 (the last cell a sheet can have) on sheet ``title``."""
    wb = _load(data)
    wb[title]["XFD1048576"] = "x"
    return _save(wb)


def with_many_sheet_entries(data: bytes, count: int = 5000) -> bytes:
    """workbook.xml listing ``count`` sheets (all pointing at the first sheet's part)."""
    members = parts(data)
    wb_xml = members["xl/workbook.xml"]
    entries = b"".join(b'<sheet name="S%d" sheetId="%d" r:id="rId1"/>' % (i, i + 100) for i in range(count))
    members["xl/workbook.xml"] = wb_xml.replace(b"</sheets>", entries + b"</sheets>", 1)
    return rezip(members)


def with_defined_name(data: bytes, name: str, target: str) -> bytes:
    """Defined name ``name`` pointing at ``target`` (written raw into workbook.xml)."""
    members = parts(data)
    text = target.replace("&", "&amp;").replace("<", "&lt;").replace("'", "&apos;").encode()
    members["xl/workbook.xml"] = re.sub(
        rb'(<definedName name="' + re.escape(name.encode()) + rb'"[^>]*>)[^<]*(</definedName>)',
        lambda m: m.group(1) + text + m.group(2), members["xl/workbook.xml"])
    return rezip(members)


def with_raw_value(data: bytes, title: str, coordinate: str, xml_value: bytes) -> bytes:
    """Cell ``coordinate`` on sheet ``title`` holding ``xml_value`` as a raw number (``1E999``)."""
    part = sheet_part(data, title)
    members = parts(data)
    members[part], n = re.subn(
        rb'<c r="' + coordinate.encode() + rb'"([^>]*?)(?:/>|>.*?</c>)',
        lambda m: b'<c r="' + coordinate.encode() + b'"' + re.sub(rb' t="[^"]*"', b"", m.group(1)) + b"><v>" + xml_value
        + b"</v></c>",
        members[part], count=1, flags=re.S)
    assert n == 1, f"{title}!{coordinate} is not in the sheet"
    return rezip(members)


def with_meta(data: bytes, key: str, value: str) -> bytes:
    wb = _load(data)
    ws = wb[META_SHEET]
    for row in ws.iter_rows(min_row=1, max_row=20, max_col=2):
        if row[0].value == key:
            row[1].value = value
    return _save(wb)


# --- mutations (fuzzing) ----------------------------------------------------------------------------

MUTATION_KINDS = ("flip_bytes", "truncate_file", "flip_part", "truncate_part", "remove_part", "splice_part",
                  "garble_names")
_SPICE = b'<>"=/&:;!$#\'0123456789AZaz \x00\xff'


def mutate(data: bytes, rng: random.Random, kind: str | None = None) -> tuple[str, bytes]:
    """One damaged variant of ``data``: bytes flipped, the file cut short, or one of its parts
    changed, cut short, removed or spliced (then zipped again, so the damage gets past the zip
    checks and reaches the XML readers)."""
    kind = kind or rng.choice(MUTATION_KINDS)
    if kind == "flip_bytes":
        b = bytearray(data)
        for _ in range(rng.randint(1, 20)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        return kind, bytes(b)
    if kind == "truncate_file":
        return kind, data[: rng.randrange(len(data))]
    members = parts(data)
    if kind == "garble_names":
        wb = members["xl/workbook.xml"]
        for _ in range(rng.randint(1, 5)):
            spans = [m.span(1) for m in re.finditer(rb"<definedName[^>]*>([^<]+)<", wb)]
            a, z = rng.choice(spans)
            pos = rng.randrange(a, z)
            wb = wb[:pos] + bytes([rng.choice(_SPICE)]) * rng.randint(1, 3) + wb[pos + 1:]
        members["xl/workbook.xml"] = wb
        return kind, rezip(members)
    name = rng.choice(sorted(members))
    content = members[name]
    if kind == "remove_part":
        del members[name]
    elif kind == "truncate_part":
        members[name] = content[: rng.randrange(len(content) + 1)]
    elif kind == "flip_part":
        b = bytearray(content)
        for _ in range(rng.randint(1, 8)):
            if b:
                b[rng.randrange(len(b))] = rng.choice(_SPICE)
        members[name] = bytes(b)
    else:  # splice: a piece of the part copied elsewhere in it
        i, j = sorted(rng.randrange(len(content) + 1) for _ in range(2))
        k = rng.randrange(len(content) + 1)
        members[name] = content[:k] + content[i:j] + content[k:]
    return f"{kind}:{name}", rezip(members)


def mutations(data: bytes, seed: int, count: int) -> Iterator[tuple[str, bytes]]:
    rng = random.Random(seed)
    for i in range(count):
        kind = MUTATION_KINDS[i % len(MUTATION_KINDS)]
        yield mutate(data, rng, kind)


def one_string_everywhere(chars: int = 1_000_000, rows: int = 10_000, cols: int = 8) -> bytes:
    """A small file (about 250 KB) whose one shared string of ``chars`` characters fills every
    cell of a large sheet: about 80 GB of text once each cell is read. (Label search over it
    once took minutes.)"""
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[:cols]
    sheet = "".join(f'<row r="{r}">' + "".join(f'<c r="{c}{r}" t="s"><v>0</v></c>' for c in letters) + "</row>"
                    for r in range(1, rows + 1))
    return rezip({
        "[Content_Types].xml": (
            b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            b'<Default Extension="xml" ContentType="application/xml"/>'
            b'<Override PartName="/xl/workbook.xml" '
            b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            b'<Override PartName="/xl/sharedStrings.xml" '
            b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            b"</Types>"),
        "_rels/.rels": (f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                        f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
                        "</Relationships>").encode(),
        "xl/workbook.xml": (f'<workbook {ns} xmlns:r="{rel}"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/>'
                            "</sheets></workbook>").encode(),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>").encode(),
        "xl/sharedStrings.xml": f'<sst {ns} count="1" uniqueCount="1"><si><t>Provider {"x" * chars}</t></si></sst>'.encode(),
        "xl/worksheets/sheet1.xml": f"<worksheet {ns}><sheetData>{sheet}</sheetData></worksheet>".encode(),
    })


# --- every variant, for the report script -----------------------------------------------------------


def hostile_variants(clean: bytes, *, fuzz: int = 100, seed: int = 2026) -> Iterator[tuple[str, str, bytes]]:
    """(name, file suffix, bytes) of every variant made from the filled return ``clean``."""
    builders: dict[str, Callable[[bytes], bytes]] = {
        "pristine": lambda d: d,
        "copied-no-names-no-meta": copied_into_new_workbook,
        "copied-keep-meta": lambda d: copied_into_new_workbook(d, keep_meta=True),
        "copied-merged-labels": lambda d: copied_into_new_workbook(d, label_column={"Cover": 1, "KPI 1-3": 1}),
        "older-template-no-names": without_names,
        "hidden-sheets": lambda d: with_sheet_states(d, {"KPI 1-3": "hidden", "Live-in care": "veryHidden"}),
        "extra-sheets": with_extra_sheets,
        "empty-chart-sheet": with_empty_chartsheet,
        "rows-inserted": lambda d: with_rows_inserted(d, {"Cover": 2, "KPI 1-3": 3}),
        "huge-dimension": with_dimension,
        "far-cell": with_far_cell,
        "far-cell-no-names": lambda d: with_far_cell(copied_into_new_workbook(d)),
        "5000-sheets": with_many_sheet_entries,
        "name-beyond-last-row": lambda d: with_defined_name(d, "calls_total", "'KPI 1-3'!$C$9999999"),
        "name-whole-column": lambda d: with_defined_name(d, "calls_total", "'KPI 1-3'!$C:$C"),
        "name-ref-error": lambda d: with_defined_name(d, "calls_total", "#REF!"),
        "infinite-number": lambda d: with_raw_value(d, "KPI 1-3", "C8", b"1E999"),
        "huge-number": lambda d: with_raw_value(d, "KPI 1-3", "C8", b"9" * 4000),
        "meta-framework-path": lambda d: with_meta(d, "framework", "/etc/passwd.yaml"),
        "one-string-everywhere": lambda d: one_string_everywhere(),
        "formulas-without-values": lambda d: with_formulas(d, {"calls_total": "=1000+100",
                                                                "calls_late": "=calls_total/0",
                                                                "provider_name": '=HYPERLINK("http://x","y")'}),
    }
    for name, build in builders.items():
        yield name, ".xlsx", build(clean)
    yield "xlsm-macros", ".xlsm", as_xlsm(clean)
    yield "no-extension", "", clean
    for i, (kind, data) in enumerate(mutations(clean, seed, fuzz)):
        yield f"fuzz-{i:03d}-{kind.replace('/', '_').replace(':', '-')}", ".xlsx", data
