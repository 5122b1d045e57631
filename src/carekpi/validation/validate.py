"""Validate one return: every problem with its code, sheet and cell, and whether to accept it.

:func:`validate_file` opens the workbook (preflight first), resolves the framework and the
version in force for the return's period, runs every check of
:data:`carekpi.validation.checks.CHECKS` in order and returns a
:class:`~carekpi.validation.findings.ValidationReport` carrying the typed return for scoring.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from carekpi.base.errors import UsageError
from carekpi.framework.cover import cover_items
from carekpi.framework.discovery import find_framework, framework_for_workbook
from carekpi.framework.model import Framework, ReturnType
from carekpi.framework.periods import period_for
from carekpi.validation.checks import CHECKS
from carekpi.validation.context import CheckContext
from carekpi.validation.findings import ValidationReport
from carekpi.workbook.coerce import coerce
from carekpi.workbook.reader import WorkbookContent, find_named_cell, open_workbook


class ReturnTypeMismatch(UsageError):
    """The workbook's template was made for another return type than the one asked for."""


def validate_file(path: str | Path, *, framework: Framework | str | None = None, return_id: str | None = None,
                  frameworks_dirs: list[Path] | None = None, today: date | None = None) -> ValidationReport:
    """Validate one workbook. Raises UnreadableWorkbook (file) or UsageError (wrong framework...)."""
    content = open_workbook(path)
    fw = framework_for_workbook(content.path, content.meta.get("framework"), framework, frameworks_dirs)
    made_for = content.meta.get("return_type")
    if return_id and made_for and made_for != return_id:
        raise ReturnTypeMismatch(f"{path} is a {made_for} return (so its template says), not {return_id}: "
                                 f"validate it without --return, or with --return {made_for}")
    rid = return_id or made_for or fw.returns[0].id
    try:
        rtype = fw.return_type(rid)
    except KeyError:
        known = ", ".join(r.id for r in fw.returns)
        raise UsageError(f"framework {fw.id} has no return type {rid!r} (it has: {known})") from None
    fw, rtype, basis = _version_for_period(content, fw, rtype, framework, frameworks_dirs)
    ctx = CheckContext(content, fw, rtype, today or date.today(), version_basis=basis)
    for check in CHECKS:
        check.run(ctx)
        if ctx.stopped:
            break
    data = ctx.data
    return ValidationReport(
        file=str(path), framework=fw.id, framework_version=fw.version, return_type=rtype.id,
        provider=data.provider_name, cqc_location_id=data.cqc_location_id,
        period=data.period.key if data.period else None, findings=ctx.findings, data=data,
        explanations=ctx.explanations,
    )


def _version_for_period(content: WorkbookContent, fw: Framework, rtype: ReturnType, framework: Framework | str | None,
                        dirs: list[Path] | None) -> tuple[Framework, ReturnType, str]:
    """The version of ``fw`` in force on the first day of the return's reporting period.

    A framework given as a loaded object or as a path to a YAML file is used as it is. The
    period is read from the cover sheet before the return is checked; when it cannot be read
    (or no version was in force then) the current version is kept.
    """
    if isinstance(framework, Framework) or (isinstance(framework, str) and framework.endswith((".yaml", ".yml"))):
        return fw, rtype, "the version asked for"
    item = next((i for i in cover_items(fw, rtype) if i.id == "reporting_period"), None)
    raw = find_named_cell(content, "reporting_period")
    if item is None or raw is None or raw.formula:
        return fw, rtype, "the version in force now"
    day = coerce(item, raw.value, number_format=raw.number_format, data_type=raw.data_type).value
    if not isinstance(day, date):
        return fw, rtype, "the version in force now"
    period = period_for(rtype, day)
    try:
        chosen = find_framework(fw.id, dirs, at=period.start)
        chosen_rtype = chosen.return_type(rtype.id)
    except (UsageError, KeyError):
        return fw, rtype, "the version in force now"
    return chosen, chosen_rtype, f"the version in force for {period.label}"
