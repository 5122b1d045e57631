"""What scoring produces: a result per KPI per return, a score per return, a report per batch.

Results are immutable: each scoring pass (:mod:`carekpi.scoring.passes`) returns new ones.
A result's reason is composed: the reason for its band, then any notes later passes add
("computed by carekpi from the case log..."), never silently replaced.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from carekpi.base.enums import Band
from carekpi.validation.findings import Finding


def _num(x: Any) -> Any:
    if x is None:
        return None
    if isinstance(x, Fraction):
        return int(x) if x.denominator == 1 else float(x)
    if isinstance(x, Decimal):
        return int(x) if x == x.to_integral_value() and x.as_tuple().exponent == 0 else float(x)
    return x


@dataclass(frozen=True)
class KpiResult:
    kpi: str
    ref: str | None
    label: str
    unit: str
    band: Band
    #: why the KPI has its band (or has none)
    basis: str
    numerator: Fraction | None = None
    denominator: Fraction | None = None
    value: Decimal | str | None = None
    display: str = ""
    target: str | None = None
    critical: bool = False
    critical_failure: bool = False
    consequences: tuple[str, ...] = ()
    peers: tuple[str, ...] = ()
    #: what later passes add to the reason (where the figures came from...)
    notes: tuple[str, ...] = field(default=())

    @property
    def reason(self) -> str:
        """The reason in full: the basis of the band, then every note."""
        return self.basis + "".join(f"; {n}" for n in self.notes)

    def with_band(self, band: Band, basis: str, **changes: Any) -> KpiResult:
        """A new result with another band and basis; the notes stay."""
        return replace(self, band=band, basis=basis, **changes)

    def noted(self, note: str) -> KpiResult:
        return replace(self, notes=(*self.notes, note))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kpi": self.kpi, "ref": self.ref, "label": self.label, "unit": self.unit,
            "numerator": _num(self.numerator), "denominator": _num(self.denominator),
            "value": _num(self.value), "display": self.display, "target": self.target,
            "band": self.band, "reason": self.reason, "critical": self.critical,
            "critical_failure": self.critical_failure,
        }
        if self.consequences and self.band not in (Band.green, Band.na):
            out["consequences"] = list(self.consequences)
        if self.peers:
            out["peers"] = list(self.peers)
        return out


@dataclass(frozen=True)
class ReturnScore:
    file: str
    framework: str | None
    framework_version: str | None
    return_type: str | None
    provider: str | None
    cqc_location_id: str | None
    period: str | None
    valid: bool
    errors: int
    warnings: int
    kpis: tuple[KpiResult, ...] = ()
    unreadable: str | None = None
    #: why this return does not count (superseded, conflict, withdrawn...): not a peer, not in rolling totals
    excluded: str | None = None
    #: the return's errors (code, item, cell), in the order of the workbook: what "[1 error]" is
    error_findings: tuple[Finding, ...] = ()

    @property
    def counts(self) -> bool:
        """A valid return that counts: a peer for relative bands and part of rolling totals."""
        return self.valid and self.excluded is None and self.unreadable is None

    @property
    def peer_name(self) -> str:
        """How a return is named in a peer list: the provider, else its CQC location ID, else the file."""
        return self.provider or self.cqc_location_id or Path(self.file).name

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "file": self.file, "framework": self.framework, "framework_version": self.framework_version,
            "return_type": self.return_type, "provider": self.provider, "cqc_location_id": self.cqc_location_id,
            "period": self.period, "valid": self.valid, "errors": self.errors, "warnings": self.warnings,
            "kpis": [k.to_dict() for k in self.kpis],
        }
        if self.unreadable:
            out["unreadable"] = self.unreadable
        if self.excluded:
            out["excluded"] = self.excluded
        return out


@dataclass(frozen=True)
class ScoreReport:
    framework: str
    returns: tuple[ReturnScore, ...]
    source_note: str | None = None

    # The counts, defined once for every format (text summary, JSON summary):

    @property
    def files(self) -> int:
        """Every file named or found: the returns scored plus the unreadable files."""
        return len(self.returns)

    @property
    def scored(self) -> int:
        """Returns read and scored (valid or not): JSON ``summary.returns``."""
        return sum(1 for r in self.returns if not r.unreadable)

    @property
    def unreadable(self) -> int:
        """Files that could not be read as a return of the framework (not scored)."""
        return sum(1 for r in self.returns if r.unreadable)

    def band_counts(self) -> dict[str, int]:
        c = {b.value: 0 for b in Band}
        for r in self.returns:
            for k in r.kpis:
                c[k.band.value] += 1
        return c

    def to_dict(self) -> dict[str, Any]:
        return {
            "framework": self.framework,
            "returns": [r.to_dict() for r in self.returns],
            "summary": {"files": self.files, "returns": self.scored, "unreadable": self.unreadable,
                        "bands": self.band_counts()},
        }
