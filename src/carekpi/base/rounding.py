"""Rounding shared by display and banding.

Values are rounded half away from zero at the framework's precision, exactly
(from fractions, never binary floats), and the band is judged on the rounded
value: a value shown as 90.0% is never banded Amber under "Green 90+%".
Python's ``round()`` rounds half to even and is not used for this.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction


def round_half_away(x: Fraction, places: int) -> Decimal:
    scaled = x * (10**places)
    n = math.floor(abs(scaled) + Fraction(1, 2))
    if scaled < 0:
        n = -n
    return Decimal(n).scaleb(-places)


def display(value: Decimal, places: int, unit: str) -> str:
    text = f"{value:.{places}f}"
    if unit == "percent":
        return f"{text}%"
    if unit == "money":
        return f"£{value:,.{places if places else 2}f}"
    return text
