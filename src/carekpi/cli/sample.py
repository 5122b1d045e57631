"""``carekpi sample``: make a framework's synthetic sample returns."""

from __future__ import annotations

from pathlib import Path

import typer

from carekpi.cli.common import app, frameworks_dir_option, handled, state


@app.command()
def sample(
    framework: str = typer.Option(..., "--framework", "-f", help="Framework id."),
    output: Path = typer.Option(..., "--output", "-o", help="Folder to write the sample returns into."),
    frameworks_dir: list[Path] = frameworks_dir_option(),
) -> None:
    """Make the synthetic sample returns for a framework (how sample_returns/ is built).

    Example: carekpi sample --framework surrey -o sample_returns/surrey
    """
    with handled():
        from carekpi.framework.discovery import find_framework
        from carekpi.workbook.samples import write_samples

        fw = find_framework(framework, state.dirs(frameworks_dir))
        written = write_samples(fw, output)
        typer.echo(f"wrote {len(written)} files to {output}")
