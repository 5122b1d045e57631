"""The workbook as carekpi reads it: sheets, defined names, styles and cells, straight from
the parts preflight accepted and kept, with no second pass over the file.

Why not a spreadsheet library? A return is read for a few hundred cells; openpyxl's loader
builds an object for every cell, style and drawing of every sheet (about 15-25 ms a return,
and its import alone costs more than reading the file), and python-calamine reads values
fast but not the things validation also needs: which cells hold formulas (and whether they
carry a calculated value), the number format that says a value is a percentage, merged
labels. So the reader works on the XML itself, which preflight has already read (CRC
checked, sized, free of DTDs and entity declarations):

* small parts (workbook, styles, shared strings) are parsed into element trees;
* a worksheet is parsed once, when first needed, by one pass of a regular expression over
  its text that records where each cell is; a cell is decoded only when it is asked for.
  Before a worksheet or the shared strings are first read, preflight admits the part
  (:meth:`~carekpi.workbook.preflight.Package.admit`): expat runs over the whole of it, so a
  damaged part is refused as a whole (as a spreadsheet program would) rather than half read,
  and its cells and merged ranges are counted against the workbook's caps. The other parts
  are parsed by the C XML parser, which refuses a damaged one the same way. A part never read
  is never parsed.

Every value is typed exactly as openpyxl 3.1 types it (``int`` for ``12``, ``float`` for
``12.5``, dates from date-formatted numbers in the workbook's own date system, booleans,
errors, shared and inline strings with their runs joined), which the tests check against
openpyxl on every sample return and real-world variant. Nothing in a workbook is ever
evaluated or expanded: entity references are limited to XML's five and character references.
"""

from __future__ import annotations

import codecs
import functools
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from xml.etree.ElementTree import Element, ParseError, XMLParser

from carekpi.base.errors import UnreadableWorkbook
from carekpi.workbook.cells import MAX_COLUMN, MAX_ROW, cell_position, column_index, column_letter, range_boundaries
from carekpi.workbook.preflight import Package

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS = "{" + _MAIN + "}"
_DAMAGED = "the file is damaged or incomplete; please save the workbook again and resend it"

#: Most characters of text the reader hands out for one workbook. A shared string is stored
#: once but may be used by every cell: without this, a 100 KB file of one 1 MB string used by
#: 80,000 cells is 80 GB of text to look at. A genuine return holds well under 1 million.
MAX_TEXT_CHARS = 10_000_000

# --- number formats (openpyxl.styles.numbers, as openpyxl 3.1 reads them) --------------------

BUILTIN_FORMATS = {
    0: "General", 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 5: '"$"#,##0_);("$"#,##0)',
    6: '"$"#,##0_);[Red]("$"#,##0)', 7: '"$"#,##0.00_);("$"#,##0.00)', 8: '"$"#,##0.00_);[Red]("$"#,##0.00)',
    9: "0%", 10: "0.00%", 11: "0.00E+00", 12: "# ?/?", 13: "# ??/??", 14: "mm-dd-yy", 15: "d-mmm-yy",
    16: "d-mmm", 17: "mmm-yy", 18: "h:mm AM/PM", 19: "h:mm:ss AM/PM", 20: "h:mm", 21: "h:mm:ss",
    22: "m/d/yy h:mm", 37: "#,##0_);(#,##0)", 38: "#,##0_);[Red](#,##0)", 39: "#,##0.00_);(#,##0.00)",
    40: "#,##0.00_);[Red](#,##0.00)", 41: r'_(* #,##0_);_(* \(#,##0\);_(* "-"_);_(@_)',
    42: r'_("$"* #,##0_);_("$"* \(#,##0\);_("$"* "-"_);_(@_)',
    43: r'_(* #,##0.00_);_(* \(#,##0.00\);_(* "-"??_);_(@_)',
    44: r'_("$"* #,##0.00_)_("$"* \(#,##0.00\)_("$"* "-"??_)_(@_)', 45: "mm:ss", 46: "[h]:mm:ss",
    47: "mmss.0", 48: "##0.0E+0", 49: "@",
}  # fmt: skip
_STRIP = re.compile(r'".*?"|\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]')
_DATE_CHAR = re.compile(r"(?<![_\\])[dmhysDMHYS]")
_TIMEDELTA = re.compile(r"\[hh?\](:mm(:ss(\.0*)?)?)?|\[mm?\](:ss(\.0*)?)?|\[ss?\](\.0*)?", re.I)

WINDOWS_EPOCH = datetime(1899, 12, 30)
MAC_EPOCH = datetime(1904, 1, 1)


def is_date_format(fmt: str | None) -> bool:
    if fmt is None:
        return False
    return _DATE_CHAR.search(_STRIP.sub("", fmt.split(";")[0])) is not None


def is_timedelta_format(fmt: str | None) -> bool:
    return fmt is not None and _TIMEDELTA.search(fmt.split(";")[0]) is not None


def from_excel(value: float, epoch: datetime, as_timedelta: bool) -> datetime | time | timedelta:
    """An Excel serial number as a date, time or duration (openpyxl.utils.datetime.from_excel)."""
    if as_timedelta:
        td = timedelta(days=value)
        if td.microseconds:
            td = timedelta(seconds=td.total_seconds() // 1, microseconds=round(td.microseconds, -3))
        return td
    day, fraction = divmod(value, 1)
    diff = timedelta(milliseconds=round(fraction * 86400 * 1000))
    if 0 <= value < 1 and diff.days == 0:
        mins, seconds = divmod(diff.seconds, 60)
        hours, mins = divmod(mins, 60)
        return time(hours, mins, seconds, diff.microseconds)
    if 0 < value < 60 and epoch == WINDOWS_EPOCH:
        day += 1
    return epoch + timedelta(days=day) + diff


def _iso_datetime(text: str) -> Any:
    """A ``t="d"`` cell (ISO 8601 text), as openpyxl reads it."""
    try:
        if "T" in text or " " in text:
            return datetime.fromisoformat(text.replace("Z", ""))
        if ":" in text:
            return time.fromisoformat(text)
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date") from None


def _cast_number(text: str) -> int | float:
    if "." in text or "E" in text or "e" in text:
        return float(text)
    return int(text)


# --- XML ----------------------------------------------------------------------------------------

_DTD = tuple(p.encode(enc) for p in ("<!DOCTYPE", "<!ENTITY") for enc in ("ascii", "utf-16-le", "utf-16-be"))


def _no_dtd(data: bytes) -> None:
    """Refuse any part with a document type declaration. Without one a document can declare no
    entity, so the only references left are XML's five and character references, and parsing
    expands nothing else (preflight has already refused such parts; this holds on its own)."""
    # every pattern holds a "!" byte: a part without one (most sheets) is not searched six times
    if b"!" in data and any(p in data for p in _DTD):
        raise ValueError("document type declaration")


def parse_xml(data: bytes) -> Element:
    """A small part as an element tree (C parser; DTDs refused first)."""
    _no_dtd(data)
    parser = XMLParser()
    parser.feed(data)
    root: Element = parser.close()
    return root


# a cell written other than <c r="...": with no attributes, another first attribute or white
# space other than one space; or with a namespace prefix. (Each pattern starts with a fixed
# string, which the regular-expression engine looks for quickly: together they take a sixth of
# the time of a search for each form, and of one pattern with both.)
_NOT_DIRECT = (r"""<c(?:[\t\n\r>]| (?!r="))""", r":c[ >]")
_NOT_DIRECT_BYTES = tuple(re.compile(p.encode()) for p in _NOT_DIRECT)
_NOT_DIRECT_TEXT = tuple(re.compile(p) for p in _NOT_DIRECT)
_DECLARED_ENCODING = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']""")


def _encoding(data: bytes) -> tuple[str, int]:
    """The codec a part's text is in, and how many leading bytes (a UTF-8 byte-order mark) to skip."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8", 3
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", 0
    if data.startswith(b"<\x00"):
        return "utf-16-le", 0
    if data.startswith(b"\x00<"):
        return "utf-16-be", 0
    m = _DECLARED_ENCODING.match(data)
    return (m.group(1).decode("ascii") if m else "utf-8"), 0


def _text(data: bytes, encoding: tuple[str, int] | None = None) -> str:
    """A well-formed part as text: its own encoding, line ends as an XML parser reports them."""
    codec, skip = encoding or _encoding(data)
    text = data[skip:].decode(codec)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


_REFS = re.compile(r"&(#x[0-9A-Fa-f]+|#[0-9]+|amp|lt|gt|quot|apos);")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def _unref(m: re.Match[str]) -> str:
    ref = m.group(1)
    if ref[0] == "#":
        return chr(int(ref[2:], 16) if ref[1] in "xX" else int(ref[1:]))
    return _NAMED[ref]


def unescape(text: str) -> str:
    return _REFS.sub(_unref, text) if "&" in text else text


def _text_content(node: Element) -> str:
    """A string item's text (``<si>`` / ``<is>``): its plain ``<t>`` then each run's ``<t>``
    (phonetic runs left out), as openpyxl's ``Text.content``."""
    parts: list[str] = []
    plain = node.find(_NS + "t")
    if plain is not None:
        parts.append(plain.text or "")
    for run in node.findall(_NS + "r"):
        t = run.find(_NS + "t")
        if t is not None:
            parts.append(t.text or "")
    return "".join(parts)


# --- cells ------------------------------------------------------------------------------------

# One cell element: its attributes, and its content unless it closes itself. A namespace prefix
# is allowed on every element name (some generators write <x:c>).
_P = r"(?:[A-Za-z_][\w.-]*:)?"
_CELL = re.compile(rf"<{_P}c(?=[\s/>])([^>]*?)(/)?>(?(2)|(.*?)</{_P}c\s*>)", re.S)
_ROW_OR_CELL = re.compile(rf"<{_P}row(?=[\s/>])([^>]*?)/?>|<{_P}c(?=[\s/>])([^>]*?)(/)?>(?(3)|(.*?)</{_P}c\s*>)", re.S)
_ATTR = re.compile(r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_R_ATTR = re.compile(r"""(?:^|\s)r\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_V = re.compile(rf"<{_P}v(?:\s[^>]*)?(?:/>|>(.*?)</{_P}v\s*>)", re.S)
_F = re.compile(rf"<{_P}f(?=[\s/>])([^>]*?)(/)?>(?(2)|(.*?)</{_P}f\s*>)", re.S)
_C_R = '<c r="'
_CELL_START = re.compile(r'<c r="([^"]*)"')
_PLAIN_REF = re.compile(r'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"')
_MERGE = re.compile(rf"<{_P}mergeCell(?=[\s/>])([^>]*)>")
_SIMPLE_INLINE = re.compile(rf"^\s*<{_P}is>\s*<{_P}t(?:\s[^>]*)?>([^<]*)</{_P}t>\s*</{_P}is>\s*$")


# A cell's attributes as Excel, LibreOffice and openpyxl write them (r, then s and t, plain
# values): read in one match; anything else is read by _attrs.
_CELL_ATTRS = re.compile(r"""\s+r="([A-Z]{1,3}[0-9]{1,7})"(?:\s+s="([0-9]{1,9})")?(?:\s+t="([a-zA-Z]{1,9})")?\s*""")


def _cell_attrs(text: str) -> dict[str, str]:
    """:func:`_attrs` of a cell element, quicker for the usual form."""
    m = _CELL_ATTRS.fullmatch(text)
    if m is None:
        return _attrs(text)
    r, s, t = m.groups()
    out = {"r": r}
    if s is not None:
        out["s"] = s
    if t is not None:
        out["t"] = t
    return out


def _attrs(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in _ATTR.finditer(text):
        value = m.group(2) if m.group(2) is not None else m.group(3)
        out[m.group(1)] = unescape(value)
    return out


@dataclass
class Cell:
    """One cell as the workbook stores it, typed as openpyxl's full loader types it.

    ``value`` is what the cell shows a formula-less reader (for a formula cell: the formula,
    ``data_type`` "f"); ``cached`` / ``cached_type`` are what Excel last calculated.
    """

    value: Any = None
    data_type: str = "n"
    number_format: str = "General"
    formula: str | None = None
    cached: Any = None
    cached_type: str = "n"


EMPTY = Cell()


class Sheet:
    """One worksheet: where each cell is in the text, decoded on first use."""

    def __init__(self, book: Book, title: str, index: int, data: bytes):
        self.book = book
        self.title = title
        self.index = index
        try:
            _no_dtd(data)
            encoding = _encoding(data)
            text = _text(data, encoding)
            utf8 = codecs.lookup(encoding[0]).name == "utf-8"
        except (ValueError, LookupError, UnicodeError):
            raise UnreadableWorkbook(book.path, _DAMAGED) from None
        self._text = text
        self._where: dict[tuple[int, int], tuple[str, str | None]] | None = None
        self._decoded: dict[tuple[int, int], Cell] = {}
        self._starts: dict[str, int] | None = None
        self._pieces: list[str] = []
        self._twice: set[str] = set()
        # Most sheets write every cell as <c r="..." ...> (Excel, LibreOffice, openpyxl): a cell
        # is then found by a text search for its reference, and nothing else is parsed.
        # Asked of the bytes when they are UTF-8 (markup bytes then mean the same characters, and
        # searching bytes is several times quicker than searching text with any non-Latin-1
        # character in it); of the text otherwise.
        if utf8:
            self._direct = not any(p.search(data) for p in _NOT_DIRECT_BYTES)
        else:
            self._direct = not any(p.search(text) for p in _NOT_DIRECT_TEXT)
        if not self._direct:
            self._index_cells()
        self.merged: list[tuple[int, int, int, int]] = []
        for m in _MERGE.finditer(text) if (b"mergeCell" in data if utf8 else "mergeCell" in text) else ():
            ref = _attrs(m.group(1)).get("ref")
            try:
                c1, r1, c2, r2 = range_boundaries(ref or "")
            except ValueError:
                raise UnreadableWorkbook(book.path, _DAMAGED) from None
            if c1 is None or r1 is None or c2 is None or r2 is None:
                raise UnreadableWorkbook(book.path, _DAMAGED)
            self.merged.append((c1, r1, c2, r2))
        self._covered: set[tuple[int, int]] | None = None
        self._max: tuple[int, int] | None = None

    @property
    def max_row(self) -> int:
        """The last row holding a cell or a merged block (0 for an empty sheet)."""
        return self._extent()[0]

    @property
    def max_column(self) -> int:
        return self._extent()[1]

    def _extent(self) -> tuple[int, int]:
        if self._max is None:
            cells = self._direct_extent() if self._where is None and self._direct else None
            if cells is None:
                where = self._index()
                cells = (max((r for r, _ in where), default=0), max((c for _, c in where), default=0))
            self._max = (max([cells[0], *(r2 for _, _, _, r2 in self.merged)]),
                         max([cells[1], *(c2 for _, _, c2, _ in self.merged)]))
        return self._max

    def _direct_extent(self) -> tuple[int, int] | None:
        """The last row and column holding a cell, read from the cells' references alone (no
        cell is parsed); None unless every reference is a plain one within the sheet's limits
        (then the full index decides, and refuses what it must)."""
        refs = _PLAIN_REF.findall(self._text)
        if len(refs) != self._text.count(_C_R):
            return None
        if not refs:
            return (0, 0)
        row = max(int(r) for _, r in refs)
        col = column_index(max((c for c, _ in refs), key=lambda c: (len(c), c)))
        if row > MAX_ROW or col > MAX_COLUMN:
            return None
        return row, col

    def _index(self) -> dict[tuple[int, int], tuple[str, str | None]]:
        if self._where is None:
            self._index_cells()
        assert self._where is not None
        return self._where

    def _index_cells(self) -> None:
        """Record each cell's attributes and content by (row, column). Cells without an ``r``
        (allowed; some generators write none) are placed by counting, as Excel does."""
        text = self._text
        where: dict[tuple[int, int], tuple[str, str | None]] = {}
        self._where = where
        simple = True
        for m in _CELL.finditer(text):
            attrs = m.group(1)
            r = _R_ATTR.search(attrs)
            if r is None:
                simple = False
                break
            try:
                where[cell_position(r.group(1) if r.group(1) is not None else r.group(2))] = (attrs, m.group(3))
            except ValueError:
                raise UnreadableWorkbook(self.book.path, _DAMAGED) from None
        if simple:
            return
        where.clear()
        row = col = 0
        for m in _ROW_OR_CELL.finditer(text):
            if m.group(2) is None:  # a row
                attrs = _attrs(m.group(1))
                if "r" in attrs:
                    try:
                        row = int(attrs["r"])
                    except ValueError:
                        try:
                            as_float = float(attrs["r"])
                        except ValueError:
                            raise UnreadableWorkbook(self.book.path, _DAMAGED) from None
                        if not as_float.is_integer():
                            raise UnreadableWorkbook(self.book.path, _DAMAGED) from None
                        row = int(as_float)
                else:
                    row += 1
                col = 0
                continue
            ref = _attrs(m.group(2)).get("r")
            try:
                if ref:
                    r_, col = cell_position(ref)
                else:
                    r_, col = row, col + 1
            except ValueError:
                raise UnreadableWorkbook(self.book.path, _DAMAGED) from None
            where[(r_, col)] = (m.group(2), m.group(4))

    def _is_covered(self, row: int, col: int) -> bool:
        """Inside a merged block but not its top-left cell (such cells read as empty)."""
        if not self.merged:
            return False
        if self._covered is None:
            covered: set[tuple[int, int]] = set()
            for c1, r1, c2, r2 in self.merged:
                if (r2 - r1 + 1) * (c2 - c1 + 1) > 1_000_000:
                    raise UnreadableWorkbook(self.book.path, _DAMAGED)
                covered.update((r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1))
                covered.discard((r1, c1))
            self._covered = covered
        return (row, col) in self._covered

    def _find(self, row: int, col: int) -> tuple[str, str | None] | None:
        if self._where is not None:
            return self._where.get((row, col))
        if self._starts is None:
            # The text cut at each <c r=": piece k holds the k-th cell whole (markup cannot hold
            # "<" in text or values, so no cell runs past the next one's start), and the refs
            # in the same order; both lists are made in C, not one search per cell asked for.
            self._pieces = self._text.split(_C_R)
            refs = _CELL_START.findall(self._text)
            self._starts = dict(zip(refs, range(1, len(refs) + 1), strict=True))
            if len(self._starts) != len(refs):
                self._twice = {r for r, n in Counter(refs).items() if n > 1}
        ref = f"{column_letter(col)}{row}"
        k = self._starts.get(ref)
        if k is None:
            return None
        if ref in self._twice:  # written twice: the last one counts
            return self._index().get((row, col))
        m = _CELL.match(_C_R + self._pieces[k])
        if m is None:
            raise UnreadableWorkbook(self.book.path, _DAMAGED)
        return m.group(1), m.group(3)

    def cell(self, row: int, col: int) -> Cell:
        key = (row, col)
        got = self._decoded.get(key)
        if got is not None:
            return got
        found = self._find(row, col)
        if found is None or self._is_covered(row, col):
            cell = EMPTY
        else:
            try:
                cell = self.book.decode(self, found[0], found[1] or "", row, col)
            except (ValueError, IndexError, KeyError, OverflowError, ParseError, LookupError):
                raise UnreadableWorkbook(self.book.path, _DAMAGED) from None
        self._decoded[key] = cell
        return cell

    def positions(self) -> list[tuple[int, int]]:
        """(row, column) of every cell the sheet stores, in reading order."""
        return sorted(self._index())


@functools.lru_cache(maxsize=16)  # a market's returns share their template's styles part
def _styles_of(data: bytes) -> list[tuple[str, bool, bool]]:
    return Book._read_styles(parse_xml(data))


class Book:
    """An accepted workbook's sheets, names and styles; sheets are parsed when first used."""

    def __init__(self, path: str, package: Package):
        self.path = path
        self.package = package
        self.text_chars = 0
        try:
            root = package.workbook_root
            if root is None:
                root = parse_xml(package.parts[package.workbook])
        except (ValueError, ParseError, KeyError, LookupError):
            raise UnreadableWorkbook(path, _DAMAGED) from None
        pr = root.find(_NS + "workbookPr")
        self.epoch = MAC_EPOCH if pr is not None and pr.get("date1904") in ("1", "true") else WINDOWS_EPOCH
        self.sheet_entries = list(package.sheets)
        self.sheetnames = [t for t, _, _ in self.sheet_entries]
        self.worksheet_names = [t for t, _, chart in self.sheet_entries if not chart]
        #: defined names: workbook scope, then each sheet's (by sheet index); later ones win
        self.names: dict[str, str] = {}
        self.local_names: dict[int, dict[str, str]] = {}
        for dn in root.iter(_NS + "definedName"):
            name, value, local = dn.get("name") or "", dn.text or "", dn.get("localSheetId")
            if local is None:
                if name not in ("_xlnm.Print_Titles", "_xlnm.Print_Area", "_xlnm._FilterDatabase"):
                    self.names[name] = value
            else:
                try:
                    self.local_names.setdefault(int(local), {})[name] = value
                except ValueError:
                    raise UnreadableWorkbook(path, _DAMAGED) from None
        self._styles: list[tuple[str, bool, bool]] | None = None
        self._strings: list[str] | None = None
        self._sheets: dict[str, Sheet] = {}

    # -- parts read when first needed

    def sheet(self, title: str) -> Sheet | None:
        """The worksheet called ``title``; None for a chart sheet or no such sheet."""
        got = self._sheets.get(title)
        if got is not None:
            return got
        for index, (t, part, chart) in enumerate(self.sheet_entries):
            if t == title:
                if chart:
                    return None
                sheet = Sheet(self, title, index, self.package.admit(part))
                self._sheets[title] = sheet
                return sheet
        return None

    def styles(self) -> list[tuple[str, bool, bool]]:
        """Each cell style's (number format, is a date, is a duration), by style index."""
        if self._styles is None:
            self._styles = [("General", False, False)]
            if self.package.styles:
                try:
                    self._styles = _styles_of(self.package.parts[self.package.styles])
                except (ValueError, ParseError, LookupError):
                    raise UnreadableWorkbook(self.path, _DAMAGED) from None
        return self._styles

    @staticmethod
    def _read_styles(root: Element) -> list[tuple[str, bool, bool]]:
        custom: dict[int, str] = {}
        fmts = root.find(_NS + "numFmts")
        for nf in fmts.findall(_NS + "numFmt") if fmts is not None else ():
            custom[int(nf.get("numFmtId") or "")] = nf.get("formatCode") or ""
        out: list[tuple[str, bool, bool]] = []
        xfs = root.find(_NS + "cellXfs")
        for xf in xfs.findall(_NS + "xf") if xfs is not None else ():
            fid = int(xf.get("numFmtId") or 0)
            fmt = custom.get(fid, BUILTIN_FORMATS.get(fid))
            out.append((fmt if fmt is not None else "General", is_date_format(fmt), is_timedelta_format(fmt)))
        return out or [("General", False, False)]

    def strings(self) -> list[str]:
        if self._strings is None:
            self._strings = []
            if self.package.shared_strings:
                try:
                    root = parse_xml(self.package.admit(self.package.shared_strings))
                except (ValueError, ParseError, LookupError):
                    raise UnreadableWorkbook(self.path, _DAMAGED) from None
                self._strings = [_text_content(si).replace("x005F_", "") for si in root.iter(_NS + "si")]
        return self._strings

    def _count(self, value: Any) -> None:
        if isinstance(value, str):
            self.text_chars += len(value)
            if self.text_chars > MAX_TEXT_CHARS:
                raise UnreadableWorkbook(
                    self.path, f"the workbook's cells hold more than {MAX_TEXT_CHARS:,} characters of text, far more"
                               " than a return needs; delete unused text and save again")

    # -- one cell

    def decode(self, sheet: Sheet, attr_text: str, inner: str, row: int, col: int) -> Cell:
        """Type one cell as openpyxl does (full load for ``value``, values-only for ``cached``)."""
        attrs = _cell_attrs(attr_text)
        t = attrs.get("t", "n")
        s = attrs.get("s")
        style = int(s) if s else 0
        styles = self.styles()
        fmt, is_date, is_td = styles[style]  # IndexError (no such style): damaged
        v = _V.search(inner) if inner else None
        raw_v = unescape(v.group(1)) if v is not None and v.group(1) else None
        if t == "inlineStr":
            raw_v = None
        cached, cached_type = self._typed(t, raw_v, inner, is_date, is_td)
        f = _F.search(inner) if inner else None
        if f is not None:
            formula = self._formula(sheet, f, row, col)
            cell = Cell(formula, "f", fmt, formula if isinstance(formula, str) else str(formula), cached, cached_type)
        else:
            cell = Cell(cached, cached_type, fmt, None, cached, cached_type)
        self._count(cell.cached)
        return cell

    def _typed(self, t: str, raw: str | None, inner: str, is_date: bool, is_td: bool) -> tuple[Any, str]:
        if raw is None:
            if t == "inlineStr" and inner:
                m = _SIMPLE_INLINE.match(inner)
                if m is not None:
                    return unescape(m.group(1)), "s"
                node = parse_xml(f'<c xmlns="{_MAIN}">{inner}</c>'.encode())
                child = node.find(_NS + "is")
                if child is not None:
                    return _text_content(child), "s"
            return None, t
        if t == "n":
            value = _cast_number(raw)
            if is_date:
                try:
                    return from_excel(value, self.epoch, is_td), "d"
                except (OverflowError, ValueError):
                    return "#VALUE!", "e"
            return value, "n"
        if t == "s":
            return self.strings()[int(raw)], "s"
        if t == "b":
            return bool(int(raw)), "b"
        if t == "str":
            return raw, "s"
        if t == "d":
            return _iso_datetime(raw), "d"
        return raw, t

    def _formula(self, sheet: Sheet, f: re.Match[str], row: int, col: int) -> str:
        """A formula's text as openpyxl gives it (a shared formula moved to this cell)."""
        fattrs = _attrs(f.group(1) or "")
        body = unescape(f.group(3)) if f.group(3) else None
        text = "=" + (body or "")
        if fattrs.get("t") == "shared" and body is None:
            return self._shared_formula(sheet, fattrs.get("si"), row, col) or text
        return text

    @staticmethod
    def _shared_formula(sheet: Sheet, si: str | None, row: int, col: int) -> str | None:
        """A dependent cell of a shared formula: its sheet's master formula, moved to this cell
        (rare; openpyxl's translator is imported only here)."""
        for (r, c), (_, inner) in sheet._index().items():
            f = _F.search(inner) if inner else None
            if f is None or not f.group(3):
                continue
            fa = _attrs(f.group(1) or "")
            if fa.get("t") == "shared" and fa.get("si") == si:
                from openpyxl.formula.translate import Translator  # rare path; keeps openpyxl out of every read

                return str(Translator("=" + unescape(f.group(3)), f"{column_letter(c)}{r}").translate_formula(
                    f"{column_letter(col)}{row}"))
        return None


def iter_cells(sheet: Sheet, max_row: int, max_col: int) -> Iterator[tuple[int, int, Cell]]:
    """Cells the sheet stores up to ``max_row`` and ``max_col``, in reading order."""
    for r, c in sheet.positions():
        if r > max_row:
            break
        if c <= max_col:
            yield r, c, sheet.cell(r, c)


__all__ = ["MAX_COLUMN", "MAX_ROW", "Book", "Cell", "Sheet", "column_index", "iter_cells"]
