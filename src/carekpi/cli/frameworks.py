"""``carekpi frameworks``: the frameworks carekpi knows, and what one of them asks for."""

from __future__ import annotations

import typer

from carekpi.cli.common import emit, format_option, frameworks_app, handled, rendered, state


@frameworks_app.callback()
def frameworks_list(ctx: typer.Context) -> None:
    """List bundled and local frameworks.

    Example: carekpi frameworks
    """
    if ctx.invoked_subcommand is not None:
        return
    with handled():
        from carekpi.framework.discovery import list_frameworks

        emit(rendered("text", "frameworks", list_frameworks(state.frameworks_dirs)), None)


@frameworks_app.command("show")
def frameworks_show(
    framework: str = typer.Argument(..., help="Framework id or path."),
    fmt: str = format_option("framework"),
) -> None:
    """Show a framework: returns, items, KPIs with formulas and bands, and the notes.

    Example: carekpi frameworks show surrey
    """
    with handled():
        from carekpi.framework.discovery import find_framework

        emit(rendered(fmt, "framework", find_framework(framework, state.frameworks_dirs)), None)
