"""How tall a row must be for its wrapped text to show whole: a pure function of the text,
the column widths and the font.

Excel and LibreOffice do not grow a row for wrapped text written by a program: the row keeps
its default height and the text spills under the next row or is cut off. So carekpi sets
every row's height itself, from the text in each cell and the width of its column.

Every workbook carekpi writes uses Arial (:data:`FONT_NAME`), whose widths LibreOffice
matches exactly with Liberation Sans (metric-compatible, installed with LibreOffice), so
one computation fits both programs. Widths are the fonts' own advance widths (read from
LiberationSans-Regular/Bold.ttf, units of 1/2048 em); text is wrapped at spaces the way
both programs wrap it, a word longer than the line broken where it must be.

Column widths are in Excel's units (characters of the default font's widest digit: 7 pixels
at 96 dpi for Arial 10 and Calibri 11); a cell's text has its width less 5 pixels of padding,
and a little of each line is kept in reserve (:data:`WIDTH_RESERVE`) for the rounding of
character widths on screen. Lines are Excel's 12.75 points for Arial 10 (LibreOffice needs
a little less), so a row is never shorter than its text in either program.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

FONT_NAME = "Arial"
FONT_SIZE = 10.0

_ASCII = "".join(chr(c) for c in range(32, 127))
_EXTRA = "£€–—‘’“”…é•·°±×"
_REGULAR = [
    569, 569, 727, 1139, 1139, 1821, 1366, 391, 682, 682, 797, 1196, 569, 682, 569, 569, 1139, 1139, 1139, 1139,
    1139, 1139, 1139, 1139, 1139, 1139, 569, 569, 1196, 1196, 1196, 1139, 2079, 1366, 1366, 1479, 1479, 1366, 1251,
    1593, 1479, 569, 1024, 1366, 1139, 1706, 1479, 1593, 1366, 1593, 1479, 1366, 1251, 1479, 1366, 1933, 1366, 1366,
    1251, 569, 569, 569, 961, 1139, 682, 1139, 1139, 1024, 1139, 1139, 569, 1139, 1139, 455, 455, 1024, 455, 1706,
    1139, 1139, 1139, 1139, 682, 1024, 569, 1139, 1024, 1479, 1024, 1024, 1024, 684, 532, 684, 1196,
    1139, 1139, 1139, 2048, 455, 455, 682, 682, 2048, 1139, 717, 682, 819, 1124, 1196,
]
_BOLD = [
    569, 682, 971, 1139, 1139, 1821, 1479, 487, 682, 682, 797, 1196, 569, 682, 569, 569, 1139, 1139, 1139, 1139,
    1139, 1139, 1139, 1139, 1139, 1139, 682, 682, 1196, 1196, 1196, 1251, 1997, 1479, 1479, 1479, 1479, 1366, 1251,
    1593, 1479, 569, 1139, 1479, 1251, 1706, 1479, 1593, 1366, 1593, 1479, 1366, 1251, 1479, 1366, 1933, 1366, 1366,
    1251, 682, 569, 682, 1196, 1139, 682, 1139, 1251, 1139, 1251, 1139, 682, 1251, 1251, 569, 569, 1139, 569, 1821,
    1251, 1251, 1251, 1251, 797, 1139, 682, 1251, 1139, 1593, 1139, 1139, 1024, 797, 573, 797, 1196,
    1139, 1139, 1139, 2048, 569, 569, 1024, 1024, 2048, 1139, 717, 682, 819, 1124, 1196,
]
_UNITS_PER_EM = 2048
#: characters not in the tables (other accented letters, symbols) count as a wide letter
_OTHER = 1479
_WIDTHS = {
    False: dict(zip(_ASCII + _EXTRA, _REGULAR, strict=True)),
    True: dict(zip(_ASCII + _EXTRA, _BOLD, strict=True)),
}

#: pixels per point at 96 dpi, and pixels per unit of column width (the widest digit)
PX_PER_PT = 96 / 72
PX_PER_WIDTH_UNIT = 7
#: of each line, the share kept for the cell's padding and either program's rounding
WIDTH_RESERVE = 0.02
#: the height of one line of text, as a share of the font size (Excel's 12.75 pt for Arial 10)
LINE_FACTOR = 1.275
#: space above and below the text of a cell, in points
ROW_PADDING = 3.0
#: Excel's largest row height, in points
MAX_ROW_HEIGHT = 409.0


def text_width(text: str, size: float = FONT_SIZE, bold: bool = False) -> float:
    """The width of ``text`` on one line, in pixels at 96 dpi."""
    table = _WIDTHS[bold]
    units = sum(table.get(ch, _OTHER) for ch in text)
    return units / _UNITS_PER_EM * size * PX_PER_PT


def line_room(width: float) -> float:
    """The pixels one line of a cell of column width ``width`` (Excel units) holds."""
    return max((width * PX_PER_WIDTH_UNIT - 5) * (1 - WIDTH_RESERVE), 1.0)


def wrap(text: str, width: float, size: float = FONT_SIZE, bold: bool = False) -> list[str]:
    """``text`` wrapped into the lines a cell of column width ``width`` shows: at spaces, each
    line break in the text kept, a word wider than the cell broken where it must be."""
    room = line_room(width)
    lines: list[str] = []
    for paragraph in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = word if not line else f"{line} {word}"
            if text_width(candidate, size, bold) <= room:
                line = candidate
                continue
            if line:
                lines.append(line)
            line = ""
            while text_width(word, size, bold) > room:  # a word wider than the cell: broken
                cut = len(word)
                while cut > 1 and text_width(word[:cut], size, bold) > room:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    return lines


def lines_needed(text: str, width: float, size: float = FONT_SIZE, bold: bool = False) -> int:
    """How many lines ``text`` takes in a cell of column width ``width``."""
    return len(wrap(text, width, size, bold)) if text else 1


@dataclass(frozen=True)
class CellText:
    """The text of one cell as it is shown: the width it wraps in (Excel units; the sum of the
    columns of a merged cell), its font size, whether it is bold, and whether it wraps at all
    (text that does not wrap takes one line)."""

    text: str
    width: float
    size: float = FONT_SIZE
    bold: bool = False
    wraps: bool = True


def row_height(cells: Iterable[CellText], *, minimum: float | None = None) -> float:
    """The height, in points, a row needs so that the text of each of its cells shows whole:
    the tallest cell decides. Rounded up to a quarter point; at most Excel's 409 points."""
    tallest = 0.0
    for c in cells:
        lines = lines_needed(c.text, c.width, c.size, c.bold) if c.wraps else 1
        tallest = max(tallest, lines * c.size * LINE_FACTOR + ROW_PADDING)
    if minimum is not None:
        tallest = max(tallest, minimum)
    return min(math.ceil(tallest * 4) / 4, MAX_ROW_HEIGHT)


def width_for(texts: Iterable[str], *, size: float = FONT_SIZE, bold: bool = False, least: float = 6,
              most: float = 60) -> float:
    """A column width (Excel units) that shows the longest of ``texts`` on one line, between
    ``least`` and ``most``."""
    px = max((text_width(t, size, bold) for t in texts), default=0.0)
    needed = (px / (1 - WIDTH_RESERVE) + 5) / PX_PER_WIDTH_UNIT
    return min(max(math.ceil(needed * 10) / 10, least), most)
