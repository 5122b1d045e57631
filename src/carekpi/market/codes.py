"""What the market says about returns beyond each one's own validation: codes declared once.

M codes are about submissions (who sent what, and when), Q codes are plausibility queries (a
warning with the figures compared, which a provider can answer), J codes are judgements over
consecutive periods. The README documents each.
"""

from __future__ import annotations

from dataclasses import dataclass

from carekpi.base.enums import Severity
from carekpi.validation.context import Code

M101 = Code("M101", "a return (or register row) names no provider of the market", Severity.warning)
M102 = Code("M102", "a cover's provider name and CQC location ID name different providers", Severity.warning)
M103 = Code("M103", "a return is superseded by a resubmission received later", Severity.info)
M104 = Code("M104", "a return is for a period outside the provider's contract", Severity.warning)
M105 = Code("M105", "two returns for one period and no register dates to choose between them", Severity.error)
M106 = Code("M106", "the file name names another period than the cover", Severity.warning)
M107 = Code("M107", "a return expected for a period is missing", Severity.warning)
M108 = Code("M108", "a return was received after its deadline", Severity.warning)
Q201 = Code("Q201", "a figure moved by more than the framework's share from the previous period", Severity.warning)
Q202 = Code("Q202", "a KPI value is far from the peer mean for the period", Severity.warning)
J301 = Code("J301", "the same KPI Red in consecutive periods (the framework's consistent failure)", Severity.error)
J302 = Code("J302", "returns late or missing in consecutive periods (the framework's rule)", Severity.error)

#: every market code, in code order
MARKET_CODES: dict[str, Code] = {c.code: c for c in (M101, M102, M103, M104, M105, M106, M107, M108, Q201, Q202,
                                                     J301, J302)}


@dataclass(frozen=True)
class MarketFinding:
    """Something the market says about a provider, a return or a period."""

    code: Code
    message: str
    severity: Severity | None = None
    provider: str | None = None
    file: str | None = None
    period: str | None = None
    #: an item or KPI id the finding is about (plausibility queries)
    field: str | None = None
    #: the provider's explanation, from the return's Explanations sheet (a query only)
    explanation: str | None = None

    @property
    def level(self) -> Severity:
        return self.severity or self.code.severity or Severity.warning

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"code": self.code.code, "severity": self.level, "message": self.message,
                                  "provider": self.provider, "file": self.file, "period": self.period,
                                  "field": self.field}
        if self.explanation is not None:
            out["explained"] = True
            out["explanation"] = self.explanation
        return out

    def shown(self) -> str:
        """The message, with the provider's explanation where there is one."""
        return self.message + (f" (explained by the provider: {self.explanation})" if self.explanation else "")
