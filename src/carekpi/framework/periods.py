"""Reporting periods, deadlines and working days.

A period is a date range; its key (``2026-03``, ``2026-Q1``, ``2026-P03``, ``2025/26``) is
what commissioner data and peer comparisons are keyed by. Working days exclude weekends and
England and Wales bank holidays (from the ``holidays`` package).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from carekpi.framework.model import Cadence, Deadline, ReturnType


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date
    key: str
    label: str

    def months(self) -> int:
        """Whole calendar months covered (4-weekly periods count as 12/13 of a month)."""
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _add_months(year: int, month: int, n: int) -> tuple[int, int]:
    idx = year * 12 + (month - 1) + n
    return idx // 12, idx % 12 + 1


def period_for(rtype: ReturnType, day: date) -> Period:
    """The period of ``rtype`` containing ``day``."""
    c = rtype.cadence
    if c == Cadence.monthly:
        start = day.replace(day=1)
        return Period(start, _month_end(day.year, day.month), f"{day:%Y-%m}", f"{day:%B %Y}")
    if c == Cadence.quarterly:
        q = (day.month - 1) // 3
        start = date(day.year, q * 3 + 1, 1)
        end = _month_end(day.year, q * 3 + 3)
        return Period(start, end, f"{day.year}-Q{q + 1}", f"{start:%b}-{end:%b %Y} (Q{q + 1} {day.year})")
    if c == Cadence.annual:
        m0 = rtype.year_start_month
        y0 = day.year if day.month >= m0 else day.year - 1
        start = date(y0, m0, 1)
        ey, em = _add_months(y0, m0, 11)
        end = _month_end(ey, em)
        key = f"{y0}" if m0 == 1 else f"{y0}/{(y0 + 1) % 100:02d}"
        return Period(start, end, key, f"{start:%B %Y} to {end:%B %Y}")
    # four-weekly: 28-day periods counted from the anchor
    anchor = rtype.anchor or date(2000, 1, 3)
    n = (day - anchor).days // 28
    start = anchor + timedelta(days=28 * n)
    end = start + timedelta(days=27)
    return Period(start, end, f"{start:%Y-%m-%d}", f"4 weeks {start:%d %b %Y} to {end:%d %b %Y}")


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


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    import holidays

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
    d: Deadline = rtype.deadline
    if d.rule == "day_of_following_month":
        y, m = _add_months(period.end.year, period.end.month, d.months_after)
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
