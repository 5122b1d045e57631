"""GitHub Actions workflow annotations (``::error file=...::message``)."""

from __future__ import annotations

from carekpi.errors import FrameworkProblem
from carekpi.findings import ValidationReport
from carekpi.render.base import Renderer

LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def _data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(s: str) -> str:
    return _data(s).replace(":", "%3A").replace(",", "%2C")


class GithubRenderer(Renderer):
    name = "github"

    def validation(self, reports: list[ValidationReport]) -> str:
        lines = []
        for rep in reports:
            if rep.unreadable:
                lines.append(f"::error file={_prop(rep.file)},title=unreadable::{_data(rep.unreadable)}")
            for f in rep.sorted_findings():
                where = f"{f.sheet}!{f.cell}: " if f.sheet and f.cell else ""
                lines.append(f"::{LEVEL[f.severity]} file={_prop(rep.file)},title={_prop(f.code)}::{_data(where + f.message)}")
        return "".join(line + "\n" for line in lines)

    def lint(self, problems: list[FrameworkProblem], files: list[str]) -> str:
        lines = []
        for p in problems:
            line = f",line={p.line}" if p.line else ""
            lines.append(f"::error file={_prop(p.file)}{line},title={_prop(p.code)}::{_data(p.message)}")
        return "".join(line + "\n" for line in lines)
