"""What the checks share while one return is validated, and what validation hands to scoring.

:class:`CheckContext` holds the workbook, the framework and return type, the findings so far
and the :class:`ReturnData` being built; each check reads it and adds to it in turn.
:class:`ReturnData` is the return as read and typed: what scoring works from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any

from carekpi.base.enums import Severity
from carekpi.base.rounding import round_half_away
from carekpi.framework.compiled import CompiledReturn, compiled
from carekpi.framework.expr import to_number
from carekpi.framework.model import Framework, ItemField, ReturnType
from carekpi.framework.periods import Period
from carekpi.validation.findings import Detail, Explanation, Finding
from carekpi.workbook.coerce import Coerced
from carekpi.workbook.reader import RawCell, WorkbookContent


@dataclass(frozen=True)
class Code:
    """A validation code, declared beside the check that gives it.

    ``severity`` is the default; None means the framework decides (a rule's own severity).
    """

    code: str
    title: str
    severity: Severity | None


@dataclass
class ComputedFigure:
    """One declared item as carekpi computed it from a case log."""

    item: str
    label: str
    value: Fraction
    declared: Any
    table: str
    sheet: str
    explanation: str
    places: int | None = None  # compare at this many decimal places (None: exactly)

    @property
    def differs(self) -> bool:
        d = to_number(self.declared)
        if d is None:
            return True
        if self.places is None:
            return d != self.value
        return round_half_away(d, self.places) != round_half_away(self.value, self.places)

    def shown(self) -> str:
        if self.value.denominator == 1:
            return str(self.value.numerator)
        return format(round_half_away(self.value, self.places or 1).normalize(), "f")


@dataclass
class ReturnData:
    """A return as read and typed: what scoring works from."""

    framework: Framework
    rtype: ReturnType
    file: str
    values: dict[str, Any] = field(default_factory=dict)
    cells: dict[str, RawCell] = field(default_factory=dict)
    services: frozenset[str] | None = None
    period: Period | None = None
    provider_name: str | None = None
    cqc_location_id: str | None = None
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: declared items as computed from case logs, by item id
    computed: dict[str, ComputedFigure] = field(default_factory=dict)
    #: items whose cell holds something that is not a valid answer, with why ("'12 calls' is
    #: not a whole number"); their value is None, as for a blank cell, but they are not missing
    invalid: dict[str, str] = field(default_factory=dict)

    def applies(self, applies_to: list[str] | None) -> bool:
        if not applies_to or self.services is None:
            return True
        return bool(self.services & set(applies_to))

    @property
    def provider_key(self) -> str:
        return self.cqc_location_id or self.provider_name or Path(self.file).stem

    @property
    def compiled(self) -> CompiledReturn:
        return compiled(self.framework, self.rtype.id)


@dataclass
class CheckContext:
    """One return being validated: the checks read it and add findings and data to it."""

    content: WorkbookContent
    fw: Framework
    rtype: ReturnType
    today: date
    #: why this version of the framework was chosen (for V002)
    version_basis: str = "the version in force now"
    findings: list[Finding] = field(default_factory=list)
    data: ReturnData = field(init=False)
    #: labels of every item, cover item and derived value, by id
    labels: dict[str, str] = field(default_factory=dict)
    #: the cover's items and the provider's items, in the order they are read
    cover: list[ItemField] = field(default_factory=list)
    body: list[ItemField] = field(default_factory=list)
    #: what was typed in each item's cell, typed (items found in the workbook only)
    coerced: dict[str, Coerced] = field(default_factory=dict)
    #: items found neither by name nor by label (V005, once the service types are known)
    not_found: list[ItemField] = field(default_factory=list)
    #: the provider's explanations of findings, by (item, code)
    explanations: dict[tuple[str, str], Explanation] = field(default_factory=dict)
    #: set by a check that finds the rest pointless (the workbook is not a return at all):
    #: the checks after it do not run
    stopped: bool = False

    def __post_init__(self) -> None:
        self.data = ReturnData(self.fw, self.rtype, self.content.path)

    @property
    def comp(self) -> CompiledReturn:
        return compiled(self.fw, self.rtype.id)

    def add(self, code: Code, message: str, *, severity: Severity | None = None, item: str | None = None,
            raw: RawCell | None = None, rule: str | None = None, details: tuple[Detail, ...] = ()) -> None:
        """Record a finding of ``code`` (at its default severity unless given)."""
        level = severity or code.severity
        assert level is not None, f"{code.code} needs a severity"
        if raw is None and item is not None:
            raw = self.data.cells.get(item)
        self.findings.append(Finding(
            code=code.code, severity=level, message=message, field=item,
            sheet=raw.sheet if raw else None, cell=raw.coordinate if raw else None, rule=rule,
            order=raw.order if raw else (-1, 0, 0), details=details,
        ))
