"""Inspect an untrusted .xlsx file *before* openpyxl parses it.

Returns are sent by hundreds of outside organisations, so every file is treated
as hostile until proven otherwise. :func:`preflight` looks at the raw bytes and
the zip structure with hard caps on size, time and memory, refuses anything a
spreadsheet program would never write (each refusal an
:class:`~carekpi.base.errors.UnreadableWorkbook` with one plain sentence), and returns
warnings for things that are legal but worth telling the sender about.

:func:`inspect` also hands the reader (:mod:`carekpi.workbook.book`) the parts it needs,
so a file is decompressed once. Preflight imports nothing heavy (no openpyxl).
"""

from __future__ import annotations

import codecs
import functools
import html
import os
import posixpath
import re
import stat
import struct
import xml.parsers.expat
import zipfile
import zlib
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO
from xml.etree.ElementTree import Element, ParseError, XMLParser

from carekpi.base.errors import UnreadableWorkbook
from carekpi.workbook.cells import range_boundaries

# ---------------------------------------------------------------------------
# Caps. Every limit is far above what a genuine monthly return needs, and low
# enough that each check finishes in well under 5 s and 300 MB on 2 cores.
# ---------------------------------------------------------------------------

#: Largest file accepted at all, checked with stat() before the file is opened.
MAX_FILE_BYTES = 50 * 1024 * 1024
#: Most zip members (parts) a workbook may have; 200 sheets with drawings,
#: comments and their relationship parts stay far below this.
MAX_ENTRIES = 10_000
#: Largest zip central directory read into memory (checked from the end record
#: before :mod:`zipfile` parses it, so a forged directory cannot exhaust memory).
MAX_CENTRAL_DIRECTORY_BYTES = 4 * 1024 * 1024
#: Largest total declared uncompressed size of all members (zip bomb cap).
MAX_TOTAL_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
#: Largest declared compression ratio for members bigger than
#: :data:`RATIO_CHECK_MIN_BYTES` (zip bomb cap).
MAX_COMPRESSION_RATIO = 100
#: Members smaller than this uncompressed are exempt from the ratio cap.
RATIO_CHECK_MIN_BYTES = 1024 * 1024
#: Bytes an XML part may hold before its root element starts (declaration,
#: comments); a DOCTYPE can only appear there, so this bounds the entity scan.
MAX_XML_PROLOG_BYTES = 1024 * 1024
#: Leading bytes of each XML part also searched literally for ``<!DOCTYPE`` /
#: ``<!ENTITY`` (ASCII and UTF-16), independent of the XML parser.
XML_RAW_SCAN_BYTES = 64 * 1024
#: Largest package part ([Content_Types].xml, .rels) parsed whole into memory.
MAX_PACKAGE_XML_BYTES = 4 * 1024 * 1024
#: Largest XML part that openpyxl parses whole into an ElementTree (workbook.xml,
#: styles, comments, charts, drawings, pivot caches...; everything except
#: worksheets and shared strings, which it streams). A dense 10 MB part costs
#: openpyxl up to ~300 MB; a genuine one is well under 1 MB.
MAX_DOM_PART_BYTES = 10 * 1024 * 1024
#: Most bytes of the parts kept for the reader (worksheets, shared strings, workbook,
#: styles): a return just under MAX_CELLS is about 10 MB of sheet XML.
MAX_KEPT_BYTES = 64 * 1024 * 1024
#: Most sheets a workbook may declare.
MAX_SHEETS = 200
#: Most cells, rows and shared-string entries across all sheets. openpyxl's
#: full (non read-only) load costs roughly 400 bytes and 20-50 us per cell: a
#: return just under this cap validated in about 2 s and 100 MB here, inside the
#: 5 s / 300 MB budget; the largest bundled return has about 5,000 cells.
#: Counted by a byte scan, so a sheet "filled down" with empty formatted cells counts too.
MAX_CELLS = 100_000
#: Most cells covered by merged ranges plus hyperlink ranges: openpyxl's full
#: load creates one object per covered cell (a merge of A1:XFD1048576 would be
#: 17 billion), so these are capped separately and much lower.
MAX_RANGE_CELLS = 20_000
#: Most merged ranges across all sheets (openpyxl spends ~0.2 ms on each).
MAX_MERGED_RANGES = 5_000
#: Most (hyperlinks inside merged cells) x (merged ranges) on one sheet: openpyxl
#: searches every merged range for each such link (~10 us per step).
MAX_LINK_MERGE_CHECKS = 50_000
#: Longest single XML tag accepted in a worksheet or shared-strings part.
MAX_TAG_BYTES = 1024 * 1024
#: A sheet whose declared used range exceeds either bound gets a warning.
PLAUSIBLE_MAX_ROWS = 100_000
PLAUSIBLE_MAX_COLUMNS = 1_000
#: Read size when streaming members (CRC check and scans).
_CHUNK = 1024 * 1024
#: Start elements looked at in a sheet before giving up on finding <dimension>.
_DIMENSION_SEARCH_ELEMENTS = 1_000

_MAX_ROW = 1_048_576
_MAX_COL = 16_384
_SHARED_STRINGS = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"

# Magic numbers and names.
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OLE2_ENCRYPTED_NAMES = tuple(n.encode("utf-16-le") for n in ("EncryptedPackage", "EncryptionInfo"))
_OLE2_WORKBOOK_NAMES = tuple(n.encode("utf-16-le") for n in ("Workbook", "Book"))
_EOCD_SIG = b"PK\x05\x06"
_EOCD64_LOCATOR_SIG = b"PK\x06\x07"
_EOCD64_SIG = b"PK\x06\x06"
_EOCD_SIZE = 22

_STRICT_NS = "http://purl.oclc.org/ooxml/"
_CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_RELS_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"

_WORKBOOK_MACRO = "application/vnd.ms-excel.%s.macroEnabled.main+xml"
_WORKBOOK = "application/vnd.openxmlformats-officedocument.spreadsheetml.%s.main+xml"
_XLTM = _WORKBOOK_MACRO % "template"
_XLSM = _WORKBOOK_MACRO % "sheet"
_XLTX = _WORKBOOK % "template"
_XLSX = _WORKBOOK % "sheet"
#: In the order openpyxl looks for them (openpyxl.reader.excel._find_workbook_part).
_WORKBOOK_TYPES = (_XLTM, _XLTX, _XLSM, _XLSX)
_XLSB = "application/vnd.ms-excel.sheet.binary.macroEnabled.main"
_EXTERNAL_LINK_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"

_DTD_PATTERNS = tuple(p.encode(enc) for p in ("<!doctype", "<!entity") for enc in ("ascii", "utf-16-le", "utf-16-be"))

# Errors zipfile/zlib raise on a damaged archive (all mapped to one "damaged" sentence).
_ZIP_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    struct.error,
    NotImplementedError,
)
# Errors parsing a package XML part.
_XML_ERRORS: tuple[type[BaseException], ...] = (
    ParseError,
    LookupError,  # unknown encoding declared
    *_ZIP_ERRORS,
)

# Sentences shown to the sender (one each).
_MSG_DAMAGED = "the file is damaged or incomplete; please save the workbook again and resend it"
_MSG_ENTITIES = "the file contains XML entity declarations, which a spreadsheet program never writes"
_MSG_STRICT = "saved as Strict Open XML Spreadsheet; save it as Excel Workbook (.xlsx) instead"
_MSG_ENCRYPTED = "password-protected workbook: remove the password and save again"
_MSG_XLS = "legacy .xls workbook: save it as .xlsx (Excel Workbook) and send it again"
_MSG_NO_WORKBOOK = (
    "the file is a zip archive but contains no Excel workbook; save it from Excel as Excel Workbook (.xlsx) and send it again"
)
_MSG_XLSB = "saved as Excel Binary Workbook (.xlsb); save it as Excel Workbook (.xlsx) instead"
_MSG_MACROS = "the workbook contains macros (.xlsm); they were not run"
_MSG_EXTERNAL_LINKS = "the workbook links to other workbooks; linked values were read as last saved and not refreshed"


def _refuse(path: str | os.PathLike[str], reason: str) -> UnreadableWorkbook:
    return UnreadableWorkbook(os.fspath(path), reason)


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PreflightWarning:
    """Something about a readable workbook its reader should be told."""

    #: ``macros``, ``external_links`` or ``huge_range``
    kind: str
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Package:
    """An accepted workbook: the warnings for its sender and the parts its reader needs.

    Every member was read once, to the end, with its CRC checked; the parts carekpi reads
    (the workbook part, its worksheets, shared strings and styles) are kept as bytes so
    the reader never decompresses the file a second time.
    """

    warnings: tuple[PreflightWarning, ...]
    #: the workbook part (``xl/workbook.xml``)
    workbook: str
    #: every sheet in workbook order: (title, part, is a chart sheet); sheets whose part is
    #: missing are left out, as Excel and openpyxl leave them out
    sheets: tuple[tuple[str, str, bool], ...]
    #: the shared-strings part, or "" when the workbook has none
    shared_strings: str
    #: the bytes of the parts named above (and of ``xl/styles.xml`` when present)
    parts: dict[str, bytes]
    #: what is still to be checked of a part before it is first read (see :meth:`admit`)
    admission: _Admission
    #: the workbook part as preflight parsed it (DTD-free), so the reader need not parse it again
    workbook_root: Element | None = None

    @property
    def styles(self) -> str:
        return STYLES_PART if STYLES_PART in self.parts else ""

    def admit(self, part: str) -> bytes:
        """A kept part's bytes, once it is shown fit to read: one well-formed XML document
        without a DTD, and (when its content scan was deferred) within the workbook's caps on
        cells, merged and linked ranges, counted over every part read so far. The reader calls
        this before it first reads a worksheet or the shared strings."""
        data = self.parts[part]
        self.admission.scan(part, data)
        check_document(self.admission.path, data)
        return data


class _Admission:
    """The content scans :func:`inspect` deferred, run part by part as the reader reaches them."""

    def __init__(self, path: str | os.PathLike[str], budget: _Budget, pending: set[str]) -> None:
        self.path = path
        self.budget = budget
        self.pending = pending

    def scan(self, part: str, data: bytes) -> None:
        if part not in self.pending:
            return
        self.pending.discard(part)
        scanner = _ContentScanner(self.budget, part)
        try:
            for start in range(0, len(data), _CHUNK):
                scanner.feed(data[start:start + _CHUNK])
            scanner.close()
        except (LookupError, ValueError):
            raise _refuse(self.path, _MSG_DAMAGED) from None
        self.budget.finish(part)


#: where openpyxl and Excel look for the styles (a fixed name, not a relationship)
STYLES_PART = "xl/styles.xml"


def preflight(path: str | os.PathLike[str]) -> list[PreflightWarning]:
    """Check an untrusted workbook before parsing; return warnings or raise UnreadableWorkbook."""
    return list(inspect(path).warnings)


def inspect(path: str | os.PathLike[str], *, defer: bool = False) -> Package:
    """Check an untrusted workbook before parsing, keeping the parts a reader needs.

    Raises UnreadableWorkbook with one sentence for anything refused. With ``defer`` the content
    scan of the worksheets and shared strings (cells, merged and linked ranges) waits until the
    reader first reads each one (:meth:`Package.admit`), so a part never read (a return's live
    Checks sheet, a third of the file) is decompressed and CRC-checked but not scanned; every
    other check runs here, on every part.
    """
    warnings: list[PreflightWarning] = []
    with _open_archive(path) as zf:
        infos = zf.infolist()
        _check_members(path, zf, infos)
        names = {i.filename for i in infos}
        read: dict[str, bytes] = {}  # members the layout read to the end (CRC checked): not decompressed again
        layout = _package_layout(path, zf, names, read)
        titles = {**layout.comments, **{part: title for title, part in layout.sheets.items()}}
        budget = _Budget(path, titles)
        scanned = set(titles) | {layout.shared_strings}
        keep = ({layout.workbook, layout.shared_strings, STYLES_PART, *layout.sheets.values(),
                 *(part for _, part, _ in layout.all_sheets)} & names)
        parts: dict[str, bytes] = {}
        kept = 0
        for info in infos:
            streamed = info.filename in scanned
            data = _stream_member(path, zf, info, budget if streamed else None, keep=info.filename in keep,
                                  whole=read.get(info.filename), scan=streamed and not (defer and info.filename in keep))
            if data is not None:
                kept += len(data)
                if kept > MAX_KEPT_BYTES:
                    raise _refuse(
                        path,
                        f"the workbook's sheets hold more than {MAX_KEPT_BYTES // 1048576} MB of data, far more than a"
                        " return needs; delete unused sheets, rows and columns and save again",
                    )
                parts[info.filename] = data
        budget.finish()
        if layout.macros:
            warnings.append(PreflightWarning("macros", _MSG_MACROS))
        if layout.external_links:
            warnings.append(PreflightWarning("external_links", _MSG_EXTERNAL_LINKS))
        for title, part in layout.sheets.items():
            ref = _dimension_in(parts[part]) if part in parts else None
            if ref is not None and _is_huge(ref):
                warnings.append(PreflightWarning(
                    "huge_range", f"sheet '{title}' declares a used range of {ref}, far larger than a"
                    " return needs (often caused by formatting whole rows or columns)"
                ))
    pending = (scanned & set(parts)) if defer else set()
    return Package(tuple(warnings), layout.workbook, tuple((t, p, chart) for t, p, chart in layout.all_sheets if p in parts),
                   layout.shared_strings if layout.shared_strings in parts else "", parts,
                   _Admission(path, budget, pending), layout.workbook_root)


def declared_dimensions(path: str | os.PathLike[str]) -> dict[str, str]:
    """Map each worksheet part (e.g. ``xl/worksheets/sheet1.xml``) to its declared ``<dimension>``.

    Sheets without a dimension element are omitted. Raises what :func:`preflight` raises.
    """
    pkg = inspect(path)
    out: dict[str, str] = {}
    for _, part, chart in pkg.sheets:
        ref = None if chart else _dimension_in(pkg.parts[part])
        if ref is not None:
            out[part] = ref
    return out


def sheet_parts(path: str | os.PathLike[str]) -> dict[str, str]:
    """Map each worksheet title to its part name, in workbook order.

    Pairs with :func:`declared_dimensions`, which is keyed by part name.
    """
    with _open_archive(path) as zf:
        return dict(_package_layout(path, zf, set(zf.namelist())).sheets)


# ---------------------------------------------------------------------------
# Opening: before zipfile parses anything
# ---------------------------------------------------------------------------


@contextmanager
def _open_archive(path: str | os.PathLike[str]) -> Iterator[zipfile.ZipFile]:
    """Stat, sniff and bound the file, then yield it as a ZipFile."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise _refuse(path, f"the file could not be opened ({exc.strerror or exc})") from None
    if not stat.S_ISREG(st.st_mode):
        raise _refuse(path, "this is not an ordinary file, so it cannot be read as a workbook")
    _check_size(path, st.st_size)
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below, after the ZipFile
    except OSError as exc:
        raise _refuse(path, f"the file could not be opened ({exc.strerror or exc})") from None
    try:
        size = os.fstat(fh.fileno()).st_size
        _check_size(path, size)
        head = fh.read(4096)
        _sniff(path, fh, head)
        _check_central_directory(path, fh, size)
        fh.seek(0)
        try:
            zf = zipfile.ZipFile(fh)
        except _ZIP_ERRORS:
            raise _refuse(path, _MSG_DAMAGED) from None
        with zf:
            yield zf
    finally:
        fh.close()


def _check_size(path: str | os.PathLike[str], size: int) -> None:
    if size == 0:
        raise _refuse(path, "the file is empty (0 bytes); please save the workbook again and resend it")
    if size > MAX_FILE_BYTES:
        raise _refuse(
            path,
            f"the file is {size / 1048576:.0f} MB, over the {MAX_FILE_BYTES // 1048576} MB limit"
            " for a return; remove unneeded sheets or pictures and save again",
        )


def _sniff(path: str | os.PathLike[str], fh: IO[bytes], head: bytes) -> None:
    """Refuse anything that is not a zip, saying what it looks like when cheap to tell."""
    if head.startswith(_ZIP_MAGICS):
        return
    if head.startswith(_OLE2_MAGIC):
        if _ole2_contains(fh, _OLE2_ENCRYPTED_NAMES):
            raise _refuse(path, _MSG_ENCRYPTED)
        if _ole2_contains(fh, _OLE2_WORKBOOK_NAMES):
            raise _refuse(path, _MSG_XLS)
        raise _refuse(
            path,
            "this is an old-format Office document, not an Excel workbook; send the return as an Excel Workbook (.xlsx)",
        )
    raise _refuse(path, f"{_describe_non_zip(head)}; save it from Excel as Excel Workbook (.xlsx)")


def _describe_non_zip(head: bytes) -> str:
    if head.startswith(b"%PDF"):
        return "this is a PDF document, not an Excel workbook"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        return "this is a picture, not an Excel workbook"
    if head.startswith(b"{\\rtf"):
        return "this is a Rich Text (Word) document, not an Excel workbook"
    text = _as_text(head)
    if text is None:
        return "this is not an Excel workbook (.xlsx) file"
    low = text.lstrip().lower()
    if low.startswith(("<!doctype html", "<html")) or "<html" in low[:1024]:
        return "this is a web page (HTML) with a spreadsheet's name, not an Excel workbook"
    if low.startswith("mime-version:"):
        return "this is a web archive (.mht), not an Excel workbook"
    if low.startswith("<?xml") or low.startswith("<"):
        if "urn:schemas-microsoft-com:office:spreadsheet" in low:
            return "this is an 'XML Spreadsheet 2003' file, not an Excel workbook"
        return "this is an XML file, not an Excel workbook"
    return "this is a plain text file (perhaps CSV), not an Excel workbook"


def _as_text(head: bytes) -> str | None:
    """Decode a file's first bytes if they look like text, else None."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="replace")
    text = head.decode("utf-8", errors="replace")
    # A truncated multi-byte character at the cut is allowed; other damage is not.
    bad = text.count("\ufffd")
    printable = sum(ch.isprintable() or ch in "\t\r\n" for ch in text)
    if bad > 1 or printable < 0.95 * len(text):
        return None
    return text.lstrip("\ufeff")


def _ole2_contains(fh: IO[bytes], needles: tuple[bytes, ...]) -> bool:
    """Search a whole (size-capped) OLE2 file for any UTF-16LE stream name."""
    overlap = max(len(n) for n in needles) - 1
    fh.seek(0)
    tail = b""
    while True:
        chunk = fh.read(_CHUNK)
        if not chunk:
            return False
        window = tail + chunk
        if any(n in window for n in needles):
            return True
        tail = window[-overlap:]


def _check_central_directory(path: str | os.PathLike[str], fh: IO[bytes], size: int) -> None:
    """Bound entry count and central directory size from the end record, before zipfile reads it."""
    tail_len = min(size, _EOCD_SIZE + 65535)
    fh.seek(size - tail_len)
    tail = fh.read(tail_len)
    # Same search order as zipfile: exact end record first, then the last signature.
    idx = len(tail) - _EOCD_SIZE if tail[-_EOCD_SIZE:-18] == _EOCD_SIG else tail.rfind(_EOCD_SIG)
    if idx < 0 or len(tail) - idx < _EOCD_SIZE:
        raise _refuse(path, _MSG_DAMAGED)
    _, _, _, _, entries, cd_size, _, _ = struct.unpack("<4s4H2LH", tail[idx : idx + _EOCD_SIZE])
    loc = idx - 20
    if loc >= 0 and tail[loc : loc + 4] == _EOCD64_LOCATOR_SIG:
        (_, _, eocd64_offset, _) = struct.unpack("<4sLQL", tail[loc : loc + 20])
        if eocd64_offset > size - 56:
            raise _refuse(path, _MSG_DAMAGED)
        fh.seek(eocd64_offset)
        rec = fh.read(56)
        if len(rec) < 56 or rec[:4] != _EOCD64_SIG:
            raise _refuse(path, _MSG_DAMAGED)
        (_, _, _, _, _, _, _, entries, cd_size, _) = struct.unpack("<4sQ2H2L4Q", rec)
    _check_entry_count(path, entries)
    if cd_size > MAX_CENTRAL_DIRECTORY_BYTES:
        raise _refuse(
            path,
            "the file's table of contents is abnormally large, a sign of a damaged or malicious file",
        )


def _check_entry_count(path: str | os.PathLike[str], entries: int) -> None:
    if entries > MAX_ENTRIES:
        raise _refuse(
            path,
            f"the file has {entries:,} internal parts, more than the {MAX_ENTRIES:,} a workbook"
            " could need, a sign of a damaged or malicious file",
        )


# ---------------------------------------------------------------------------
# Zip members
# ---------------------------------------------------------------------------


def _check_members(path: str | os.PathLike[str], zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> None:
    """Check declared sizes, flags and layout of every member before any is decompressed."""
    _check_entry_count(path, len(infos))
    if not infos:
        # an archive of nothing but its end record: nothing to read, and nothing below applies
        raise _refuse(path, "the file is an empty zip archive with no workbook inside; save the workbook from Excel"
                            " as Excel Workbook (.xlsx) and send it again")
    if len({i.filename for i in infos}) != len(infos):
        raise _refuse(path, _MSG_DAMAGED)
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise _refuse(path, _MSG_ENCRYPTED)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _refuse(
                path,
                "the file uses a compression method spreadsheet programs do not use;"
                " save it as Excel Workbook (.xlsx) and send it again",
            )
        total += info.file_size
        if total > MAX_TOTAL_UNCOMPRESSED_BYTES:
            raise _refuse(
                path,
                f"the file would expand to more than {MAX_TOTAL_UNCOMPRESSED_BYTES // 1048576} MB"
                " when opened, a sign of a damaged or malicious file",
            )
        if info.file_size > RATIO_CHECK_MIN_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
            raise _refuse(
                path,
                f"part of the file would expand more than {MAX_COMPRESSION_RATIO} times when"
                " opened, a sign of a damaged or malicious file",
            )
    # Members must not overlap (the "overlapping zip bomb"): each local header plus
    # its data must end before the next one starts, and before the central directory.
    ordered = sorted(infos, key=lambda i: i.header_offset)
    limits = [i.header_offset for i in ordered[1:]] + [getattr(zf, "start_dir", 1 << 62)]  # one per member
    for info, limit in zip(ordered, limits, strict=True):
        name_len = len(info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437"))
        if info.header_offset + 30 + name_len + info.compress_size > limit:
            raise _refuse(path, _MSG_DAMAGED)


def _too_large(path: str | os.PathLike[str], info: zipfile.ZipInfo) -> UnreadableWorkbook:
    return _refuse(
        path,
        f"the file contains an unusually large internal part ({info.filename[:80]},"
        f" {info.file_size / 1048576:.0f} MB), more than can be read safely;"
        " remove pivot tables, charts or unused styles and save again",
    )


class _Stop(Exception):
    """Raised from an expat handler to stop the prolog scan."""


def check_document(path: str | os.PathLike[str], data: bytes) -> None:
    """Refuse a kept part unless it is one well-formed XML document declaring no DTD or entity.

    The reader runs this on a worksheet before it first reads it: a damaged part is refused as
    a whole (as a spreadsheet program would refuse it), never half read. Preflight itself has
    checked every part's CRC, sizes and prolog; a part never read is not parsed at all.
    """
    verdict = _document_verdict(data)
    if verdict == "dtd":
        raise _refuse(path, _MSG_ENTITIES)
    if verdict != "ok":
        raise _refuse(path, _MSG_DAMAGED)


def _document_verdict(data: bytes) -> str:
    """Run expat over a whole part kept for the reader: "dtd" if it declares a DTD or an
    entity, "notxml" unless it is one well-formed document, else "ok". No element handler is
    set, so this runs at C speed."""
    parser = xml.parsers.expat.ParserCreate()
    verdict: list[str] = []

    def dtd(*_: object) -> None:
        verdict.append("dtd")
        raise _Stop

    parser.StartDoctypeDeclHandler = dtd
    parser.EntityDeclHandler = dtd
    try:
        parser.Parse(data, True)
    except _Stop:
        return "dtd"
    except (xml.parsers.expat.ExpatError, LookupError, ValueError):
        return "notxml"
    return "ok"


def _prolog_verdict(chunks: Iterator[bytes]) -> str:
    """Run expat over an XML part until its root element starts.

    Returns "dtd" if a DOCTYPE or entity declaration comes first, "long" if the
    prolog exceeds MAX_XML_PROLOG_BYTES, "ok" if the root element starts, and
    "notxml" if expat cannot parse it (then openpyxl's expat cannot either).
    """
    parser = xml.parsers.expat.ParserCreate()
    verdict: list[str] = []

    def stop(kind: str) -> Callable[..., None]:
        def handler(*_: object) -> None:
            verdict.append(kind)
            raise _Stop

        return handler

    parser.StartDoctypeDeclHandler = stop("dtd")
    parser.EntityDeclHandler = stop("dtd")
    parser.StartElementHandler = stop("ok")
    fed = 0
    try:
        for chunk in chunks:
            room = MAX_XML_PROLOG_BYTES - fed
            if room <= 0:
                return "long"
            piece = chunk[:room]
            fed += len(piece)
            parser.Parse(piece, False)
        parser.Parse(b"", True)
    except _Stop:
        return verdict[-1]
    except (xml.parsers.expat.ExpatError, LookupError, ValueError):
        # Malformed, or an encoding Python does not know: openpyxl's expat fails the same way.
        return "notxml"
    return "long" if fed >= MAX_XML_PROLOG_BYTES else "notxml"


def _looks_like_xml(name: str, head: bytes) -> bool:
    if name.lower().endswith((".xml", ".rels", ".vml")):
        return True
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") or head[:2] in (
        b"\xff\xfe",
        b"\xfe\xff",
    )


def _member_chunks(zf: zipfile.ZipFile, info: zipfile.ZipInfo, whole: bytes | None) -> Iterator[bytes]:
    """A member's bytes in chunks of at most _CHUNK: from ``whole`` when it was already read to
    the end, else decompressed (and CRC checked) now."""
    if whole is not None:
        for start in range(0, len(whole), _CHUNK):
            yield whole[start:start + _CHUNK]
        return
    with zf.open(info) as fh:
        while True:
            chunk = fh.read(_CHUNK)
            if not chunk:
                return
            yield chunk


def _stream_member(
    path: str | os.PathLike[str],
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    budget: _Budget | None = None,
    *,
    keep: bool = False,
    whole: bytes | None = None,
    scan: bool = True,
) -> bytes | None:
    """Read one member to the end (verifies its CRC) and scan XML prologs for DTDs.

    With ``keep`` the member's bytes are returned (for the reader), else None. ``whole`` is the
    member's bytes when they were already read to the end (by the package layout).

    With a ``budget`` (the parts openpyxl streams: worksheets and shared strings)
    the content is also scanned for the number of objects openpyxl would create (unless
    ``scan`` is False: the scan is deferred to :meth:`Package.admit`); without one, an XML
    part is held to MAX_DOM_PART_BYTES.
    """
    head = bytearray()
    prolog: list[bytes] = []
    prolog_bytes = 0
    scanner = _ContentScanner(budget, info.filename) if budget is not None and scan else None
    kept: list[bytes] | None = [] if keep else None
    try:
        for chunk in _member_chunks(zf, info, whole):
            if kept is not None:
                kept.append(chunk)
            if scanner is not None:
                scanner.feed(chunk)
            elif budget is None and not head and info.file_size > MAX_DOM_PART_BYTES and _looks_like_xml(
                    info.filename, chunk):
                raise _too_large(path, info)
            if len(head) < XML_RAW_SCAN_BYTES:
                head += chunk[: XML_RAW_SCAN_BYTES - len(head)]
            if prolog_bytes <= MAX_XML_PROLOG_BYTES:
                prolog.append(chunk[: MAX_XML_PROLOG_BYTES + 1 - prolog_bytes])
                prolog_bytes += len(prolog[-1])
        if scanner is not None:
            scanner.close()
    except _ZIP_ERRORS:
        raise _refuse(path, _MSG_DAMAGED) from None
    data = (whole if whole is not None else b"".join(kept)) if kept is not None else None
    # the whole of a kept part is checked by check_document when the reader first reads it
    # (a genuine return's live Checks sheet is a third of the file and is never read)
    verdict = _prolog_verdict(iter(prolog))
    if verdict == "dtd":
        raise _refuse(path, _MSG_ENTITIES)
    if verdict == "long":
        raise _refuse(
            path,
            "the file contains an XML part with an abnormally long header, which a spreadsheet program never writes",
        )
    raw = bytes(head)
    # every pattern starts "<!" (ASCII) or "<\0!" (UTF-16), which lowering leaves alone: a head
    # with neither cannot hold one, and is not lowered and searched six times
    if (b"<!" in raw or b"<\x00!" in raw) and _looks_like_xml(info.filename, raw):
        low = raw.lower()
        if any(p in low for p in _DTD_PATTERNS):
            raise _refuse(path, _MSG_ENTITIES)
    return data


# ---------------------------------------------------------------------------
# Content scan of worksheets and shared strings (bytes only, no XML parser)
# ---------------------------------------------------------------------------

# Element starts openpyxl turns into Python objects: cells, rows, shared strings.
# Counted after _COUNT_TABLE maps whitespace, ">" and "/" to a space and ":" to "<",
# so "<c>", "<c\n" and a prefixed "<x:c " all become "<c ".
_COUNTED = (b"<c ", b"<row ", b"<si ")
_COUNT_TABLE = bytes.maketrans(b"\t\r\n>/:", b"     <")
# Elements whose ref openpyxl expands cell by cell; each one also counts as a cell.
_RANGE_NAMES = (b"mergeCell", b"hyperlink", b"comment")
_NAME_END = frozenset(b" \t\r\n/>")
# One attribute after an element name. Values cannot contain "<" in well-formed XML,
# so no match runs past the next tag and the work over a part stays linear.
_ATTRIBUTE_AT = re.compile(rb"""[ \t\r\n]+([^ \t\r\n=<>"'/]+)[ \t\r\n]*=[ \t\r\n]*(?:"([^"<]*)"|'([^'<]*)')""")
# The namespace prefix of an element name ("x" in "<x:mergeCell").
_PREFIX_NAME = re.compile(rb"""[^ \t\r\n<>"'/=:]{1,60}""")
_ENCODING_DECL = re.compile(rb"^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']{1,40})[\"']")
_ASCII_PROBE = "<>\"'=:/ mergeCellhyperlinkrowsiref0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ$&#;"


class _Budget:
    """Running totals over the scanned parts of one workbook, refusing as soon as a cap is passed."""

    def __init__(self, path: str | os.PathLike[str], titles: dict[str, str]) -> None:
        self.path = path
        self.titles = titles  # scanned part -> sheet title, for messages
        self.cells = 0
        self.range_cells = 0
        self.merges = 0
        self._merged: dict[str, list[tuple[int, int, int, int]]] = {}
        self._links: dict[str, array[int]] = {}

    def add_cells(self, count: int) -> None:
        self.cells += count
        if self.cells > MAX_CELLS:
            raise _refuse(
                self.path,
                f"the workbook holds more than {MAX_CELLS:,} cells, far more than a return needs;"
                " delete unused rows and columns (including empty formatted ones) and save again",
            )

    def add_range(self, part: str, element: bytes, ref: str) -> None:
        """Account for a mergeCell, hyperlink or comment ``ref`` that openpyxl would expand."""
        area = _ref_area(ref)
        self.range_cells += area
        if self.range_cells > MAX_RANGE_CELLS:
            raise _refuse(
                self.path,
                f"sheet '{self.titles.get(part, part)}' merges, links or comments a block of"
                f" {area:,} cells ({ref[:60]}), more than can be read safely;"
                " unmerge it or remove the link or comment and save again",
            )
        if element == b"mergeCell":
            self.merges += 1
            if self.merges > MAX_MERGED_RANGES:
                raise _refuse(
                    self.path,
                    f"the workbook has more than {MAX_MERGED_RANGES:,} merged cell ranges,"
                    " far more than a return needs; unmerge them and save again",
                )
            bounds = _single_range(ref)
            if bounds is not None:
                self._merged.setdefault(part, []).append(bounds)
        elif element == b"hyperlink" and ":" not in ref:
            bounds = _single_range(ref)
            if bounds is not None:
                self._links.setdefault(part, array("Q")).append(bounds[1] * _KEY + bounds[0])

    def finish(self, only: str | None = None) -> None:
        """Refuse sheets whose links land inside merged ranges often enough to stall openpyxl
        (every part scanned, or ``only`` that one).

        openpyxl moves each such link to its range's top-left cell by scanning every
        merged range, so the cost is (links on merged cells) x (merged ranges).
        """
        for part, links in self._links.items():
            if only is not None and part != only:
                continue
            merged = self._merged.get(part)
            if not merged:
                continue
            covered: set[int] = set()
            for min_col, min_row, max_col, max_row in merged:
                for row in range(min_row, max_row + 1):
                    covered.update(row * _KEY + col for col in range(min_col, max_col + 1))
                covered.discard(min_row * _KEY + min_col)
            hits = sum(1 for key in links if key in covered)
            if hits * len(merged) > MAX_LINK_MERGE_CHECKS:
                raise _refuse(
                    self.path,
                    f"sheet '{self.titles.get(part, part)}' has {hits:,} links inside merged cells,"
                    " too many to read safely; remove the links or unmerge the cells and save again",
                )


_KEY = _MAX_COL + 1  # row * _KEY + column identifies a cell


@functools.lru_cache(maxsize=4096)  # a market's returns repeat the template's refs
def _single_range(ref: str) -> tuple[int, int, int, int] | None:
    """(min_col, min_row, max_col, max_row) of a one-range ref, or None if unparsable/unbounded."""
    try:
        min_col, min_row, max_col, max_row = range_boundaries(ref.strip())
    except (ValueError, TypeError):
        return None
    if min_col is None or min_row is None or max_col is None or max_row is None:
        return None  # whole rows/columns are already refused by MAX_RANGE_CELLS
    if max_col > _MAX_COL or max_row > _MAX_ROW:
        return None
    return min_col, min_row, max_col, max_row


@functools.lru_cache(maxsize=4096)
def _ref_area(ref: str) -> int:
    """Cells openpyxl would create for a merge, hyperlink or comment ``ref`` (unbounded parts count fully)."""
    total = 0
    for token in ref.split():
        try:
            min_col, min_row, max_col, max_row = range_boundaries(token)
        except (ValueError, TypeError):
            continue  # openpyxl cannot parse it either, and raises instead of expanding
        rows = (max_row or _MAX_ROW) - (min_row or 1) + 1
        cols = (max_col or _MAX_COL) - (min_col or 1) + 1
        total += max(rows, 0) * max(cols, 0)
    return total


class _ContentScanner:
    """Streams one part's bytes: counts cells/rows/strings and sizes merge and hyperlink ranges.

    Tags split across chunks are carried over whole, so nothing is missed at a
    boundary. Only C-speed bytes methods touch the bulk of the data (no
    backtracking regex). UTF-16 parts are re-encoded to UTF-8 first; parts in
    any other encoding that is not ASCII-compatible are refused.
    """

    def __init__(self, budget: _Budget, part: str) -> None:
        self.budget = budget
        self.part = part
        self._carry = b""
        self._decoder: codecs.IncrementalDecoder | None = None
        self._started = False
        self._skip = False

    def _start(self, chunk: bytes) -> None:
        self._started = True
        if chunk.startswith((b"\xff\xfe", b"\xfe\xff")):
            self._decoder = codecs.getincrementaldecoder("utf-16")(errors="replace")
        elif chunk.startswith(b"<\x00"):
            self._decoder = codecs.getincrementaldecoder("utf-16-le")(errors="replace")
        elif chunk.startswith(b"\x00<"):
            self._decoder = codecs.getincrementaldecoder("utf-16-be")(errors="replace")
        else:
            match = _ENCODING_DECL.match(chunk)
            if match is None:
                return
            name = match.group(1).decode("ascii", errors="replace")
            try:
                codecs.lookup(name)
                compatible = _ASCII_PROBE.encode(name) == _ASCII_PROBE.encode("ascii")
            except (LookupError, ValueError):
                self._skip = True  # expat cannot read it, so openpyxl fails without expanding
                return
            if not compatible:
                raise _refuse(
                    self.budget.path,
                    "the file stores a sheet in an unusual text encoding that spreadsheet"
                    " programs do not write; save it as Excel Workbook (.xlsx) again",
                )

    def feed(self, chunk: bytes) -> None:
        if not self._started:
            self._start(chunk)
        if self._skip:
            return
        if self._decoder is not None:
            chunk = self._decoder.decode(chunk).encode("utf-8", errors="replace")
        buf = self._carry + chunk
        last = buf.rfind(b"<")
        if last >= 0 and _tag_end(buf, last) < 0:
            body, self._carry = buf[:last], buf[last:]
            if len(self._carry) > MAX_TAG_BYTES:
                raise _refuse(
                    self.budget.path,
                    "the file contains an abnormally long XML tag, which a spreadsheet program never writes",
                )
        else:
            body, self._carry = buf, b""
        self._scan(body)

    def close(self) -> None:
        if not self._skip:
            self._scan(self._carry)
        self._carry = b""

    def _scan(self, body: bytes) -> None:
        if not body:
            return
        counted = body.translate(_COUNT_TABLE)
        self.budget.add_cells(sum(counted.count(p) for p in _COUNTED))
        size = len(body)
        for name in _RANGE_NAMES:
            for opener in (b"<", b":"):
                needle = opener + name
                candidates = 0  # each counts as a cell; a chunk holds at most ~100,000
                pos = body.find(needle)
                while pos >= 0:
                    after = pos + len(needle)
                    if after < size and body[after] in _NAME_END:
                        candidates += 1
                        if opener == b"<" or _has_prefix(body, pos):
                            attr = _ATTRIBUTE_AT.match(body, after)
                            while attr is not None:
                                if attr.group(1) == b"ref":
                                    value = attr.group(2) if attr.group(2) is not None else attr.group(3)
                                    ref = html.unescape(value.decode("utf-8", errors="replace"))
                                    self.budget.add_range(self.part, name, ref)
                                attr = _ATTRIBUTE_AT.match(body, attr.end())
                    pos = body.find(needle, after)
                self.budget.add_cells(candidates)


def _has_prefix(buf: bytes, colon: int) -> bool:
    """True if the ":" at ``colon`` ends "<prefix", i.e. starts a namespaced element name."""
    lt = buf.rfind(b"<", max(0, colon - 61), colon)
    return lt >= 0 and _PREFIX_NAME.fullmatch(buf, lt + 1, colon) is not None


def _tag_end(buf: bytes, start: int) -> int:
    """Index of the ">" closing the tag that is open at ``start``, skipping quoted values; -1 if none."""
    i = start
    while True:
        gt = buf.find(b">", i)
        if gt < 0:
            return -1
        quotes = [q for q in (buf.find(b'"', i, gt), buf.find(b"'", i, gt)) if q >= 0]
        if not quotes:
            return gt
        q = min(quotes)
        close = buf.find(buf[q : q + 1], q + 1)
        if close < 0:
            return -1
        i = close + 1


# ---------------------------------------------------------------------------
# Package structure
# ---------------------------------------------------------------------------


class _Layout:
    """What preflight learns from [Content_Types].xml, the rels and workbook.xml."""

    def __init__(self) -> None:
        self.workbook = ""
        self.macros = False
        self.external_links = False
        self.shared_strings = ""
        self.sheets: dict[str, str] = {}  # title -> worksheet part
        #: every sheet whose part is there, in workbook order: (title, part, is a chart sheet)
        self.all_sheets: list[tuple[str, str, bool]] = []
        self.comments: dict[str, str] = {}  # comments part -> sheet title
        self.workbook_root: Element | None = None  # workbook.xml, parsed (DTD-free)


def _parse_small(path: str | os.PathLike[str], data: bytes) -> Element:
    """Parse a package part that expat has shown to start without a DTD.

    The prolog is the only place a document type declaration can be (one anywhere else is
    not well-formed, and the parser stops there), so once expat has reached the root element
    without meeting one, the document can declare no entity and the C parser expands nothing
    but XML's five and character references: defusedxml's guarantee, at C speed.
    """
    got = _parsed(data)
    if got == "dtd":
        raise _refuse(path, _MSG_ENTITIES)
    if isinstance(got, str):
        raise _refuse(path, _MSG_DAMAGED)
    return got


@functools.lru_cache(maxsize=64)  # a market's returns share their template's package parts
def _parsed(data: bytes) -> Element | str:
    """:func:`_parse_small`'s tree of ``data`` (never changed by its readers), or what is wrong
    with it: "dtd" or "damaged"."""
    verdict = _prolog_verdict(iter((data,)))
    if verdict != "ok":
        return "dtd" if verdict == "dtd" else "damaged"
    try:
        parser = XMLParser()
        parser.feed(data)
        root: Element = parser.close()
    except _XML_ERRORS:
        return "damaged"
    return root


def _read_small_xml(path: str | os.PathLike[str], zf: zipfile.ZipFile, name: str, cap: int = MAX_PACKAGE_XML_BYTES,
                    read: dict[str, bytes] | None = None) -> Element:
    """Parse a small package part, refusing oversized, broken or DTD-bearing ones. Its bytes
    are added to ``read`` (read to the end, so CRC checked)."""
    info = zf.getinfo(name)
    if info.file_size > cap:
        raise _refuse(path, _MSG_DAMAGED)
    try:
        with zf.open(info) as fh:
            data = fh.read(cap + 1)
    except _XML_ERRORS:
        raise _refuse(path, _MSG_DAMAGED) from None
    if len(data) > cap:
        raise _refuse(path, _MSG_DAMAGED)
    if read is not None:
        read[name] = data
    return _parse_small(path, data)


def _package_layout(path: str | os.PathLike[str], zf: zipfile.ZipFile, names: set[str],
                    read: dict[str, bytes] | None = None) -> _Layout:
    """Find the workbook part the way openpyxl does and check it is one we can read. The parts
    read on the way are added to ``read``."""
    layout = _Layout()
    if "[Content_Types].xml" not in names:
        raise _refuse(path, _describe_foreign_zip(zf, names))
    ct = _read_small_xml(path, zf, "[Content_Types].xml", read=read)
    overrides: list[tuple[str, str]] = [
        # openpyxl drops the first character of PartName (the leading "/"), exactly.
        (el.get("PartName", "")[1:], el.get("ContentType", ""))
        for el in ct.iter(f"{_CT_NS}Override")
    ]
    defaults = {el.get("ContentType", "") for el in ct.iter(f"{_CT_NS}Default")}
    types = {t for _, t in overrides} | defaults
    for wanted in _WORKBOOK_TYPES:
        found = [p for p, t in overrides if t == wanted]
        if found:
            layout.workbook = found[0]
            break
    else:
        if defaults & set(_WORKBOOK_TYPES):
            layout.workbook = "xl/workbook.xml"
    if not layout.workbook:
        if _XLSB in types:
            raise _refuse(path, _MSG_XLSB)
        raise _refuse(path, _describe_foreign_zip(zf, names))
    if layout.workbook not in names:
        raise _refuse(path, _MSG_NO_WORKBOOK)
    layout.macros = bool(types & {_XLSM, _XLTM}) or any(n.lower().endswith("vbaproject.bin") for n in names)
    layout.shared_strings = next((p for p, t in overrides if t == _SHARED_STRINGS), "")
    layout.external_links = _EXTERNAL_LINK_TYPE in types or any(n.startswith("xl/externalLinks/") for n in names)
    if "_rels/.rels" in names:
        root_rels = _read_small_xml(path, zf, "_rels/.rels", read=read)
        if any((el.get("Type") or "").startswith(_STRICT_NS) for el in root_rels.iter(f"{_RELS_NS}Relationship")):
            raise _refuse(path, _MSG_STRICT)
    sheet_ids, layout.workbook_root = _workbook_sheets(path, zf, layout.workbook, read)
    # Like openpyxl: the last relationship with a sheet's id wins, and any type but a
    # chartsheet is read as a worksheet.
    targets = {rid: (kind, target) for rid, kind, target in _relationships(path, zf, layout.workbook, names, read)}
    for title, rid in sheet_ids:
        kind, target = targets.get(rid, ("", ""))
        if target in names:
            layout.all_sheets.append((title, target, "chartsheet" in kind))
        if target in names and "chartsheet" not in kind:
            layout.sheets[title] = target
    for title, part in layout.sheets.items():
        for _, kind, target in _relationships(path, zf, part, names, read):
            if kind.endswith("/comments"):
                layout.comments.setdefault(target, title)
    return layout


def _describe_foreign_zip(zf: zipfile.ZipFile, names: set[str]) -> str:
    """Say what a zip without a workbook is, when cheap to tell."""
    if "mimetype" in names:
        try:
            with zf.open("mimetype") as fh:
                mimetype = fh.read(100)
        except _ZIP_ERRORS:
            mimetype = b""
        if b"opendocument.spreadsheet" in mimetype:
            return "this is an OpenDocument spreadsheet (.ods); save it as Excel Workbook (.xlsx) instead"
    if "word/document.xml" in names:
        return "this is a Word document, not an Excel workbook"
    if "ppt/presentation.xml" in names:
        return "this is a PowerPoint presentation, not an Excel workbook"
    if "xl/workbook.bin" in names:
        return _MSG_XLSB
    return _MSG_NO_WORKBOOK


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _workbook_sheets(path: str | os.PathLike[str], zf: zipfile.ZipFile, part: str,
                     read: dict[str, bytes] | None = None) -> tuple[list[tuple[str, str]], Element]:
    """Read workbook.xml: refuse Strict OOXML and too many sheets; return (title, r:id) pairs
    and the parsed part (the reader's, so it is parsed once).

    Every <sheet> element counts, wherever it is, so a second <sheets> list cannot hide one.
    """
    info = zf.getinfo(part)
    if info.file_size > MAX_DOM_PART_BYTES:
        raise _too_large(path, info)
    root = _read_small_xml(path, zf, part, MAX_DOM_PART_BYTES, read)
    if str(root.tag).startswith("{" + _STRICT_NS):
        raise _refuse(path, _MSG_STRICT)
    sheets: list[tuple[str, str]] = []
    for el in root.iter():
        if _local(el.tag) == "sheet":
            sheets.append((el.get("name", ""), el.get(_R_ID) or ""))
            if len(sheets) > MAX_SHEETS:
                raise _refuse(
                    path,
                    f"the workbook has more than {MAX_SHEETS} sheets, far more than a"
                    " return needs; remove the extra sheets and save again",
                )
    return sheets, root


def _relationships(path: str | os.PathLike[str], zf: zipfile.ZipFile, part: str, names: set[str],
                   read: dict[str, bytes] | None = None) -> list[tuple[str, str, str]]:
    """(Id, Type, target part) of each internal relationship of ``part``, resolved as openpyxl does."""
    folder, base = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", base + ".rels")
    if rels not in names:
        return []
    out: list[tuple[str, str, str]] = []
    for el in _read_small_xml(path, zf, rels, read=read).iter(f"{_RELS_NS}Relationship"):
        kind = el.get("Type") or ""
        if kind.startswith(_STRICT_NS):
            raise _refuse(path, _MSG_STRICT)
        target = el.get("Target") or ""
        if el.get("TargetMode") == "External":
            continue
        # openpyxl.packaging.relationship.get_dependents
        resolved = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        out.append((el.get("Id") or "", kind, resolved))
    return out


_DIMENSION_OR_DATA = re.compile(
    r"""<(?:[A-Za-z_][\w.-]*:)?(dimension|sheetData)(?=[\s/>])([^>]*)>""")
_REF_ATTR = re.compile(r"""\sref\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _dimension_in(data: bytes) -> str | None:
    """A worksheet's declared <dimension ref>, from the part's first bytes (before <sheetData>).

    A byte search rather than an XML parse: parsing the start of a sheet builds every
    element of the first block read (cells included), which cost more than all the rest of
    preflight on a genuine return.
    """
    head = data[:XML_RAW_SCAN_BYTES]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", errors="replace")
    elif head.startswith(b"<\x00"):
        text = head.decode("utf-16-le", errors="replace")
    elif head.startswith(b"\x00<"):
        text = head.decode("utf-16-be", errors="replace")
    else:
        text = head.decode("latin-1")  # every encoding preflight lets through spells tags in ASCII
    m = _DIMENSION_OR_DATA.search(text)
    if m is None or m.group(1) != "dimension":
        return None
    ref = _REF_ATTR.search(m.group(2))
    if ref is None:
        return None
    return html.unescape(ref.group(1) if ref.group(1) is not None else ref.group(2)) or None


def _is_huge(ref: str) -> bool:
    try:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
    except (ValueError, TypeError):
        return False
    if None in (min_col, min_row, max_col, max_row):
        return False
    assert min_col is not None and min_row is not None
    assert max_col is not None and max_row is not None
    return max_row - min_row + 1 > PLAUSIBLE_MAX_ROWS or max_col - min_col + 1 > PLAUSIBLE_MAX_COLUMNS
