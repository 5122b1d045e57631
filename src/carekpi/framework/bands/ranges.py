"""Explicit ranges: each band an inclusive range at the KPI's display precision."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_FLOOR, Decimal
from itertools import pairwise
from typing import ClassVar, Literal

from carekpi.base.enums import Band
from carekpi.framework.bands.base import (
    BandContext,
    BandOutcome,
    BandScheme,
    Direction,
    LintContext,
    SchemeProblem,
    excel_number,
    pct,
    register,
)
from carekpi.framework.periods import Cadence
from carekpi.framework.strict import Strict


class BandRange(Strict):
    band: Literal["green", "amber", "red"]
    min: Decimal
    max: Decimal


@register
class RangeBands(BandScheme):
    """Explicit inclusive ranges at the KPI's display precision (as some schedules print them)."""

    scheme: Literal["ranges"]
    direction: Direction = Direction.higher
    ranges: list[BandRange]
    as_printed: str | None = None

    CODES: ClassVar[dict[str, str]] = {"F008": "explicit band ranges leave a gap or overlap"}
    FIELD_WORDS: ClassVar[dict[str, str]] = {"ranges": "the band ranges", "direction": "the better direction"}

    def band(self, value: Decimal, ctx: BandContext) -> BandOutcome:
        shown = pct(value, ctx.unit)
        for r in self.ranges:
            if r.min <= value <= r.max:
                return BandOutcome(Band(r.band), f"{shown} is in the {r.band.capitalize()} range "
                                                 f"{pct(r.min, ctx.unit)}-{pct(r.max, ctx.unit)}")
        return BandOutcome(Band.na, f"{shown} is in none of the printed ranges")

    def excel_formula(self, value_name: str, cadence: Cadence) -> str:
        v = value_name
        out = '""'
        for r in reversed(self.ranges):
            out = (f'IF(AND({v}>={excel_number(r.min)},{v}<={excel_number(r.max)}),'
                   f'"{r.band.capitalize()}",{out})')
        return f'IF(ISNUMBER({v}),{out},IF({v}="n/a","n/a",""))'

    def describe(self) -> str:
        return ", ".join(f"{r.band.capitalize()} {excel_number(r.min)}-{excel_number(r.max)}" for r in self.ranges)

    def legend(self, unit: str, places: int) -> str:
        return "; ".join(f"{r.band.capitalize()}: {pct(r.min, unit)} to {pct(r.max, unit)}" for r in self.ranges)

    def printed_numbers(self) -> dict[str, Decimal]:
        return {f"the lower end of the {r.band.capitalize()} range": r.min for r in self.ranges}

    def check(self, ctx: LintContext) -> Iterator[SchemeProblem]:
        # Values are rounded to the KPI's precision before they are banded, so a value lies in
        # no band when some multiple of that step falls strictly between two ranges: at one
        # decimal place 74 and 75 leave 74.1-74.9 out, while 74.9 and 75 (or 74 and 75 for a
        # whole-number KPI) are adjacent.
        precision = ctx.precision
        unit = Decimal(1).scaleb(-precision)
        indexed = sorted(enumerate(self.ranges), key=lambda t: (t[1].min, t[1].max))
        for i, r in indexed:
            if r.min > r.max:
                yield SchemeProblem("F008", ("ranges", i), f"KPI {ctx.kpi_id!r}: range {r.band} {r.min}-{r.max} is empty")
        for (_, a), (ib, b) in pairwise(indexed):
            where = ("ranges", ib)
            if b.min <= a.max:
                yield SchemeProblem("F008", where, f"KPI {ctx.kpi_id!r}: ranges {a.band} {a.min}-{a.max} and "
                                                   f"{b.band} {b.min}-{b.max} overlap")
                continue
            first = ((a.max / unit).to_integral_value(rounding=ROUND_FLOOR) + 1) * unit
            if first < b.min:
                last = ((b.min / unit).to_integral_value(rounding=ROUND_FLOOR) - (1 if b.min % unit == 0 else 0)) * unit
                shown = f"{first}" if first == last else f"{first} to {last}"
                yield SchemeProblem("F008", where, f"KPI {ctx.kpi_id!r}: values {shown} are in no band: the ranges "
                                                   f"{a.band} {a.min}-{a.max} and {b.band} {b.min}-{b.max} leave a gap "
                                                   f"at the KPI's precision ({precision} decimal place"
                                                   f"{'' if precision == 1 else 's'})")
