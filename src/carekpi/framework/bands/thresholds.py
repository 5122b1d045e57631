"""Thresholds: Green at or beyond ``green``, Amber at or beyond ``amber``, otherwise Red."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import Field

from carekpi.base.enums import Band
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
    step_below,
)
from carekpi.framework.periods import Cadence


@register
class ThresholdBands(BandScheme):
    """Green at or beyond ``green``, Amber at or beyond ``amber``, otherwise Red (in ``direction``)."""

    scheme: Literal["thresholds"]
    direction: Direction = Direction.higher
    green: Decimal
    amber: Decimal | None = None
    judge: Judge = "rounded"
    as_printed: str | None = Field(None, description="the bands as the source prints them")

    CODES: ClassVar[dict[str, str]] = {"F007": "band thresholds out of order for their direction"}
    FIELD_WORDS: ClassVar[dict[str, str]] = {
        "green": "the Green threshold", "amber": "the Amber threshold", "direction": "the better direction",
        "judge": "the value judged (rounded or exact)",
    }

    def judges_exactly(self) -> bool:
        return self.judge == "exact"

    def better(self) -> Direction:
        return self.direction

    def edges(self, ctx: BandContext) -> list[Decimal]:
        return self.excel_edges(ctx.cadence)

    def excel_edges(self, cadence: Cadence) -> list[Decimal]:
        return [self.green] + ([self.amber] if self.amber is not None else [])

    def band(self, value: Decimal, ctx: BandContext) -> BandOutcome:
        higher = self.direction == Direction.higher
        word, other = ("at or above", "below") if higher else ("at or below", "above")
        green = pct(self.green, ctx.unit)
        target = green + ("" if higher else " or lower")
        v = judged(value, ctx, self.judge)
        if is_better_or_equal(v, self.green, self.direction):
            return BandOutcome(Band.green, f"{word} Green {green}", target)
        if self.amber is not None and is_better_or_equal(v, self.amber, self.direction):
            return BandOutcome(Band.amber, f"{other} Green {green}, {word} Amber {pct(self.amber, ctx.unit)}", target)
        if self.amber is not None:
            return BandOutcome(Band.red, f"{other} Amber {pct(self.amber, ctx.unit)}", target)
        return BandOutcome(Band.red, f"{other} Green {green} (no Amber band)", target)

    def excel_formula(self, value_name: str, cadence: Cadence) -> str:
        v = value_name
        cmp = ">=" if self.direction == Direction.higher else "<="
        inner = '"Red"' if self.amber is None else f'IF({v}{cmp}{excel_number(self.amber)},"Amber","Red")'
        return f'IF(ISNUMBER({v}),IF({v}{cmp}{excel_number(self.green)},"Green",{inner}),IF({v}="n/a","n/a",""))'

    def describe(self) -> str:
        sym = "+" if self.direction == Direction.higher else " or lower"
        text = f"Green {excel_number(self.green)}{sym}"
        if self.amber is not None:
            text += f", Amber {excel_number(self.amber)}{sym}"
        return text + ", otherwise Red"

    def legend(self, unit: str, places: int) -> str:
        higher = self.direction == Direction.higher
        better, worse = ("or more", "below") if higher else ("or less", "above")
        green = pct(self.green, unit)
        parts = [f"Green: {green} {better}"]
        floor = self.green
        if self.amber is not None:
            edge = step_below(self.green, places, self.direction)
            low, high = (self.amber, edge) if higher else (edge, self.amber)
            parts.append(f"Amber: {pct(low, unit)} to {pct(high, unit)}")
            floor = self.amber
        parts.append(f"Red: {worse} {pct(floor, unit)}")
        return "; ".join(parts)
    def printed_numbers(self) -> dict[str, Decimal]:
        out = {"the Green threshold": self.green}
        if self.amber is not None:
            out["the Amber threshold"] = self.amber
        return out

    def check(self, ctx: LintContext) -> Iterator[SchemeProblem]:
        if self.amber is not None and not is_better_or_equal(self.green, self.amber, self.direction):
            yield SchemeProblem("F007", (), f"KPI {ctx.kpi_id!r}: green {self.green} and amber {self.amber} are out of "
                                            f"order for '{self.direction.value} is better'")
