"""Score many returns: files and folders, bundled samples by default, one bad file never
hiding the rest."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from carekpi.base.errors import UnreadableWorkbook, UsageError
from carekpi.framework.discovery import bundled_dir, find_framework, framework_for_workbook
from carekpi.framework.model import Framework
from carekpi.market.pool import default_jobs, read_all
from carekpi.market.providers import load_providers
from carekpi.market.register import load_register
from carekpi.market.report import MarketReport, build_market
from carekpi.scoring.inputs import ContractSettings, load_commissioner_data
from carekpi.validation.findings import ValidationReport
from carekpi.workbook.files import collect_files
from carekpi.workbook.reader import open_workbook


def sample_dir(framework_id: str) -> Path:
    return bundled_dir("sample_returns") / framework_id


def infer_framework(files: list[Path], frameworks_dirs: list[Path] | None = None) -> Framework:
    """The framework the workbooks' metadata names, when every readable one names the same."""
    named: dict[str, list[str]] = {}
    for f in files:
        try:
            fid = open_workbook(f).meta.get("framework")
        except UnreadableWorkbook:
            continue
        if fid:
            named.setdefault(fid, []).append(f.name)
    if len(named) != 1:
        found = "; ".join(f"{fid}: {', '.join(names[:3])}" for fid, names in sorted(named.items()))
        raise UsageError("name the framework with --framework: the workbooks "
                         + (f"name several ({found})" if named else "do not name one"))
    (fid, _), = named.items()
    return framework_for_workbook(str(files[0]), fid, None, frameworks_dirs)


def score_paths(framework: str | Framework | None, paths: list[Path], *, frameworks_dirs: list[Path] | None = None,
                return_id: str | None = None, commissioner_data: Path | None = None, contract: Path | None = None,
                providers: Path | None = None, register: Path | None = None, period: str | None = None,
                today: date | None = None, notice: Callable[[str], None] | None = None,
                jobs: int | None = None, progress: Callable[[int, int], None] | None = None) -> MarketReport:
    """Validate and score the workbooks named (files and folders), or the framework's bundled
    samples when none are named, as a market. Without a framework, the one the workbooks name
    is used. The bundled samples come with their council data, providers and register.

    Files are read on ``jobs`` worker processes (default: every core; 1 reads them here, one
    after another) and scored together; ``progress(done, total)`` is called as files are read.
    Results are the same whatever the order the files are given or finish in."""
    if framework is None:
        if not paths:
            raise UsageError("name the framework (--framework ID) to score its bundled sample returns")
        fw = infer_framework(collect_files(paths), frameworks_dirs)
    else:
        fw = framework if isinstance(framework, Framework) else find_framework(framework, frameworks_dirs)
    if not paths:
        d = sample_dir(fw.id)
        files = collect_files([d], recursive=False) if d.is_dir() else []
        if not files:
            raise UsageError(f"no returns given, and framework {fw.id} has no bundled sample returns")
        said = []
        if commissioner_data is None and (d / "commissioner-data.csv").exists():
            commissioner_data = d / "commissioner-data.csv"
            said.append("council data from commissioner-data.csv")
        if providers is None and (d / "providers.csv").exists():
            providers = d / "providers.csv"
            said.append("the providers in providers.csv")
        if register is None and (d / "register.csv").exists():
            register = d / "register.csv"
            said.append("the submissions register register.csv")
        if notice:
            notice(f"no returns given: scoring the {len(files)} bundled sample returns for {fw.id} in {d}"
                   + (f" with {', '.join(said[:-1])}{' and ' if len(said) > 1 else ''}{said[-1]}" if said else ""))
    else:
        files = collect_files(paths)
        if not files:
            raise UsageError("no .xlsx or .xlsm returns found in " + ", ".join(str(p) for p in paths))
    council = load_commissioner_data(commissioner_data, fw, return_id) if commissioner_data else None
    settings = ContractSettings.load(contract, fw) if contract else ContractSettings.from_defaults(fw)
    files = sorted(set(files), key=str)  # the same results whatever order the files are given in
    reports: list[ValidationReport] = []
    unreadable: list[tuple[str, str]] = []
    other_types: list[str] = []
    total = len(files)
    for outcome in read_all(files, fw, return_id, today, jobs=jobs or default_jobs(),
                            progress=(lambda done: progress(done, total)) if progress else None):
        if outcome.report is not None:
            reports.append(outcome.report)
        elif outcome.other_type:
            other_types.append(outcome.file.name)  # a folder mixing return types, scored with --return
        elif outcome.unreadable is not None:
            unreadable.append((str(outcome.file), outcome.unreadable))
    if other_types:
        if not reports and not unreadable:
            raise UsageError(f"none of the {len(other_types)} returns is a {return_id} return of {fw.id}")
        if notice:
            notice(f"scoring {return_id} returns only: skipped {len(other_types)} return(s) of other types "
                   f"({', '.join(other_types[:5])}{', ...' if len(other_types) > 5 else ''})")
    directory = load_providers(providers, return_types=[r.id for r in fw.returns],
                               service_types=[s.id for s in fw.service_types]) if providers else None
    book = load_register(register, fw) if register else None
    return build_market(fw, reports, unreadable=unreadable, directory=directory, register=book, period=period,
                        return_id=return_id, commissioner=council, contract=settings, today=today or date.today())
