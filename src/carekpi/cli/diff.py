"""``carekpi diff``: every change between two versions of a framework."""

from __future__ import annotations

from pathlib import Path

import typer

from carekpi.cli.common import app, emit, format_option, frameworks_dir_option, handled, rendered, state


@app.command()
def diff(
    old: str = typer.Argument(
        ..., help="The old framework: ID, PATH, ID@REV or PATH@REV (as committed at a git revision).",
    ),
    new: str = typer.Argument(..., help="The new framework, likewise."),
    fmt: str = format_option("diff", "Output format (markdown: a pull-request comment)"),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the result to a file."),
    frameworks_dir: list[Path] = frameworks_dir_option(),
) -> None:
    """Explain every change between two versions of a framework, and which ones break providers' workbooks.

    Example: carekpi diff surrey@main frameworks/surrey.yaml --format markdown
    """
    with handled():
        from carekpi.framework.diff import diff_frameworks, load_framework_ref

        dirs = state.dirs(frameworks_dir)
        result = diff_frameworks(load_framework_ref(old, extra=dirs), load_framework_ref(new, extra=dirs))
        emit(rendered(fmt, "diff", result), output)
