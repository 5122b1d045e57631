"""The messages of a return type's cross-field rules, as parts: written text, values and cells.

A rule's message (its own ``message`` template, or one carekpi words from the comparison) is
split once into :class:`Part` s. Validation fills them in with the return's values
(:func:`render_parts`: ``Calls late (12) must be at most Calls due (10)``); the template's
Checks sheet renders the same parts as an Excel formula, so the message a provider sees while
typing is the message ``carekpi validate`` gives. A breakdown that must add up to its headline
figure (a rule carekpi generates) has its message here too, naming the cells it covers.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from carekpi.framework.compiled import CompiledRule
from carekpi.framework.cover import cover_items
from carekpi.framework.expr import Expression, parse, show_value
from carekpi.framework.model import Breakdown, Framework, ReturnType

#: a comparison's operator in words, for the messages carekpi words itself
OP_WORDS = {"<=": "at most", "<": "less than", ">=": "at least", ">": "more than", "==": "equal to",
            "!=": "different from"}


@dataclass(frozen=True)
class Part:
    """One part of a message: written ``text``, or a ``value`` (an expression, shown as carekpi
    shows values), or where the items of ``cells`` are (one item: its cell, ``C9``; with ``span``,
    the cells from the first item found to the last, ``C9:C12``; ``?`` when none is in the
    workbook)."""

    text: str = ""
    value: Expression | None = None
    cells: tuple[str, ...] = ()
    span: bool = False


def labels_for(fw: Framework, rtype: ReturnType) -> dict[str, str]:
    """The label of every cover item, item and derived value of a return type, by id: what
    messages call them."""
    labels = {i.id: i.label for i in [*cover_items(fw, rtype), *rtype.items()]}
    labels.update({d.id: d.label for d in rtype.derived})
    return labels


def breakdown_of(rule: CompiledRule, rtype: ReturnType) -> Breakdown | None:
    """The breakdown a generated rule reconciles (None for the framework's own rules)."""
    if not rule.generated:
        return None
    return next((b for s in rtype.sections for b in s.breakdowns if f"{b.id}_reconciles" == rule.id), None)


def rule_message_parts(rule: CompiledRule, rtype: ReturnType, labels: Mapping[str, str]) -> tuple[Part, ...] | None:
    """The parts of the message of ``rule`` when it is not met, or None when its message template
    uses Python formatting beyond plain ``{name}`` fields (a format spec or conversion)."""
    bd = breakdown_of(rule, rtype)
    if bd is not None:
        return _breakdown_parts(bd, labels)
    fields: dict[str, Part] = {}
    for n in sorted(rule.check.names):
        fields[n] = Part(value=parse(n))
        fields[f"{n}_label"] = Part(text=labels.get(n, n))
    comparison = rule.check.comparison
    if comparison:
        left, right = rule.check.side("left"), rule.check.side("right")
        fields.update(left=Part(value=left), right=Part(value=right), left_label=Part(text=left.in_words(labels)),
                      right_label=Part(text=right.in_words(labels)), op=Part(text=comparison[1]))
    if rule.message:
        return _template_parts(rule.message, fields)
    if comparison:
        words = OP_WORDS[comparison[1]]
        return _joined([fields["left_label"], Part(text=" ("), fields["left"], Part(text=f") must be {words} "),
                        fields["right_label"], Part(text=" ("), fields["right"], Part(text=")")])
    return (Part(text=f"rule {rule.id} is not met: {rule.check.in_words(labels)}"),)


def _template_parts(template: str, fields: Mapping[str, Part]) -> tuple[Part, ...] | None:
    parts: list[Part] = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        return None
    for literal, name, spec, conversion in parsed:
        if literal:
            parts.append(Part(text=literal))
        if name is None:
            continue
        if spec or conversion or name not in fields:
            return None
        parts.append(fields[name])
    return _joined(parts)


def _breakdown_parts(bd: Breakdown, labels: Mapping[str, str]) -> tuple[Part, ...]:
    total = bd.total or ""
    categories = [bd.item_id(c) for c in bd.categories]
    added = parse(f"sum({', '.join(f'coalesce({c}, 0)' for c in categories)})" if categories else "0")
    relation = "add up to" if bd.reconcile == "equal" else "add up to no more than"
    return _joined([
        Part(text=f"{bd.label}: the categories in "), Part(cells=tuple(categories), span=True), Part(text=" add up to "),
        Part(value=added), Part(text=f", but they must {relation} {labels.get(total, total)} in "),
        Part(cells=(total,)), Part(text=" ("), Part(value=parse(total)), Part(text=")"),
    ])


def _joined(parts: list[Part]) -> tuple[Part, ...]:
    """Adjacent pieces of text joined into one part."""
    out: list[Part] = []
    for p in parts:
        if p.value is None and not p.cells and out and out[-1].value is None and not out[-1].cells:
            out[-1] = Part(text=out[-1].text + p.text)
        elif p.value is not None or p.cells or p.text:
            out.append(p)
    return tuple(out)


def render_parts(parts: tuple[Part, ...], env: Mapping[str, Any], cell: Callable[[str], str | None]) -> str:
    """A message with the return's values filled in. ``cell`` gives an item's cell coordinate
    (None when the item is not in the workbook)."""
    out: list[str] = []
    for p in parts:
        if p.value is not None:
            out.append(show_value(p.value.evaluate(env)))
        elif p.cells:
            found = [c for c in (cell(i) for i in p.cells) if c is not None]
            if not found:
                out.append("?")
            else:
                out.append(f"{found[0]}:{found[-1]}" if p.span else found[0])
        else:
            out.append(p.text)
    return "".join(out)
