"""Periods named in a file name (``acme-2026-06.xlsx``, ``Acme June 2026.xlsx``, ``acme_q1_2026``),
to catch a file whose cover says another period. Only unambiguous names count: a month needs a
year beside it, a quarter ``Q1``-``Q4`` a year."""

from __future__ import annotations

import re
from datetime import date

from carekpi.framework.model import ReturnType
from carekpi.framework.periods import Cadence, Period, period_of

_MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                       "dec"], start=1)}
_SEP = r"[\s_.\-]*"
_ISO_MONTH = re.compile(r"(?<!\d)(20\d\d)[-_.](0[1-9]|1[0-2])(?![-_.]?\d)")
_WORD_MONTH = re.compile(rf"(?<![a-z])(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*{_SEP}(20\d\d)(?!\d)")
_QUARTER = re.compile(rf"(?<![a-z0-9])(?:(20\d\d){_SEP}q([1-4])|q([1-4]){_SEP}(20\d\d))(?![0-9])")


def periods_named(stem: str, rtype: ReturnType) -> list[Period]:
    """The periods of ``rtype``'s cadence a file name names (none if it names none clearly)."""
    text = stem.casefold()
    days: list[date] = []
    if rtype.cadence in (Cadence.monthly,):
        days += [date(int(y), int(m), 1) for y, m in _ISO_MONTH.findall(text)]
        days += [date(int(y), _MONTHS[m], 1) for m, y in _WORD_MONTH.findall(text)]
    elif rtype.cadence == Cadence.quarterly:
        for y1, q1, q2, y2 in _QUARTER.findall(text):
            year, q = (y1, q1) if y1 else (y2, q2)
            days.append(date(int(year), (int(q) - 1) * 3 + 1, 1))
    else:
        return []  # four-weekly and annual returns are not named by a month or a quarter
    seen: dict[str, Period] = {}
    for d in days:
        p = period_of(rtype.cadence, d, year_start_month=rtype.year_start_month, anchor=rtype.anchor)
        seen.setdefault(p.key, p)
    return list(seen.values())
