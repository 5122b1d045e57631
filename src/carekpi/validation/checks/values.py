"""Find every item's cell (by defined name, else by label) and read what was typed in it."""

from __future__ import annotations

from carekpi.base.enums import Severity
from carekpi.framework.cover import COVER_SHEET, PERIOD_ITEM, cover_items, month_names_period
from carekpi.framework.messages import labels_for
from carekpi.framework.model import Source
from carekpi.validation.checks.base import Check
from carekpi.validation.context import CheckContext, Code
from carekpi.validation.findings import Detail
from carekpi.workbook.coerce import Coerced, Note, coerce
from carekpi.workbook.reader import LabelIndex, RawCell, find_named_cell

V004 = Code("V004", "item found by its label because its defined name is missing", Severity.warning)
V008 = Code("V008", "workbook is not a return of this framework: none of its items was found", Severity.error)
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
    codes = (V004, V008, V102, V103, V104, V105, V106, V107, V108)

    def run(self, ctx: CheckContext) -> None:
        ctx.cover = cover_items(ctx.fw, ctx.rtype)
        ctx.body = [i for i in ctx.rtype.items() if i.source == Source.provider]
        ctx.labels = labels_for(ctx.fw, ctx.rtype)
        found = self.locate(ctx)
        if ctx.body and not any(i.id in found for i in ctx.body):
            self.not_a_return(ctx)
            return
        month_is_period = month_names_period(ctx.rtype)
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
            c = coerce(item, raw.value, number_format=raw.number_format, data_type=raw.data_type,
                       period=month_is_period and item.id == PERIOD_ITEM)
            for note in c.notes:
                ctx.add(COERCION_CODES[note.code], f"{item.label}: {note.message}", severity=note.severity,
                        item=item.id)
            ctx.coerced[item.id] = c

    @staticmethod
    def not_a_return(ctx: CheckContext) -> None:
        """None of the return's own items is in the workbook, by name or by label: one finding
        (V008) listing every item not found, in place of one V005 each, and no further checks
        (every one of them would only repeat that the items are missing)."""
        missing = ctx.not_found
        looked_for = len(ctx.cover) + len(ctx.body)
        what = (f"none of the {looked_for} items was found" if len(missing) == looked_for else
                f"none of the {len(ctx.body)} items of the {ctx.rtype.label.lower()} was found")
        sheets = _sheets(ctx)
        kind = ctx.fw.id if len(ctx.fw.returns) == 1 else f"{ctx.fw.id} {ctx.rtype.id}"
        ctx.add(V008, f"this workbook is not a {kind} return: {what} by name or label; "
                      f"is it the right file, made from the {kind} template?",
                details=tuple(Detail(i.id, f"{i.label!r} ({i.id}) on the sheet {sheets.get(i.id, COVER_SHEET)!r}")
                              for i in missing))
        ctx.not_found = []
        ctx.stopped = True

    @staticmethod
    def locate(ctx: CheckContext) -> dict[str, RawCell]:
        items = ctx.cover + ctx.body
        section_sheet = _sheets(ctx)
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
                raw = index.find(item.label, section_sheet.get(item.id, COVER_SHEET), used)
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


def _sheets(ctx: CheckContext) -> dict[str, str]:
    """The sheet each item of the return is on (cover items: the Cover sheet)."""
    return {i.id: s.sheet for s in ctx.rtype.sections for i in s.all_items()}
