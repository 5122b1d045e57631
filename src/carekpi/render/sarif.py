"""SARIF 2.1.0 for code-scanning tools."""

from __future__ import annotations

import json
from typing import Any

from carekpi import __version__
from carekpi.errors import FrameworkProblem
from carekpi.findings import CODES, ValidationReport
from carekpi.loader import FRAMEWORK_CODES
from carekpi.render.base import Renderer

LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def _log(rules: dict[str, str], results: list[dict[str, Any]]) -> str:
    used = sorted({r["ruleId"] for r in results})
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "carekpi", "version": __version__, "informationUri": "https://pypi.org/project/carekpi/",
                "rules": [{"id": c, "shortDescription": {"text": rules.get(c, c)}} for c in used],
            }},
            "results": results,
        }],
    }
    return json.dumps(doc, indent=2) + "\n"


class SarifRenderer(Renderer):
    name = "sarif"

    def lint(self, problems: list[FrameworkProblem], files: list[str]) -> str:
        results = []
        for p in problems:
            region = {"startLine": p.line} if p.line else {}
            loc: dict[str, Any] = {"artifactLocation": {"uri": p.file}}
            if region:
                loc["region"] = region
            results.append({"ruleId": p.code, "level": "error", "message": {"text": p.message},
                            "locations": [{"physicalLocation": loc}]})
        return _log(FRAMEWORK_CODES, results)

    def validation(self, reports: list[ValidationReport]) -> str:
        results = []
        for rep in reports:
            for f in rep.sorted_findings():
                where = f"{f.sheet}!{f.cell}: " if f.sheet and f.cell else ""
                results.append({
                    "ruleId": f.code, "level": LEVEL[f.severity], "message": {"text": where + f.message},
                    "locations": [{"physicalLocation": {"artifactLocation": {"uri": rep.file}}}],
                })
        return _log(CODES, results)
