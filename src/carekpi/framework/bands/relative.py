"""Relative bands: against the other providers' returns for the same period (quartiles)."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import Field

from carekpi.base.enums import Band
from carekpi.framework.bands.base import BandContext, BandOutcome, BandScheme, Direction, register
from carekpi.framework.periods import Cadence

#: band cell text: the band needs the other providers' returns, which the workbook does not have
RELATIVE_PENDING = "Compared with other providers when scored"


@register
class RelativeBands(BandScheme):
    """Bands relative to the peer returns scored together for the same period:
    top quartile Green, bottom quartile Red, otherwise Amber (direction-aware)."""

    scheme: Literal["relative"]
    direction: Direction = Direction.higher
    min_peers: int = Field(4, ge=2)
    as_printed: str | None = None

    FIELD_WORDS: ClassVar[dict[str, str]] = {"min_peers": "the minimum number of peers", "direction": "the better direction"}

    def band(self, value: Decimal, ctx: BandContext) -> BandOutcome:
        # one return alone cannot be banded: the peer pass of scoring bands it
        return BandOutcome(Band.na, "pending peer comparison")

    def excel_formula(self, value_name: str, cadence: Cadence) -> str:
        return f'IF(ISNUMBER({value_name}),"{RELATIVE_PENDING}",IF({value_name}="n/a","n/a",""))'

    def describe(self) -> str:
        return (f"Compared with the other providers' returns for the period (at least {self.min_peers}): top quartile "
                f"Green, bottom quartile Red, otherwise Amber ({self.direction.value} is better)")
