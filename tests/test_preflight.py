"""Hostile-file tests for carekpi.workbook.preflight.

Every hostile file is generated here into tmp_path; no binaries are committed.
The builders are plain functions (``HOSTILE`` / ``WARNINGS``) so that
scripts/hostile_bench.py can time the same files in subprocesses.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import io
import os
import random
import re
import struct
import tempfile
import warnings
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import defusedxml.ElementTree as DET
import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from carekpi.base.errors import UnreadableWorkbook
from carekpi.workbook import preflight as pf
from carekpi.workbook.openpyxl_load import OPENPYXL_READ_ERRORS, UnsafeEnvironment, ensure_safe_xml
from carekpi.workbook.preflight import declared_dimensions, preflight, sheet_parts
from carekpi.workbook.reader import open_workbook

Builder = Callable[[Path], Path]

SHEET = "xl/worksheets/sheet1.xml"
WORKBOOK = "xl/workbook.xml"
MAIN_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT_NS = b"http://purl.oclc.org/ooxml/spreadsheetml/main"

# ---------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def valid_xlsx_bytes() -> bytes:
    """A small but feature-rich workbook as openpyxl writes it."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Return"
    ws.append(["Provider", "Quarter", "Visits", "Rate", "Due"])
    for i in range(1, 6):
        ws.append([f"Provider {i}", "Q1", i * 10, i / 7, date(2024, 4, i)])
    ws["F2"] = "=SUM(C2:C6)"
    ws["A1"].font = Font(bold=True)
    ws["B2"].fill = PatternFill("solid", fgColor="FFFF00")
    ws["D2"].number_format = "0.00%"
    ws.merge_cells("G1:H1")
    ws["A3"].comment = Comment("check this", "reviewer")
    ws["A4"].hyperlink = "https://example.org/"
    dv = DataValidation(type="list", formula1='"Q1,Q2,Q3,Q4"')
    ws.add_data_validation(dv)
    dv.add("B2:B6")
    ws.freeze_panes = "A2"
    ws.column_dimensions["A"].width = 30
    notes = wb.create_sheet("Notes")
    notes["A1"] = "Free text"
    wb.defined_names.add(DefinedName("Visits", attr_text="Return!$C$2:$C$6"))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def rezip(
    data: bytes,
    replace: dict[str, bytes | None] | None = None,
    add: dict[str, bytes] | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    """Rebuild a zip, replacing (None = dropping) and adding members."""
    replace = replace or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", compression) as dst:
        for info in src.infolist():
            if info.filename in replace:
                new = replace[info.filename]
                if new is not None:
                    dst.writestr(info.filename, new)
            else:
                dst.writestr(info.filename, src.read(info))
        for name, content in (add or {}).items():
            dst.writestr(name, content)
    return out.getvalue()


def member(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.read(name)


@functools.lru_cache(maxsize=1)
def excel_like_xlsx_bytes() -> bytes:
    """The valid workbook rewritten with a shared-strings part, as Excel stores text."""
    data = valid_xlsx_bytes()
    strings: list[str] = []
    replace: dict[str, bytes | None] = {}
    inline = re.compile(rb'<c r="([A-Z]+\d+)"([^>]*) t="inlineStr"><is><t>([^<]*)</t></is></c>')

    def to_shared(m: re.Match[bytes]) -> bytes:
        strings.append(m.group(3).decode())
        return b'<c r="%s"%s t="s"><v>%d</v></c>' % (m.group(1), m.group(2), len(strings) - 1)

    decl = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            content = zf.read(name)
            if name.startswith("xl/worksheets/sheet"):
                content = inline.sub(to_shared, content)
            if name == SHEET:  # a shared formula, as Excel writes when a formula is filled down
                for r in range(3, 7):
                    f = b'<f t="shared" ref="G3:G6" si="0">C3*2</f>' if r == 3 else b'<f t="shared" si="0"/>'
                    content = content.replace(
                        b'<row r="%d">' % r, b'<row r="%d"><c r="G%d">%s<v>%d</v></c>' % (r, r, f, r * 20), 1
                    )
            if name.endswith((".xml", ".rels")) and not content.startswith(b"<?xml"):
                content = decl + content  # Excel writes a declaration on every part
            replace[name] = content
    assert strings, "expected inline strings to convert"
    sst = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<sst xmlns="{MAIN_NS.decode()}" count="{len(strings)}" uniqueCount="{len(strings)}">'
        + "".join(f"<si><t>{s}</t></si>" for s in strings)
        + "</sst>"
    ).encode()
    ct = replace["[Content_Types].xml"].replace(  # type: ignore[union-attr]
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    rels = replace["xl/_rels/workbook.xml.rels"].replace(  # type: ignore[union-attr]
        b"</Relationships>",
        b'<Relationship Id="rIdSST" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    )
    replace["[Content_Types].xml"] = ct
    replace["xl/_rels/workbook.xml.rels"] = rels
    return rezip(data, replace, {"xl/sharedStrings.xml": sst})


def write(d: Path, name: str, data: bytes) -> Path:
    path = d / name
    path.write_bytes(data)
    return path


def with_member(name: str, content: bytes, filename: str = "hostile.xlsx") -> Builder:
    """Builder: the valid workbook with one member replaced (or added)."""

    def build(d: Path) -> Path:
        data = valid_xlsx_bytes()
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            exists = name in zf.namelist()
        if exists:
            return write(d, filename, rezip(data, {name: content}))
        return write(d, filename, rezip(data, add={name: content}))

    return build


def inject_doctype(xml: bytes, doctype: bytes, body_find: bytes, body_new: bytes) -> bytes:
    """Put a DOCTYPE before the root element and an entity reference into the body."""
    if xml.startswith(b"<?xml"):
        end = xml.index(b"?>") + 2
        head, rest = xml[:end], xml[end:]
    else:
        head, rest = b'<?xml version="1.0" encoding="UTF-8"?>\n', xml
    return head + doctype + rest.replace(body_find, body_new, 1)


BILLION_LAUGHS = (
    b'<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n'
    + b"".join(b'<!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
    + b"]>\n"
)
XXE = b'<!DOCTYPE foo [\n<!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>\n'


def sheet_with_entity(doctype: bytes, ref: bytes) -> bytes:
    return inject_doctype(
        member(valid_xlsx_bytes(), SHEET),
        doctype,
        b"<sheetData>",
        b'<sheetData><row r="100"><c r="A100" t="inlineStr"><is><t>' + ref + b"</t></is></c></row>",
    )


def workbook_with_entity(doctype: bytes, ref: bytes) -> bytes:
    return inject_doctype(member(valid_xlsx_bytes(), WORKBOOK), doctype, b'name="Return"', b'name="' + ref + b'"')


def cd_offsets(data: bytes) -> dict[str, int]:
    """Offsets of each central-directory header, by member name."""
    eocd = data.rfind(b"PK\x05\x06")
    count, _, cd_off = struct.unpack("<HLL", data[eocd + 10 : eocd + 20])
    out: dict[str, int] = {}
    pos = cd_off
    for _ in range(count):
        n, e, c = struct.unpack("<HHH", data[pos + 28 : pos + 34])
        out[data[pos + 46 : pos + 46 + n].decode("cp437")] = pos
        pos += 46 + n + e + c
    return out


def patch_cd(data: bytes, name: str, fmt: str, offset: int, value: int) -> bytes:
    """Overwrite one field of a member's central-directory header."""
    pos = cd_offsets(data)[name] + offset
    buf = bytearray(data)
    struct.pack_into(fmt, buf, pos, value)
    return bytes(buf)


def ole2_blob(*stream_names: str) -> bytes:
    """A minimal OLE2-like container: the magic, a header and a directory sector."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16 + b"\x3e\x00\x03\x00\xfe\xff"
    header = header.ljust(512, b"\x00")
    entries = b""
    for name in ("Root Entry", *stream_names):
        raw = (name + "\x00").encode("utf-16-le")
        entries += raw.ljust(64, b"\x00") + struct.pack("<H", len(raw)) + b"\x00" * 62
    return header + entries.ljust(4096, b"\x00")


def many_sheets_workbook(count: int) -> bytes:
    sheets = b"".join(b'<sheet name="S%d" sheetId="%d" r:id="rId%d"/>' % (i, i, i) for i in range(1, count + 1))
    wb = member(valid_xlsx_bytes(), WORKBOOK)
    return re.sub(rb"<sheets>.*</sheets>", b"<sheets>" + sheets + b"</sheets>", wb, flags=re.S)


# ---------------------------------------------------------------------------
# Hostile builders: name -> (builder, fragment expected in the refusal reason)
# ---------------------------------------------------------------------------


def _truncated(frac: float) -> Builder:
    def build(d: Path) -> Path:
        data = valid_xlsx_bytes()
        return write(d, "truncated.xlsx", data[: int(len(data) * frac)])

    return build


def _bad_crc(d: Path) -> Path:
    data = rezip(valid_xlsx_bytes(), compression=zipfile.ZIP_STORED)
    pos = data.index(b"<sheetData>")  # stored, so the XML is visible in the file
    buf = bytearray(data)
    buf[pos + 1] ^= 0x20
    return write(d, "badcrc.xlsx", bytes(buf))


def _plain_zip(d: Path) -> Path:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("readme.txt", "hello")
    return write(d, "plain.xlsx", out.getvalue())


def _ods(d: Path) -> Path:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", "<office:document-content/>")
    return write(d, "calc.xlsx", out.getvalue())


def _docx(d: Path) -> Path:
    ct = (
        b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.wordprocessingml.document.main+xml"/></Types>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("[Content_Types].xml", ct)
        zf.writestr("word/document.xml", "<w:document/>")
    return write(d, "letter.xlsx", out.getvalue())


def _xlsb(d: Path) -> Path:
    ct = (
        b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        b'<Override PartName="/xl/workbook.bin" '
        b'ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/></Types>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("[Content_Types].xml", ct)
        zf.writestr("xl/workbook.bin", b"\x83\x01\x00")
    return write(d, "binary.xlsx", out.getvalue())


def _no_workbook_part(d: Path) -> Path:
    return write(d, "nowb.xlsx", rezip(valid_xlsx_bytes(), {WORKBOOK: None}))


def _ratio_bomb(d: Path) -> Path:
    data = rezip(valid_xlsx_bytes(), add={"xl/media/image1.bin": b"\x00" * (5 * 1024 * 1024)})
    return write(d, "bomb.xlsx", data)


def _forged_huge_size(d: Path) -> Path:
    data = rezip(valid_xlsx_bytes(), add={"xl/media/blob.bin": b"\x00" * 1000})
    # Central directory claims 3.9 GB uncompressed (offset 24 = uncompressed size).
    return write(d, "forged_big.xlsx", patch_cd(data, "xl/media/blob.bin", "<L", 24, 0xF0000000))


def _forged_small_size(d: Path) -> Path:
    data = rezip(valid_xlsx_bytes(), add={"xl/media/blob.bin": b"\x00" * (20 * 1024 * 1024)})
    # Claims 1 kB, so the ratio check passes; reading must stop at 1 kB and fail the CRC.
    return write(d, "forged_small.xlsx", patch_cd(data, "xl/media/blob.bin", "<L", 24, 1000))


def _overlapping(d: Path) -> Path:
    data = valid_xlsx_bytes()
    offsets = cd_offsets(data)
    first = struct.unpack("<L", data[offsets["docProps/app.xml"] + 42 :][:4])[0]
    return write(d, "overlap.xlsx", patch_cd(data, "docProps/core.xml", "<L", 42, first))


def _many_entries(d: Path) -> Path:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        for i in range(pf.MAX_ENTRIES + 1):
            zf.writestr(f"x/{i}", b"")
    return write(d, "many.xlsx", out.getvalue())


def _huge_directory(d: Path) -> Path:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        for i in range(9_000):
            zf.writestr(f"{i:05d}" + "n" * 480, b"")
    return write(d, "bigdir.xlsx", out.getvalue())


def _zip_encrypted_flag(d: Path) -> Path:
    data = valid_xlsx_bytes()
    return write(d, "zipcrypt.xlsx", patch_cd(data, SHEET, "<H", 8, 0x1))


def _bzip2_member(d: Path) -> Path:
    base = valid_xlsx_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            kind = zipfile.ZIP_BZIP2 if info.filename == SHEET else zipfile.ZIP_DEFLATED
            dst.writestr(info.filename, src.read(info), compress_type=kind)
    return write(d, "bzip2.xlsx", out.getvalue())


def _duplicate_names(d: Path) -> Path:
    data = valid_xlsx_bytes()
    out = io.BytesIO(data)
    with pytest.warns(UserWarning), zipfile.ZipFile(out, "a") as zf:
        zf.writestr(SHEET, member(data, SHEET))
    return write(d, "dupe.xlsx", out.getvalue())


def _utf16_doctype(d: Path) -> Path:
    xml = member(valid_xlsx_bytes(), SHEET).decode()
    xml = '<?xml version="1.0" encoding="UTF-16"?>\n' + XXE.decode() + xml
    return with_member(SHEET, xml.encode("utf-16"))(d)


def _doctype_after_long_comment(d: Path) -> Path:
    rng = random.Random(1)
    comment = "".join(rng.choices("abcdefghij ", k=100_000)).encode()
    xml = b'<?xml version="1.0"?>\n<!--' + comment + b"-->\n" + XXE + member(valid_xlsx_bytes(), SHEET)
    return with_member(SHEET, xml)(d)


def _long_prolog(d: Path) -> Path:
    rng = random.Random(2)
    comment = "".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=1_200_000)).encode()
    xml = b'<?xml version="1.0"?>\n<!--' + comment + b"-->\n" + member(valid_xlsx_bytes(), SHEET)
    return with_member(SHEET, xml)(d)


def _oversize(d: Path) -> Path:
    path = d / "huge.xlsx"
    with open(path, "wb") as fh:
        fh.write(b"PK\x03\x04")
        fh.truncate(pf.MAX_FILE_BYTES + 1)  # sparse: cheap to create
    return path


def _directory(d: Path) -> Path:
    path = d / "folder.xlsx"
    path.mkdir()
    return path


def _broken_content_types(d: Path) -> Path:
    return with_member("[Content_Types].xml", b"<Types><Override")(d)


ORIGINAL_MERGE = b'<mergeCell ref="G1:H1" />'


def sheet_replacing(old: bytes, new: bytes, decl: bytes = b"") -> bytes:
    """The valid sheet with one fragment replaced (e.g. its merge or hyperlink element)."""
    sheet = member(valid_xlsx_bytes(), SHEET)
    assert old in sheet
    return decl + sheet.replace(old, new, 1)


def merged(ref: bytes) -> Builder:
    """Builder: the valid workbook whose merged range G1:H1 is replaced by ``ref``."""
    return with_member(SHEET, sheet_replacing(ORIGINAL_MERGE, b'<mergeCell ref="' + ref + b'"/>'))


def _merge_across_chunk_boundary(d: Path) -> Path:
    """A whole-sheet merge whose tag straddles a read boundary, with '>' in a quoted attribute."""
    tag = b'<mergeCell x=">" ref="A1:XFD1048576"/>'
    sheet = member(valid_xlsx_bytes(), SHEET)
    at = sheet.index(ORIGINAL_MERGE)
    rng = random.Random(4)
    room = pf._CHUNK - at - len(b"<!---->") - 30  # the tag starts 30 bytes before the boundary
    pad = b"<!--" + "".join(rng.choices("abcdefghij", k=room)).encode() + b"-->"
    hostile = sheet_replacing(ORIGINAL_MERGE, pad + tag)
    assert hostile.index(tag) == pf._CHUNK - 30
    return with_member(SHEET, hostile)(d)


def _million_cells(d: Path) -> Path:
    rows = b"".join(
        b'<row r="%d">%s</row>' % (r, b"".join(b'<c r="%c%d"/>' % (c, r) for c in b"ABCDEFGHIJ"))
        for r in range(1, pf.MAX_CELLS // 10 + 2)
    )
    sheet = re.sub(
        rb"<sheetData>.*</sheetData>",
        lambda _: b"<sheetData>" + rows + b"</sheetData>",
        member(valid_xlsx_bytes(), SHEET),
        flags=re.S,
    )
    return with_member(SHEET, sheet)(d)


def _many_merges(d: Path) -> Path:
    merges = b"".join(b'<mergeCell ref="A%d:B%d"/>' % (r, r) for r in range(10, 6010))
    return with_member(SHEET, sheet_replacing(ORIGINAL_MERGE, merges))(d)


def _links_in_merges(d: Path) -> Path:
    """300 links on the hidden half of the last of 300 merges: openpyxl scans all merges per link."""
    merges = b"".join(b'<mergeCell ref="A%d:B%d"/>' % (r, r) for r in range(10, 310))
    links = b"".join(b'<hyperlink ref="B309" location="Notes!A1"/>' for _ in range(300))
    sheet = sheet_replacing(ORIGINAL_MERGE, merges)
    sheet = re.sub(rb"<hyperlinks>.*</hyperlinks>", b"<hyperlinks>" + links + b"</hyperlinks>", sheet)
    return with_member(SHEET, sheet)(d)


def _huge_styles(d: Path) -> Path:
    """An 11 MB styles part (openpyxl parses it whole), padded so it does not look like a bomb."""
    styles = member(valid_xlsx_bytes(), "xl/styles.xml")
    pad = b"<!--" + random.Random(7).randbytes(pf.MAX_DOM_PART_BYTES // 2 + 1000).hex().encode() + b"-->"
    return with_member("xl/styles.xml", styles.replace(b"<numFmts", pad + b"<numFmts", 1))(d)


def _sheet_behind_odd_relationship(d: Path) -> Path:
    """openpyxl reads any non-chartsheet relationship of a <sheet> as a worksheet."""
    rels = member(valid_xlsx_bytes(), "xl/_rels/workbook.xml.rels")
    rels = rels.replace(b"relationships/worksheet", b"relationships/somethingElse")
    sheet = sheet_replacing(ORIGINAL_MERGE, b'<mergeCell ref="A1:XFD1048576"/>')
    data = rezip(valid_xlsx_bytes(), {"xl/_rels/workbook.xml.rels": rels, SHEET: sheet})
    return write(d, "oddrel.xlsx", data)


def _duplicate_relationship_id(d: Path) -> Path:
    """Two relationships share an id: openpyxl uses the last one, so must preflight."""
    rels = member(valid_xlsx_bytes(), "xl/_rels/workbook.xml.rels")
    first = re.search(rb'<Relationship [^>]*Id="rId1"[^>]*/>', rels)
    assert first is not None
    decoy = first.group(0).replace(b"sheet1.xml", b"sheet2.xml")
    rels = rels.replace(first.group(0), decoy + first.group(0))
    sheet = sheet_replacing(ORIGINAL_MERGE, b'<mergeCell ref="A1:XFD1048576"/>')
    data = rezip(valid_xlsx_bytes(), {"xl/_rels/workbook.xml.rels": rels, SHEET: sheet})
    return write(d, "duprel.xlsx", data)


def _second_sheet_list(d: Path) -> Path:
    """A second <sheets> list names the hostile sheet; every <sheet> must be checked."""
    wb = member(valid_xlsx_bytes(), WORKBOOK)
    lists = re.search(rb"<sheets>(.*)</sheets>", wb, flags=re.S)
    assert lists is not None
    first, second = re.findall(rb"<sheet [^>]*/>", lists.group(1))
    wb = wb.replace(lists.group(0), b"<sheets>" + second + b"</sheets><sheets>" + first + b"</sheets>")
    sheet = sheet_replacing(ORIGINAL_MERGE, b'<mergeCell ref="A1:XFD1048576"/>')
    return write(d, "twolists.xlsx", rezip(valid_xlsx_bytes(), {WORKBOOK: wb, SHEET: sheet}))


def _utf16_huge_merge(d: Path) -> Path:
    xml = sheet_replacing(ORIGINAL_MERGE, b'<mergeCell ref="A1:XFD1048576"/>').decode()
    xml = '<?xml version="1.0" encoding="UTF-16"?>' + xml
    return with_member(SHEET, xml.encode("utf-16"))(d)


def _raw(name: str, data: bytes) -> Builder:
    return lambda d: write(d, name, data)


ENTITY = "XML entity declarations"
DAMAGED = "damaged or incomplete"
NO_WORKBOOK = "contains no Excel workbook"

HOSTILE: dict[str, tuple[Builder, str]] = {
    "pdf": (_raw("return.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"), "PDF"),
    "csv": (_raw("return.xlsx", b"Provider,Quarter,Visits\nA,Q1,10\nB,Q1,12\n"), "CSV"),
    "html": (_raw("return.xlsx", b"<html><body><table><tr><td>1</td></tr></table>"), "HTML"),
    "xml2003": (
        _raw(
            "return.xlsx",
            b'<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
            b'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"></Workbook>',
        ),
        "XML Spreadsheet 2003",
    ),
    "png": (_raw("return.xlsx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100), "picture"),
    "random_binary": (
        _raw("return.xlsx", random.Random(3).randbytes(5000)),
        "not an Excel workbook",
    ),
    "empty": (_raw("return.xlsx", b""), "empty"),
    "ole2_legacy_xls": (_raw("return.xlsx", ole2_blob("Workbook", "SummaryInformation")), ".xls"),
    "ole2_encrypted": (
        _raw("return.xlsx", ole2_blob("EncryptionInfo", "EncryptedPackage", "\x06DataSpaces")),
        "password-protected workbook",
    ),
    "ole2_word_doc": (_raw("return.xlsx", ole2_blob("WordDocument")), "old-format Office"),
    "truncated_half": (_truncated(0.5), DAMAGED),
    "truncated_tail": (_truncated(0.995), DAMAGED),
    "bad_crc": (_bad_crc, DAMAGED),
    "zip_without_workbook": (_plain_zip, NO_WORKBOOK),
    "workbook_part_missing": (_no_workbook_part, NO_WORKBOOK),
    "ods": (_ods, "OpenDocument"),
    "docx": (_docx, "Word document"),
    "xlsb": (_xlsb, ".xlsb"),
    "zip_bomb_ratio": (_ratio_bomb, "expand more than"),
    "zip_bomb_forged_big_size": (_forged_huge_size, "expand to more than"),
    "zip_forged_small_size": (_forged_small_size, DAMAGED),
    "zip_overlapping_entries": (_overlapping, DAMAGED),
    "many_entries": (_many_entries, "internal parts"),
    "huge_central_directory": (_huge_directory, "table of contents"),
    "zip_encrypted_flag": (_zip_encrypted_flag, "password"),
    "bzip2_member": (_bzip2_member, "compression method"),
    "duplicate_member_names": (_duplicate_names, DAMAGED),
    # nothing but the end-of-archive record (this once ended in "internal error", exit 3)
    "empty_archive": (_raw("empty.xlsx", b"PK\x05\x06" + b"\x00" * 18), "empty zip archive"),
    "billion_laughs_workbook": (
        with_member(WORKBOOK, workbook_with_entity(BILLION_LAUGHS, b"&lol9;")),
        ENTITY,
    ),
    "xxe_workbook": (with_member(WORKBOOK, workbook_with_entity(XXE, b"&xxe;")), ENTITY),
    "billion_laughs_sheet": (with_member(SHEET, sheet_with_entity(BILLION_LAUGHS, b"&lol9;")), ENTITY),
    "xxe_sheet": (with_member(SHEET, sheet_with_entity(XXE, b"&xxe;")), ENTITY),
    "xxe_content_types": (
        with_member(
            "[Content_Types].xml",
            inject_doctype(member(valid_xlsx_bytes(), "[Content_Types].xml"), XXE, b"", b""),
        ),
        ENTITY,
    ),
    "xxe_sheet_utf16": (_utf16_doctype, ENTITY),
    "doctype_after_100k_comment": (_doctype_after_long_comment, ENTITY),
    "doctype_in_non_xml_name": (with_member("customXml/item1.dat", XXE + b"<r>&xxe;</r>"), ENTITY),
    "long_xml_prolog": (_long_prolog, "abnormally long header"),
    "strict_ooxml": (
        with_member(WORKBOOK, member(valid_xlsx_bytes(), WORKBOOK).replace(MAIN_NS, STRICT_NS)),
        "Strict Open XML",
    ),
    "strict_ooxml_rels": (
        with_member(
            "_rels/.rels",
            member(valid_xlsx_bytes(), "_rels/.rels").replace(
                b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument",
                b"http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument",
            ),
        ),
        "Strict Open XML",
    ),
    "merge_whole_sheet": (merged(b"A1:XFD1048576"), "merges, links or comments"),
    "merge_whole_columns": (merged(b"A:B"), "2,097,152 cells"),
    "merge_ref_char_reference": (merged(b"A1&#58;XFD1048576"), "merges, links or comments"),
    "merge_prefixed_multiline": (
        with_member(
            SHEET,
            sheet_replacing(
                ORIGINAL_MERGE,
                b"<x:mergeCell xmlns:x=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"\n\tref\n=\n'A1:Z100000'/>",
            ),
        ),
        "merges, links or comments",
    ),
    "merge_across_chunk_boundary": (_merge_across_chunk_boundary, "merges, links or comments"),
    "merge_in_utf16_sheet": (_utf16_huge_merge, "merges, links or comments"),
    "hyperlink_range": (
        with_member(SHEET, sheet_replacing(b'ref="A4"', b'ref="A1:Z1048576"')),
        "merges, links or comments",
    ),
    "million_cells": (_million_cells, f"more than {pf.MAX_CELLS:,} cells"),
    "comment_on_whole_sheet": (
        with_member(
            "xl/comments/comment1.xml",
            member(valid_xlsx_bytes(), "xl/comments/comment1.xml").replace(b'ref="A3"', b'ref="A1:XFD1048576"'),
        ),
        "merges, links or comments",
    ),
    "huge_styles_part": (_huge_styles, "unusually large internal part"),
    "sheet_behind_odd_relationship_type": (_sheet_behind_odd_relationship, "merges, links or comments"),
    "duplicate_relationship_id": (_duplicate_relationship_id, "merges, links or comments"),
    "second_sheet_list": (_second_sheet_list, "merges, links or comments"),
    "6000_merged_ranges": (_many_merges, "more than 5,000 merged cell ranges"),
    "links_inside_merged_cells": (_links_in_merges, "links inside merged cells"),
    "sheet_in_ebcdic_encoding": (
        with_member(SHEET, sheet_replacing(b"", b"", b'<?xml version="1.0" encoding="cp500"?>')),
        "unusual text encoding",
    ),
    "5000_sheets": (with_member(WORKBOOK, many_sheets_workbook(5000)), "more than 200 sheets"),
    "broken_content_types": (_broken_content_types, DAMAGED),
    "oversize_file": (_oversize, "limit"),
    "directory": (_directory, "not an ordinary file"),
    "missing_file": (lambda d: d / "nope.xlsx", "could not be opened"),
}


def _huge_dimension(d: Path) -> Path:
    sheet = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', member(valid_xlsx_bytes(), SHEET))
    return with_member(SHEET, sheet, "dims.xlsx")(d)


def _xlsm(d: Path) -> Path:
    data = rezip(valid_xlsx_bytes(), add={"xl/vbaProject.bin": ole2_blob("VBA", "PROJECT")})
    return write(d, "macro.xlsm", data)


def _external_link(d: Path) -> Path:
    link = b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'
    return with_member("xl/externalLinks/externalLink1.xml", link, "links.xlsx")(d)


#: Accepted with a warning: name -> (builder, fragment expected in a warning).
WARNINGS: dict[str, tuple[Builder, str]] = {
    "huge_dimension": (_huge_dimension, "A1:XFD1048576"),
    "xlsm_macros": (_xlsm, "contains macros (.xlsm); they were not run"),
    "external_links": (_external_link, "links to other workbooks"),
}


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------


def test_valid_openpyxl_workbook_has_no_warnings(tmp_path: Path) -> None:
    path = write(tmp_path, "ok.xlsx", valid_xlsx_bytes())
    assert preflight(path) == []
    assert preflight(str(path)) == []


def test_excel_like_workbook_with_shared_strings_passes(tmp_path: Path) -> None:
    path = write(tmp_path, "ok.xlsx", excel_like_xlsx_bytes())
    assert preflight(path) == []
    wb = openpyxl.load_workbook(path, data_only=True)
    assert wb["Return"]["A2"].value == "Provider 1"


def test_workbook_with_xml_declaration_and_bom_passes(tmp_path: Path) -> None:
    sheet = b'\xef\xbb\xbf<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n' + member(valid_xlsx_bytes(), SHEET)
    path = with_member(SHEET, sheet)(tmp_path)
    assert preflight(path) == []


def test_small_merges_links_and_latin1_sheets_pass(tmp_path: Path) -> None:
    merges = b'<mergeCell ref="A20:E20"/><mergeCell ref="B22:C30"/>'
    decl = b'<?xml version="1.0" encoding="ISO-8859-1"?>'
    sheet = sheet_replacing(ORIGINAL_MERGE, merges, decl).replace(b'ref="A4"', b'ref="A4:B5"')
    path = with_member(SHEET, sheet)(tmp_path)
    assert preflight(path) == []
    ws = openpyxl.load_workbook(path, data_only=True)["Return"]
    assert {str(r) for r in ws.merged_cells.ranges} == {"A20:E20", "B22:C30"}
    assert ws["B5"].hyperlink is not None


def test_cell_budget_counts_cells_rows_and_shared_strings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "ok.xlsx", excel_like_xlsx_bytes())
    budget = pf._Budget(path, {})
    expected = 0
    with zipfile.ZipFile(path) as zf:
        for part in (SHEET, "xl/worksheets/sheet2.xml", "xl/sharedStrings.xml", "xl/comments/comment1.xml"):
            pf._stream_member(path, zf, zf.getinfo(part), budget)
            root = ET.fromstring(zf.read(part))
            counted = ("c", "row", "si", "mergeCell", "hyperlink", "comment")
            expected += sum(el.tag.split("}")[-1] in counted for el in root.iter())
    assert budget.cells == expected > 40  # the byte scan agrees with a real parser
    monkeypatch.setattr(pf, "MAX_CELLS", budget.cells - 1)
    with pytest.raises(UnreadableWorkbook, match="cells"):
        preflight(path)
    monkeypatch.setattr(pf, "MAX_CELLS", budget.cells)
    assert preflight(path) == []


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_file_is_refused(tmp_path: Path, name: str) -> None:
    build, expected = HOSTILE[name]
    path = build(tmp_path)
    with pytest.raises(UnreadableWorkbook) as info:
        preflight(path)
    reason = info.value.reason
    assert expected in reason, reason
    assert "\n" not in reason and reason.count(". ") == 0, "one sentence"
    assert info.value.path == str(path)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_the_reader_refuses_what_preflight_refuses_once_it_reads_the_parts(tmp_path: Path, name: str) -> None:
    """The reader defers a worksheet's content scan and whole-document check to the moment it
    first reads the sheet (a part never read is not parsed); reading every worksheet and the
    shared strings refuses every hostile file with the sentence preflight gives."""
    build, expected = HOSTILE[name]
    expected = {"directory": "is a folder", "missing_file": "no such file"}.get(name, expected)  # said before preflight
    path = build(tmp_path)
    with pytest.raises(UnreadableWorkbook) as info:
        content = open_workbook(path)
        for title in content.book.worksheet_names:
            content.book.sheet(title)
        content.book.strings()
    assert expected in info.value.reason, info.value.reason


def test_a_deferred_scan_runs_when_the_part_is_first_read(tmp_path: Path) -> None:
    path = _million_cells(tmp_path)
    package = pf.inspect(path, defer=True)  # the sheet is decompressed and CRC-checked, not scanned
    with pytest.raises(UnreadableWorkbook, match=f"more than {pf.MAX_CELLS:,} cells"):
        package.admit(SHEET)
    with pytest.raises(UnreadableWorkbook, match=f"more than {pf.MAX_CELLS:,} cells"):
        pf.inspect(path)  # without deferring, as preflight() checks a file


@pytest.mark.parametrize("name", sorted(WARNINGS))
def test_accepted_with_warning(tmp_path: Path, name: str) -> None:
    build, expected = WARNINGS[name]
    warnings = preflight(build(tmp_path))
    assert len(warnings) == 1
    assert expected in warnings[0].message


def test_xlsm_still_loads_in_openpyxl(tmp_path: Path) -> None:
    path = _xlsm(tmp_path)
    wb = openpyxl.load_workbook(path, data_only=True)
    assert wb.sheetnames == ["Return", "Notes"]


def test_ole2_messages_match_brief(tmp_path: Path) -> None:
    for blob, expected in (
        (ole2_blob("EncryptionInfo", "EncryptedPackage"), pf._MSG_ENCRYPTED),
        (ole2_blob("Workbook"), pf._MSG_XLS),
    ):
        with pytest.raises(UnreadableWorkbook) as info:
            preflight(write(tmp_path, "x.xlsx", blob))
        assert info.value.reason == expected


def test_ole2_stream_name_found_across_chunk_boundary(tmp_path: Path) -> None:
    name = "EncryptedPackage".encode("utf-16-le")
    cut = pf._CHUNK - 7  # the name straddles two reads
    blob = pf._OLE2_MAGIC + b"\x00" * (cut - 8) + name + b"\x00" * 100
    with pytest.raises(UnreadableWorkbook, match="password-protected"):
        preflight(write(tmp_path, "x.xlsx", blob))


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    fifo = tmp_path / "pipe.xlsx"
    os.mkfifo(fifo)
    with pytest.raises(UnreadableWorkbook, match="not an ordinary file"):
        preflight(fifo)


def test_hostile_entities_would_also_be_stopped_by_openpyxl(tmp_path: Path) -> None:
    """Defence in depth: the parser openpyxl uses refuses the same documents."""
    for doc in (workbook_with_entity(BILLION_LAUGHS, b"&lol9;"), workbook_with_entity(XXE, b"&xxe;")):
        with pytest.raises(ValueError):  # defusedxml's EntitiesForbidden is a ValueError
            DET.fromstring(doc)


def test_declared_dimensions_and_sheet_parts(tmp_path: Path) -> None:
    path = write(tmp_path, "ok.xlsx", valid_xlsx_bytes())
    assert sheet_parts(path) == {"Return": SHEET, "Notes": "xl/worksheets/sheet2.xml"}
    dims = declared_dimensions(path)
    assert dims[SHEET] == "A1:H6"  # merged G1:H1 included
    assert dims["xl/worksheets/sheet2.xml"] == "A1:A1"
    huge = _huge_dimension(tmp_path)
    assert declared_dimensions(huge)[SHEET] == "A1:XFD1048576"


def test_declared_dimensions_skips_sheet_without_dimension(tmp_path: Path) -> None:
    sheet = re.sub(rb"<dimension [^>]*/>", b"", member(valid_xlsx_bytes(), SHEET))
    path = with_member(SHEET, sheet)(tmp_path)
    assert SHEET not in declared_dimensions(path)


def test_declared_dimensions_refuses_what_preflight_refuses(tmp_path: Path) -> None:
    with pytest.raises(UnreadableWorkbook):
        declared_dimensions(write(tmp_path, "x.xlsx", b"%PDF-1.4"))


def test_caps_are_documented_constants() -> None:
    assert pf.MAX_FILE_BYTES == 50 * 1024 * 1024
    assert pf.MAX_TOTAL_UNCOMPRESSED_BYTES == 200 * 1024 * 1024
    assert pf.MAX_COMPRESSION_RATIO == 100
    assert pf.MAX_ENTRIES == 10_000
    assert pf.MAX_SHEETS == 200


# --- ensure_safe_xml -------------------------------------------------------


PARSER_MODULES = (
    "openpyxl.xml.functions",
    "openpyxl.reader.excel",
    "openpyxl.reader.workbook",
    "openpyxl.packaging.manifest",
    "openpyxl.reader.drawings",
    "openpyxl.styles.stylesheet",
    "openpyxl.workbook.external_link.external",
)


def _patch_fromstring(monkeypatch: pytest.MonkeyPatch, fn: Callable[..., object]) -> None:
    for name in PARSER_MODULES:
        monkeypatch.setattr(importlib.import_module(name), "fromstring", fn)


def test_ensure_safe_xml_passes_in_this_environment() -> None:
    ensure_safe_xml()


def test_ensure_safe_xml_refuses_without_defusedxml(monkeypatch: pytest.MonkeyPatch) -> None:
    import openpyxl.xml

    monkeypatch.setattr(openpyxl.xml, "DEFUSEDXML", False)
    with pytest.raises(UnsafeEnvironment, match="defusedxml"):
        ensure_safe_xml()


def test_ensure_safe_xml_refuses_stdlib_fromstring(monkeypatch: pytest.MonkeyPatch) -> None:
    _patch_fromstring(monkeypatch, ET.fromstring)
    with pytest.raises(UnsafeEnvironment):
        ensure_safe_xml()


def test_ensure_safe_xml_refuses_partially_patched_module(monkeypatch: pytest.MonkeyPatch) -> None:
    import openpyxl.reader.excel

    monkeypatch.setattr(openpyxl.reader.excel, "fromstring", ET.fromstring)
    with pytest.raises(UnsafeEnvironment, match=r"openpyxl\.reader\.excel"):
        ensure_safe_xml()


def test_ensure_safe_xml_lxml_path_probes_the_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """With openpyxl on lxml, only an entity-refusing parse path is accepted."""
    import openpyxl.xml

    monkeypatch.setattr(openpyxl.xml, "LXML", True)
    _patch_fromstring(monkeypatch, DET.fromstring)  # refuses entities: fine
    ensure_safe_xml()
    _patch_fromstring(monkeypatch, ET.fromstring)  # expands internal entities: unsafe
    with pytest.raises(UnsafeEnvironment, match="expands entities"):
        ensure_safe_xml()


def test_ensure_safe_xml_accepts_parser_that_leaves_entities_unexpanded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """lxml with resolve_entities=False keeps references unexpanded; that is safe."""
    import openpyxl.xml

    def no_expand(data: bytes) -> ET.Element:
        body = data[data.rindex(b"]>") + 2 :].replace(b"&", b"&amp;")
        return ET.fromstring(body)

    monkeypatch.setattr(openpyxl.xml, "LXML", True)
    _patch_fromstring(monkeypatch, no_expand)
    ensure_safe_xml()


# --- fuzzing ---------------------------------------------------------------


def test_openpyxl_read_errors_cover_an_untranslatable_shared_formula(tmp_path: Path) -> None:
    """Found by the mutation search: a dependent cell left of a shared formula's anchor."""
    data = excel_like_xlsx_bytes()
    sheet = member(data, SHEET).replace(b'<row r="4">', b'<row r="4"><c r="A4"><f t="shared" si="0"/><v>1</v></c>', 1)
    sheet = sheet.replace(b'<c r="A4" t="s"><v>', b'<c r="Z4" t="s"><v>', 1)
    path = write(tmp_path, "f.xlsx", rezip(data, {SHEET: sheet}))
    assert preflight(path) == []
    assert openpyxl.load_workbook(path, data_only=True)["Return"]["A4"].value == 1
    with pytest.raises(OPENPYXL_READ_ERRORS) as info:
        openpyxl.load_workbook(path, data_only=False)
    assert type(info.value).__name__ == "TranslatorError"


def test_openpyxl_read_errors_cover_a_wrong_extension(tmp_path: Path) -> None:
    path = write(tmp_path, "return.xls", valid_xlsx_bytes())  # really an .xlsx
    assert preflight(path) == []
    with pytest.raises(OPENPYXL_READ_ERRORS):
        openpyxl.load_workbook(path)


def _xml_members(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [n for n in zf.namelist() if n.endswith((".xml", ".rels", ".vml"))]


_NUMBER_ATTR = re.compile(rb'="(-?\d+(?:\.\d+)?)"')
_ANY_ATTR = re.compile(rb'="([^"]*)"')
_CELL_VALUE = re.compile(rb"<v>([^<]*)</v>")
_ODD_VALUES = (
    b"-1", b"0", b"999999999", b"99999999999999999999", b"abc", b"", b"1e308", b"-1e308",
    b"nan", b"3.5", b"A1", b"ZZZZ0", b"A1:XFD1048576", b"1:0", b"#REF!", b"true", b"&amp;",
)  # fmt: skip


def mutate(base: bytes, rng: random.Random) -> tuple[str, bytes]:
    """One seeded mutation of a valid workbook's bytes."""
    kind = rng.choice(
        [
            "flip",
            "truncate",
            "drop",
            "swap",
            "xml_flip",
            "xml_cut",
            "xml_dup",
            "xml_attr",
            "xml_attr_any",
            "xml_value",
        ]
    )
    if kind == "flip":
        buf = bytearray(base)
        for _ in range(rng.randint(1, 8)):
            buf[rng.randrange(len(buf))] ^= 1 << rng.randrange(8)
        return kind, bytes(buf)
    if kind == "truncate":
        return kind, base[: rng.randrange(len(base))]
    names = _xml_members(base)
    name = rng.choice(names)
    if kind == "drop":
        return f"{kind}:{name}", rezip(base, {name: None})
    if kind == "swap":
        other = rng.choice(names)
        return f"{kind}:{name}<->{other}", rezip(base, {name: member(base, other), other: member(base, name)})
    xml = bytearray(member(base, name))
    if kind == "xml_flip":
        for _ in range(rng.randint(1, 4)):
            xml[rng.randrange(len(xml))] = rng.randrange(32, 127)
    elif kind == "xml_cut":
        a = rng.randrange(len(xml))
        del xml[a : a + rng.randint(1, 200)]
    elif kind == "xml_dup":
        a = rng.randrange(len(xml))
        piece = xml[a : a + rng.randint(1, 200)]
        at = rng.randrange(len(xml))
        xml[at:at] = piece
    else:  # replace one attribute value or cell value with an odd one
        pattern = {"xml_attr": _NUMBER_ATTR, "xml_attr_any": _ANY_ATTR}.get(kind, _CELL_VALUE)
        matches = list(pattern.finditer(xml))
        if matches:
            m = rng.choice(matches)
            xml[m.start(1) : m.end(1)] = rng.choice(_ODD_VALUES)
    return f"{kind}:{name}", rezip(base, {name: bytes(xml)})


def mutants(seed: int, count: int) -> Iterator[tuple[str, bytes]]:
    rng = random.Random(seed)
    bases = (valid_xlsx_bytes(), excel_like_xlsx_bytes())
    for _ in range(count):
        yield mutate(rng.choice(bases), rng)


def check_mutant(path: Path, data_only: bool = True) -> str:
    """Preflight then openpyxl; return the outcome, letting unexpected exceptions escape."""
    try:
        preflight(path)
    except UnreadableWorkbook:
        return "refused"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            openpyxl.load_workbook(path, read_only=False, data_only=data_only)
    except OPENPYXL_READ_ERRORS as exc:
        return type(exc).__name__
    return "loaded"


def test_mutated_workbooks_fail_only_in_known_ways(tmp_path: Path) -> None:
    outcomes: dict[str, int] = {}
    for i, (kind, data) in enumerate(mutants(seed=20240401, count=200)):
        path = write(tmp_path, f"m{i}.xlsx", data)
        try:
            outcome = check_mutant(path, data_only=i % 2 == 0)
        except Exception as exc:  # report which mutation escaped, then fail
            raise AssertionError(f"mutant {i} ({kind}) raised {type(exc).__name__}: {exc}") from exc
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        path.unlink()
    assert sum(outcomes.values()) == 200
    assert outcomes.get("refused", 0) > 0 and outcomes.get("loaded", 0) > 0, outcomes


@settings(max_examples=150, deadline=None)
@given(
    prefix=st.sampled_from([b"", b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"%PDF"]),
    body=st.binary(max_size=4096),
)
def test_preflight_raises_only_unreadable_workbook_on_arbitrary_bytes(prefix: bytes, body: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.xlsx"
        path.write_bytes(prefix + body)
        try:
            preflight(path)
        except UnreadableWorkbook as exc:
            assert exc.reason


@settings(max_examples=100, deadline=None)
@given(cut=st.integers(min_value=0), flips=st.lists(st.integers(min_value=0), max_size=6))
def test_preflight_raises_only_unreadable_workbook_on_damaged_zip(cut: int, flips: list[int]) -> None:
    base = bytearray(valid_xlsx_bytes())
    for f in flips:
        base[f % len(base)] ^= 0xFF
    data = bytes(base[: len(base) - cut % len(base)])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.xlsx"
        path.write_bytes(data)
        with contextlib.suppress(UnreadableWorkbook):
            preflight(path)
