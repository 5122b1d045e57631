"""The template's Checks sheet, planned: live formulas that show what ``carekpi validate`` will
say about the return while the provider types it.

Every required item and every cross-field rule of the return type (the framework's own and the
breakdowns carekpi generates) gets a result cell named ``check_<rule id>`` or
``check_required_<item id>`` (and ``check_services`` for the service types delivered). The cell
shows:

* ``OK`` when the check holds (or a rule's ``when`` does not);
* the finding's message, word for word, when it does not (the rule's message with the figures
  filled in, from :mod:`carekpi.framework.messages`; a required item's V101 message);
* :data:`WAITING` when a figure the rule uses is blank or not valid (carekpi does not judge the
  rule either); :data:`NOT_APPLICABLE` for a check of a service type the provider does not deliver;
  :data:`INVALID` for a required answer carekpi refuses (the item's own finding says why);
* :data:`DOUBT` when an answer it uses was typed in a way only carekpi reads (a figure typed as
  text, ``Y`` for Yes, a space at either end of an answer): the sheet never guesses, so it never
  shows ``OK`` where carekpi would not.

How a formula reads an answer as carekpi does: each answer a check uses has a *reading* in hidden
helper columns, a status (:data:`VALUE`, :data:`BLANK`, :data:`NOTHING`, :data:`REFUSED`,
:data:`DOUBTFUL`) and the value carekpi reads. Expressions become formulas that keep carekpi's
"unknown" (:func:`carekpi.framework.expr.to_excel_tri`). A rule no formula can judge exactly
(division, decimal figures, dates, free text compared: see ``to_excel_tri``) is listed as
checked by carekpi validate, with the reason, and so are the case logs (working days).

Everything here is planned without openpyxl: the rows, names and formulas are part of what a
provider's workbook must match (the layout's fingerprint).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from carekpi.base.enums import Severity
from carekpi.framework.compiled import CompiledReturn, CompiledRule
from carekpi.framework.cover import (
    SERVICES_CHECK_NAME,
    cover_items,
    required_check_name,
    rule_check_name,
    service_item_id,
)
from carekpi.framework.expr import (
    NotInSpreadsheet,
    Tri,
    all_of,
    any_of,
    excel_string,
    to_excel_tri,
    when,
)
from carekpi.framework.messages import OP_WORDS, Part, breakdown_of, rule_message_parts
from carekpi.framework.model import NUMERIC_TYPES, FieldType, Framework, ItemField, ReturnType, Source
from carekpi.workbook.coerce import NOTHING

OK = "OK"
WAITING = "Waiting for the figures it checks"
NOT_APPLICABLE = "Does not apply to the services you deliver"
DOUBT = ("Checked by carekpi validate: an answer this check uses was typed in a way only carekpi reads "
         "(such as a figure typed as text)")
INVALID = "Not a valid answer: correct it (carekpi validate says why)"
VALIDATE_ONLY = "Checked by carekpi validate"
COUNCIL_ONLY = "Not checked in the return: it uses figures the council supplies"

#: the Status column
STATUS_OK, STATUS_WAITING, STATUS_NA, STATUS_VALIDATE = "OK", "Waiting", "Does not apply", "carekpi validate"
STATUS_COUNCIL = "Council data"
STATUS_ERROR, STATUS_WARNING, STATUS_EXPLAINED = "Error", "Warning", "Explained"

#: a reading's status: carekpi reads a value; blank; a word meaning "nothing" ('n/a', '-');
#: an answer carekpi refuses (an error of its own); typed in a way only carekpi reads; an item
#: of a service type the provider does not deliver (carekpi ignores what it holds)
VALUE, BLANK, NOTHING_WORD, REFUSED, DOUBTFUL, IGNORED = "v", "b", "n", "x", "d", "o"

#: code points Python's str.strip() removes above 32 (carekpi strips them from typed answers),
#: and the zero-width characters carekpi removes anywhere
_WHITESPACE = (133, 160, 5760, *range(8192, 8203), 8232, 8233, 8239, 8287, 12288)
_ZERO_WIDTH = (8203, 8204, 8205, 8288, 65279)
#: the first and last date serial numbers read as dates the same way by carekpi and a spreadsheet
#: (1 March 1900, after the spreadsheet's phantom 29 February 1900; 31 December 2199)
_FIRST_SERIAL, _LAST_SERIAL = 61, 109573


def _safe_end(ch: str) -> str:
    """TRUE when character ``ch`` (a formula giving one character) is not one carekpi strips."""
    listed = ",".join(str(c) for c in _WHITESPACE)
    return f"AND(_xlfn.UNICODE({ch})>32,ISNA(MATCH(_xlfn.UNICODE({ch}),{{{listed}}},0)))"


def simple_text(ref: str) -> str:
    """TRUE when the text in ``ref`` is exactly what carekpi reads from it: nothing to strip at
    either end and no zero-width character anywhere."""
    no_zero_width = ",".join(f"ISERROR(FIND(_xlfn.UNICHAR({c}),{ref}))" for c in _ZERO_WIDTH)
    return (f"IF(LEN({ref})=0,FALSE(),AND({_safe_end(f'LEFT({ref},1)')},{_safe_end(f'RIGHT({ref},1)')},"
            f"{no_zero_width}))")


def nothing_word(ref: str, item: ItemField) -> str:
    """TRUE when the (simple) text in ``ref`` is a word carekpi reads as "nothing" for ``item``."""
    offered = {c.casefold() for c in item.allowed_choices() or []}
    words = sorted(w for w in NOTHING if w and w.casefold() not in offered)
    return any_of(*(f"EXACT(LOWER({ref}),{excel_string(w)})" for w in words))


def _number(x: object) -> str:
    s = format(x, "f")
    return s.rstrip("0").rstrip(".") if "." in s else s


def reading_status(ref: str, item: ItemField) -> str:
    """The formula of the status of the answer in ``ref``, as carekpi reads it for ``item``."""
    text_branch = f'IF(LEN({ref})=0,"{BLANK}",IF({simple_text(ref)},IF({nothing_word(ref, item)},"{NOTHING_WORD}",' \
                  f'"{{simple}}"),"{DOUBTFUL}"))'
    t = item.type
    head = f'IF(ISBLANK({ref}),"{BLANK}",IF(ISERROR({ref}),"{REFUSED}",'
    if t in NUMERIC_TYPES:
        lo, hi = item.bounds()
        scale = 100 if t == FieldType.percentage else 1
        conditions = [f"ABS({ref})<1000000000000000"]
        if t in (FieldType.count, FieldType.integer):
            conditions.append(f"{ref}=INT({ref})")
        if lo is not None:
            conditions.append(f"{ref}*{scale}>={_number(lo)}" if scale != 1 else f"{ref}>={_number(lo)}")
        if hi is not None:
            conditions.append(f"{ref}*{scale}<={_number(hi)}" if scale != 1 else f"{ref}<={_number(hi)}")
        number = f'IF({all_of(*conditions)},"{VALUE}","{REFUSED}")'
        # a spreadsheet may hold TRUE / FALSE as numbers: carekpi refuses them in a figure
        return (head + f'IF(ISLOGICAL({ref}),"{REFUSED}",IF(ISNUMBER({ref}),{number},'
                f'IF(ISTEXT({ref}),{text_branch.replace("{simple}", DOUBTFUL)},"{DOUBTFUL}")))))')
    if t == FieldType.date:
        number = (f'IF({ref}<1,"{REFUSED}",IF({ref}<{_FIRST_SERIAL},"{DOUBTFUL}",'
                  f'IF({ref}<{_LAST_SERIAL + 1},"{VALUE}","{REFUSED}")))')
        return (head + f'IF(ISLOGICAL({ref}),"{REFUSED}",IF(ISNUMBER({ref}),{number},'
                f'IF(ISTEXT({ref}),{text_branch.replace("{simple}", DOUBTFUL)},"{DOUBTFUL}")))))')
    choices = item.allowed_choices()
    if choices:
        exact = any_of(*(f"EXACT({ref},{excel_string(c)})" for c in choices))
        return head + f'IF(ISTEXT({ref}),IF({exact},"{VALUE}",{text_branch.replace("{simple}", DOUBTFUL)}),' \
                      f'"{DOUBTFUL}")))'
    # free text: any other value (a number, TRUE) is read as text
    return head + f'IF(ISTEXT({ref}),{text_branch.replace("{simple}", VALUE)},"{VALUE}")))'


def reading_value(ref: str, item: ItemField, status: str) -> str:
    """The formula of the value carekpi reads from ``ref`` (empty text unless the status is a value)."""
    value = f"{ref}*100" if item.type == FieldType.percentage else ref
    return f'IF({status}="{VALUE}",{value},"")'


def reading_kind(item: ItemField) -> tuple[str, tuple[str, ...] | None]:
    """What a reading holds for an expression: whole numbers, answers from a list, or other."""
    if item.type in (FieldType.count, FieldType.integer):
        return "number", None
    choices = item.allowed_choices()
    if choices:
        return "text", tuple(choices)
    if item.type == FieldType.text:
        return "text", None
    return "other", None  # decimals, percentages, money and dates: only present() looks at them


class CouncilSupplied(NotInSpreadsheet):
    """A rule uses an item the council supplies: no return holds it, so neither the sheet nor
    carekpi validate checks the rule on a return."""


@dataclass(frozen=True)
class Reading:
    """One answer's reading, in the hidden helper columns: its status and value cells."""

    item: ItemField
    row: int
    status: str  # the status cell, e.g. $L$7
    value: str  # the value cell, e.g. $M$7
    status_formula: str
    value_formula: str


@dataclass(frozen=True)
class CheckRow:
    """One row of the Checks sheet."""

    row: int
    group: str  # "cover" | "rules" | "required" | "validate" | "council"
    what: str  # the check in words
    severity: Severity
    code: str  # the finding's code
    item: str | None  # the item the finding names (what an explanation names)
    #: the result cell's defined name and formula (None: checked by carekpi validate only)
    name: str | None = None
    formula: str | None = None
    #: the cell to go to
    goto: str | None = None
    #: the longest text the result cell can show (for its row height)
    longest: str = ""
    reason: str | None = None  # why a check is carekpi validate's only


#: the groups of checks, in the order the sheet shows them, with their titles
GROUPS = {
    "cover": "On the Cover",
    "rules": "Rules between figures",
    "required": "Figures and answers required",
    "validate": "Checked by carekpi validate only",
    "council": "Not checked in the return: they use figures the council supplies",
}


@dataclass
class ChecksPlan:
    rows: list[CheckRow] = field(default_factory=list)
    #: the row of each group's title
    titles: list[tuple[int, str]] = field(default_factory=list)
    readings: dict[str, Reading] = field(default_factory=dict)
    #: helper cells (row, what, formula) after the readings: the service types delivered
    helpers: list[tuple[int, str, str]] = field(default_factory=list)


#: the hidden helper columns of the Checks sheet: what is read, its status, its value
HELP_LABEL_COL, HELP_STATUS_COL, HELP_VALUE_COL = 11, 12, 13


class ChecksPlanner:
    """Plans the rows of the Checks sheet from ``first_row`` and the helper cells from row 1."""

    def __init__(self, fw: Framework, rtype: ReturnType, comp: CompiledReturn, labels: dict[str, str],
                 first_row: int, column: Callable[[int], str]):
        self.fw, self.rtype, self.comp, self.labels = fw, rtype, comp, labels
        self.first_row = first_row
        self.pending: list[CheckRow] = []
        self.col = column
        self.plan = ChecksPlan()
        self.helper_row = 1
        self.cover = cover_items(fw, rtype)
        self.items = {i.id: i for i in [*self.cover, *rtype.items()]}
        self._services: tuple[str, str, str] | None = None  # doubt, yes count, answered count

    # -- readings -------------------------------------------------------------------------------
    def reading(self, item_id: str) -> Reading:
        hit = self.plan.readings.get(item_id)
        if hit is not None:
            return hit
        item = self.items[item_id]
        status = reading_status(item.id, item)
        if item.applies_to and self.fw.service_types:
            # carekpi reads nothing from an item of a service type the provider does not deliver
            status = self.applies(item.applies_to, status, doubt=f'"{DOUBTFUL}"', otherwise=f'"{IGNORED}"')
        r = self.helper_row
        self.helper_row += 1
        status_cell = f"${self.col(HELP_STATUS_COL)}${r}"
        reading = Reading(item, r, status_cell, f"${self.col(HELP_VALUE_COL)}${r}", status,
                          reading_value(item.id, item, status_cell))
        self.plan.readings[item_id] = reading
        return reading

    def tri(self, name: str) -> Tri:
        """How an expression reads ``name``: an item's reading, or a derived value's expression."""
        if name in self.comp.derived:
            return to_excel_tri(self.comp.derived[name], self.tri)
        item = self.items.get(name)
        if item is None or item.source != Source.provider:
            raise CouncilSupplied(f"{self.labels.get(name, name)} is supplied by the council")
        r = self.reading(name)
        kind, choices = reading_kind(item)
        return Tri(f'{r.status}="{VALUE}"', r.value, kind, choices)

    def services(self) -> tuple[str, str, str]:
        """Helper cells: any service answer in doubt; how many say Yes; how many are answered."""
        if self._services is None:
            ids = [service_item_id(s.id) for s in self.fw.service_types]
            readings = [self.reading(i) for i in ids]
            cells = []
            for what, formula in (
                ("service types: in doubt", any_of(*(f'{r.status}="{DOUBTFUL}"' for r in readings))),
                ("service types: Yes", "+".join(f'AND({r.status}="{VALUE}",EXACT({r.value},"Yes"))*1' for r in readings)),
                ("service types: answered", "+".join(f'({r.status}="{VALUE}")*1' for r in readings)),
            ):
                row = self.helper_row
                self.helper_row += 1
                self.plan.helpers.append((row, what, formula))
                cells.append(f"${self.col(HELP_STATUS_COL)}${row}")
            self._services = (cells[0], cells[1], cells[2])
        return self._services

    def applies(self, applies_to: list[str] | None, inner: str, *, doubt: str | None = None,
                otherwise: str | None = None) -> str:
        """``inner`` where the service types ``applies_to`` apply (carekpi: every item and check
        applies while no service type is said to be delivered), else ``otherwise``; ``doubt``
        where a service type's answer is typed in a way only carekpi reads."""
        if not applies_to or not self.fw.service_types:
            return inner
        in_doubt, yes, _ = self.services()
        delivered = [self.reading(service_item_id(s)) for s in applies_to]
        applies = any_of(f"{yes}=0", *(f'AND({r.status}="{VALUE}",EXACT({r.value},"Yes"))' for r in delivered))
        return (f"IF({in_doubt},{doubt or excel_string(DOUBT)},IF({applies},{inner},"
                f"{otherwise or excel_string(NOT_APPLICABLE)}))")

    # -- rows -----------------------------------------------------------------------------------
    def add(self, **kw: object) -> None:
        self.pending.append(CheckRow(row=0, **kw))  # type: ignore[arg-type]

    def services_row(self) -> None:
        if not self.fw.service_types:
            return
        doubt, yes, answered = self.services()
        none_answered = ("say which service types you deliver (Yes or No for each) on the Cover sheet; until then "
                         "every item is treated as applying to you")
        none_delivered = "the Cover sheet says you deliver none of the service types"
        formula = (f'IF({doubt},{excel_string(DOUBT)},IF({answered}=0,{excel_string(none_answered)},'
                   f'IF({yes}=0,{excel_string(none_delivered)},"{OK}")))')
        first = service_item_id(self.fw.service_types[0].id)
        self.add(group="cover", what="Service types delivered: Yes or No for each", severity=Severity.error,
                 code="V304", item=first, name=SERVICES_CHECK_NAME, formula=formula, goto=first,
                 longest=max(none_answered, DOUBT, key=len))

    def required_row(self, item: ItemField, cover: bool) -> None:
        r = self.reading(item.id)
        label = item.label
        if item.id == "reporting_period":
            blank = shown = excel_string("the reporting period is missing: type a date in it")
            code = "V301"
        elif cover:
            blank = shown = excel_string(f"{label} is required")
            code = "V101"
        else:
            hint = " (enter 0 if there were none)" if item.type in NUMERIC_TYPES else ""
            blank = excel_string(f"{label} is required{hint}")
            # carekpi quotes what was typed as Python does ('n/a'): a word meaning nothing has no quote
            before, after = f"{label}: '", f"' is not an answer; a value is required{hint}"
            shown = f"{excel_string(before)}&{item.id}&{excel_string(after)}"
            code = "V101"
        inner = (f'IF({r.status}="{VALUE}","{OK}",IF({r.status}="{BLANK}",{blank},IF({r.status}="{NOTHING_WORD}",'
                 f'{shown},IF({r.status}="{REFUSED}",{excel_string(INVALID)},{excel_string(DOUBT)}))))')
        formula = inner if cover else self.applies(item.applies_to, inner)
        longest = max(f"{label}: 'not applicable' is not an answer; a value is required (enter 0 if there were none)",
                      DOUBT, key=len)
        self.add(group="cover" if cover else "required", what=f"Required: {label}", severity=Severity.error,
                 code=code, item=item.id, name=required_check_name(item.id), formula=formula, goto=item.id,
                 longest=longest)

    def rule_row(self, rule: CompiledRule) -> None:
        severity = Severity.error if rule.generated else rule.severity
        code = "V202" if rule.generated else "V201"
        item = rule.fields[0] if rule.fields else None
        what = self.rule_words(rule)
        try:
            formula, longest = self.rule_formula(rule)
        except CouncilSupplied as exc:
            self.add(group="council", what=what, severity=severity, code=code, item=item, goto=item,
                     longest=COUNCIL_ONLY, reason=f"{exc}")
            return
        except NotInSpreadsheet as exc:
            self.add(group="validate", what=what, severity=severity, code=code, item=item, goto=item,
                     longest=VALIDATE_ONLY, reason=f"{exc}")
            return
        self.add(group="rules", what=what, severity=severity, code=code, item=item, name=rule_check_name(rule.id),
                 formula=formula, goto=item, longest=longest)

    def rule_words(self, rule: CompiledRule) -> str:
        """What a rule checks, in words."""
        bd = breakdown_of(rule, self.rtype)
        if bd is not None:
            total = self.labels.get(bd.total or "", bd.total or "")
            return f"{bd.label}: the categories add up to {'no more than ' if bd.reconcile == 'at_most' else ''}{total}"
        comparison = rule.check.comparison
        if comparison:
            what = (f"{rule.check.side('left').in_words(self.labels)} must be {OP_WORDS[comparison[1]]} "
                    f"{rule.check.side('right').in_words(self.labels)}")
        else:
            what = rule.check.in_words(self.labels)
        if rule.when is not None:
            what += f", when {rule.when.in_words(self.labels)}"
        return what

    def rule_formula(self, rule: CompiledRule) -> tuple[str, str]:
        parts = rule_message_parts(rule, self.rtype, self.labels)
        if parts is None:
            raise NotInSpreadsheet("its message uses Python formatting")
        check = to_excel_tri(rule.check, self.tri)
        message, longest = self.message(parts)
        result = when(check.known, f'IF({check.value},"{OK}",{message})', excel_string(WAITING))
        if rule.when is not None:
            cond = to_excel_tri(rule.when, self.tri)
            result = when(cond.known, f'IF({cond.value},{result},"{OK}")', excel_string(WAITING))
        result = self.applies(rule.applies_to, result)
        names = set(rule.check.names) | (set(rule.when.names) if rule.when is not None else set())
        inputs = [self.reading(n) for n in self.comp.inputs(names)]
        doubt = any_of(*(f'{r.status}="{DOUBTFUL}"' for r in inputs))
        return when(doubt, excel_string(DOUBT), result), max(longest, DOUBT, key=len)

    def message(self, parts: tuple[Part, ...]) -> tuple[str, str]:
        """The formula of a message, and its longest likely text."""
        pieces: list[str] = []
        longest: list[str] = []
        for p in parts:
            if p.value is not None:
                t = to_excel_tri(p.value, self.tri)
                if t.kind == "number":
                    shown = f"{t.value}&\"\""
                elif t.kind == "bool":
                    shown = f'IF({t.value},"True","False")'
                elif t.kind == "text":
                    shown = t.value
                else:
                    raise NotInSpreadsheet("its message quotes a date or decimal figure")
                pieces.append(when(t.known, shown, '"blank"'))
                longest.append("0000000")
            elif p.cells:
                refs = [f"ADDRESS(ROW({c}),COLUMN({c}),4)" for c in p.cells]
                pieces.append(f'{refs[0]}&":"&{refs[-1]}' if p.span else refs[0])
                longest.append("AA1000:AA1000" if p.span else "AA1000")
            else:
                pieces.append(excel_string(p.text))
                longest.append(p.text)
        return "&".join(pieces) or '""', "".join(longest)

    def validate_only(self) -> None:
        """What only carekpi validate checks, listed so that nobody takes silence for OK."""
        for table in self.rtype.record_tables:
            if table.computes is None:
                what = f"{table.label}: each row (case references, never names; dates in order)"
                reason = "case logs are read row by row by carekpi validate"
            else:
                spec = table.computes
                declared = [self.labels.get(i, i) for i in (spec.total, spec.declared, spec.average) if i]
                what = f"{table.label}: agrees with {'; '.join(declared)}"
                reason = ("carekpi counts working days itself (weekends and England and Wales bank holidays "
                          "excluded), which a spreadsheet formula cannot do the same way")
            self.add(group="validate", what=what, severity=Severity.error, code="V401/V402", item=None,
                     longest=VALIDATE_ONLY, reason=reason)
        self.add(group="validate", what="The reporting period has ended and is not in the future", severity=Severity.error,
                 code="V302/V303", item="reporting_period", goto="reporting_period", longest=VALIDATE_ONLY,
                 reason="it depends on the day carekpi validate is run")
        self.add(group="validate", what="Every answer is of its item's type and typed as carekpi reads it "
                                        "(for example a figure typed as text)", severity=Severity.warning,
                 code="V102-V107", item=None, longest=VALIDATE_ONLY,
                 reason="carekpi reads and corrects what people type, and says what it corrected")

    def build(self) -> ChecksPlan:
        self.services_row()
        for item in self.cover:
            if item.required and item.source == Source.provider:
                self.required_row(item, cover=True)
        for rule in self.comp.rules:
            self.rule_row(rule)
        for item in self.rtype.items():
            if item.required and item.source == Source.provider:
                self.required_row(item, cover=False)
        self.validate_only()
        row = self.first_row
        for group, title in GROUPS.items():
            rows = [r for r in self.pending if r.group == group]
            if not rows:
                continue
            self.plan.titles.append((row, title))
            row += 1
            for r in rows:
                self.plan.rows.append(replace(r, row=row))
                row += 1
        return self.plan

