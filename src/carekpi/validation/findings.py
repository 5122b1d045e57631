"""Findings are data: one problem in one return, with a stable code, a severity and a place.

Renderers turn a :class:`ValidationReport` into text, JSON, CSV or annotations; nothing
here knows how it will be shown. The codes, with their titles and default severities, are
declared beside the checks that give them (:data:`carekpi.validation.checks.CODES`).

A provider may explain a warning (a figure a check queries that is right) on the template's
Explanations sheet: the item, the finding's code, the explanation. The report keeps the
explanations by (item, code) and every warning or information finding with that item and code,
whichever check gives it (validation's own, or a query added later, say by comparing a market
of returns: :meth:`ValidationReport.add`), carries the explanation: it stays in the report,
shown as explained in every format, and no longer fails ``--strict``. An error cannot be
explained: it keeps failing the return.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from dataclasses import field as dc_field
from typing import Any

from carekpi.base.enums import SEVERITY_ORDER, Severity


@dataclass(frozen=True)
class Detail:
    """One of the things a finding stands for (each item of a workbook that is not a return):
    listed in JSON, and in text only when asked (``carekpi validate --verbose``)."""

    field: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "message": self.message}


@dataclass(frozen=True)
class Finding:
    """One problem or note about a return: its code, severity and message, and the item, sheet and cell it is about."""

    code: str
    severity: Severity
    message: str
    field: str | None = None
    sheet: str | None = None
    cell: str | None = None
    rule: str | None = None
    #: position used for sorting: (sheet index, row, column); not part of the output
    order: tuple[int, int, int] = dc_field(default=(0, 0, 0), compare=False, repr=False)
    #: the provider's explanation (of a warning or information; never of an error)
    explanation: str | None = None
    #: what a finding that stands for many things stands for (V008: every item not found)
    details: tuple[Detail, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "severity", Severity(self.severity))  # accept "error" as well as Severity.error

    @property
    def explained(self) -> bool:
        return self.explanation is not None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "field": self.field,
            "sheet": self.sheet,
            "cell": self.cell,
        }
        if self.rule:
            out["rule"] = self.rule
        if self.explanation is not None:
            out["explained"] = True
            out["explanation"] = self.explanation
        if self.details:
            out["details"] = [d.to_dict() for d in self.details]
        return out

    def sort_key(self) -> tuple[Any, ...]:
        return (self.order, SEVERITY_ORDER[self.severity], self.code, self.field or "")


def explanation_key(item: str, code: str) -> tuple[str, str]:
    """How an explanation is looked up: the item's id and the finding's code, as written."""
    return item.strip(), code.strip().upper()


@dataclass(frozen=True)
class Explanation:
    """A provider's explanation of the finding ``code`` on ``item`` (from the Explanations sheet,
    at ``sheet``!``cell``)."""

    item: str
    code: str
    text: str
    sheet: str | None = None
    cell: str | None = None


@dataclass
class ValidationReport:
    """The result of validating one return: findings plus what the return says about itself."""

    file: str
    framework: str | None
    framework_version: str | None
    return_type: str | None = None
    provider: str | None = None
    cqc_location_id: str | None = None
    period: str | None = None
    findings: list[Finding] = dc_field(default_factory=list)
    #: the return read for scoring (None when the file could not be read)
    data: Any = None
    unreadable: str | None = None
    #: the provider's explanations, by :func:`explanation_key`
    explanations: dict[tuple[str, str], Explanation] = dc_field(default_factory=dict)

    def __post_init__(self) -> None:
        self.findings = [self.explain(f) for f in self.findings]

    def explain(self, finding: Finding) -> Finding:
        """``finding`` with the provider's explanation of it, if there is one (never for an error)."""
        if finding.severity == Severity.error or not finding.field or finding.explanation is not None:
            return finding
        hit = self.explanations.get(explanation_key(finding.field, finding.code))
        return finding if hit is None else replace(finding, explanation=hit.text)

    def add(self, finding: Finding) -> Finding:
        """Add a finding found after validation (a query from comparing returns, say), explained
        if the provider explained it."""
        finding = self.explain(finding)
        self.findings.append(finding)
        return finding

    @property
    def counts(self) -> dict[str, int]:
        """Findings by severity, and how many of them the provider explained."""
        c = {s.value: 0 for s in Severity}
        c["explained"] = 0
        for f in self.findings:
            c[f.severity.value] += 1
            c["explained"] += f.explained
        return c

    @property
    def unexplained_warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == Severity.warning and not f.explained)

    @property
    def valid(self) -> bool:
        return self.unreadable is None and self.counts["error"] == 0

    def passed(self, strict: bool = False) -> bool:
        """Valid, and under ``strict`` without a warning the provider has not explained."""
        return self.valid and not (strict and self.unexplained_warnings)

    def sorted_findings(self) -> list[Finding]:
        return sorted(self.findings, key=Finding.sort_key)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "file": self.file,
            "framework": self.framework,
            "framework_version": self.framework_version,
            "return_type": self.return_type,
            "provider": self.provider,
            "cqc_location_id": self.cqc_location_id,
            "period": self.period,
            "valid": self.valid,
            "findings": [f.to_dict() for f in self.sorted_findings()],
            "counts": self.counts,
        }
        if self.unreadable:
            out["unreadable"] = self.unreadable
        return out


@dataclass(frozen=True)
class ValidationTotals:
    """What a batch of validated files adds up to, defined once for every format: files
    (every file named or found), valid (read, no errors), invalid (read, with errors),
    unreadable (not read at all), and the findings of each severity in the files read."""

    files: int
    valid: int
    invalid: int
    unreadable: int
    errors: int
    warnings: int
    info: int

    @classmethod
    def of(cls, reports: list[ValidationReport]) -> ValidationTotals:
        read = [r for r in reports if r.unreadable is None]
        return cls(
            files=len(reports), valid=sum(1 for r in read if r.valid), invalid=sum(1 for r in read if not r.valid),
            unreadable=len(reports) - len(read), errors=sum(r.counts["error"] for r in read),
            warnings=sum(r.counts["warning"] for r in read), info=sum(r.counts["info"] for r in read),
        )

    def to_dict(self) -> dict[str, int]:
        return {"files": self.files, "valid": self.valid, "invalid": self.invalid, "unreadable": self.unreadable,
                "errors": self.errors, "warnings": self.warnings, "info": self.info}
