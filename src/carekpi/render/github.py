"""GitHub Actions workflow annotations (``::error file=...,line=...::message``).

Lint problems point at the framework file and YAML line, so GitHub shows them on the line
in a pull request. Validation findings point at the workbook (a binary file has no lines):
the annotation's title carries the code and the sheet and cell, and so does the message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from carekpi.render.registry import RenderOptions, renders

if TYPE_CHECKING:
    from carekpi.framework.lint import LintResult
    from carekpi.validation.findings import ValidationReport

LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def _data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(s: str) -> str:
    return _data(s).replace(":", "%3A").replace(",", "%2C")


def annotation(level: str, message: str, *, file: str, line: int | None = None, title: str | None = None) -> str:
    """One workflow command line (without the newline)."""
    props = [f"file={_prop(file)}"]
    if line:
        props.append(f"line={line}")
    if title:
        props.append(f"title={_prop(title)}")
    return f"::{level} {','.join(props)}::{_data(message)}"


@renders("github", "validation")
def validation(reports: list[ValidationReport], options: RenderOptions) -> str:
    lines = []
    for rep in reports:
        if rep.unreadable:
            lines.append(annotation("error", rep.unreadable, file=rep.file, title="unreadable"))
        for f in rep.sorted_findings():
            where = f"{f.sheet}!{f.cell}" if f.sheet and f.cell else ""
            title = f"{f.code} {where}" if where else f.code
            message = f"{where}: {f.message}" if where else f.message
            if f.explanation is not None:
                title += " (explained)"
                message += f" (explained by the provider: {f.explanation})"
            lines.append(annotation(LEVEL[f.severity], message, file=rep.file, title=title))
    return "".join(line + "\n" for line in lines)


@renders("github", "lint")
def lint(result: LintResult, options: RenderOptions) -> str:
    lines = [annotation("error", p.message, file=p.file, line=p.line, title=p.code) for p in result.problems]
    return "".join(line + "\n" for line in lines)
