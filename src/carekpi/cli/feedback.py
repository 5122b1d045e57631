"""``carekpi feedback``: a copy of each return with its findings marked on it, to send back."""

from __future__ import annotations

from pathlib import Path

import typer

from carekpi.base.errors import UsageError
from carekpi.cli.common import app, err, handled, parse_today, state


@app.command()
def feedback(
    paths: list[Path] = typer.Argument(..., help="Return workbooks, and folders of them."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Where to write the copy of one return (.xlsx)."),
    out_dir: Path | None = typer.Option(None, "--out-dir", help="A folder for the copies of many returns "
                                                                "(each <name>-feedback.xlsx)."),
    framework: str | None = typer.Option(None, "--framework", "-f", help="Framework id, if the workbooks do not say."),
    return_type: str | None = typer.Option(None, "--return", "-r", help="Return type id, if the workbooks do not say."),
    commissioner_data: Path | None = typer.Option(None, "--commissioner-data", help="CSV of council-supplied items."),
    contract: Path | None = typer.Option(None, "--contract", help="Contract settings YAML (trajectory dates)."),
    today: str | None = typer.Option(None, "--today", hidden=True, help="Pretend today is this date (testing)."),
) -> None:
    """Write a copy of a return for its provider: every finding's cell coloured and commented, a
    Findings sheet first (each finding linked to its cell) and the KPI results. The return itself
    is never changed.

    Example: carekpi feedback acme-march.xlsx -o acme-march-feedback.xlsx

    Example: carekpi feedback returns/ --out-dir feedback/
    """
    code = 0
    with handled():
        from carekpi.base.atomic import atomic_write_bytes
        from carekpi.feedback import feedback_bytes, plan_outputs, validate_and_score
        from carekpi.feedback.sheets import counts_text
        from carekpi.workbook.files import collect_files

        files: list[Path] = []
        for p in paths:
            if p.is_dir():
                found = collect_files([p])
                if not found:
                    raise UsageError(f"{p}: no .xlsx or .xlsm returns in this folder")
                files += found
            else:
                files.append(p)
        if output is not None and not output.parent.is_dir():
            raise UsageError(f"cannot write {output}: the folder {output.parent} does not exist")
        plan = plan_outputs(files, output=output, out_dir=out_dir)
        checked = validate_and_score(files, framework=framework, return_id=return_type,
                                     frameworks_dirs=state.frameworks_dirs, commissioner_data=commissioner_data,
                                     contract=contract, today=parse_today(today))
        for c in checked:
            target = plan[c.path]
            if c.report.unreadable is not None:
                err(f"error: {c.path}: {c.report.unreadable} (no feedback written)")
                code = 2
                continue
            try:
                atomic_write_bytes(target, feedback_bytes(c))
            except OSError as exc:
                raise UsageError(f"cannot write {target}: {exc.strerror or exc}") from None
            typer.echo(f"wrote {target}: {counts_text(c.report)[:-1]} ({c.path})")
            if not c.report.valid:
                code = max(code, 1)
    raise typer.Exit(code)
