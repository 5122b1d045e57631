"""The provider's items: required answers, items that do not apply, items not in the workbook."""

from __future__ import annotations

from carekpi.base.enums import Severity
from carekpi.validation.checks.base import Check
from carekpi.validation.context import CheckContext, Code
from carekpi.workbook.coerce import quoted

V005 = Code("V005", "item not found in the workbook", Severity.error)
V101 = Code("V101", "required value missing", Severity.error)
V109 = Code("V109", "value given for an item that does not apply to this provider", Severity.info)

_NUMERIC = ("count", "integer", "number", "money", "percentage")


class ItemsCheck(Check):
    """Runs after the cover check, which reads the service types this check needs."""

    name = "items"
    codes = (V005, V101, V109)

    def run(self, ctx: CheckContext) -> None:
        d = ctx.data
        # V005 is an error only where the item is required and applies to the services the
        # provider delivers (a live-in care sheet left out by a home-based care provider is not)
        for item in ctx.not_found:
            severity = Severity.error if item.required and d.applies(item.applies_to) else Severity.warning
            ctx.add(V005, f"{item.label!r} ({item.id}) is not in the workbook: no cell has that name and no cell "
                          "has that label", severity=severity, item=item.id)
        blank = []
        for item in ctx.body:
            c = ctx.coerced.get(item.id)
            if c is None:
                d.values[item.id] = None
                continue
            if not d.applies(item.applies_to):
                if c.value is not None:
                    ctx.add(V109, f"{item.label}: ignored, because it applies only to "
                                  f"{_services(ctx, item.applies_to)}", item=item.id)
                d.values[item.id] = None
                continue
            d.values[item.id] = c.value
            error = next((n for n in c.notes if n.severity == Severity.error), None)
            if error is not None:
                d.invalid[item.id] = error.message
            if c.value is None and item.required and error is None:
                blank.append((item, c))
        conditions = ctx.comp.required_when
        env = ctx.comp.evaluation_env(d.values) if conditions else {}
        for item, c in blank:
            condition = conditions.get(item.id)
            # required unless the condition is known to be false (an unanswered condition keeps it required)
            if condition is not None and condition.evaluate(env) is False:
                continue
            hint = none_hint(item.type.value)
            if c.shown:
                ctx.add(V101, f"{item.label}: {quoted(c.shown)} is not an answer; a value is required{hint}",
                        item=item.id)
            else:
                ctx.add(V101, f"{item.label} is required{hint}", item=item.id)


def none_hint(field_type: str) -> str:
    """How to report none, for a figure left blank (or answered '-', 'n/a')."""
    return " (enter 0 if there were none)" if field_type in _NUMERIC else ""


def _services(ctx: CheckContext, ids: list[str] | None) -> str:
    labels = [s.label for s in ctx.fw.service_types if s.id in (ids or [])]
    return " or ".join(labels) or "other services"
