"""Cross-field rules of the framework, and breakdowns that must add up to their headline figure."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from carekpi.base.enums import Severity
from carekpi.framework.compiled import CompiledRule
from carekpi.framework.expr import show_value, to_number
from carekpi.validation.checks.base import Check
from carekpi.validation.context import CheckContext, Code

V201 = Code("V201", "cross-field rule not met", None)  # the rule's own severity
V202 = Code("V202", "breakdown does not add up to its headline figure", Severity.error)

_OP_WORDS = {"<=": "at most", "<": "less than", ">=": "at least", ">": "more than", "==": "equal to",
             "!=": "different from"}


def rule_message(rule: CompiledRule, env: dict[str, Any], labels: dict[str, str]) -> str:
    """The rule's message with its parameters filled in (or one in words)."""
    params: dict[str, str] = {}
    for n in rule.check.names:
        params[n] = show_value(env.get(n))
        params[f"{n}_label"] = labels.get(n, n)
    comparison = rule.check.comparison
    if comparison:
        left, right = rule.check.side("left"), rule.check.side("right")
        params.update(
            left=show_value(left.evaluate(env)), right=show_value(right.evaluate(env)),
            left_label=left.in_words(labels), right_label=right.in_words(labels), op=comparison[1],
        )
    if rule.message:
        return rule.message.format(**params)
    if comparison:
        words = _OP_WORDS[params["op"]]
        return f"{params['left_label']} ({params['left']}) must be {words} {params['right_label']} ({params['right']})"
    return f"rule {rule.id} is not met: {rule.check.in_words(labels)}"


class RulesCheck(Check):
    name = "rules"
    codes = (V201, V202)

    def run(self, ctx: CheckContext) -> None:
        env = ctx.comp.evaluation_env(ctx.data.values)
        for rule in ctx.comp.rules:
            if not ctx.data.applies(rule.applies_to):
                continue
            if rule.when is not None and rule.when.evaluate(env) is not True:
                continue
            if rule.check.evaluate(env) is not False:
                continue
            if rule.generated:
                self.breakdown(ctx, rule, env)
                continue
            item = rule.fields[0] if rule.fields else None
            ctx.add(V201, rule_message(rule, env, ctx.labels), severity=rule.severity, item=item, rule=rule.id)

    @staticmethod
    def breakdown(ctx: CheckContext, rule: CompiledRule, env: dict[str, Any]) -> None:
        bd = next(b for s in ctx.rtype.sections for b in s.breakdowns if f"{b.id}_reconciles" == rule.id)
        total = bd.total or ""
        cells = [ctx.data.cells[b] for b in (bd.item_id(c) for c in bd.categories) if b in ctx.data.cells]
        span = f"{cells[0].coordinate}:{cells[-1].coordinate}" if cells else "?"
        head = ctx.data.cells.get(total)
        parts = sum((to_number(env.get(bd.item_id(c))) or Fraction(0)) for c in bd.categories)
        relation = "add up to" if bd.reconcile == "equal" else "add up to no more than"
        ctx.add(V202, f"{bd.label}: the categories in {span} add up to {show_value(parts)}, but they must {relation} "
                      f"{ctx.labels.get(total, total)} in {head.coordinate if head else '?'} "
                      f"({show_value(env.get(total))})", item=total, rule=rule.id)
