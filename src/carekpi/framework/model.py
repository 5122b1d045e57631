"""The framework model: what a council asks providers to return, and how it is judged.

One YAML file under ``frameworks/`` is one :class:`Framework`. The model is
designed for every construct in the councils' schedules: several return types
with their own cadence and deadline, typed items (some supplied by the
commissioner, some applying only to certain service types), breakdown tables
that must reconcile with a headline figure, case-level record tables, derived
values and cross-field rules as expressions, and KPIs with band schemes
(thresholds, explicit ranges, met / not met, period-dependent trajectories,
answer mappings, peer-relative bands, or none).

Expressions are kept as text here; :mod:`carekpi.framework.loader` parses and checks
them (with YAML line numbers) and attaches the compiled forms.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from enum import Enum
from functools import cached_property
from typing import Any, Literal

from pydantic import Field, PrivateAttr, field_validator
from pydantic_core import PydanticCustomError

from carekpi.base.enums import Severity
from carekpi.framework.bands import AnyBandScheme
from carekpi.framework.kinds import KINDS, Kind, KpiKind
from carekpi.framework.periods import Cadence
from carekpi.framework.strict import Strict

# --- identifiers ---------------------------------------------------------------------------

_SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
_A1 = re.compile(r"^([a-z]{1,3})([0-9]+)$")
_R1C1 = re.compile(r"^r[0-9]*c?[0-9]*$|^c[0-9]*$")
MAX_EXCEL_COLUMN = 16384  # XFD
MAX_EXCEL_ROW = 1048576


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - ord("a") + 1)
    return n


def excel_name_problem(name: str) -> str | None:
    """Why Excel would reject ``name`` as a workbook defined name (None if it is fine).

    Field ids become defined names, so they must be snake_case and must not be
    readable as a cell reference: ``kpi1`` is column KPI row 1, ``abc123`` is
    column ABC row 123, and ``r1c1`` / ``r`` / ``c`` are R1C1 references.
    """
    if not _SNAKE.match(name):
        return "must be snake_case: a lower-case letter, then lower-case letters, digits or _"
    if len(name) > 255:
        return "is longer than Excel's 255-character limit for names"
    m = _A1.match(name)
    if m and _column_number(m.group(1)) <= MAX_EXCEL_COLUMN and 1 <= int(m.group(2)) <= MAX_EXCEL_ROW:
        return "reads as a cell reference in Excel (column letters then a row number)"
    if _R1C1.match(name):
        return "reads as an R1C1 cell reference in Excel"
    if name in ("true", "false"):
        return "is an Excel constant"
    return None


#: the pydantic error type of an id Excel would reject (the loader reports it as F004)
EXCEL_NAME_ERROR = "excel_name"


def _check_name(value: str) -> str:
    problem = excel_name_problem(value)
    if problem:
        raise PydanticCustomError(EXCEL_NAME_ERROR, "Value error, {text}", {"text": f"id {value!r} {problem}"})
    return value


# --- notes and tags -------------------------------------------------------------------------


class Note(Strict):
    """An interpretation of the source document, shown to users (``frameworks show``, template)."""

    title: str
    text: str
    source: str | None = Field(None, description="where in the source document the question arose")


Tags = dict[str, str | list[str]]


# --- items ----------------------------------------------------------------------------------


class FieldType(str, Enum):
    count = "count"  # type: ignore[assignment]  # a member named like str.count; whole number >= 0
    integer = "integer"
    number = "number"
    percentage = "percentage"  # stored 0-100 in carekpi; 95% typed in Excel is 0.95
    money = "money"
    date = "date"
    yes_no = "yes_no"
    yes_no_partial = "yes_no_partial"
    choice = "choice"
    text = "text"


#: the field types that hold figures
NUMERIC_TYPES = {FieldType.count, FieldType.integer, FieldType.number, FieldType.percentage, FieldType.money}


YES_NO_CHOICES = ["Yes", "No"]
YES_NO_PARTIAL_CHOICES = ["Yes", "Partial", "No"]


class Source(str, Enum):
    provider = "provider"
    commissioner = "commissioner"


class ItemField(Strict):
    """One data item a return carries (a cell in the template)."""

    id: str
    label: str
    type: FieldType
    ref: str | None = Field(None, description="the source document's own numbering, e.g. '1.2'")
    definition: str | None = None
    why: str | None = Field(None, description="the source's 'why are we collecting this?' text")
    source: Source = Source.provider
    from_register: Literal["due", "on_time"] | None = Field(
        None, description="a council-supplied count computed from the submissions register (--register): the "
                          "provider's returns due in the period ('due') or received by their deadline ('on_time')")
    required: bool = True
    applies_to: list[str] | None = Field(None, description="service type ids; default all")
    choices: list[str] | None = None
    min: Decimal | None = None
    max: Decimal | None = None
    help: str | None = Field(None, description="input message shown in Excel (default: the definition)")
    guidance: str | None = Field(None, description="how to count the item where the source leaves it open, in "
                                                   "carekpi's words: shown beside the source's definition in the "
                                                   "template and by `frameworks show`")
    required_when: str | None = Field(None, description="expression: a required item is required only when this is "
                                                        "true (evidence an answer makes irrelevant is not asked for)")
    tags: Tags = Field(default_factory=dict)
    notes: list[Note] = Field(default_factory=list)

    _check_id = field_validator("id")(classmethod(lambda cls, v: _check_name(v)))

    def definition_text(self) -> str | None:
        """The source's definition, then carekpi's guidance on counting (what the template shows)."""
        parts = [p for p in (self.definition, f"How to fill it in: {self.guidance}" if self.guidance else None) if p]
        return "\n".join(parts) or None

    def allowed_choices(self) -> list[str] | None:
        if self.type == FieldType.yes_no:
            return self.choices or YES_NO_CHOICES
        if self.type == FieldType.yes_no_partial:
            return self.choices or YES_NO_PARTIAL_CHOICES
        return self.choices

    def bounds(self) -> tuple[Decimal | None, Decimal | None]:
        lo, hi = self.min, self.max
        if self.type == FieldType.count and lo is None:
            lo = Decimal(0)
        if self.type == FieldType.percentage:
            lo = Decimal(0) if lo is None else lo
            hi = Decimal(100) if hi is None else hi
        if self.type == FieldType.money and lo is None:
            lo = Decimal(0)
        return lo, hi


class Category(Strict):
    id: str
    label: str


class Breakdown(Strict):
    """Fixed categories whose total must reconcile with a headline item.

    Each category becomes an item with id ``<breakdown id>_<category id>``.
    """

    id: str
    label: str
    total: str | None = Field(None, description="id of the headline item the categories add up to")
    reconcile: Literal["equal", "at_most"] = "equal"
    type: FieldType = FieldType.count
    categories: list[Category]
    definition: str | None = None
    why: str | None = None
    guidance: str | None = Field(None, description="how to count the categories (see the item field)")
    source: Source = Field(Source.provider, description="who supplies the categories (commissioner: council data)")
    required: bool = True
    applies_to: list[str] | None = None
    notes: list[Note] = Field(default_factory=list)

    _check_id = field_validator("id")(classmethod(lambda cls, v: _check_name(v)))

    def item_id(self, category: Category) -> str:
        return f"{self.id}_{category.id}"

    def items(self) -> list[ItemField]:
        return [
            ItemField(
                id=self.item_id(c),
                label=f"{self.label}: {c.label}",
                type=self.type,
                definition=self.definition,
                why=self.why,
                guidance=self.guidance,
                source=self.source,
                required=self.required,
                applies_to=self.applies_to,
            )
            for c in self.categories
        ]


class Column(Strict):
    """One column of a record table.

    ``reference: true`` marks a column of case references: a case log must never hold a
    person's name, so a value that looks like one (two or more capitalised words and no
    digit, e.g. "Jane Smith") is an error (V401) naming the cell.
    """

    id: str
    label: str
    type: FieldType
    required: bool = True
    choices: list[str] | None = None
    help: str | None = None
    reference: bool = Field(False, description="holds case references, never names (a name-like value is V401)")

    _check_id = field_validator("id")(classmethod(lambda cls, v: _check_name(v)))


class CaseLogComputes(Strict):
    """Figures carekpi computes from a case log, to check (and replace) the declared ones.

    Each row is one case: ``start`` is the date the clock starts (a referral received, a
    review due) and ``end`` the date it stops (the service user met; blank while not met).
    Both name date columns. carekpi counts working days after ``start`` up to and including
    ``end`` (weekends and England and Wales bank holidays excluded: a case received on
    Thursday 2 April 2026 and met on Thursday 9 April 2026 took 3 working days, Good Friday
    and Easter Monday falling between) and computes:

    * the cases on the log, compared with the item ``total`` (e.g. referrals due a response);
    * the cases met within ``within_working_days`` working days, compared with the item
      ``declared`` (e.g. referrals met within 5 working days); a case not met yet is not met
      in time;
    * optionally, the mean working days over the cases met, compared with the item
      ``average`` (at one decimal place).

    A case belongs to one reporting period, the one holding its deadline (``period:
    deadline``, the default: the start plus ``within_working_days`` working days) or its start
    (``period: start``). A row whose case belongs to another period than the return's is a V401
    error naming the row, and is left out of the figures, so that no case is counted twice or
    never.

    A difference is a V402 error naming the declared cell and the log sheet. When the log has
    rows, ``carekpi score`` uses the computed figures for every KPI built on these items and
    says so in the reason. Rows without a usable ``start`` (or with ``end`` before it) are
    V401 errors and are left out of the computation.
    """

    start: str = Field(..., description="date column id: when the clock starts")
    end: str = Field(..., description="date column id: when the case was met (blank: not yet)")
    within_working_days: int = Field(..., ge=0, description="the time limit in working days")
    declared: str = Field(..., description="item id: the declared count of cases met within the limit")
    total: str | None = Field(None, description="item id: the declared count of cases (rows of the log)")
    average: str | None = Field(None, description="item id: the declared mean working days over cases met")
    period: Literal["deadline", "start", "any"] = Field(
        "deadline", description="which date places a case in a reporting period: its deadline (start plus "
                                "within_working_days working days), its start, or any (not checked); a row "
                                "placed in another period than the return's is V401 and left out")


class RecordTable(Strict):
    """A case-level table (one row per referral, audit, review...) on a sheet of its own.

    With ``one_row_per: <item id>`` the table lists every case a headline count counts (one row
    per move into a care home counted in "moves into a care home"): a table whose rows do not
    add up to the figure is a V403 error, and KPIs built on the figure are not banded. With
    ``computes`` the table is a case log whose figures carekpi works out itself and compares
    with the figures the return declares (see :class:`CaseLogComputes`; its ``total`` is the
    same reconciliation for a case log).
    """

    id: str
    label: str
    sheet: str
    description: str | None = None
    columns: list[Column]
    max_rows: int = Field(500, ge=1, le=10000)
    required: bool = False
    applies_to: list[str] | None = None
    one_row_per: str | None = Field(None, description="item id of a count: the table has one row per case counted "
                                                      "in it, so its rows must add up to the figure (V403)")
    computes: CaseLogComputes | None = None
    notes: list[Note] = Field(default_factory=list)

    _check_id = field_validator("id")(classmethod(lambda cls, v: _check_name(v)))

    @cached_property
    def column_items(self) -> tuple[ItemField, ...]:
        """Each column as an item (what a row's cells are read and typed as), built once."""
        return tuple(ItemField(id=c.id, label=c.label, type=c.type, choices=c.choices, required=c.required)
                     for c in self.columns)


class Section(Strict):
    """A group of items as the source schedule groups them; sections sharing ``sheet`` stack."""

    id: str
    label: str
    sheet: str
    description: str | None = None
    applies_to: list[str] | None = None
    fields: list[ItemField] = Field(default_factory=list)
    breakdowns: list[Breakdown] = Field(default_factory=list)
    notes: list[Note] = Field(default_factory=list)

    def all_items(self) -> list[ItemField]:
        """Items in template order, breakdown categories expanded, section applicability applied."""
        return list(self.frozen_items)

    @cached_property
    def frozen_items(self) -> tuple[ItemField, ...]:
        """:meth:`all_items`, built once: the model is frozen, and validating and scoring ask for
        the items many times a return (a cached value is not a field: it is neither compared,
        dumped nor part of the schema)."""
        out = list(self.fields)
        for b in self.breakdowns:
            out.extend(b.items())
        if self.applies_to:
            out = [
                f if f.applies_to else f.model_copy(update={"applies_to": list(self.applies_to)})
                for f in out
            ]
        return tuple(out)


class Derived(Strict):
    """A named value computed from items (usable in KPIs and rules like an item)."""

    id: str
    label: str
    expr: str
    notes: list[Note] = Field(default_factory=list)

    _check_id = field_validator("id")(classmethod(lambda cls, v: _check_name(v)))


class Rule(Strict):
    """A cross-field check. ``check`` must hold; a message template may use ``{left}``,
    ``{right}``, ``{left_label}``, ``{right_label}``, ``{op}`` (for a single comparison) and
    ``{<item id>}`` / ``{<item id>_label}`` for any item the rule names."""

    id: str
    check: str
    severity: Severity = Severity.error
    message: str | None = None
    when: str | None = Field(None, description="only check when this expression is true")
    applies_to: list[str] | None = None
    notes: list[Note] = Field(default_factory=list)

    # the template names the cell showing the rule's check check_<id>
    _check_id = field_validator("id")(classmethod(lambda cls, v: _check_name(v)))


class Deadline(Strict):
    """When a return is due, relative to the end of its period.

    * ``day_of_following_month``: day ``day`` of the month ``months_after`` months after
      the period's last month (Surrey: the 7th of the following month);
    * ``fixed``: a fixed day and month after the period ends (annual returns: 30 April);
    * ``days_after_period_end``: ``days`` calendar or working days after the period ends.

    ``not_working_day``: what happens when the date is a weekend or an England and Wales
    bank holiday (``previous`` working day, ``next`` working day, or ``keep``).
    """

    rule: Literal["day_of_following_month", "fixed", "days_after_period_end"]
    day: int | None = Field(None, ge=1, le=31)
    month: int | None = Field(None, ge=1, le=12)
    months_after: int = 1
    days: int | None = Field(None, ge=0)
    working_days: bool = False
    not_working_day: Literal["keep", "previous", "next"] = "keep"
    text: str | None = Field(None, description="the source's own wording")


class ReturnType(Strict):
    id: str
    label: str
    cadence: Cadence
    deadline: Deadline
    year_start_month: int = Field(4, ge=1, le=12, description="annual returns: first month of the year (April: financial year)")
    anchor: date | None = Field(None, description="four_weekly returns: the first day of period 1")
    description: str | None = None
    sections: list[Section]
    record_tables: list[RecordTable] = Field(default_factory=list)
    derived: list[Derived] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    notes: list[Note] = Field(default_factory=list)

    def items(self) -> list[ItemField]:
        return list(self.frozen_items)

    @cached_property
    def frozen_items(self) -> tuple[ItemField, ...]:
        """:meth:`items`, built once (see :attr:`Section.frozen_items`)."""
        return tuple(f for s in self.sections for f in s.frozen_items)

    def item(self, item_id: str) -> ItemField | None:
        return self.frozen_item_map.get(item_id)

    def item_map(self) -> dict[str, ItemField]:
        return dict(self.frozen_item_map)

    @cached_property
    def frozen_item_map(self) -> dict[str, ItemField]:
        return {f.id: f for f in self.frozen_items}


# --- KPIs and bands --------------------------------------------------------------------------


class Kpi(Strict):
    id: str
    label: str
    ref: str | None = Field(None, description="the source's own name, e.g. 'KPI 1'")
    return_type: str = Field(..., alias="return")
    kind: KpiKind
    numerator: str | None = None
    denominator: str | None = None
    value: str | None = Field(None, description="expression (value, count_target) or item id (compliance, rating)")
    unit: Literal["percent", "count", "money", "days", "answer"] | None = None
    precision: int | None = Field(None, ge=0, le=6)
    bands: AnyBandScheme
    critical: bool = False
    critical_when: list[str] = Field(default_factory=list, description="answers that are a critical failure")
    description: str | None = None
    applies_to: list[str] | None = None
    tags: Tags = Field(default_factory=dict)
    methodology: list[str] = Field(default_factory=list)
    consequences: list[str] = Field(default_factory=list)
    notes: list[Note] = Field(default_factory=list)

    _check_id = field_validator("id")(classmethod(lambda cls, v: _check_name(v)))

    @property
    def value_name(self) -> str:
        return f"kpi_{self.id}_value"

    @property
    def band_name(self) -> str:
        return f"kpi_{self.id}_band"

    @property
    def kind_def(self) -> Kind:
        """The registered :class:`~carekpi.framework.kinds.Kind` of this KPI."""
        return KINDS[self.kind.value]

    def effective_unit(self) -> str:
        return self.unit or self.kind_def.unit


class ServiceType(Strict):
    id: str
    label: str


class ConsecutiveRule(Strict):
    """A judgement the source makes over consecutive periods ("three consecutive periods late or
    missing will result in service failure")."""

    periods: int = Field(..., ge=2, description="how many consecutive periods")
    label: str = Field(..., description="what it is called, e.g. 'service failure'")
    text: str | None = Field(None, description="the source's own wording, with its reference")


class SubmissionRules(Strict):
    """What the source says about returns that are late or missing."""

    consequence: str | None = Field(None, description="the consequence of a late or missing return, as the source "
                                                      "says it")
    late_or_missing: ConsecutiveRule | None = Field(None, description="a judgement on consecutive periods late "
                                                                      "or missing")

    def describe(self) -> str | None:
        """What follows a late or missing return, in one paragraph (None: the source says nothing)."""
        parts = [self.consequence] if self.consequence else []
        rule = self.late_or_missing
        if rule is not None:
            parts.append(f"{rule.periods} consecutive periods of one return type late or missing: {rule.label}"
                         + (f" ({rule.text})" if rule.text else ""))
        return " ".join(p if p.endswith((".", ")")) else p + "." for p in parts) or None


class Plausibility(Strict):
    """When a return's figures are queried (a warning with the figures compared, never an error)."""

    max_change: Decimal | None = Field(None, gt=0, description="query a figure that moves by more than this share of "
                                                               "the provider's previous period (0.5: by half)")
    min_change: int = Field(10, ge=0, description="but not a move of fewer than this many (5 to 9 is no news)")
    deviations: Decimal = Field(Decimal(2), gt=0, description="query a KPI this many standard deviations from "
                                                              "the peer mean for the period")
    min_peers: int = Field(5, ge=3, description="the fewest peers for the standard-deviation query")


class Framework(Strict):
    """One council's performance monitoring framework."""

    id: str = Field(..., pattern=r"^[a-z][a-z0-9-]*$")
    name: str
    commissioner: str
    service: str
    source_document: str
    version: str
    effective_from: date
    effective_from_placeholder: bool = Field(False, description="the source is undated: effective_from is carekpi's "
                                                                "placeholder, said wherever the version is shown")
    precision: int = Field(1, ge=0, le=6, description="decimal places of percentages")
    description: str | None = None
    service_types: list[ServiceType] = Field(default_factory=list)
    cqc_registered: bool = Field(True, description="providers are CQC-registered locations: when false (a service "
                                                   "CQC does not regulate) the cover's CQC location ID is optional")
    contract_defaults: dict[str, Any] = Field(default_factory=dict)
    returns: list[ReturnType]
    kpis: list[Kpi] = Field(default_factory=list)
    submissions: SubmissionRules = Field(default_factory=SubmissionRules)
    consistent_failure: ConsecutiveRule | None = Field(
        None, description="the same KPI Red in this many consecutive periods (e.g. a payment deduction)")
    plausibility: Plausibility = Field(default_factory=Plausibility)
    notes: list[Note] = Field(default_factory=list)

    # set by the loader
    _path: str | None = PrivateAttr(None)
    _compiled: Any = PrivateAttr(None)
    # what carekpi works out from the framework once (the cover's items of each return type...):
    # see :meth:`memo`
    _memo: dict[Any, Any] = PrivateAttr(default_factory=dict)

    def memo(self, key: Any, make: Callable[[], Any]) -> Any:
        """``make()`` worked out once per framework (the model is frozen, so it cannot change);
        kept with the framework when it is pickled (to worker processes, to the cache)."""
        try:
            return self._memo[key]
        except KeyError:
            got = self._memo[key] = make()
            return got

    @property
    def path(self) -> str | None:
        return self._path

    def return_type(self, return_id: str | None = None) -> ReturnType:
        if return_id is None:
            return self.returns[0]
        for r in self.returns:
            if r.id == return_id:
                return r
        raise KeyError(return_id)

    def kpis_for(self, return_id: str) -> list[Kpi]:
        return [k for k in self.kpis if k.return_type == return_id]

    def kpi_precision(self, kpi: Kpi) -> int:
        if kpi.precision is not None:
            return kpi.precision
        return self.precision if kpi.effective_unit() == "percent" else 0

    def in_force_text(self) -> str:
        """When this version is in force, in words, saying when the date is a placeholder."""
        text = f"in force from {self.effective_from:%d %B %Y}"
        if self.effective_from_placeholder:
            text += " (a placeholder date: the source document is undated)"
        return text

    def all_notes(self) -> list[tuple[str, Note]]:
        """Every note with the place it is attached to, for ``frameworks show``."""
        out: list[tuple[str, Note]] = [("framework", n) for n in self.notes]
        for r in self.returns:
            out += [(f"return {r.id}", n) for n in r.notes]
            for s in r.sections:
                out += [(f"section {s.id}", n) for n in s.notes]
                for f in s.fields:
                    out += [(f"item {f.id}", n) for n in f.notes]
                for b in s.breakdowns:
                    out += [(f"breakdown {b.id}", n) for n in b.notes]
            for t in r.record_tables:
                out += [(f"table {t.id}", n) for n in t.notes]
            for d in r.derived:
                out += [(f"derived {d.id}", n) for n in d.notes]
            for rule in r.rules:
                out += [(f"rule {rule.id}", n) for n in rule.notes]
        for k in self.kpis:
            out += [(f"kpi {k.id}", n) for n in k.notes]
        return out
