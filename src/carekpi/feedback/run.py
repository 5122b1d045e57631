"""Validate and score returns for feedback, and name and build each feedback copy.

Returns are validated exactly as ``carekpi validate`` validates them (the framework their
metadata names, in the version in force for their period, unless one is given) and scored
together as ``carekpi score`` scores a batch: returns of one framework version and return type
are each other's peers. A file that cannot be read gets no copy; the others do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from carekpi.base.errors import UnreadableWorkbook, UsageError
from carekpi.feedback.copy import annotate
from carekpi.framework.model import Framework
from carekpi.scoring.inputs import ContractSettings, load_commissioner_data
from carekpi.scoring.passes import score_reports
from carekpi.scoring.results import ReturnScore
from carekpi.validation.findings import ValidationReport
from carekpi.validation.validate import validate_file
from carekpi.workbook.openpyxl_load import load_workbook

SUFFIX = "-feedback.xlsx"


@dataclass
class Checked:
    """One return: its validation report (``unreadable`` set when it could not be read) and its
    KPI results."""

    path: Path
    report: ValidationReport
    score: ReturnScore | None = None


def feedback_name(path: Path) -> str:
    """The feedback copy's file name: ``acme-march.xlsx`` gives ``acme-march-feedback.xlsx``."""
    return f"{path.stem}{SUFFIX}"


def plan_outputs(files: list[Path], *, output: Path | None = None, out_dir: Path | None = None) -> dict[Path, Path]:
    """Where each return's copy goes: ``output`` for one return, else ``out_dir/<name>-feedback.xlsx``
    (returns of the same name in different folders are told apart by their folder's name). An
    output may not be one of the returns, and two returns may not share an output."""
    if (output is None) == (out_dir is None):
        raise UsageError("say where the feedback goes: -o FEEDBACK.xlsx for one return, or --out-dir DIR")
    if output is not None:
        if len(files) != 1:
            raise UsageError(f"-o names one file, but {len(files)} returns were given: use --out-dir DIR")
        if output.suffix.lower() != ".xlsx":
            raise UsageError(f"cannot write {output}: a feedback copy is an .xlsx workbook (macros are never copied)")
        plan = {files[0]: output}
    else:
        assert out_dir is not None
        if not out_dir.is_dir():
            raise UsageError(f"--out-dir {out_dir} is not a folder")
        stems: dict[str, list[Path]] = {}
        for f in files:
            stems.setdefault(f.stem.casefold(), []).append(f)
        plan = {}
        for f in files:
            name = feedback_name(f)
            if len(stems[f.stem.casefold()]) > 1:
                name = f"{f.parent.name}-{name}"
            plan[f] = out_dir / name
    targets: dict[Path, Path] = {}
    inputs = {f.resolve() for f in files}
    for f, target in plan.items():
        resolved = target.resolve()
        if resolved in inputs:
            raise UsageError(f"cannot write {target}: it is one of the returns, which carekpi never modifies")
        if resolved in targets:
            raise UsageError(f"{f} and {targets[resolved]} would both be written to {target}: rename one of them")
        targets[resolved] = f
    return plan


def validate_and_score(files: Iterable[Path], *, framework: Framework | str | None = None, return_id: str | None = None,
                       frameworks_dirs: list[Path] | None = None, commissioner_data: Path | None = None,
                       contract: Path | None = None, today: date | None = None) -> list[Checked]:
    """Validate every return, then score together those of the same framework version and return type."""
    checked: list[Checked] = []
    for f in files:
        try:
            report = validate_file(f, framework=framework, return_id=return_id, frameworks_dirs=frameworks_dirs,
                                   today=today)
        except UnreadableWorkbook as exc:
            report = ValidationReport(str(f), None, None, unreadable=exc.reason)
        except UsageError as exc:
            report = ValidationReport(str(f), None, None, unreadable=str(exc))
        checked.append(Checked(f, report))
    groups: dict[tuple[str, str, str], list[Checked]] = {}
    for c in checked:
        if c.report.unreadable is None:
            data = c.report.data
            groups.setdefault((data.framework.id, data.framework.version, data.rtype.id), []).append(c)
    for (_fid, _version, rid), members in groups.items():
        fw = members[0].report.data.framework
        council = load_commissioner_data(commissioner_data, fw, rid) if commissioner_data else None
        settings = ContractSettings.load(contract, fw) if contract else None
        if settings is not None and settings.provider_name and \
                not any(settings.applies_to(m.report.data) for m in members):
            settings = None  # the contract is another provider's
        scored = score_reports(fw, [m.report for m in members], commissioner=council, contract=settings)
        for member, score in zip(members, scored.returns, strict=False):
            member.score = score
    return checked


def feedback_bytes(checked: Checked) -> bytes:
    """The feedback copy of one readable return."""
    if checked.report.unreadable is not None:
        raise UnreadableWorkbook(checked.path, checked.report.unreadable)
    return annotate(load_workbook(checked.path), checked.report, checked.score, source_name=checked.path.name)
