"""``carekpi validate``: check a return before sending it, or before accepting it."""

from __future__ import annotations

from pathlib import Path

import typer

from carekpi.base.errors import UnreadableWorkbook, UsageError
from carekpi.cli.common import app, emit, err, format_option, handled, parse_today, rendered, state


@app.command()
def validate(
    files: list[Path] = typer.Argument(..., help="Return workbooks (.xlsx / .xlsm)."),
    framework: str | None = typer.Option(None, "--framework", "-f", help="Framework id, if the workbook does not say."),
    return_type: str | None = typer.Option(None, "--return", "-r", help="Return type id, if the workbook does not say."),
    fmt: str = format_option("validation"),
    strict: bool = typer.Option(False, "--strict", help="Fail on warnings as well as errors."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the report to a file."),
    today: str | None = typer.Option(None, "--today", hidden=True, help="Pretend today is this date (testing)."),
) -> None:
    """Check a return before sending it (provider) or before accepting it (council).

    Example: carekpi validate surrey-return.xlsx
    """
    code = 0
    with handled():
        from carekpi.validation.findings import ValidationReport
        from carekpi.validation.validate import validate_file

        day = parse_today(today)
        reports: list[ValidationReport] = []
        for f in files:
            try:
                rep = validate_file(f, framework=framework, return_id=return_type,
                                    frameworks_dirs=state.frameworks_dirs, today=day)
            except UnreadableWorkbook as exc:
                rep = ValidationReport(str(f), None, None, unreadable=exc.reason)
                code = 2
            except UsageError as exc:
                if len(files) == 1:
                    raise
                # a return of another framework or type must not hide the reports on the others
                rep = ValidationReport(str(f), None, None, unreadable=str(exc))
                code = 2
            reports.append(rep)
            if rep.unreadable is None and not rep.passed(strict):
                code = max(code, 1)
        emit(rendered(fmt, "validation", reports), output, list(files))
        if len(files) == 1 and reports[0].unreadable:
            err(f"error: {reports[0].file}: {reports[0].unreadable}")
    raise typer.Exit(code)
