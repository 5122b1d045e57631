"""``carekpi template --check``: each workbook's drift from the template generated now, as
text, JSON or GitHub annotations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from carekpi.render.github import annotation
from carekpi.render.json import dumps
from carekpi.render.registry import RenderOptions, renders

if TYPE_CHECKING:
    from carekpi.workbook.drift import Drift, TemplateCheck

REGENERATE = "carekpi template --framework ID -o FILE"


def render_drift(drifts: list[Drift] | tuple[Drift, ...], filename: str, regenerate: str | None = None) -> str:
    """One workbook's drifts, then a one-line verdict."""
    if not drifts:
        return f"{filename}: matches the template the framework generates now (no drift).\n"
    n = len(drifts)
    lines = [f"{filename}: {n} difference{'s' if n != 1 else ''} from the template the framework generates now:"]
    width = min(max(len(d.location) for d in drifts), 40)
    for d in drifts:
        lines.append(f"  {d.location:<{width}}  {d.kind:<20} {d.message}")
    lines.append(f"Regenerate it with: {regenerate or REGENERATE} (then commit or circulate the new file).")
    return "\n".join(lines) + "\n"


@renders("text", "drift")
def drift_text(checks: list[TemplateCheck], options: RenderOptions) -> str:
    """Every checked workbook (those that could not be checked are reported as errors)."""
    return "".join(render_drift(c.drifts, c.file, c.regenerate) for c in checks if c.error is None)


@renders("json", "drift")
def drift_json(checks: list[TemplateCheck], options: RenderOptions) -> str:
    return dumps({"files": [c.to_dict() for c in checks],
                  "drift": any(c.drifts for c in checks), "errors": sum(1 for c in checks if c.error)})


@renders("github", "drift")
def drift_github(checks: list[TemplateCheck], options: RenderOptions) -> str:
    lines = []
    for c in checks:
        if c.error is not None:
            lines.append(annotation("error", c.error, file=c.file, title="cannot check"))
        for d in c.drifts:
            lines.append(annotation("error", f"{d.location}: {d.message}", file=c.file, title=f"template drift: {d.kind}"))
    return "".join(line + "\n" for line in lines)
