"""The ``carekpi`` command's entry point.

``carekpi --version`` is answered here without loading the command-line application (typer,
click, rich and every command's module), so it costs little more than starting Python;
everything else runs :func:`carekpi.cli.main`. The import inside :func:`main` is for start-up
speed only.
"""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from carekpi.base.version import __version__

        sys.stdout.write(f"carekpi {__version__}\n")
        return
    from carekpi.cli import main as run

    run()
