"""Score many returns: files and folders, bundled samples by default, one bad file never
hiding the rest."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from carekpi.base.errors import UnreadableWorkbook, UsageError
from carekpi.framework.loader import bundled_dir, find_framework
from carekpi.scoring.engine import ContractSettings, ScoreReport, load_commissioner_data, score_reports
from carekpi.validation.findings import ValidationReport
from carekpi.validation.validate import ReturnTypeMismatch, validate_file

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm"}


def collect_files(paths: list[Path], *, recursive: bool = True) -> list[Path]:
    """Workbooks named or found in folders (sorted; Excel lock files and hidden files skipped)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = p.rglob("*") if recursive else p.glob("*")
            out += sorted(f for f in found if f.is_file() and f.suffix.lower() in WORKBOOK_SUFFIXES
                          and not f.name.startswith(("~$", ".")))
        elif p.exists():
            out.append(p)
        else:
            raise UsageError(f"{p}: no such file or folder")
    return out


def sample_dir(framework_id: str) -> Path:
    return bundled_dir("sample_returns") / framework_id


def score_paths(framework: str, paths: list[Path], *, frameworks_dirs: list[Path] | None = None,
                return_id: str | None = None, commissioner_data: Path | None = None, contract: Path | None = None,
                today: date | None = None, notice: Callable[[str], None] | None = None) -> ScoreReport:
    fw = find_framework(framework, frameworks_dirs)
    if not paths:
        d = sample_dir(fw.id)
        files = collect_files([d], recursive=False) if d.is_dir() else []
        if not files:
            raise UsageError(f"no returns given, and framework {fw.id} has no bundled sample returns")
        default_csv = d / "commissioner-data.csv"
        if commissioner_data is None and default_csv.exists():
            commissioner_data = default_csv
        if notice:
            notice(f"no returns given: scoring the {len(files)} bundled sample returns for {fw.id} in {d}"
                   + (f" with council data from {commissioner_data.name}" if commissioner_data else ""))
    else:
        files = collect_files(paths)
        if not files:
            raise UsageError("no .xlsx or .xlsm returns found in " + ", ".join(str(p) for p in paths))
    council = load_commissioner_data(commissioner_data, fw, return_id) if commissioner_data else None
    settings = ContractSettings.load(contract, fw) if contract else ContractSettings.from_defaults(fw)
    reports: list[ValidationReport] = []
    unreadable: list[tuple[str, str]] = []
    other_types: list[str] = []
    for f in files:
        try:
            reports.append(validate_file(f, framework=fw, return_id=return_id, today=today))
        except ReturnTypeMismatch:
            other_types.append(f.name)  # a folder mixing return types, scored with --return
        except UnreadableWorkbook as exc:
            unreadable.append((str(f), exc.reason))
        except UsageError as exc:
            unreadable.append((str(f), str(exc)))
    if other_types:
        if not reports and not unreadable:
            raise UsageError(f"none of the {len(other_types)} returns is a {return_id} return of {fw.id}")
        if notice:
            notice(f"scoring {return_id} returns only: skipped {len(other_types)} return(s) of other types "
                   f"({', '.join(other_types[:5])}{', ...' if len(other_types) > 5 else ''})")
    return score_reports(fw, reports, commissioner=council, contract=settings, unreadable=unreadable)
