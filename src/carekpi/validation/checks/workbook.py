"""The workbook as a whole: carekpi's metadata, the template version and layout, macros and links."""

from __future__ import annotations

from carekpi.base.enums import Severity
from carekpi.validation.checks.base import Check
from carekpi.validation.context import CheckContext, Code
from carekpi.workbook.fingerprint import layout_fingerprint

V001 = Code("V001", "workbook has no carekpi metadata (not made from a carekpi template)", Severity.warning)
V002 = Code("V002", "workbook was made from a different framework version", Severity.warning)
V003 = Code("V003", "workbook layout differs from the template (fingerprint)", Severity.warning)
V006 = Code("V006", "workbook contains macros (not run)", Severity.warning)
V007 = Code("V007", "workbook structure warning (hidden sheet, huge dimension...)", Severity.warning)

#: what preflight found, by the kind of its warning
_PREFLIGHT = {"macros": V006, "external_links": V007, "huge_range": V007}


class WorkbookCheck(Check):
    name = "workbook"
    codes = (V001, V002, V003, V006, V007)

    def run(self, ctx: CheckContext) -> None:
        for note in ctx.content.warnings:
            ctx.add(_PREFLIGHT[note.kind], note.message)
        meta = ctx.content.meta
        fw = ctx.fw
        if not meta:
            ctx.add(V001, f"the workbook has no carekpi metadata; validated as framework {fw.id} version "
                          f"{fw.version} by item names and labels")
            return
        version = meta.get("framework_version")
        if version and version != fw.version:
            ctx.add(V002, f"the workbook was made from the {fw.id} template version {version}; it is validated "
                          f"against version {fw.version} ({fw.in_force_text()}), "
                          f"{ctx.version_basis}: use the version {fw.version} template")
        elif meta.get("fingerprint"):
            expected = layout_fingerprint(fw, ctx.rtype.id)
            if meta["fingerprint"] != expected:
                ctx.add(V003, "the workbook's layout differs from the current template "
                              f"(fingerprint {meta['fingerprint']}, expected {expected}); "
                              "use a freshly generated template next time")
