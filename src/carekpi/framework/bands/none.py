"""None: management information, reported and never banded."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar, Literal

from carekpi.base.enums import Band
from carekpi.framework.bands.base import BandContext, BandOutcome, BandScheme, register


@register
class NoBands(BandScheme):
    """Management information only: reported, never banded."""

    scheme: Literal["none"]
    as_printed: str | None = None

    banded: ClassVar[bool] = False

    def band(self, value: Decimal, ctx: BandContext) -> BandOutcome:
        return BandOutcome(Band.na, "management information: not banded")

    def static_band_text(self) -> str:
        return "Not banded"

    def describe(self) -> str:
        return "Management information: not banded"
