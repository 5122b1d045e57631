"""``carekpi score``: KPI values and bands for one return or a whole market, over periods."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from carekpi.base.errors import UsageError
from carekpi.cli.common import (
    app,
    emit,
    err,
    format_option,
    frameworks_dir_option,
    handled,
    parse_today,
    progress_bar,
    state,
    terminal_width,
)
from carekpi.render.registry import RenderOptions, is_binary, render


@app.command()
def score(
    paths: list[Path] = typer.Argument(None, help="Return workbooks and folders of them (default: the bundled samples)."),
    framework: str | None = typer.Option(
        None, "--framework", "-f", help="Framework id (e.g. surrey); default: the one the workbooks name."),
    return_type: str | None = typer.Option(None, "--return", "-r",
                                           help="Return type id to show (default: the first the returns include)."),
    period: str | None = typer.Option(
        None, "--period", "-p",
        help="The period to show: 2026-03, 2026-Q1, 2026 or 2025/26 (April-March); longer periods are put together "
             "from the returns inside them. Default: the latest period returned."),
    providers: Path | None = typer.Option(None, "--providers", help="CSV of the market's providers (see README)."),
    register: Path | None = typer.Option(None, "--register", help="CSV of the submissions register (received dates)."),
    commissioner_data: Path | None = typer.Option(None, "--commissioner-data", help="CSV of council-supplied items."),
    contract: Path | None = typer.Option(None, "--contract", help="Contract settings YAML (trajectory dates)."),
    sort: str = typer.Option("worst", "--sort", help="Order of the table: worst (most Red first) or provider."),
    by_return: bool = typer.Option(False, "--by-return", help="Show every return's KPIs with their reasons instead "
                                                              "of the market table."),
    fmt: str = format_option("market"),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the result to a file (required for xlsx)."),
    jobs: int | None = typer.Option(None, "--jobs", "-j", min=1,
                                    help="Worker processes reading returns (default: one per core; 1 reads them one "
                                         "by one, for debugging)."),
    frameworks_dir: list[Path] = frameworks_dir_option(),
    today: str | None = typer.Option(None, "--today", hidden=True, help="Pretend today is this date (testing)."),
) -> None:
    """Compute KPI values and Green / Amber / Red bands for a market of returns: who sent what and
    when, each provider for one period, trends, and the judgements that span periods.

    Example: carekpi score returns/ --framework surrey --register register.csv --period 2026-Q1
    """
    code = 0
    with handled():
        from carekpi.market.batch import score_paths

        if sort not in ("worst", "provider"):
            raise UsageError(f"--sort {sort!r}: choose worst or provider")
        with progress_bar(fmt, "Reading returns") as progress:
            report = score_paths(
                framework, list(paths or []), frameworks_dirs=state.dirs(frameworks_dir), return_id=return_type,
                commissioner_data=commissioner_data, contract=contract, providers=providers, register=register,
                period=period, today=parse_today(today), notice=err, jobs=jobs, progress=progress,
            )
        result, value = ("score", report.scores) if by_return else ("market", report)
        if is_binary(fmt, result) and output is None:
            raise UsageError(f"--format {fmt} needs -o/--output FILE.{fmt}")
        options = RenderOptions(color=fmt == "text" and sys.stdout.isatty(), width=terminal_width(), sort=sort)
        emit(render(fmt, result, value, options), output, [Path(r.file) for r in report.scores.returns])
        if report.scores.unreadable:
            code = 1
    raise typer.Exit(code)

