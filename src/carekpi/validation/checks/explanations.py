"""The provider's explanations of warnings, from the template's Explanations sheet.

Each row names an item (its id, or its label), a finding's code and the explanation. Runs last,
when every other check has given its findings: the report then marks each warning or information
finding with that item and code as explained (:class:`carekpi.validation.findings.ValidationReport`).
What carekpi says about the rows themselves is information, never a problem with the return:

* V501: a row without an item, a code or an explanation, or naming no item of the return;
* V502: an explanation of an error: an error cannot be explained, it must be corrected;
* V503: an explanation of a finding of carekpi validate's own (a V code) that the return does not
  have (codes of other checks, such as queries from comparing returns, may match later).
"""

from __future__ import annotations

import re
from typing import Any

from carekpi.base.enums import Severity
from carekpi.framework.cover import EXPLANATIONS_SHEET, EXPLANATIONS_TABLE
from carekpi.validation.checks.base import Check
from carekpi.validation.context import CheckContext, Code
from carekpi.validation.findings import Explanation, explanation_key
from carekpi.workbook.coerce import clean_text
from carekpi.workbook.reader import RawCell, read_table

V501 = Code("V501", "explanation row incomplete, or naming no item of the return", Severity.info)
V502 = Code("V502", "explanation of an error (an error must be corrected)", Severity.info)
V503 = Code("V503", "explanation of a finding the return does not have", Severity.info)

_VALIDATION_CODE = re.compile(r"^V\d{3}$")


def _text(raw: RawCell) -> str:
    value: Any = raw.value
    if value is None or (raw.formula is not None):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean_text(str(value))


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold().rstrip(":?.")


class ExplanationsCheck(Check):
    """Reads the Explanations sheet; runs after every check that gives findings."""

    name = "explanations"
    codes = (V501, V502, V503)

    def run(self, ctx: CheckContext) -> None:
        rows = read_table(ctx.content, EXPLANATIONS_TABLE, 3)
        if not rows:
            return
        ids = {i.id.casefold(): i.id for i in ctx.cover + ctx.rtype.items()}
        by_label = {_norm(label): item for item, label in ctx.labels.items() if item in ids.values()}
        where = EXPLANATIONS_SHEET
        first_cells: dict[tuple[str, str], RawCell] = {}
        for rownum, cells in rows:
            item_text, code_text, text = (_text(c) for c in cells[:3])
            first = cells[0]
            if not (item_text and code_text and text):
                missing = [what for what, v in (("the item", item_text), ("the finding's code", code_text),
                                                 ("the explanation", text)) if not v]
                ctx.add(V501, f"{where} row {rownum}: give {' and '.join(missing)}; the row explains nothing until "
                              "it has all three", raw=first)
                continue
            item = ids.get(item_text.casefold()) or by_label.get(_norm(item_text))
            if item is None:
                ctx.add(V501, f"{where} row {rownum}: {item_text[:60]!r} is not an item of this return: name the item "
                              "as the Checks sheet or carekpi's report does (e.g. its id)", raw=first)
                continue
            key = explanation_key(item, code_text)
            old = ctx.explanations.get(key)
            ctx.explanations[key] = Explanation(item, key[1], text if old is None else f"{old.text} / {text}",
                                                first.sheet, first.coordinate)
            first_cells.setdefault(key, first)
        for key, exp in ctx.explanations.items():
            matches = [f for f in ctx.findings if f.field == exp.item and f.code == exp.code]
            if any(f.severity == Severity.error for f in matches):
                ctx.add(V502, f"{exp.code} on {exp.item} is an error: an error cannot be explained; correct the "
                              "return", raw=first_cells[key])
            elif not matches and _VALIDATION_CODE.match(exp.code):
                ctx.add(V503, f"this return has no {exp.code} finding on {exp.item} to explain (check the item and "
                              "the code)", raw=first_cells[key])
