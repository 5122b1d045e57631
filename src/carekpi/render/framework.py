"""``carekpi frameworks``: what frameworks exist, and what one of them asks for (text or JSON)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from carekpi.base.errors import UsageError
from carekpi.render.registry import RenderOptions, renders

if TYPE_CHECKING:
    from carekpi.framework.model import Framework


@renders("text", "frameworks")
def list_text(rows: list[tuple[str, str, str, str, str]], options: RenderOptions) -> str:
    """The rows of :func:`carekpi.framework.discovery.list_frameworks` as a table."""
    if not rows:
        return "No frameworks found.\n"
    w = [max(len(r[i]) for r in [*rows, ("id", "version", "origin", "commissioner", "path")]) for i in range(4)]
    lines = [f"{'id':<{w[0]}}  {'version':<{w[1]}}  {'origin':<{w[2]}}  commissioner"]
    for r in rows:
        lines.append(f"{r[0]:<{w[0]}}  {r[1]:<{w[1]}}  {r[2]:<{w[2]}}  {r[3]}")
    return "\n".join(lines) + "\n"


@renders("text", "framework")
def show_text(fw: Framework, options: RenderOptions) -> str:
    from carekpi.framework.compiled import compiled  # loaded with the framework already; not at start-up

    out = [
        f"{fw.id}: {fw.name}",
        f"  commissioner: {fw.commissioner}",
        f"  service:      {fw.service}",
        f"  version:      {fw.version} ({fw.in_force_text()})",
        f"  source:       {fw.source_document}",
        f"  file:         {fw.path}",
    ]
    if fw.service_types:
        out.append("  service types: " + ", ".join(f"{s.id} ({s.label})" for s in fw.service_types))
    late = fw.submissions.describe()
    if late:
        out.append(f"  late or missing returns: {late}")
    for rt in fw.returns:
        comp = compiled(fw, rt.id)
        out += ["", f"Return {rt.id}: {rt.label}", f"  cadence: {rt.cadence.value}; due: {rt.deadline.text or rt.deadline.rule}"]
        out.append("  items:")
        for item in rt.items():
            extra = []
            if item.source.value != "provider":
                extra.append("supplied by the council")
            if item.applies_to:
                extra.append("only " + "/".join(item.applies_to))
            if not item.required:
                extra.append("optional")
            elif item.required_when:
                extra.append(f"required when {item.required_when}")
            tail = f"  ({'; '.join(extra)})" if extra else ""
            out.append(f"    {item.id:<34} {item.type.value:<14} {item.label}{tail}")
            if item.guidance:
                out.append(f"      how to fill it in: {item.guidance}")
        if rt.record_tables:
            out.append("  case logs:")
            for t in rt.record_tables:
                out.append(f"    {t.id:<34} sheet {t.sheet!r}: " + ", ".join(c.id for c in t.columns))
                if t.one_row_per:
                    out.append(f"      one row per case counted in {t.one_row_per}")
        if rt.derived:
            out.append("  derived values:")
            for d in rt.derived:
                out.append(f"    {d.id:<34} = {d.expr}")
        if comp.rules:
            out.append("  rules:")
            for r in comp.rules:
                out.append(f"    {r.id:<44} {r.severity:<8} {r.check.source}")
        kpis = fw.kpis_for(rt.id)
        if kpis:
            out.append("  KPIs:")
            for k in kpis:
                flag = "  CRITICAL" if k.critical else ""
                out.append(f"    {(k.ref + ' ') if k.ref else ''}{k.label} [{k.id}]{flag}")
                out.append(f"      value: {k.kind_def.formula_text(k)}")
                if k.description:
                    out.append(f"      about: {k.description}")
                out.append(f"      bands: {k.bands.scheme}: {k.bands.shown()}")
                if k.tags:
                    out.append("      tags: " + ", ".join(f"{a}={b}" for a, b in k.tags.items()))
    notes = fw.all_notes()
    if notes:
        out += ["", f"Notes: how carekpi interprets the source ({len(notes)})"]
        for where, n in notes:
            out.append(f"  [{where}] {n.title}")
            out.append(f"    {n.text}")
    return "\n".join(out) + "\n"


@renders("json", "framework")
def show_json(fw: Framework, options: RenderOptions) -> str:
    from carekpi.framework.compiled import compiled  # loaded with the framework already; not at start-up

    doc: dict[str, Any] = {
        "id": fw.id, "name": fw.name, "commissioner": fw.commissioner, "version": fw.version,
        "effective_from": fw.effective_from.isoformat(), "effective_from_placeholder": fw.effective_from_placeholder,
        "source_document": fw.source_document,
        "submissions": fw.submissions.model_dump(mode="json", exclude_none=True),
        "service_types": [s.model_dump() for s in fw.service_types],
        "returns": [], "kpis": [],
        "notes": [{"applies_to": where, "title": n.title, "text": n.text} for where, n in fw.all_notes()],
    }
    for rt in fw.returns:
        doc["returns"].append({
            "id": rt.id, "label": rt.label, "cadence": rt.cadence.value,
            "deadline": rt.deadline.model_dump(exclude_none=True),
            "fields": [{"id": i.id, "label": i.label, "type": i.type.value, "source": i.source.value,
                        "required": i.required, "applies_to": i.applies_to,
                        **({"required_when": i.required_when} if i.required_when else {}),
                        **({"guidance": i.guidance} if i.guidance else {})} for i in rt.items()],
            "rules": [{"id": r.id, "check": r.check.source, "severity": r.severity} for r in compiled(fw, rt.id).rules],
        })
    for k in fw.kpis:
        doc["kpis"].append({
            "id": k.id, "ref": k.ref, "label": k.label, "return": k.return_type, "kind": k.kind.value,
            "numerator": k.numerator, "denominator": k.denominator, "value": k.value, "formula": k.kind_def.formula_text(k),
            **({"description": k.description} if k.description else {}),
            "bands": json.loads(k.bands.model_dump_json(exclude_none=True)), "critical": k.critical, "tags": k.tags,
        })
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


@renders("yaml", "framework")
def show_yaml(fw: Framework, options: RenderOptions) -> str:
    """The framework file as written (comments, notes and the schema modeline kept): the
    starting point for a framework of your own."""
    if fw.path is None or not Path(fw.path).is_file():
        raise UsageError(f"framework {fw.id} was not loaded from a file")
    try:
        return Path(fw.path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {fw.path}: {exc}") from None
