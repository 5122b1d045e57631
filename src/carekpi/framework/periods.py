"""Reporting periods, their cadences, deadlines and working days.

One table, :data:`CADENCES`, says what each cadence is: how many months one period
covers (a four-weekly period is 12/13 of a month: thirteen make a year), how periods are
named and how their keys are written. Scoring (pro-rated targets, rolling sums), the
template (live count targets) and period keys all read it.

A :class:`Period` is a date range that knows its cadence. Its key (``2026-03``,
``2026-Q1``, ``2026-04-06`` for a four-weekly period, ``2025/26``) is what commissioner
data and peer comparisons are keyed by. It knows the quarter and the financial year
(April to March) it belongs to: a period belongs to the quarter and year that hold its
last day, so a four-weekly period from 23 March to 19 April 2026 belongs to April-June 2026
and to 2026/27.

Working days exclude weekends and England and Wales bank holidays (from the ``holidays``
package).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum
from fractions import Fraction
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from carekpi.framework.model import ReturnType


class Cadence(str, Enum):
    monthly = "monthly"
    four_weekly = "four_weekly"
    quarterly = "quarterly"
    annual = "annual"


@dataclass(frozen=True)
class CadenceInfo:
    """What one cadence is."""

    #: months in one period (exactly: 12/13 for four-weekly periods)
    months: Fraction
    #: the periods in words, plural ("quarters")
    plural: str
    #: an example period key, for messages
    example_key: str


CADENCES: dict[Cadence, CadenceInfo] = {
    Cadence.monthly: CadenceInfo(Fraction(1), "months", "2026-03"),
    Cadence.four_weekly: CadenceInfo(Fraction(12, 13), "four-week periods", "2026-04-06"),
    Cadence.quarterly: CadenceInfo(Fraction(3), "quarters", "2026-Q1"),
    Cadence.annual: CadenceInfo(Fraction(12), "years", "2025/26"),
}

#: the first month of the financial year (April)
FINANCIAL_YEAR_START = 4
#: a four-weekly cadence without an anchor counts its periods from this Monday
DEFAULT_FOUR_WEEKLY_ANCHOR = date(2000, 1, 3)


@dataclass(frozen=True, order=True)
class Period:
    """A reporting period (a month, quarter, four-weekly period or year): its first and last day, its key and label."""

    start: date
    end: date
    key: str
    label: str
    cadence: Cadence = field(default=Cadence.monthly, compare=False)
    #: for a period put together from others (a quarter of four-weekly periods): the months they cover
    covered: Fraction | None = field(default=None, compare=False)

    @property
    def months(self) -> Fraction:
        """Months covered, from the cadence (a four-weekly period is 12/13 of a month), or the
        months of the periods it was put together from."""
        return self.covered if self.covered is not None else CADENCES[self.cadence].months

    def contains(self, other: Period) -> bool:
        """Whether ``other`` belongs to this period: its last day falls within it."""
        return self.start <= other.end <= self.end

    def quarter(self) -> Period:
        """The calendar quarter holding this period's last day."""
        return period_of(Cadence.quarterly, self.end)

    def financial_year(self) -> Period:
        """The financial year (April to March) holding this period's last day."""
        return period_of(Cadence.annual, self.end, year_start_month=FINANCIAL_YEAR_START)

    def next(self, *, year_start_month: int = FINANCIAL_YEAR_START, anchor: date | None = None) -> Period:
        """The period of the same cadence that follows this one."""
        return period_of(self.cadence, self.end + timedelta(days=1), year_start_month=year_start_month,
                         anchor=anchor or (self.start if self.cadence == Cadence.four_weekly else None))


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def add_months(year: int, month: int, n: int) -> tuple[int, int]:
    idx = year * 12 + (month - 1) + n
    return idx // 12, idx % 12 + 1


def period_of(cadence: Cadence, day: date, *, year_start_month: int = FINANCIAL_YEAR_START,
              anchor: date | None = None) -> Period:
    """The period of ``cadence`` containing ``day``.

    Annual periods start in ``year_start_month`` (April: the financial year); four-weekly
    periods are 28-day periods counted from ``anchor``.
    """
    if cadence == Cadence.monthly:
        start = day.replace(day=1)
        return Period(start, _month_end(day.year, day.month), f"{day:%Y-%m}", f"{day:%B %Y}", cadence)
    if cadence == Cadence.quarterly:
        q = (day.month - 1) // 3
        start = date(day.year, q * 3 + 1, 1)
        end = _month_end(day.year, q * 3 + 3)
        return Period(start, end, f"{day.year}-Q{q + 1}", f"{start:%b}-{end:%b %Y} (Q{q + 1} {day.year})", cadence)
    if cadence == Cadence.annual:
        m0 = year_start_month
        y0 = day.year if day.month >= m0 else day.year - 1
        start = date(y0, m0, 1)
        ey, em = add_months(y0, m0, 11)
        end = _month_end(ey, em)
        key = f"{y0}" if m0 == 1 else f"{y0}/{(y0 + 1) % 100:02d}"
        return Period(start, end, key, f"{start:%B %Y} to {end:%B %Y}", cadence)
    base = anchor or DEFAULT_FOUR_WEEKLY_ANCHOR
    n = (day - base).days // 28
    start = base + timedelta(days=28 * n)
    end = start + timedelta(days=27)
    return Period(start, end, f"{start:%Y-%m-%d}", f"4 weeks {start:%d %b %Y} to {end:%d %b %Y}", cadence)


def period_for(rtype: ReturnType, day: date) -> Period:
    """The period of return type ``rtype`` containing ``day``."""
    return period_of(rtype.cadence, day, year_start_month=rtype.year_start_month, anchor=rtype.anchor)


def parse_period_key(rtype: ReturnType, key: str) -> Period | None:
    """Parse a period key as written in a commissioner-data file (``2026-03``, ``2026-Q1``...)."""
    key = key.strip()
    try:
        if rtype.cadence == Cadence.monthly:
            y, m = key.split("-")[:2]
            return period_for(rtype, date(int(y), int(m), 1))
        if rtype.cadence == Cadence.quarterly:
            y, q = key.upper().split("-Q")
            return period_for(rtype, date(int(y), (int(q) - 1) * 3 + 1, 1))
        if rtype.cadence == Cadence.annual:
            return period_for(rtype, date(int(key[:4]), rtype.year_start_month, 1))
        return period_for(rtype, date.fromisoformat(key))
    except (ValueError, IndexError):
        return None


def parse_period(key: str) -> Period | None:
    """A period named by one of carekpi's keys, whatever the return type: ``2026-03`` (a month),
    ``2026-Q1`` (a quarter), ``2026`` (a calendar year), ``2025/26`` (a financial year, April
    to March). None for anything else."""
    key = key.strip()
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", key)
    if m and 1 <= int(m.group(2)) <= 12:
        return period_of(Cadence.monthly, date(int(m.group(1)), int(m.group(2)), 1))
    m = re.fullmatch(r"(\d{4})-?[Qq]([1-4])", key)
    if m:
        return period_of(Cadence.quarterly, date(int(m.group(1)), (int(m.group(2)) - 1) * 3 + 1, 1))
    m = re.fullmatch(r"(\d{4})", key)
    if m:
        return period_of(Cadence.annual, date(int(m.group(1)), 1, 1), year_start_month=1)
    m = re.fullmatch(r"(\d{4})/(\d{2})", key)
    if m and (int(m.group(1)) + 1) % 100 == int(m.group(2)):
        return period_of(Cadence.annual, date(int(m.group(1)), FINANCIAL_YEAR_START, 1))
    return None


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    import holidays  # a large table of countries: loaded on the first working-day question only

    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def is_working_day(d: date) -> bool:
    return d.weekday() < 5 and d not in _bank_holidays(d.year)


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when the same day).

    A referral received on Thursday and met the next Monday took 2 working days.
    """
    if end <= start:
        return 0
    n = 0
    d = start
    while d < end:
        d += timedelta(days=1)
        if is_working_day(d):
            n += 1
    return n


def add_working_days(start: date, days: int) -> date:
    d = start
    while days > 0:
        d += timedelta(days=1)
        if is_working_day(d):
            days -= 1
    return d


def _adjust(d: date, how: str) -> date:
    if how == "keep":
        return d
    step = timedelta(days=-1 if how == "previous" else 1)
    while not is_working_day(d):
        d += step
    return d


def deadline_for(rtype: ReturnType, period: Period) -> date:
    d = rtype.deadline
    if d.rule == "day_of_following_month":
        y, m = add_months(period.end.year, period.end.month, d.months_after)
        day = min(d.day or 1, calendar.monthrange(y, m)[1])
        due = date(y, m, day)
    elif d.rule == "fixed":
        assert d.month and d.day
        y = period.end.year if (d.month, d.day) > (period.end.month, period.end.day) else period.end.year + 1
        due = date(y, d.month, d.day)
    else:
        days = d.days or 0
        due = add_working_days(period.end, days) if d.working_days else period.end + timedelta(days=days)
    return _adjust(due, d.not_working_day)
