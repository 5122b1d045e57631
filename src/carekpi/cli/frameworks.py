"""``carekpi frameworks``: the frameworks carekpi knows, and what one of them asks for."""

from __future__ import annotations

from pathlib import Path

import typer

from carekpi.cli.common import emit, format_option, frameworks_app, frameworks_dir_option, handled, rendered, state


@frameworks_app.callback()
def frameworks_list(ctx: typer.Context, frameworks_dir: list[Path] = frameworks_dir_option()) -> None:
    """List the frameworks found, in the order they are searched: --frameworks-dir,
    CAREKPI_FRAMEWORKS_DIR, ./frameworks, then those bundled with carekpi.

    Example: carekpi frameworks
    """
    state.frameworks_dirs = state.dirs(frameworks_dir)  # for "frameworks --frameworks-dir DIR show ID" too
    if ctx.invoked_subcommand is not None:
        return
    with handled():
        from carekpi.framework.discovery import list_frameworks

        emit(rendered("text", "frameworks", list_frameworks(state.frameworks_dirs)), None)


@frameworks_app.command("show")
def frameworks_show(
    framework: str = typer.Argument(..., help="Framework id or path."),
    fmt: str = format_option("framework", "Output format (yaml: the framework file as written)"),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write it to a file."),
    frameworks_dir: list[Path] = frameworks_dir_option(),
) -> None:
    """Show a framework: returns, items, KPIs with formulas and bands, and the notes; or the
    file itself (--format yaml), to start a framework of your own from.

    Example: carekpi frameworks show surrey

    Example: carekpi frameworks show surrey --format yaml -o frameworks/wessex.yaml
    """
    with handled():
        from carekpi.framework.discovery import find_framework

        emit(rendered(fmt, "framework", find_framework(framework, state.dirs(frameworks_dir))), output)
