"""``carekpi schema``: the JSON Schema of framework YAML files."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from carekpi.cli.common import app, err, handled


@app.command()
def schema(
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the schema to this file."),
) -> None:
    """Print the JSON Schema of framework YAML files, for editors and CI.

    In a repository of your own frameworks (frameworks/<id>.yaml), write it to
    schema/framework.schema.json; a framework file then opts in to completion and checking in
    editors with this first line (the bundled frameworks have it):
    # yaml-language-server: $schema=../schema/framework.schema.json

    Example: carekpi schema -o schema/framework.schema.json
    """
    with handled():
        from carekpi.framework.schema import schema_text, write_schema_file

        if output is None:
            sys.stdout.write(schema_text())
        else:
            write_schema_file(output)
            err(f"wrote {output}")
