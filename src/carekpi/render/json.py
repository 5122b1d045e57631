"""JSON: stable keys, one object for one file."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from carekpi.render.registry import RenderOptions, renders

if TYPE_CHECKING:
    from carekpi.framework.lint import LintResult
    from carekpi.scoring.results import ScoreReport
    from carekpi.validation.findings import ValidationReport


def dumps(obj: Any) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n"


@renders("json", "validation")
def validation(reports: list[ValidationReport], options: RenderOptions) -> str:
    if len(reports) == 1:
        return dumps(reports[0].to_dict())
    return dumps([r.to_dict() for r in reports])


@renders("json", "score")
def score(report: ScoreReport, options: RenderOptions) -> str:
    return dumps(report.to_dict())


@renders("json", "lint")
def lint(result: LintResult, options: RenderOptions) -> str:
    return dumps(result.to_dict())
