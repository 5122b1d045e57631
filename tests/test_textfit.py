"""Row heights from text and column widths: a pure function, measured with Arial's own widths."""

from __future__ import annotations

import itertools

import pytest

from carekpi.workbook.textfit import (
    LINE_FACTOR,
    MAX_ROW_HEIGHT,
    ROW_PADDING,
    CellText,
    line_room,
    lines_needed,
    row_height,
    text_width,
    width_for,
    wrap,
)

WHY = ("So that commissioners can assist with any operational issues the provider may be having in delivery "
       "of care")


def test_widths_are_arial_advance_widths() -> None:
    # 10 pt at 96 dpi is 13.33 px per em; a digit is 1139/2048 em, "i" 455/2048, "W" 1933/2048
    assert text_width("0") == pytest.approx(1139 / 2048 * 10 * 96 / 72)
    assert text_width("iiii") < text_width("0000") < text_width("WWWW")
    assert text_width("Total", bold=True) > text_width("Total")
    assert text_width("abc", size=20) == pytest.approx(2 * text_width("abc"))
    assert text_width("") == 0


def test_a_line_holds_the_column_less_its_padding() -> None:
    # a column of width 46 is 322 px in Excel; 5 px of padding, 2% kept for rounding on screen
    assert line_room(46) == pytest.approx((46 * 7 - 5) * 0.98)
    assert line_room(0) == 1.0


def test_text_wraps_at_spaces_within_the_column() -> None:
    lines = wrap(WHY, 46)
    assert " ".join(lines) == WHY
    assert len(lines) == 3
    assert all(text_width(line) <= line_room(46) for line in lines)
    # one word more would not have fitted on any line but the last
    for line, following in itertools.pairwise(lines):
        assert text_width(f"{line} {following.split()[0]}") > line_room(46)
    assert wrap(WHY, 200) == [WHY]


def test_line_breaks_in_the_text_are_kept() -> None:
    assert wrap("Green 90% or more.\nAs printed: Green 90+%.", 100) == ["Green 90% or more.", "As printed: Green 90+%."]
    assert lines_needed("a\n\nb", 100) == 3


def test_a_word_wider_than_the_column_is_broken() -> None:
    word = "x" * 60
    lines = wrap(word, 10)
    assert "".join(lines) == word
    assert len(lines) > 1
    assert all(text_width(line) <= line_room(10) for line in lines)


def test_row_height_is_the_tallest_cell() -> None:
    one = row_height([CellText("Ref", 7)])
    assert one == pytest.approx(10 * LINE_FACTOR + ROW_PADDING, abs=0.25)
    three = row_height([CellText("Ref", 7), CellText(WHY, 46), CellText("Short", 52)])
    assert three == pytest.approx(3 * 10 * LINE_FACTOR + ROW_PADDING, abs=0.25)
    # text that does not wrap takes one line however long
    assert row_height([CellText(WHY, 5, wraps=False)]) == one
    # bigger type, taller lines
    assert row_height([CellText("Title", 40, size=14)]) > one
    assert row_height([CellText("x", 10)], minimum=30) == 30
    assert row_height([CellText("word " * 5000, 10)]) == MAX_ROW_HEIGHT
    assert row_height([]) == pytest.approx(0)


def test_heights_are_quarter_points() -> None:
    for text in ("a", WHY, WHY * 3):
        h = row_height([CellText(text, 30)])
        assert h * 4 == int(h * 4)


def test_a_column_wide_enough_for_the_longest_text() -> None:
    w = width_for(["Denominator", "12"], bold=True)
    assert lines_needed("Denominator", w, bold=True) == 1
    assert width_for(["x"]) == 6
    assert width_for([WHY * 5]) == 60
