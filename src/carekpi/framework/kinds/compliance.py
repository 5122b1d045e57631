"""Compliance: the answer to one Yes / Partial / No item, banded by a mapping."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from carekpi.framework.expr import parse as parse_expression
from carekpi.framework.kinds.base import AddProblem, Computed, Kind, KpiExprs, ParseField, register

if TYPE_CHECKING:
    from carekpi.framework.model import Kpi


@register
class Compliance(Kind):
    name = "compliance"
    unit = "answer"
    answer = True

    def compile(self, kpi: Kpi, parse: ParseField, add: AddProblem, items: Mapping[str, Any]) -> KpiExprs:
        if not kpi.value:
            add("F010", (), f"{self.name} KPI {kpi.id!r} needs value: <item id>")
            return KpiExprs()
        if kpi.value not in items:
            add("F005", ("value",), f"KPI {kpi.id!r} names unknown item {kpi.value!r}")
            return KpiExprs()
        return KpiExprs(value=parse_expression(kpi.value))

    def compute(self, exprs: KpiExprs, env: Mapping[str, Any], places: int,
                labels: Mapping[str, str]) -> Computed:
        assert exprs.value
        answer = str(env.get(exprs.value.source))
        return Computed(value=answer, display=answer)

    def excel_core(self, exprs: KpiExprs, name: Callable[[str], str], shown: Callable[[str], str]) -> str:
        assert exprs.value
        return exprs.value.to_excel(name)

    def formula_text(self, kpi: Kpi) -> str:
        return f"answer to {kpi.value}"
