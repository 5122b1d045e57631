"""The renderer interface."""

from __future__ import annotations

from typing import TYPE_CHECKING

from carekpi.base.errors import UsageError

if TYPE_CHECKING:
    from carekpi.base.errors import FrameworkProblem
    from carekpi.scoring.engine import ScoreReport
    from carekpi.validation.findings import ValidationReport


class Unsupported(UsageError):
    pass


class Renderer:
    """Turns results into text (``str``) or, for binary formats, ``bytes``."""

    name = ""
    binary = False

    def validation(self, reports: list[ValidationReport]) -> str | bytes:
        raise Unsupported(f"--format {self.name} is not available for validate")

    def score(self, report: ScoreReport) -> str | bytes:
        raise Unsupported(f"--format {self.name} is not available for score")

    def lint(self, problems: list[FrameworkProblem], files: list[str]) -> str | bytes:
        raise Unsupported(f"--format {self.name} is not available for lint")
