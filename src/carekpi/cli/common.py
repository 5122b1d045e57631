"""The command-line shell every command shares: the typer app, the top-level options, one way
to turn expected failures into a message and an exit code, and one way to write output.

Exit codes: 0 success; 1 the input has errors (validate), problems (lint), drift
(template --check) or an unreadable file in a batch (score); 2 a file cannot be
read or the command is misused; 3 an internal error (a bug: please report it).

Commands import the library when they run, so ``carekpi --version`` and ``--help`` load
neither openpyxl nor pydantic.
"""

from __future__ import annotations

import copy
import os
import shutil
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import typer
import typer.main

from carekpi.base.atomic import atomic_write_bytes
from carekpi.base.errors import CarekpiError, FrameworkError, UsageError
from carekpi.base.version import __version__
from carekpi.render.registry import FULL_WIDTH, RenderOptions, formats_for, render

app = typer.Typer(
    name="carekpi",
    help="Performance-monitoring returns for adult social care contracts: templates, validation and KPI scores."
         "\n\nExample: carekpi score --framework surrey",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
frameworks_app = typer.Typer(
    help="List the frameworks carekpi knows, or show one.\n\nExample: carekpi frameworks show surrey",
    invoke_without_command=True,
)
app.add_typer(frameworks_app, name="frameworks")


FRAMEWORKS_DIR_HELP = ("A folder of your own framework YAML files, searched first (then CAREKPI_FRAMEWORKS_DIR, "
                       "./frameworks and the bundled frameworks). Repeatable.")


class _State:
    """Options of the top-level command, read by the subcommands."""

    def __init__(self) -> None:
        self.debug = False
        self.frameworks_dirs: list[Path] = []

    def dirs(self, more: list[Path] | None = None) -> list[Path]:
        """The ``--frameworks-dir`` folders: those given before the command, then those after it."""
        return [*self.frameworks_dirs, *(more or [])]


state = _State()


#: output formats meant for programs: no progress bar beside them
MACHINE_FORMATS = frozenset({"json", "csv", "xlsx", "sarif", "github"})


@contextmanager
def progress_bar(fmt: str, label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress callback ``(done, total)`` drawing a bar on stderr, or None where a bar would be
    noise: stderr not a terminal, CI set, or output in a format meant for programs."""
    if fmt in MACHINE_FORMATS or os.environ.get("CI") or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console  # imported only when a bar is drawn (start-up speed)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    # refreshed by hand, so no thread runs while reader processes are started
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=Console(stderr=True), transient=True, auto_refresh=False) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)
            bar.refresh()

        yield update


def frameworks_dir_option() -> Any:
    """``--frameworks-dir`` on a command that loads frameworks (the same option is accepted
    before the command; both are searched, in the order given)."""
    return typer.Option([], "--frameworks-dir", help=FRAMEWORKS_DIR_HELP, show_default=False)


def err(msg: str) -> None:
    typer.echo(f"carekpi: {msg}", err=True)


@contextmanager
def handled() -> Iterator[None]:
    """Turn expected failures into one message and an exit code; tracebacks only with --debug."""
    try:
        yield
    except typer.Exit:
        raise
    except FrameworkError as exc:
        if state.debug:
            traceback.print_exc()
        for p in exc.problems:
            err(str(p))
        raise typer.Exit(2) from None
    except CarekpiError as exc:
        if state.debug:
            traceback.print_exc()
        err(f"error: {exc}")
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        err("interrupted")
        raise typer.Exit(130) from None
    except Exception as exc:  # a bug: say so, briefly, unless asked for the traceback
        if state.debug:
            traceback.print_exc()
        else:
            err(f"internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback, and please report it)")
        raise typer.Exit(3) from None


def _version(value: bool) -> None:
    if value:
        typer.echo(f"carekpi {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version and exit."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
    frameworks_dir: list[Path] = typer.Option(
        [], "--frameworks-dir", envvar="CAREKPI_FRAMEWORKS_DIR",
        help=f"{FRAMEWORKS_DIR_HELP} Also accepted after the command.",
    ),
) -> None:
    """carekpi: frameworks as data, Excel templates, validation and KPI scoring.

    Example: carekpi score --framework surrey
    """
    state.debug = debug
    state.frameworks_dirs = list(frameworks_dir)


def format_option(result: str, what: str = "Output format") -> Any:
    """The ``--format`` option of a command whose result is ``result``: the choices are the
    formats the renderer registry has for it."""
    choices = formats_for(result)

    def check(value: str) -> str:
        if value not in choices:
            raise typer.BadParameter(f"{value!r} is not one of: {', '.join(choices)}")
        return value

    return typer.Option("text", "--format", help=f"{what}: {' | '.join(choices)}.", callback=check)


def rendered(fmt: str, result: str, value: Any, *, verbose: bool = False) -> str | bytes:
    """``value`` in format ``fmt``; text is coloured and fitted to the width of a terminal."""
    if fmt != "text":
        return render(fmt, result, value, RenderOptions(verbose=verbose))
    return render(fmt, result, value, RenderOptions(color=sys.stdout.isatty(), width=terminal_width(), verbose=verbose))


def terminal_width() -> int:
    """The width text output is fitted to: the terminal's when standard output is one (at least
    60 columns), else :data:`~carekpi.render.registry.FULL_WIDTH` (the full tables)."""
    if not sys.stdout.isatty():
        return FULL_WIDTH
    return max(60, shutil.get_terminal_size((FULL_WIDTH, 24)).columns)


def writable(output: Path, inputs: list[Path] | None = None) -> None:
    """Refuse, in one sentence, an output file whose folder does not exist or that is an input."""
    if not output.parent.is_dir():
        raise UsageError(f"cannot write {output}: the folder {output.parent} does not exist")
    target = output.resolve()
    for p in inputs or []:
        if p.exists() and p.is_file() and p.resolve() == target:
            raise UsageError(f"cannot write {output}: it is one of the input files, which carekpi never modifies")


def emit(result: str | bytes, output: Path | None, inputs: list[Path] | None = None) -> None:
    """Write a result to ``output`` atomically (the old file stays whole if writing fails), or to
    standard output."""
    if output is not None:
        writable(output, inputs)
        try:
            atomic_write_bytes(output, result if isinstance(result, bytes) else result.encode("utf-8"))
        except OSError as exc:  # disk full, permission denied: the old file (if any) is intact
            raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
        err(f"wrote {output}")
        return
    if isinstance(result, bytes):
        raise UsageError("this format is binary: write it to a file with -o/--output")
    sys.stdout.write(result)
    sys.stdout.flush()


def parse_today(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--today {value!r} is not a date (YYYY-MM-DD)") from None


def main() -> None:
    app_for(sys.argv[1:])(prog_name="carekpi")


#: the top-level options (:func:`main_options`) that take a value
_VALUED = ("--frameworks-dir",)
#: the top-level options that can come before a command without changing what runs
_FLAGS = ("--debug",)


def app_for(args: list[str]) -> typer.Typer:
    """The app to run ``args`` with: when they name a command (after top-level options), a copy
    of :data:`app` holding that command alone; otherwise :data:`app` itself.

    typer builds the options of every registered command on each run, though a run uses one:
    4 to 5 ms of a one-return ``carekpi validate``. A run that names its command gets the same
    parsing, messages, help and exit codes from the copy, as only the named command is ever
    looked up. Without a command, or with ``--help`` or ``--version`` before it (the list of
    commands is then shown, or nothing runs), the whole app runs."""
    i = 0
    while i < len(args):
        a = args[i]
        if a in _VALUED:
            i += 2
        elif a in _FLAGS or a.startswith(tuple(f"{v}=" for v in _VALUED)):
            i += 1
        else:
            break
    if i >= len(args):
        return app
    name = args[i]
    commands = [c for c in app.registered_commands if _command_name(c) == name]
    groups = [g for g in app.registered_groups if g.name == name]
    if len(commands) + len(groups) != 1:
        return app
    one = copy.copy(app)
    one.registered_commands = commands
    one.registered_groups = groups
    return one


def _command_name(info: Any) -> str | None:
    if info.name:
        return str(info.name)
    callback = info.callback
    return typer.main.get_command_name(callback.__name__) if callback is not None else None
