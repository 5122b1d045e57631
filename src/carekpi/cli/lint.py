"""``carekpi lint``: check framework files for CI."""

from __future__ import annotations

from pathlib import Path

import typer

from carekpi.cli.common import app, emit, format_option, frameworks_dir_option, handled, rendered, state


@app.command()
def lint(
    paths: list[Path] = typer.Argument(
        None, help="Framework YAML files or folders, with their versions/ (default: the local framework folders "
                   "searched, --frameworks-dir, CAREKPI_FRAMEWORKS_DIR and ./frameworks; else the bundled).",
    ),
    fmt: str = format_option("lint"),
    frameworks_dir: list[Path] = frameworks_dir_option(),
) -> None:
    """Check framework files: schema, references, ids, bands, deadlines, contract dates, versions.
    Every problem has its file, line and code (F0xx).

    Example: carekpi lint frameworks/
    """
    code = 0
    with handled():
        from carekpi.framework.lint import lint_paths

        result = lint_paths(list(paths or []), state.dirs(frameworks_dir))
        emit(rendered(fmt, "lint", result), None)
        code = 0 if result.valid else 1
    raise typer.Exit(code)
