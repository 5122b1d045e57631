"""Turn what people type into typed values, saying what was corrected.

Every accepted correction (a number stored as text, ``'1,234'``, ``'95%'``, a UK date
typed as text, ``Y`` for Yes...) returns the value *and* a warning (V103) that the
validator attaches to the item's sheet and cell, so nothing is silently reinterpreted.
Values that cannot be read return an error and ``None``; nothing here raises.

Documented rules (README, "How values are read"):

* Spaces, non-breaking spaces and zero-width characters around a value are ignored
  (``' Yes\u00a0'`` is ``Yes``, ``'Test Care Ltd '`` is ``Test Care Ltd``); that alone is
  not a correction, so it gives no warning.
* ``-``, ``--``, en and em dashes, ``n/a``, ``na``, ``n.a.``, ``not applicable``, a blank cell
  and a cell of spaces mean "nothing": an error (V101) where the item is required, and
  for figures the message suggests typing 0.
* An Excel error (``#DIV/0!``, ``#N/A``, ``#REF!``...), as a cell value or typed as text, is
  an error (V107). A formula is read for the value Excel last calculated; a formula
  without one is an error (V108), never read as blank.
* Numbers typed as text are read (``'12'``, ``'12 '``, ``'1,234'``, ``'£1,234.50'``) with a
  warning. Other text (``'12 calls'``, ``'1.234,5'``, ``'1e3'``), TRUE/FALSE and dates are
  not numbers (V102). Counts and whole numbers refuse fractions (V105); each item's
  minimum and maximum apply (V104). Numbers of 10^15 or more (beyond the 15 digits Excel
  keeps) and infinities are refused, never computed with.
* Percentages: a cell formatted as a percentage holds a fraction (0.95 shows as 95%, no
  warning); ``'95%'`` typed as text is 95% (warning); otherwise a number from 0 to 1 with
  a fractional part, as a number or typed as text, is read as a fraction (0.95 → 95%)
  with a warning, and any other number is the percentage itself (95 → 95%, 1 → 1%).
* Dates: real dates; Excel serial numbers (``46112`` → 31/03/2026, with a warning); UK
  dates typed as text (``31/03/2026``, ``31-03-26``, ``31.03.2026``, ``2026-03-31``,
  ``31 March 2026``, ``31st Mar 2026``) with a warning. Day first, always:
  ``03/04/2026`` is 3 April. Dates before 1900 or after 2199 are refused (V104).
* Months: ``09/2026``, ``9-2026``, ``2026-09``, ``Sep 2026``, ``Sept 2026``, ``September 2026``
  name a month. In a reporting period (``period=True``: a monthly, quarterly or annual return's
  period, which a month names completely) they are read as that month without a warning;
  a two-digit year (``09/26``, ``Sep 26``, which could also be 26 September) is a guess and
  is read as the month with a warning. In any other date a month is read as its first day,
  with a warning (the day is a guess).
* Text quoted back in a message is shown as it looks in the cell: non-breaking and other
  odd spaces as spaces, zero-width characters left out, cut to 60 characters.
* Yes/No: ``Yes``/``No`` (``Partial`` where offered); ``Y``, ``yes``, ``TRUE``, ``1``,
  ``N``, ``FALSE``, ``0``, and Excel's TRUE/FALSE, are accepted with a warning.
* Choices: an answer differing from an allowed one only in capitals or spacing is
  accepted as that answer, with a warning.
* Text items take any value: numbers as typed (12.0 as ``12``), dates as ``YYYY-MM-DD``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from carekpi.base.enums import Severity
from carekpi.framework.model import FieldType, ItemField

ERROR_VALUES = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
                "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!"}
NOTHING = {"", "-", "--", "–", "—", "n/a", "na", "n.a.", "n.a", "not applicable"}
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?$")
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}
_PARTIAL = {"partial", "partially", "part", "p"}
_MONTHS = {m.lower(): i for i, m in enumerate(
    ["January", "February", "March", "April", "May", "June", "July", "August", "September",
     "October", "November", "December"], start=1)}
_MONTHS.update({k[:3]: v for k, v in list(_MONTHS.items())})
_MONTHS["sept"] = 9
EXCEL_EPOCH = datetime(1899, 12, 30)
#: numbers this large (beyond the 15 digits Excel keeps) are refused, never computed with
TOO_LARGE = Decimal(10) ** 15
#: the dates a return can hold: periods and deadlines are computed from them
FIRST_DATE, LAST_DATE = date(1900, 1, 1), date(2199, 12, 31)


@dataclass(frozen=True)
class Note:
    """What reading a value found: a validation code (declared by the check that reads values,
    :mod:`carekpi.validation.checks.values`), its severity and the message."""

    code: str
    severity: Severity
    message: str


@dataclass(frozen=True)
class Coerced:
    """A cell's value as carekpi reads it, with notes on how it was read (text read as a number, say)."""

    value: Any
    notes: tuple[Note, ...] = ()
    #: True when the cell held something that means "nothing" ('-', 'n/a' or blank)
    empty: bool = False
    shown: str | None = None


def clean_text(s: str) -> str:
    return s.translate(_INVISIBLE).strip()


#: spaces that look like a space in the cell (non-breaking, figure, narrow), and line breaks
_LOOKS_LIKE_SPACE = dict.fromkeys(map(ord, "\u00a0\u2007\u202f\t\r\n"), " ")


def quoted(text: str, limit: int = 60) -> str:
    """``text`` quoted for a message as it looks in the cell: a non-breaking space is shown as
    a space (never ``\\xa0``), zero-width characters are left out, and a long cell is
    shortened so it cannot swamp the report."""
    shown = text.translate(_INVISIBLE).translate(_LOOKS_LIKE_SPACE)
    if len(shown) > limit:
        shown = shown[:limit] + "…"
    quote = '"' if "'" in shown and '"' not in shown else "'"
    return f"{quote}{shown}{quote}"


_q = quoted


def _warn(message: str) -> Note:
    return Note("V103", Severity.warning, message)


def _err(code: str, message: str) -> Note:
    return Note(code, Severity.error, message)


def parse_number_text(s: str) -> Decimal | None:
    t = clean_text(s).replace("£", "").replace(" ", "").replace("\u00a0", "")
    if not t or not _NUMBER.match(t) or t in "+-.":
        return None
    try:
        return Decimal(t.replace(",", ""))
    except InvalidOperation:
        return None


def _as_decimal(v: int | float | Decimal) -> Decimal:
    if isinstance(v, float):
        return Decimal(repr(v))
    return Decimal(v)


def _tidy(d: Decimal) -> int | Decimal:
    if d == d.to_integral_value():
        return int(d)
    return d.normalize()


def _fmt(v: Any) -> str:
    if isinstance(v, Decimal):
        return format(v.normalize(), "f")
    if isinstance(v, date):
        return v.strftime("%d/%m/%Y")
    return str(v)


def parse_month_text(s: str) -> tuple[date, bool] | None:
    """A month typed as text: its first day, and whether the reading is a guess (a two-digit
    year, as in ``09/26`` or ``Sep 26``, which could also be the 26th). None if ``s`` does not
    name a month."""
    t = re.sub(r"\s+", " ", clean_text(s).lower().replace(",", " ")).strip()
    try:
        m = re.match(r"^(\d{4})[/.\-](\d{1,2})$", t)
        if m:  # 2026-09
            return date(int(m.group(1)), int(m.group(2)), 1), False
        m = re.match(r"^(\d{1,2}) ?[/.\-] ?(\d{4}|\d{2})$", t)
        if m:  # 09/2026, 09/26
            y = int(m.group(2))
            return date(y + 2000 if y < 100 else y, int(m.group(1)), 1), y < 100
        m = re.match(r"^([a-z]+)\.?[ \-/]?('?\d{2}|\d{4})$", t)
        if m and m.group(1) in _MONTHS:  # Sep 2026, September 2026, Sep-26
            y = int(m.group(2).lstrip("'"))
            return date(y + 2000 if y < 100 else y, _MONTHS[m.group(1)], 1), y < 100
    except ValueError:
        return None
    return None


def parse_date_text(s: str) -> date | None:
    """A day typed as text (day first), or a month typed as text (its first day)."""
    day = _parse_day_text(s)
    if day is not None:
        return day
    month = parse_month_text(s)
    return month[0] if month else None


def _parse_day_text(s: str) -> date | None:
    t = clean_text(s).lower().replace(",", " ")
    t = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", t)
    m = re.match(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$", t)
    try:
        if m:
            d, mo, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
            y = y + 2000 if y < 100 else y
            return date(y, mo, d)
        m = re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ t]00:00(?::00)?)?$", t)
        if m:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        m = re.match(r"^(\d{1,2})[ \-]([a-z]+)[ \-](\d{2}|\d{4})$", t)
        if m and m.group(2) in _MONTHS:
            y = int(m.group(3))
            return date(y + 2000 if y < 100 else y, _MONTHS[m.group(2)], int(m.group(1)))
    except ValueError:
        return None
    return None


def coerce(item: ItemField, raw: Any, *, number_format: str = "General", data_type: str = "n",
           period: bool = False) -> Coerced:
    """Read one cell's value as ``item``'s type. ``period``: the item is a reporting period that
    a month names completely (a month typed in it is an answer, not a guess)."""
    if data_type == "e" or (isinstance(raw, str) and raw.strip().upper() in ERROR_VALUES):
        return Coerced(None, (_err("V107", f"holds the Excel error {str(raw).strip()}; correct the formula or type the figure"),))
    if raw is None:
        return Coerced(None, empty=True)
    if isinstance(raw, str):
        text = clean_text(raw)
        # An answer the item itself offers ("Not applicable" in a choice list) is an answer,
        # not "nothing".
        offered = {c.casefold() for c in (item.allowed_choices() or [])}
        if text.lower() in NOTHING and text.casefold() not in offered:
            return Coerced(None, empty=True, shown=text)
    t = item.type
    if t in (FieldType.count, FieldType.integer, FieldType.number, FieldType.money, FieldType.percentage):
        return _coerce_number(item, raw, number_format)
    if t == FieldType.date:
        return _in_date_range(_coerce_date(raw, number_format, period))
    if t in (FieldType.yes_no, FieldType.yes_no_partial):
        return _coerce_yes_no(item, raw)
    if t == FieldType.choice:
        return _coerce_choice(item, raw)
    # text
    if isinstance(raw, datetime):
        return Coerced(raw.date().isoformat())
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return Coerced(clean_text(str(raw)))


def _coerce_number(item: ItemField, raw: Any, number_format: str) -> Coerced:
    notes: list[Note] = []
    t = item.type
    if isinstance(raw, (bool, datetime, date)):
        return Coerced(None, (_err("V102", f"{_fmt(raw)!s} is not a number"),))
    if isinstance(raw, (int, float, Decimal)):
        value = _as_decimal(raw)
        if not value.is_finite():  # 1E999 in the file is read as infinity
            return Coerced(None, (_err("V102", f"{_fmt(raw)} is not a number"),))
        if abs(value) >= TOO_LARGE:
            return Coerced(None, (_err("V104", f"{value:.3E} is too large for a figure in a return"),))
        if t == FieldType.percentage:
            if "%" in (number_format or ""):
                value = value * 100
            elif 0 < value < 1:
                value = value * 100
                notes.append(_warn(f"{_fmt(raw)} read as {_fmt(_tidy(value))}%: type 95 or 95% for 95 per cent"))
    else:
        text = clean_text(str(raw))
        pct = text.endswith("%")
        parsed = parse_number_text(text[:-1] if pct else text)
        if parsed is None:
            what = {FieldType.count: "a whole number", FieldType.integer: "a whole number",
                    FieldType.money: "an amount of money"}.get(t, "a number")
            return Coerced(None, (_err("V102", f"{_q(text)} is not {what}"),))
        value = parsed
        if abs(value) >= TOO_LARGE:
            return Coerced(None, (_err("V104", f"{value:.3E} is too large for a figure in a return"),))
        if pct and t != FieldType.percentage:
            return Coerced(None, (_err("V102", f"{_q(text)} is a percentage; this item is a {t.value}"),))
        if t == FieldType.percentage and not pct and 0 < value < 1:
            # the fraction rule applies to '0.95' typed as text just as to the number 0.95
            value = value * 100
            notes.append(_warn(f"{_q(str(raw))} was typed as text; read as the fraction {_fmt(parsed)}, "
                               f"{_fmt(_tidy(value))}%: type 95 or 95% for 95 per cent"))
        else:
            shown = f"{_fmt(_tidy(value))}%" if t == FieldType.percentage else f"the number {_fmt(_tidy(value))}"
            notes.append(_warn(f"{_q(str(raw))} was typed as text; read as {shown}"))
    if t in (FieldType.count, FieldType.integer) and value != value.to_integral_value():
        return Coerced(None, (*notes, _err("V105", f"{_fmt(value.normalize())} is not a whole number")))
    lo, hi = item.bounds()
    if lo is not None and value < lo:
        return Coerced(None, (*notes, _err("V104", f"{_fmt(_tidy(value))} is below the minimum {_fmt(_tidy(lo))}")))
    if hi is not None and value > hi:
        return Coerced(None, (*notes, _err("V104", f"{_fmt(_tidy(value))} is above the maximum {_fmt(_tidy(hi))}")))
    return Coerced(_tidy(value), tuple(notes))


def _coerce_date(raw: Any, number_format: str, period: bool = False) -> Coerced:
    if isinstance(raw, datetime):
        return Coerced(raw.date())
    if isinstance(raw, date):
        return Coerced(raw)
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if 1 <= raw <= 2958465:
            day = (EXCEL_EPOCH + timedelta(days=int(raw))).date()
            return Coerced(day, (_warn(f"{raw} is a date stored as a number; read as {day:%d/%m/%Y}"),))
        return Coerced(None, (_err("V102", f"{raw} is not a date"),))
    text = clean_text(str(raw))
    d = _parse_day_text(text)
    if d is not None:
        return Coerced(d, (_warn(f"{_q(str(raw))} was typed as text; read as the date {d:%d/%m/%Y}"),))
    month = parse_month_text(text)
    if month is None:
        hint = "type the month, e.g. 09/2026 or September 2026" if period else "type it as dd/mm/yyyy"
        return Coerced(None, (_err("V102", f"{_q(text)} is not a date; {hint}"),))
    first, guessed = month
    if not period:
        return Coerced(first, (_warn(f"{_q(str(raw))} names a month, not a day; read as the date {first:%d/%m/%Y}, "
                                     "the first of the month: type the day if another is meant"),))
    if guessed:
        return Coerced(first, (_warn(f"{_q(str(raw))} read as {first:%B %Y}, a guess from a two-digit year: "
                                     f"type the month in full ({first:%B %Y}) if it is the one meant"),))
    return Coerced(first)


def _in_date_range(c: Coerced) -> Coerced:
    if isinstance(c.value, date) and not FIRST_DATE <= c.value <= LAST_DATE:
        return Coerced(None, (*c.notes, _err("V104", f"{c.value.day:02d}/{c.value.month:02d}/{c.value.year} is not a "
                                                      f"date a return can hold ({FIRST_DATE.year} to {LAST_DATE.year})")))
    return c


def _coerce_yes_no(item: ItemField, raw: Any) -> Coerced:
    choices = item.allowed_choices() or []
    answer: str | None = None
    if isinstance(raw, bool):
        answer = "Yes" if raw else "No"
        return Coerced(answer, (_warn(f"{str(raw).upper()} read as {answer}"),))
    text = clean_text(str(raw))
    if text in choices:
        return Coerced(text)
    low = text.lower()
    if low in _YES:
        answer = "Yes"
    elif low in _NO:
        answer = "No"
    elif low in _PARTIAL and "Partial" in choices:
        answer = "Partial"
    if answer is None or answer not in choices:
        return Coerced(None, (_err("V106", f"{_q(text)} is not one of {', '.join(choices)}"),))
    return Coerced(answer, (_warn(f"{_q(text)} read as {answer}"),))


def _coerce_choice(item: ItemField, raw: Any) -> Coerced:
    choices = item.allowed_choices() or []
    text = clean_text(str(raw))
    if text in choices:
        return Coerced(text)
    folded = {re.sub(r"\s+", " ", c).casefold(): c for c in choices}
    key = re.sub(r"\s+", " ", text).casefold()
    if key in folded:
        return Coerced(folded[key], (_warn(f"{_q(text)} read as {folded[key]!r}"),))
    return Coerced(None, (_err("V106", f"{_q(text)} is not one of: {', '.join(choices)}"),))
