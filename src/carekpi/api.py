"""carekpi for programs and notebooks: load a framework, validate a return, score many.

>>> import carekpi
>>> fw = carekpi.load_framework("surrey")
>>> report = carekpi.validate_file("return.xlsx")           # doctest: +SKIP
>>> report.valid, [(f.code, f.sheet, f.cell) for f in report.findings]   # doctest: +SKIP
>>> scores = carekpi.score_files(["returns/"], framework=fw)  # doctest: +SKIP

Errors are exceptions with a message meant for people: :class:`UnreadableWorkbook` (the
file is not a workbook carekpi can read), :class:`UsageError` (an unknown framework, a
return of another framework), :class:`FrameworkError` (a framework file with problems).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from carekpi.base.errors import FrameworkError, UnreadableWorkbook, UsageError
from carekpi.framework.discovery import find_framework
from carekpi.framework.model import Framework
from carekpi.market.batch import score_paths
from carekpi.market.report import MarketReport
from carekpi.scoring.results import KpiResult, ReturnScore, ScoreReport
from carekpi.validation.findings import Finding, ValidationReport
from carekpi.validation.validate import validate_file as _validate_file


def load_framework(id_or_path: str | Path, *, frameworks_dirs: list[Path] | None = None) -> Framework:
    """A framework by id (``"surrey"``: local folders first, then the bundled ones) or by the
    path of a YAML file. The framework is immutable and pickles (for worker processes)."""
    return find_framework(str(id_or_path), frameworks_dirs)


def validate_file(path: str | Path, framework: Framework | str | None = None, *, return_id: str | None = None,
                  frameworks_dirs: list[Path] | None = None, today: date | None = None) -> ValidationReport:
    """Validate one return workbook. Without ``framework``, the one the workbook names is used
    (in the version in force for its reporting period)."""
    return _validate_file(path, framework=framework, return_id=return_id, frameworks_dirs=frameworks_dirs,
                          today=today)


def score_files(paths: list[str | Path], framework: Framework | str | None = None, *, return_id: str | None = None,
                commissioner_data: str | Path | None = None, contract: str | Path | None = None,
                providers: str | Path | None = None, register: str | Path | None = None, period: str | None = None,
                frameworks_dirs: list[Path] | None = None, today: date | None = None) -> MarketReport:
    """Validate and score return workbooks (files and folders) together, as a market: peers are
    compared within the batch, consecutive periods judged together, resubmissions resolved.
    ``.scores`` has every return's results, ``.rows`` each provider's for the period shown
    (``period``, default the latest), ``.summary()`` the counts. Without ``framework``, the one
    the workbooks name is used."""
    return score_paths(framework, [Path(p) for p in paths], frameworks_dirs=frameworks_dirs, return_id=return_id,
                       commissioner_data=Path(commissioner_data) if commissioner_data else None,
                       contract=Path(contract) if contract else None, providers=Path(providers) if providers else None,
                       register=Path(register) if register else None, period=period, today=today)


__all__ = [
    "Finding", "Framework", "FrameworkError", "KpiResult", "MarketReport", "ReturnScore", "ScoreReport",
    "UnreadableWorkbook",
    "UsageError", "ValidationReport", "load_framework", "score_files", "validate_file",
]
