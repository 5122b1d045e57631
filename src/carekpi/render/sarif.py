"""SARIF 2.1.0 for code-scanning tools (GitHub code scanning, Azure DevOps, IDE viewers).

One run with carekpi as the driver; its ``rules`` are the codes used, each with its
description; every result names its rule (``ruleId`` and ``ruleIndex``) and the artifact.
Lint problems carry a region with the YAML line. A workbook has no lines, so a validation
finding names the sheet and cell as a logical location (``Sheet!C12``) and in its message.
"""

from __future__ import annotations

import json
from pathlib import PurePath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from carekpi.base.version import __version__
from carekpi.render.registry import RenderOptions, renders

if TYPE_CHECKING:
    from carekpi.framework.lint import LintResult
    from carekpi.validation.findings import ValidationReport

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {"error": "error", "warning": "warning", "info": "note"}
UNREADABLE = "unreadable"


def artifact_uri(path: str) -> str:
    """A file name as a SARIF URI: relative paths stay relative (forward slashes), absolute
    ones become ``file://`` URIs."""
    p = PurePath(path)
    if p.is_absolute():
        return p.as_uri()
    return quote(p.as_posix(), safe="/-._~")


def _log(descriptions: dict[str, str], results: list[dict[str, Any]]) -> str:
    used = sorted({r["ruleId"] for r in results})
    index = {code: i for i, code in enumerate(used)}
    for r in results:
        r["ruleIndex"] = index[r["ruleId"]]
    rules = [{"id": c, "name": c, "shortDescription": {"text": descriptions.get(c, c)}} for c in used]
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "carekpi", "version": __version__, "informationUri": "https://pypi.org/project/carekpi/",
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


@renders("sarif", "lint")
def lint(result: LintResult, options: RenderOptions) -> str:
    from carekpi.framework.lint import FRAMEWORK_CODES  # loads the framework model: only when rendering

    problems = result.problems
    results = []
    for p in problems:
        loc: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(p.file)}}
        if p.line:
            loc["region"] = {"startLine": p.line}
        results.append({"ruleId": p.code, "level": "error", "message": {"text": p.message},
                        "locations": [{"physicalLocation": loc}]})
    return _log(FRAMEWORK_CODES, results)


@renders("sarif", "validation")
def validation(reports: list[ValidationReport], options: RenderOptions) -> str:
    from carekpi.validation.checks import CODES  # loads the checks: only when rendering

    results: list[dict[str, Any]] = []
    for rep in reports:
        artifact = {"physicalLocation": {"artifactLocation": {"uri": artifact_uri(rep.file)}}}
        if rep.unreadable:
            results.append({"ruleId": UNREADABLE, "level": "error", "message": {"text": rep.unreadable},
                            "locations": [artifact]})
        for f in rep.sorted_findings():
            location: dict[str, Any] = {"physicalLocation": artifact["physicalLocation"]}
            where = f"{f.sheet}!{f.cell}" if f.sheet and f.cell else ""
            if where:
                location["logicalLocations"] = [{"name": f.cell, "fullyQualifiedName": where}]
            result: dict[str, Any] = {
                "ruleId": f.code, "level": LEVEL[f.severity],
                "message": {"text": f"{where}: {f.message}" if where else f.message},
                "locations": [location],
            }
            props = {k: v for k, v in (("sheet", f.sheet), ("cell", f.cell), ("field", f.field),
                                       ("rule", f.rule)) if v}
            if props:
                result["properties"] = props
            if f.explanation is not None:
                # SARIF's own word for a result that stays in the log, accepted with a justification
                result["suppressions"] = [{"kind": "external", "status": "accepted", "justification": f.explanation}]
            results.append(result)
    return _log({**CODES, UNREADABLE: "workbook cannot be read"}, results)
