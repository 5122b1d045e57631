"""Cross-field rules of the framework, and breakdowns that must add up to their headline figure.

Messages come from :mod:`carekpi.framework.messages`, which the template's Checks sheet renders
as Excel formulas too: a provider sees the same message while typing.
"""

from __future__ import annotations

from typing import Any

from carekpi.base.enums import Severity
from carekpi.framework.compiled import CompiledRule
from carekpi.framework.expr import show_value
from carekpi.framework.messages import OP_WORDS, render_parts, rule_message_parts
from carekpi.framework.model import ReturnType
from carekpi.validation.checks.base import Check
from carekpi.validation.context import CheckContext, Code
from carekpi.workbook.reader import RawCell

V201 = Code("V201", "cross-field rule not met", None)  # the rule's own severity
V202 = Code("V202", "breakdown does not add up to its headline figure", Severity.error)


def rule_message(rule: CompiledRule, env: dict[str, Any], labels: dict[str, str], rtype: ReturnType,
                 cells: dict[str, RawCell] | None = None) -> str:
    """The rule's message with the return's values (and cells) filled in."""
    parts = rule_message_parts(rule, rtype, labels)
    if parts is not None:
        found = cells or {}
        return render_parts(parts, env, lambda item: found[item].coordinate if item in found else None)
    # a message template using Python formatting beyond plain fields: formatted as written
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
    assert rule.message is not None, f"rule {rule.id}: a message carekpi words itself always has parts"
    return rule.message.format(**params)


__all__ = ["OP_WORDS", "V201", "V202", "RulesCheck", "rule_message"]


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
            message = rule_message(rule, env, ctx.labels, ctx.rtype, ctx.data.cells)
            if rule.generated:
                ctx.add(V202, message, item=rule.fields[0] if rule.fields else None, rule=rule.id)
                continue
            item = rule.fields[0] if rule.fields else None
            ctx.add(V201, message, severity=rule.severity, item=item, rule=rule.id)
