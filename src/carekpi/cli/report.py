"""``carekpi report``: the officer's workbook of a market, with charts."""

from __future__ import annotations

from pathlib import Path

import typer

from carekpi.base.errors import UsageError
from carekpi.cli.common import app, emit, err, frameworks_dir_option, handled, parse_today, progress_bar, state
from carekpi.render.registry import RenderOptions, render


@app.command()
def report(
    paths: list[Path] = typer.Argument(None, help="Return workbooks and folders of them (default: the bundled samples)."),
    output: Path = typer.Option(..., "--output", "-o", help="The workbook to write (.xlsx)."),
    framework: str | None = typer.Option(
        None, "--framework", "-f", help="Framework id (e.g. surrey); default: the one the workbooks name."),
    return_type: str | None = typer.Option(None, "--return", "-r",
                                           help="Return type id to show (default: the first the returns include)."),
    period: str | None = typer.Option(None, "--period", "-p",
                                      help="The period to show: 2026-03, 2026-Q1, 2026 or 2025/26 (default: the latest)."),
    providers: Path | None = typer.Option(None, "--providers", help="CSV of the market's providers (see README)."),
    register: Path | None = typer.Option(None, "--register", help="CSV of the submissions register (received dates)."),
    commissioner_data: Path | None = typer.Option(None, "--commissioner-data", help="CSV of council-supplied items."),
    contract: Path | None = typer.Option(None, "--contract", help="Contract settings YAML (trajectory dates)."),
    sort: str = typer.Option("worst", "--sort", help="Order of the overview: worst (most Red first) or provider."),
    jobs: int | None = typer.Option(None, "--jobs", "-j", min=1, help="Worker processes reading returns."),
    frameworks_dir: list[Path] = frameworks_dir_option(),
    today: str | None = typer.Option(None, "--today", hidden=True, help="Pretend today is this date (testing)."),
) -> None:
    """Write the officer's workbook: an overview of the period, a sheet and charts per KPI, trends,
    submissions, every return's problems and the notes behind the numbers.

    Example: carekpi report returns/ --framework surrey --register register.csv -o market.xlsx
    """
    code = 0
    with handled():
        from carekpi.market.batch import score_paths

        if sort not in ("worst", "provider"):
            raise UsageError(f"--sort {sort!r}: choose worst or provider")
        if output.suffix.lower() != ".xlsx":
            raise UsageError(f"{output}: the report is an Excel workbook: name it .xlsx")
        with progress_bar("xlsx", "Reading returns") as progress:
            market = score_paths(
                framework, list(paths or []), frameworks_dirs=state.dirs(frameworks_dir), return_id=return_type,
                commissioner_data=commissioner_data, contract=contract, providers=providers, register=register,
                period=period, today=parse_today(today), notice=err, jobs=jobs, progress=progress,
            )
        emit(render("xlsx", "report", market, RenderOptions(sort=sort)), output,
             [Path(r.file) for r in market.scores.returns])
        if market.scores.unreadable:
            code = 1
    raise typer.Exit(code)
