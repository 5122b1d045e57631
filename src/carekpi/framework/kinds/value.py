"""Value: a plain value computed from the return (a count, an amount of money, days)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from carekpi.base.rounding import round_half_away
from carekpi.framework.expr import to_number
from carekpi.framework.kinds.base import AddProblem, Computed, Kind, KpiExprs, ParseField, register

if TYPE_CHECKING:
    from carekpi.framework.model import Kpi


@register
class Value(Kind):
    name = "value"

    def compile(self, kpi: Kpi, parse: ParseField, add: AddProblem, items: Mapping[str, Any]) -> KpiExprs:
        if not kpi.value:
            add("F010", (), f"{self.name} KPI {kpi.id!r} needs a value expression")
            return KpiExprs()
        return KpiExprs(value=parse("value", kpi.value))

    def compute(self, exprs: KpiExprs, env: Mapping[str, Any], places: int,
                labels: Mapping[str, str]) -> Computed:
        assert exprs.value
        v = to_number(exprs.value.evaluate(env))
        if v is None:
            return Computed(reason="could not be computed")
        return Computed(numerator=v, value=round_half_away(v, places), exact=v)

    def excel_core(self, exprs: KpiExprs, name: Callable[[str], str], shown: Callable[[str], str]) -> str:
        assert exprs.value
        return shown(exprs.value.to_excel(name))

    def aggregate(self, parts: list[Computed], places: int, unit: str) -> Computed:
        """Counts and money add up over periods; other values (days, a percentage) do not."""
        if unit not in ("count", "money"):
            return Computed(reason=f"a value in {unit} is not added up over periods: see each period", display="n/a")
        total = sum((p.numerator for p in parts if p.numerator is not None), Fraction(0))
        return Computed(numerator=total, value=round_half_away(total, places), exact=total)

    def formula_text(self, kpi: Kpi) -> str:
        return str(kpi.value)
