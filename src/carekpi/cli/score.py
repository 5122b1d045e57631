"""``carekpi score``: KPI values and bands for one return or a whole market."""

from __future__ import annotations

from pathlib import Path

import typer

from carekpi.base.errors import UsageError
from carekpi.cli.common import app, emit, err, format_option, handled, parse_today, progress_bar, rendered, state
from carekpi.render.registry import is_binary


@app.command()
def score(
    paths: list[Path] = typer.Argument(None, help="Return workbooks and folders of them (default: the bundled samples)."),
    framework: str = typer.Option(..., "--framework", "-f", help="Framework id (e.g. surrey)."),
    return_type: str | None = typer.Option(None, "--return", "-r", help="Return type id (default: the first)."),
    commissioner_data: Path | None = typer.Option(None, "--commissioner-data", help="CSV of council-supplied items."),
    contract: Path | None = typer.Option(None, "--contract", help="Contract settings YAML (trajectory dates)."),
    fmt: str = format_option("score"),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the result to a file (required for xlsx)."),
    jobs: int | None = typer.Option(None, "--jobs", "-j", min=1,
                                    help="Worker processes reading returns (default: one per core; 1 reads them one "
                                         "by one, for debugging)."),
    today: str | None = typer.Option(None, "--today", hidden=True, help="Pretend today is this date (testing)."),
) -> None:
    """Compute KPI values and Green / Amber / Red bands for one return or a whole market.

    Example: carekpi score returns/ --framework surrey --commissioner-data scc-ebrokerage.csv
    """
    code = 0
    with handled():
        from carekpi.market.batch import score_paths

        with progress_bar(fmt, "Reading returns") as progress:
            report = score_paths(
                framework, list(paths or []), frameworks_dirs=state.frameworks_dirs, return_id=return_type,
                commissioner_data=commissioner_data, contract=contract, today=parse_today(today), notice=err,
                jobs=jobs, progress=progress,
            )
        if is_binary(fmt, "score") and output is None:
            raise UsageError(f"--format {fmt} needs -o/--output FILE.{fmt}")
        emit(rendered(fmt, "score", report), output, [Path(r.file) for r in report.returns])
        if report.unreadable:
            code = 1
    raise typer.Exit(code)
