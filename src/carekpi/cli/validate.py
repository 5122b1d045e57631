"""``carekpi validate``: check a return before sending it, or before accepting it; or a folder
of returns, ending with the totals."""

from __future__ import annotations

from pathlib import Path

import typer

from carekpi.base.errors import UnreadableWorkbook, UsageError
from carekpi.cli.common import (
    app,
    emit,
    err,
    format_option,
    frameworks_dir_option,
    handled,
    parse_today,
    rendered,
    state,
)


@app.command()
def validate(
    files: list[Path] = typer.Argument(..., help="Return workbooks (.xlsx / .xlsm) and folders of them."),
    framework: str | None = typer.Option(None, "--framework", "-f", help="Framework id, if the workbook does not say."),
    return_type: str | None = typer.Option(None, "--return", "-r", help="Return type id, if the workbook does not say."),
    fmt: str = format_option("validation"),
    strict: bool = typer.Option(False, "--strict", help="Fail on warnings as well as errors."),
    verbose: bool = typer.Option(False, "--verbose", "-v",
                                 help="List everything a finding stands for (each item of a workbook that is "
                                      "not a return)."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the report to a file."),
    frameworks_dir: list[Path] = frameworks_dir_option(),
    today: str | None = typer.Option(None, "--today", hidden=True, help="Pretend today is this date (testing)."),
) -> None:
    """Check a return before sending it (provider) or before accepting it (council). Folders are
    searched for .xlsx / .xlsm files; several returns end with the totals.

    Example: carekpi validate surrey-return.xlsx

    Example: carekpi validate returns/2026-03/
    """
    code = 0
    with handled():
        from carekpi.validation.findings import ValidationReport
        from carekpi.validation.validate import validate_file

        day = parse_today(today)
        dirs = state.dirs(frameworks_dir)
        if framework is not None:
            from carekpi.framework.discovery import find_framework

            find_framework(framework, dirs)  # an unknown framework is misuse, whatever the files
        paths = _expand(files)
        reports: list[ValidationReport] = []
        for f in paths:
            try:
                rep = validate_file(f, framework=framework, return_id=return_type, frameworks_dirs=dirs, today=day)
            except UnreadableWorkbook as exc:
                rep = ValidationReport(str(f), None, None, unreadable=exc.reason)
                code = 2
            except UsageError as exc:
                if len(paths) == 1 and paths == files:
                    raise
                # a return of another framework or type must not hide the reports on the others
                rep = ValidationReport(str(f), None, None, unreadable=str(exc))
                code = 2
            reports.append(rep)
            if rep.unreadable is None and not rep.passed(strict):
                code = max(code, 1)
        emit(rendered(fmt, "validation", reports, verbose=verbose), output, paths)
        if output is not None:  # the report is in the file: say on the terminal what could not be read
            for rep in reports:
                if rep.unreadable:
                    err(f"error: {rep.file}: {rep.unreadable}")
    raise typer.Exit(code)


def _expand(paths: list[Path]) -> list[Path]:
    """The files named, and the workbooks in the folders named (recursively, sorted). A file
    that does not exist stays in the list: its report says so."""
    from carekpi.workbook.files import collect_files

    out: list[Path] = []
    for p in paths:
        if not p.is_dir():
            out.append(p)
            continue
        found = collect_files([p])
        if not found:
            err(f"{p}: no .xlsx or .xlsm workbooks in this folder")
        out += found
    if not out:
        raise UsageError("no .xlsx or .xlsm returns found in " + ", ".join(str(p) for p in paths))
    return out
