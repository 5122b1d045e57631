"""Ratio: numerator / denominator, as a percentage."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from carekpi.base.rounding import round_half_away
from carekpi.framework.expr import show_value, to_number
from carekpi.framework.kinds.base import AddProblem, Computed, Kind, KpiExprs, ParseField, register

if TYPE_CHECKING:
    from carekpi.framework.model import Kpi


@register
class Ratio(Kind):
    name = "ratio"
    unit = "percent"

    def compile(self, kpi: Kpi, parse: ParseField, add: AddProblem, items: Mapping[str, Any]) -> KpiExprs:
        if not kpi.numerator or not kpi.denominator:
            add("F010", (), f"ratio KPI {kpi.id!r} needs a numerator and a denominator")
            return KpiExprs()
        return KpiExprs(numerator=parse("numerator", kpi.numerator), denominator=parse("denominator", kpi.denominator))

    def compute(self, exprs: KpiExprs, env: Mapping[str, Any], places: int,
                labels: Mapping[str, str]) -> Computed:
        assert exprs.numerator and exprs.denominator
        num, den = to_number(exprs.numerator.evaluate(env)), to_number(exprs.denominator.evaluate(env))
        if num is None or den is None:
            return Computed(num, den, reason="could not be computed")
        if den == 0:
            return Computed(num, den, reason=f"not applicable: {exprs.denominator.in_words(labels)} is 0", display="n/a")
        if den < 0:
            return Computed(num, den, reason=f"{exprs.denominator.in_words(labels)} is negative ({show_value(den)}): "
                                             "check the figures", display="n/a")
        exact = num / den * 100
        return Computed(num, den, round_half_away(exact, places), exact=exact)

    def excel_core(self, exprs: KpiExprs, name: Callable[[str], str], shown: Callable[[str], str]) -> str:
        assert exprs.numerator and exprs.denominator
        num, den = exprs.numerator.to_excel(name), exprs.denominator.to_excel(name)
        return f'IF({den}=0,"n/a",{shown(f"{num}/{den}*100")})'

    def aggregate(self, parts: list[Computed], places: int, unit: str) -> Computed:
        """Numerators and denominators re-summed: the ratio of the sums."""
        num = sum((p.numerator for p in parts if p.numerator is not None), Fraction(0))
        den = sum((p.denominator for p in parts if p.denominator is not None), Fraction(0))
        if den == 0:
            return Computed(num, den, reason="not applicable: the denominators add up to 0", display="n/a")
        exact = num / den * 100
        return Computed(num, den, round_half_away(exact, places), exact=exact)

    def formula_text(self, kpi: Kpi) -> str:
        return f"({kpi.numerator}) / ({kpi.denominator}) x 100"
