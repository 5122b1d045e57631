"""The full openpyxl load, for what needs the whole workbook as openpyxl models it: comparing
a workbook with its template (:mod:`carekpi.workbook.drift`). Returns are read by
:mod:`carekpi.workbook.reader`, which needs no openpyxl.

:func:`ensure_safe_xml` checks, before the first load, that openpyxl parses XML without
expanding entities; :data:`OPENPYXL_READ_ERRORS` lists the exceptions openpyxl raises on
damaged files that got past preflight, each turned into one sentence.
"""

from __future__ import annotations

import importlib
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as DET
import openpyxl
from openpyxl.formula.translate import TranslatorError
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.workbook import Workbook

from carekpi.base.errors import CarekpiError, UnreadableWorkbook
from carekpi.workbook import preflight as _preflight


class UnsafeEnvironment(CarekpiError):
    """The installed XML stack would let hostile workbooks expand entities; refuse to run."""




#: Exceptions ``openpyxl.load_workbook(path, read_only=False, data_only=...)`` raises on
#: a file that passed :func:`preflight` but is still damaged: exactly the types seen
#: in ~110,000 seeded mutations of valid workbooks (tests/test_preflight.py, both
#: data_only modes), plus InvalidFileException for a path whose extension is not
#: .xlsx/.xlsm/.xltx/.xltm (pass an open binary file to avoid it). The reader turns
#: exactly these into UnreadableWorkbook; anything else is a bug and should propagate.
#: Damaged zips (BadZipFile, zlib.error, EOFError) never get this far: preflight
#: reads every member and checks its CRC.
OPENPYXL_READ_ERRORS: tuple[type[BaseException], ...] = (
    ParseError,  # malformed XML (ElementTree / defusedxml)
    KeyError,  # a relationship names a part that is not in the zip
    IndexError,  # a style, string or cache index that does not exist
    LookupError,  # an XML declaration names an unknown encoding
    TypeError,  # openpyxl descriptors given the wrong kind of value or attribute
    ValueError,  # bad attribute values; openpyxl's "Unable to read workbook" wrapper
    OverflowError,  # numbers too large for C (e.g. a style attribute of 10**20)
    TranslatorError,  # a shared formula that cannot be moved to a dependent cell (data_only=False)
    InvalidFileException,  # extension not supported by openpyxl, when given a path
    AttributeError,  # a chart sheet without a chart (openpyxl writes such files itself)
)



def ensure_safe_xml() -> None:
    """Check at start-up that openpyxl cannot expand XML entities; else raise UnsafeEnvironment."""
    import openpyxl.xml as oxml
    import openpyxl.xml.functions as oxf

    if not oxml.DEFUSEDXML:
        raise UnsafeEnvironment(
            "openpyxl is not using defusedxml (is defusedxml installed and OPENPYXL_DEFUSEDXML"
            " unset?), so hostile workbooks could not be read safely"
        )
    if oxf.iterparse is not DET.iterparse:
        raise UnsafeEnvironment("openpyxl's XML iterparse is not defusedxml's; refusing to run")
    if not oxml.LXML and oxf.fromstring is not DET.fromstring:
        raise UnsafeEnvironment("openpyxl's XML fromstring is not defusedxml's; refusing to run")
    # Modules that imported the parse functions by name must hold the same objects.
    for modname, attr in (
        ("openpyxl.reader.excel", "fromstring"),
        ("openpyxl.reader.workbook", "fromstring"),
        ("openpyxl.packaging.manifest", "fromstring"),
        ("openpyxl.reader.drawings", "fromstring"),
        ("openpyxl.styles.stylesheet", "fromstring"),
        ("openpyxl.workbook.external_link.external", "fromstring"),
        ("openpyxl.worksheet._reader", "iterparse"),
        ("openpyxl.reader.strings", "iterparse"),
    ):
        module = importlib.import_module(modname)
        if getattr(module, attr, None) is not getattr(oxf, attr):
            raise UnsafeEnvironment(f"{modname}.{attr} is not openpyxl's protected XML parser; refusing to run")
    # Whatever the backend (defusedxml or lxml), prove the parse path refuses entities.
    _probe_entities(oxf.fromstring, "fromstring")
    _probe_entities(_iterparse_bytes(oxf.iterparse), "iterparse")




# ---------------------------------------------------------------------------
# Start-up probe
# ---------------------------------------------------------------------------

# Scaled-down billion laughs: harmless (10,000 copies) even on an unprotected parser.
_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE r [\n<!ENTITY l0 "CAREKPI">\n'
    + b"".join(b'<!ENTITY l%d "%s">\n' % (i, (b"&l%d;" % (i - 1)) * 10) for i in range(1, 5))
    + b"]>\n<r>&l4;</r>"
)


def _iterparse_bytes(iterparse: Callable[..., Any]) -> Callable[[bytes], Any]:
    """Adapt an iterparse function into 'parse these bytes, return the root'."""
    import io

    def parse(data: bytes) -> Any:
        root = None
        for _, el in iterparse(io.BytesIO(data), events=("start",)):
            if root is None:
                root = el
        return root

    return parse


def _probe_entities(parse: Callable[[bytes], Any], label: str) -> None:
    """Feed billion-laughs and external-entity documents to ``parse``; both must be refused."""
    with tempfile.TemporaryDirectory() as tmp:
        secret = Path(tmp) / "secret.txt"
        secret.write_text("CAREKPISECRET", encoding="ascii")
        external = b'<?xml version="1.0"?>\n<!DOCTYPE r [\n<!ENTITY x SYSTEM "' + secret.as_uri().encode() + b'">\n]>\n<r>&x;</r>'
        for doc, leak in ((_LAUGHS, "CAREKPICAREKPI"), (external, "CAREKPISECRET")):
            try:
                root = parse(doc)
            except Exception:  # any refusal by the parser is the good outcome
                continue
            text = "".join(_all_text(root))
            if leak in text:
                raise UnsafeEnvironment(
                    f"openpyxl's XML parser ({label}) expands entities in untrusted files;"
                    " install defusedxml and unset OPENPYXL_DEFUSEDXML/OPENPYXL_LXML"
                )


def _all_text(root: Any) -> Iterator[str]:
    if root is None:
        return
    for el in root.iter():
        for piece in (getattr(el, "text", None), getattr(el, "tail", None)):
            if isinstance(piece, str):
                yield piece


#: openpyxl errors on files that pass preflight, beyond OPENPYXL_READ_ERRORS:
#: AttributeError from a chart sheet without a drawing, which openpyxl itself writes
#: (openpyxl/reader/excel.py read_chartsheet: ``'list' object has no attribute 'find'``)
READER_EXTRA_ERRORS: tuple[type[BaseException], ...] = (AttributeError,)

_XML_CHECKED = False


def load_workbook(path: str | Path, *, data_only: bool = False) -> Workbook:
    """Preflight ``path`` then load it whole with openpyxl, or raise UnreadableWorkbook."""
    global _XML_CHECKED
    if not _XML_CHECKED:
        ensure_safe_xml()  # refuse to read anything if openpyxl's XML parsing is not defused
        _XML_CHECKED = True
    p = Path(path)
    if not p.exists():
        raise UnreadableWorkbook(p, "no such file")
    if p.is_dir():
        raise UnreadableWorkbook(p, "is a folder, not a workbook")
    _preflight.preflight(p)
    try:
        # opened as a file, so the content (checked by preflight) decides, not the name
        with warnings.catch_warnings(), open(p, "rb") as fh:
            warnings.simplefilter("ignore")  # extensions openpyxl does not read (slicers...)
            wb = openpyxl.load_workbook(fh, data_only=data_only, keep_vba=False, keep_links=False, rich_text=False)
    except (*OPENPYXL_READ_ERRORS, *READER_EXTRA_ERRORS) as exc:
        raise UnreadableWorkbook(p, f"the file is damaged or is not an Excel workbook ({type(exc).__name__})") from None
    if not wb.worksheets:
        raise UnreadableWorkbook(p, "the workbook has no worksheets")
    return wb
