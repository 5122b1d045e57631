"""``carekpi frameworks``: what frameworks exist and what one of them asks for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from carekpi.base.errors import FrameworkError
from carekpi.framework.loader import compiled, framework_files, load_cached
from carekpi.framework.model import Framework, Kpi, KpiKind
from carekpi.workbook.template import _describe_bands


def list_frameworks(extra: list[Path] | None = None) -> str:
    rows: list[tuple[str, str, str, str, str]] = []
    seen: set[str] = set()
    for origin, path in framework_files(extra):
        try:
            fw = load_cached(path)
        except FrameworkError as exc:
            rows.append((path.stem, "?", origin, f"does not load ({len(exc.problems)} problems: run carekpi lint)", str(path)))
            continue
        shadowed = fw.id in seen
        seen.add(fw.id)
        rows.append((fw.id, fw.version, origin + (" (shadowed)" if shadowed else ""), fw.commissioner, str(path)))
    if not rows:
        return "No frameworks found.\n"
    w = [max(len(r[i]) for r in [*rows, ("id", "version", "origin", "commissioner", "path")]) for i in range(4)]
    lines = [f"{'id':<{w[0]}}  {'version':<{w[1]}}  {'origin':<{w[2]}}  commissioner"]
    for r in rows:
        lines.append(f"{r[0]:<{w[0]}}  {r[1]:<{w[1]}}  {r[2]:<{w[2]}}  {r[3]}")
    return "\n".join(lines) + "\n"


def kpi_formula(fw: Framework, kpi: Kpi) -> str:
    if kpi.kind == KpiKind.ratio:
        return f"({kpi.numerator}) / ({kpi.denominator}) x 100"
    if kpi.kind in (KpiKind.compliance, KpiKind.rating):
        return f"answer to {kpi.value}"
    return str(kpi.value)


def show_text(fw: Framework) -> str:
    out = [
        f"{fw.id}: {fw.name}",
        f"  commissioner: {fw.commissioner}",
        f"  service:      {fw.service}",
        f"  version:      {fw.version} (in force from {fw.effective_from:%d %B %Y})",
        f"  source:       {fw.source_document}",
        f"  file:         {fw.path}",
    ]
    if fw.service_types:
        out.append("  service types: " + ", ".join(f"{s.id} ({s.label})" for s in fw.service_types))
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
            tail = f"  ({'; '.join(extra)})" if extra else ""
            out.append(f"    {item.id:<34} {item.type.value:<14} {item.label}{tail}")
        if rt.record_tables:
            out.append("  case logs:")
            for t in rt.record_tables:
                out.append(f"    {t.id:<34} sheet {t.sheet!r}: " + ", ".join(c.id for c in t.columns))
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
                out.append(f"      value: {kpi_formula(fw, k)}")
                out.append(f"      bands: {k.bands.scheme}: {k.bands.as_printed or _describe_bands(k)}")
                if k.tags:
                    out.append("      tags: " + ", ".join(f"{a}={b}" for a, b in k.tags.items()))
    notes = fw.all_notes()
    if notes:
        out += ["", f"Notes: how carekpi interprets the source ({len(notes)})"]
        for where, n in notes:
            out.append(f"  [{where}] {n.title}")
            out.append(f"    {n.text}")
    return "\n".join(out) + "\n"


def show_json(fw: Framework) -> str:
    doc: dict[str, Any] = {
        "id": fw.id, "name": fw.name, "commissioner": fw.commissioner, "version": fw.version,
        "effective_from": fw.effective_from.isoformat(), "source_document": fw.source_document,
        "service_types": [s.model_dump() for s in fw.service_types],
        "returns": [], "kpis": [],
        "notes": [{"applies_to": where, "title": n.title, "text": n.text} for where, n in fw.all_notes()],
    }
    for rt in fw.returns:
        doc["returns"].append({
            "id": rt.id, "label": rt.label, "cadence": rt.cadence.value,
            "deadline": rt.deadline.model_dump(exclude_none=True),
            "fields": [{"id": i.id, "label": i.label, "type": i.type.value, "source": i.source.value,
                        "required": i.required, "applies_to": i.applies_to} for i in rt.items()],
            "rules": [{"id": r.id, "check": r.check.source, "severity": r.severity} for r in compiled(fw, rt.id).rules],
        })
    for k in fw.kpis:
        doc["kpis"].append({
            "id": k.id, "ref": k.ref, "label": k.label, "return": k.return_type, "kind": k.kind.value,
            "numerator": k.numerator, "denominator": k.denominator, "value": k.value, "formula": kpi_formula(fw, k),
            "bands": json.loads(k.bands.model_dump_json(exclude_none=True)), "critical": k.critical, "tags": k.tags,
        })
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
