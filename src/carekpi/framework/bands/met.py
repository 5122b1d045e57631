"""Met / not met: a target that is met (Green) or not (Red), optionally pro-rated per period."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from fractions import Fraction
from typing import ClassVar, Literal

from carekpi.base.enums import Band
from carekpi.base.rounding import round_half_away
from carekpi.framework.bands.base import (
    BandContext,
    BandOutcome,
    BandScheme,
    Direction,
    Judge,
    LintContext,
    SchemeProblem,
    excel_number,
    is_better_or_equal,
    judged,
    pct,
    register,
)
from carekpi.framework.periods import CADENCES, Cadence


@register
class MetBands(BandScheme):
    """A target that is met (Green) or not met (Red).

    With ``per_months`` the target is for that many months and is pro-rated to the
    period scored (900 referrals per 12 months is 225 for a quarter); when several
    consecutive periods are scored together the sum over ``per_months`` is also judged.
    """

    scheme: Literal["met"]
    direction: Direction = Direction.higher
    target: Decimal
    per_months: int | None = None
    judge: Judge = "rounded"
    as_printed: str | None = None

    CODES: ClassVar[dict[str, str]] = {"F010": "KPI is incompletely defined for its kind"}
    FIELD_WORDS: ClassVar[dict[str, str]] = {"target": "the target", "per_months": "the target period in months",
                   "direction": "the better direction", "judge": "the value judged (rounded or exact)"}

    def judges_exactly(self) -> bool:
        return self.judge == "exact"

    def better(self) -> Direction:
        return self.direction

    def edges(self, ctx: BandContext) -> list[Decimal]:
        if self.per_months and ctx.period is not None:
            return [self.target_for(ctx.period.months)]
        return [self.target]

    def excel_edges(self, cadence: Cadence) -> list[Decimal]:
        return [self.target_for(CADENCES[cadence].months)]

    def target_for(self, months: Fraction) -> Decimal:
        """The target for a period of ``months`` months (pro-rated, one decimal place)."""
        if not self.per_months:
            return self.target
        return round_half_away(Fraction(self.target) * months / self.per_months, 1).normalize()

    def band(self, value: Decimal, ctx: BandContext) -> BandOutcome:
        target = self.target
        note = ""
        if self.per_months and ctx.period is not None:
            target = self.target_for(ctx.period.months)
            note = f" ({pct(self.target, ctx.unit)} per {self.per_months} months, pro-rated)"
        shown, tt = pct(value, ctx.unit), pct(target, ctx.unit)
        if self.direction == Direction.lower:
            tt += " or lower"
        if is_better_or_equal(judged(value, ctx, self.judge), target, self.direction):
            return BandOutcome(Band.green, f"{shown} meets the target {tt}{note}", tt)
        return BandOutcome(Band.red, f"{shown} does not meet the target {tt}{note}", tt)

    def judge_total(self, total: Decimal) -> bool:
        """Whether a total over ``per_months`` months meets the (not pro-rated) target."""
        return is_better_or_equal(total, self.target, self.direction)

    def excel_formula(self, value_name: str, cadence: Cadence) -> str:
        v = value_name
        if self.per_months:
            target = f"{excel_number(self.target)}*{excel_number(float(CADENCES[cadence].months))}/{self.per_months}"
        else:
            target = excel_number(self.target)
        cmp = ">=" if self.direction == Direction.higher else "<="
        return f'IF(ISNUMBER({v}),IF({v}{cmp}{target},"Green","Red"),IF({v}="n/a","n/a",""))'

    def describe(self) -> str:
        per = f" per {self.per_months} months" if self.per_months else ""
        lower = " or lower" if self.direction == Direction.lower else ""
        return f"Target {excel_number(self.target)}{lower}{per}: met (Green) or not met (Red)"

    def printed_numbers(self) -> dict[str, Decimal]:
        out = {"the target": self.target}
        if self.per_months:
            out["the target period in months"] = Decimal(self.per_months)
        return out

    def legend(self, unit: str, places: int) -> str:
        higher = self.direction == Direction.higher
        better, worse = ("or more", "below") if higher else ("or less", "above")
        target = pct(self.target, unit)
        per = f" per {self.per_months} months (pro-rated to the period)" if self.per_months else ""
        if unit == "percent" and self.target == (100 if higher else 0):
            return f"Green (met): {target}; Red (not met): {worse} {target}"
        return f"Green (met): {target} {better}{per}; Red (not met): {worse} {target}"

    def check(self, ctx: LintContext) -> Iterator[SchemeProblem]:
        if self.per_months is not None and ctx.kind != "count_target":
            yield SchemeProblem("F010", (), f"KPI {ctx.kpi_id!r}: per_months applies to count_target KPIs only")
