"""Findings are data: one problem in one return, with a stable code, a severity and a place.

Renderers turn a :class:`ValidationReport` into text, JSON, CSV or annotations; nothing
here knows how it will be shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}

#: Stable validation codes. The code names the check; the message is rendered from the
#: check's own parameters. Documented in the README.
CODES: dict[str, str] = {
    "V001": "workbook has no carekpi metadata (not made from a carekpi template)",
    "V002": "workbook was made from a different framework version",
    "V003": "workbook layout differs from the template (fingerprint)",
    "V004": "item found by its label because its defined name is missing",
    "V005": "item not found in the workbook",
    "V006": "workbook contains macros (not run)",
    "V007": "workbook structure warning (hidden sheet, huge dimension...)",
    "V101": "required value missing",
    "V102": "value is not of the item's type",
    "V103": "value accepted after correcting how it was typed",
    "V104": "value out of range",
    "V105": "value is not a whole number",
    "V106": "value is not one of the allowed answers",
    "V107": "cell holds an Excel error value",
    "V108": "formula cell has no calculated value",
    "V109": "value given for an item that does not apply to this provider",
    "V201": "cross-field rule not met",
    "V202": "breakdown does not add up to its headline figure",
    "V301": "reporting period missing or not a valid date",
    "V302": "reporting period is in the future",
    "V303": "reporting period has not ended yet",
    "V304": "service types delivered not stated",
    "V305": "CQC location ID is not in the usual form",
    "V306": "submission deadline",
    "V401": "case log row problem",
    "V402": "case log disagrees with the declared figure",
}


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    message: str
    field: str | None = None
    sheet: str | None = None
    cell: str | None = None
    rule: str | None = None
    #: position used for sorting: (sheet index, row, column); not part of the output
    order: tuple[int, int, int] = dc_field(default=(0, 0, 0), compare=False, repr=False)

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
        return out

    def sort_key(self) -> tuple[Any, ...]:
        return (self.order, SEVERITY_ORDER.get(self.severity, 9), self.code, self.field or "")


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

    @property
    def counts(self) -> dict[str, int]:
        c = {"error": 0, "warning": 0, "info": 0}
        for f in self.findings:
            c[f.severity] = c.get(f.severity, 0) + 1
        return c

    @property
    def valid(self) -> bool:
        return self.unreadable is None and self.counts["error"] == 0

    def passed(self, strict: bool = False) -> bool:
        return self.valid and not (strict and self.counts["warning"])

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
