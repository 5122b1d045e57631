"""``carekpi diff``: a framework's changes as text, markdown (a pull-request comment or a
provider notice) or stable JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

from carekpi.render.registry import RenderOptions, plural, renders

if TYPE_CHECKING:
    from carekpi.framework.diff import Change, FrameworkDiff

_CATEGORY_TITLES = {
    "workbook": "Workbook changes",
    "deadline": "Deadline changes",
    "scoring": "Scoring changes",
    "documentation": "Documentation changes",
}
_CATEGORY_NOTES = {
    "workbook": "What providers fill in and how it is checked.",
    "deadline": "When returns are due.",
    "scoring": "These affect scoring: how KPIs are calculated or banded. "
    "They do not change the workbook.",
    "documentation": "Wording only.",
}


def _ordered(changes: Iterable[Change]) -> list[Change]:
    """Breaking changes first, otherwise in framework order."""
    return sorted(changes, key=lambda c: not c.breaking)


def _summary(diff: FrameworkDiff) -> str:
    n = len(diff.breaking)
    return (f"{n} breaking {'change' if n == 1 else 'changes'} for providers "
            f"({plural(len(diff.changes), 'change')} in all)")


def _heading(diff: FrameworkDiff, arrow: str) -> tuple[str, str]:
    o, n = diff.old, diff.new
    ident = n.id if o.id == n.id else f"{o.id} {arrow} {n.id}"
    if o.version == n.version:
        version = f"Framework {ident}, version {n.version} (unchanged)"
    else:
        version = f"Framework {ident}, version {o.version} {arrow} {n.version}"
    version += f", effective {n.effective_from.isoformat()}"
    if o.effective_from != n.effective_from:
        version += f" (was {o.effective_from.isoformat()})"
    return n.name, version


@renders("text", "diff")
def render_text(diff: FrameworkDiff, options: RenderOptions | None = None) -> str:
    """Plain text for a terminal: header, summary, then changes by category."""
    title, version = _heading(diff, "->")
    lines = [title, version]
    lines += [f"Warning: {w}." for w in diff.warnings]
    if not diff.changes:
        lines.append("No changes.")
        return "\n".join(lines) + "\n"
    lines.append(_summary(diff)[0].upper() + _summary(diff)[1:] + ".")
    for cat in diff.categories():
        changes = diff.in_category(cat)
        if not changes:
            continue
        lines += ["", f"{_CATEGORY_TITLES[cat]}:"]
        for c in _ordered(changes):
            mark = "BREAKING " if c.breaking else ""
            lines.append(f"  {mark}{c.kind} {c.path}")
            lines.append(f"    {c.message}")
    return "\n".join(lines) + "\n"


@renders("markdown", "diff")
def render_markdown(diff: FrameworkDiff, options: RenderOptions | None = None) -> str:
    """Markdown for a pull-request comment or a provider notice."""
    title, version = _heading(diff, "→")
    lines = [f"## {title}", "", f"**{version}.**", ""]
    lines += [f"> **Warning:** {w}.\n" for w in diff.warnings]
    if not diff.changes:
        lines.append("No changes.")
        return "\n".join(lines) + "\n"
    lines.append(f"**{_summary(diff)}.**")
    if diff.affects_scoring:
        lines += ["", "Some changes affect scoring: KPI results may differ from earlier periods."]
    for cat in diff.categories():
        changes = diff.in_category(cat)
        if not changes:
            continue
        lines += ["", f"### {_CATEGORY_TITLES[cat]}", "", _CATEGORY_NOTES[cat], ""]
        for c in _ordered(changes):
            mark = "**Breaking:** " if c.breaking else ""
            lines.append(f"- {mark}{c.message} (`{c.path}`)")
    return "\n".join(lines) + "\n"


@renders("json", "diff")
def render_json(diff: FrameworkDiff, options: RenderOptions | None = None) -> str:
    """Stable JSON: sorted keys, changes sorted by path then kind."""
    return json.dumps(diff.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


