"""Find every item's cell (by defined name, else by label) and read what was typed in it."""

from __future__ import annotations

from carekpi.base.enums import Severity
from carekpi.framework.cover import cover_items
from carekpi.framework.model import Source
from carekpi.validation.checks.base import Check
from carekpi.validation.context import CheckContext, Code
from carekpi.workbook.coerce import Coerced, Note, coerce
from carekpi.workbook.reader import LabelIndex, RawCell, find_named_cell

V004 = Code("V004", "item found by its label because its defined name is missing", Severity.warning)
# what reading a typed value may find (carekpi.workbook.coerce gives these codes)
V102 = Code("V102", "value is not of the item's type", Severity.error)
V103 = Code("V103", "value accepted after correcting how it was typed", Severity.warning)
V104 = Code("V104", "value out of range", Severity.error)
V105 = Code("V105", "value is not a whole number", Severity.error)
V106 = Code("V106", "value is not one of the allowed answers", Severity.error)
V107 = Code("V107", "cell holds an Excel error value", Severity.error)
V108 = Code("V108", "formula cell has no calculated value", Severity.error)

#: the codes coercion gives, by code
COERCION_CODES = {c.code: c for c in (V102, V103, V104, V105, V106, V107)}


class ValuesCheck(Check):
    """Locate each cover and provider item's cell and type its value.

    Items found by neither name nor label are kept for the items check, which reports them
    once the service types are known (:mod:`carekpi.validation.checks.items`).
    """

    name = "values"
    codes = (V004, V102, V103, V104, V105, V106, V107, V108)

    def run(self, ctx: CheckContext) -> None:
        ctx.cover = cover_items(ctx.fw, ctx.rtype)
        ctx.body = [i for i in ctx.rtype.items() if i.source == Source.provider]
        ctx.labels = {i.id: i.label for i in ctx.cover + ctx.rtype.items()}
        ctx.labels.update({d.id: d.label for d in ctx.rtype.derived})
        found = self.locate(ctx)
        for item in ctx.cover + ctx.body:
            raw = found.get(item.id)
            if raw is None:
                continue
            if raw.data_type == "formula-uncached":
                why = (f"the formula {raw.formula} has no calculated value "
                       "(open the workbook in Excel, let it calculate, and save)")
                ctx.add(V108, f"{item.label}: {why}", item=item.id)
                # carry the error, so the cell is not also reported as missing (V101 / V301)
                ctx.coerced[item.id] = Coerced(None, (Note(V108.code, Severity.error, why),))
                continue
            c = coerce(item, raw.value, number_format=raw.number_format, data_type=raw.data_type)
            for note in c.notes:
                ctx.add(COERCION_CODES[note.code], f"{item.label}: {note.message}", severity=note.severity,
                        item=item.id)
            ctx.coerced[item.id] = c

    @staticmethod
    def locate(ctx: CheckContext) -> dict[str, RawCell]:
        items = ctx.cover + ctx.body
        section_sheet = {i.id: s.sheet for s in ctx.rtype.sections for i in s.all_items()}
        found: dict[str, RawCell] = {}
        missing = []
        for item in items:
            raw = find_named_cell(ctx.content, item.id)
            if raw is None:
                missing.append(item)
            else:
                found[item.id] = raw
        if missing:
            index = LabelIndex(ctx.content)
            used = {(r.sheet, r.coordinate) for r in found.values()}
            for item in missing:
                raw = index.find(item.label, section_sheet.get(item.id, "Cover"), used)
                if raw is None:
                    ctx.not_found.append(item)
                    continue
                used.add((raw.sheet, raw.coordinate))
                found[item.id] = raw
                ctx.add(V004, f"{item.label!r} found by its label because the cell named {item.id} is missing "
                              "(was the sheet copied into another workbook?)", item=item.id, raw=raw)
        for r in found.values():
            if r.formula:  # a formula is read for the value Excel last calculated
                r.value = r.cached
                if r.value is None:
                    r.data_type = "formula-uncached"
                elif isinstance(r.value, str) and r.value.startswith("#"):
                    r.data_type = "e"
        ctx.data.cells = found
        return found
