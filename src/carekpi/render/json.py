"""JSON: stable keys, one object for one file."""

from __future__ import annotations

import json
from typing import Any

from carekpi.base.errors import FrameworkProblem
from carekpi.framework.loader import FRAMEWORK_CODES
from carekpi.render.base import Renderer
from carekpi.scoring.engine import ScoreReport
from carekpi.validation.findings import ValidationReport


def dumps(obj: Any) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n"


class JsonRenderer(Renderer):
    name = "json"

    def validation(self, reports: list[ValidationReport]) -> str:
        if len(reports) == 1:
            return dumps(reports[0].to_dict())
        return dumps([r.to_dict() for r in reports])

    def score(self, report: ScoreReport) -> str:
        return dumps(report.to_dict())

    def lint(self, problems: list[FrameworkProblem], files: list[str]) -> str:
        return dumps({
            "files": files,
            "valid": not problems,
            "problems": [
                {"file": p.file, "line": p.line, "code": p.code, "message": p.message,
                 "description": FRAMEWORK_CODES.get(p.code, "")}
                for p in problems
            ],
        })
