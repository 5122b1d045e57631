"""The command line: a thin shell that parses options, calls the library and renders.

``app`` holds what every command shares (the typer app, error handling and exit codes,
writing output); one module per command registers it on the app.

May import: every layer. Commands import the library when they run, so that
``carekpi --version`` and ``--help`` start fast.
"""

from __future__ import annotations

# registration order is the order --help lists the commands:
# isort: off
from carekpi.cli import template  # noqa: F401
from carekpi.cli import validate  # noqa: F401
from carekpi.cli import score  # noqa: F401
from carekpi.cli import feedback  # noqa: F401
from carekpi.cli import report  # noqa: F401
from carekpi.cli import frameworks  # noqa: F401
from carekpi.cli import lint  # noqa: F401
from carekpi.cli import diff  # noqa: F401
from carekpi.cli import schema  # noqa: F401
from carekpi.cli import sample  # noqa: F401
# isort: on
from carekpi.cli.common import app, main

__all__ = ["app", "main"]
