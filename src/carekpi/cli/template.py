"""``carekpi template``: generate the workbook a provider fills in, or check committed ones for drift."""

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
    rendered,
    state,
    writable,
)


@app.command()
def template(
    more: list[Path] = typer.Argument(None, show_default=False,
                                      help="With --check: more workbooks to check (as pre-commit passes them)."),
    framework: str | None = typer.Option(
        None, "--framework", "-f",
        help="Framework id (e.g. surrey) or path to a YAML file. With --check, default: the one the workbook names.",
    ),
    return_type: str | None = typer.Option(None, "--return", "-r", help="Return type id (default: the first)."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Where to write the workbook."),
    check: Path | None = typer.Option(
        None, "--check",
        help="Compare this workbook (or each in this folder) with what the framework generates now; "
             "exit 1 if they differ.",
    ),
    fmt: str = format_option("drift", "Output format of --check"),
    frameworks_dir: list[Path] = frameworks_dir_option(),
) -> None:
    """Generate the Excel workbook a provider fills in, or check a committed one for drift.

    Example: carekpi template --framework surrey -o surrey-return.xlsx

    Example: carekpi template --check templates/surrey-monthly.xlsx
    """
    if check is not None:
        raise typer.Exit(_check_templates([check, *(more or [])], framework, return_type, fmt,
                                          state.dirs(frameworks_dir)))
    with handled():
        from carekpi.framework.discovery import find_framework
        from carekpi.workbook.template import write_template

        if more:
            raise UsageError("workbook arguments are for --check: carekpi template --check FILE [FILE...]")
        if framework is None:
            raise UsageError("name the framework: carekpi template --framework ID (see carekpi frameworks)")
        fw = find_framework(framework, state.dirs(frameworks_dir))
        rid = return_type or fw.returns[0].id
        if rid not in [r.id for r in fw.returns]:
            raise UsageError(f"framework {fw.id} has no return type {rid!r} "
                             f"(it has: {', '.join(r.id for r in fw.returns)})")
        out = output or Path(f"{fw.id}-{rid}-return.xlsx")
        writable(out)
        write_template(fw, out, rid)
        typer.echo(f"wrote {out}: {fw.name}, {fw.return_type(rid).label} (framework {fw.id} version {fw.version})")


def _check_templates(paths: list[Path], framework: str | None, return_type: str | None, fmt: str,
                     dirs: list[Path]) -> int:
    """``template --check``: each workbook (or each in a folder) against the template its framework
    generates now. The framework and return type are the ones named, else the ones the workbook's
    metadata names."""
    code = 0
    checks = []
    with handled():
        from carekpi.framework.discovery import framework_for_workbook
        from carekpi.workbook.drift import TemplateCheck, check_template, regenerate_command
        from carekpi.workbook.files import collect_files
        from carekpi.workbook.reader import open_workbook

        files: list[Path] = []
        for p in paths:
            found = collect_files([p], recursive=False) if p.is_dir() else [p]
            if not found:
                err(f"error: {p}: no .xlsx or .xlsm workbooks in this folder")
                code = 2
            files += found
        for f in files:
            try:
                meta = open_workbook(f).meta
                fw = framework_for_workbook(str(f), meta.get("framework"), framework, dirs, must_match=False)
                rid = return_type or meta.get("return_type") or fw.returns[0].id
                if rid not in [r.id for r in fw.returns]:
                    raise UsageError(f"framework {fw.id} has no return type {rid!r} "
                                     f"(it has: {', '.join(r.id for r in fw.returns)})")
                drifts = check_template(fw, f, rid)
            except (UnreadableWorkbook, UsageError) as exc:
                err(f"error: {exc}")
                checks.append(TemplateCheck(str(f), error=str(exc)))
                code = 2
                continue
            again = regenerate_command(fw, framework or fw.id, rid, f, dirs)
            checks.append(TemplateCheck(str(f), tuple(drifts), regenerate=again))
            if drifts:
                code = max(code, 1)
        emit(rendered(fmt, "drift", checks), None)
    return code
