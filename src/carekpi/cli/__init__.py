"""The command line: a thin shell that parses options, calls the library and renders.

Exit codes: 0 success; 1 the input has errors (validate), problems (lint), drift
(template --check) or an unreadable file in a batch (score); 2 a file cannot be
read or the command is misused; 3 an internal error (a bug: please report it).
"""

from __future__ import annotations

import re
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from enum import Enum
from pathlib import Path

import typer

from carekpi import __version__
from carekpi.base.errors import CarekpiError, FrameworkError, UnreadableWorkbook, UsageError

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


class _State:
    """Options of the top-level command, read by the subcommands."""

    def __init__(self) -> None:
        self.debug = False
        self.frameworks_dirs: list[Path] = []


state = _State()


def _err(msg: str) -> None:
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
            _err(str(p))
        raise typer.Exit(2) from None
    except CarekpiError as exc:
        if state.debug:
            traceback.print_exc()
        _err(f"error: {exc}")
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        _err("interrupted")
        raise typer.Exit(130) from None
    except Exception as exc:  # a bug: say so, briefly, unless asked for the traceback
        if state.debug:
            traceback.print_exc()
        else:
            _err(f"internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback, and please report it)")
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
        help="A folder of your own framework YAML files (searched before the bundled ones). Repeatable.",
    ),
) -> None:
    """carekpi: frameworks as data, Excel templates, validation and KPI scoring.

    Example: carekpi score --framework surrey
    """
    state.debug = debug
    state.frameworks_dirs = list(frameworks_dir)


class ValidateFormat(str, Enum):
    text = "text"
    json = "json"
    csv = "csv"
    github = "github"
    sarif = "sarif"


class ScoreFormat(str, Enum):
    text = "text"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


class LintFormat(str, Enum):
    text = "text"
    json = "json"
    github = "github"
    sarif = "sarif"


class ShowFormat(str, Enum):
    text = "text"
    json = "json"


def _renderer(name: str) -> object:
    from carekpi.render import get_renderer
    from carekpi.render.text import TextRenderer

    if name == "text":
        return TextRenderer(color=sys.stdout.isatty())
    return get_renderer(name)


def _writable(output: Path, inputs: list[Path] | None = None) -> None:
    """Refuse, in one sentence, an output file whose folder does not exist or that is an input."""
    if not output.parent.is_dir():
        raise UsageError(f"cannot write {output}: the folder {output.parent} does not exist")
    target = output.resolve()
    for p in inputs or []:
        if p.exists() and p.is_file() and p.resolve() == target:
            raise UsageError(f"cannot write {output}: it is one of the input files, which carekpi never modifies")


def _emit(result: str | bytes, output: Path | None, inputs: list[Path] | None = None) -> None:
    if output is not None:
        from carekpi.base.atomic import atomic_write_bytes

        _writable(output, inputs)
        try:
            atomic_write_bytes(output, result if isinstance(result, bytes) else result.encode("utf-8"))
        except OSError as exc:  # disk full, permission denied: the old file (if any) is intact
            raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
        _err(f"wrote {output}")
        return
    if isinstance(result, bytes):
        raise UsageError("this format is binary: write it to a file with -o/--output")
    sys.stdout.write(result)
    sys.stdout.flush()


def _today(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--today {value!r} is not a date (YYYY-MM-DD)") from None


# --- template ----------------------------------------------------------------------------------------


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
) -> None:
    """Generate the Excel workbook a provider fills in, or check a committed one for drift.

    Example: carekpi template --framework surrey -o surrey-return.xlsx

    Example: carekpi template --check templates/surrey-monthly.xlsx
    """
    if check is not None:
        raise typer.Exit(_check_templates([check, *(more or [])], framework, return_type))
    with handled():
        from carekpi.framework.loader import find_framework
        from carekpi.workbook.template import write_template

        if more:
            raise UsageError("workbook arguments are for --check: carekpi template --check FILE [FILE...]")
        if framework is None:
            raise UsageError("name the framework: carekpi template --framework ID (see carekpi frameworks)")
        fw = find_framework(framework, state.frameworks_dirs)
        rid = return_type or fw.returns[0].id
        if rid not in [r.id for r in fw.returns]:
            raise UsageError(f"framework {fw.id} has no return type {rid!r} "
                             f"(it has: {', '.join(r.id for r in fw.returns)})")
        out = output or Path(f"{fw.id}-{rid}-return.xlsx")
        _writable(out)
        write_template(fw, out, rid)
        typer.echo(f"wrote {out}: {fw.name}, {fw.return_type(rid).label} (framework {fw.id} version {fw.version})")


def _check_templates(paths: list[Path], framework: str | None, return_type: str | None) -> int:
    """``template --check``: each workbook (or each in a folder) against the template its framework
    generates now. The framework and return type are the ones named, else the ones the workbook's
    metadata names."""
    from carekpi.market.batch import collect_files

    code = 0
    files: list[Path] = []
    for p in paths:
        found = collect_files([p], recursive=False) if p.is_dir() else [p]
        if not found:
            _err(f"error: {p}: no .xlsx or .xlsm workbooks in this folder")
            code = 2
        files += found
    for f in files:
        with handled():
            from carekpi.framework.loader import find_framework
            from carekpi.workbook.drift import check_template, render_drift
            from carekpi.workbook.reader import open_workbook

            try:
                meta = open_workbook(f).meta
                ref = framework or meta.get("framework")
                if not ref:
                    raise UsageError(f"{f} has no carekpi metadata naming its framework: name it with --framework")
                if not framework and not re.fullmatch(r"[a-z][a-z0-9-]{0,63}", ref):
                    # the workbook is untrusted: it may name a framework id, never a file to load
                    raise UsageError(f"{f} names the framework {ref[:60]!r}, which is not a framework id")
                fw = find_framework(ref, state.frameworks_dirs)
                rid = return_type or meta.get("return_type") or fw.returns[0].id
                if rid not in [r.id for r in fw.returns]:
                    raise UsageError(f"framework {fw.id} has no return type {rid!r} "
                                     f"(it has: {', '.join(r.id for r in fw.returns)})")
                drifts = check_template(fw, f, rid)
            except (UnreadableWorkbook, UsageError) as exc:
                _err(f"error: {exc}")
                code = 2
                continue
            typer.echo(render_drift(drifts, str(f)), nl=False)
            if drifts:
                code = max(code, 1)
    return code


# --- validate ---------------------------------------------------------------------------------------


@app.command()
def validate(
    files: list[Path] = typer.Argument(..., help="Return workbooks (.xlsx / .xlsm)."),
    framework: str | None = typer.Option(None, "--framework", "-f", help="Framework id, if the workbook does not say."),
    return_type: str | None = typer.Option(None, "--return", "-r", help="Return type id, if the workbook does not say."),
    fmt: ValidateFormat = typer.Option(ValidateFormat.text, "--format", help="Output format."),
    strict: bool = typer.Option(False, "--strict", help="Fail on warnings as well as errors."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the report to a file."),
    today: str | None = typer.Option(None, "--today", hidden=True, help="Pretend today is this date (testing)."),
) -> None:
    """Check a return before sending it (provider) or before accepting it (council).

    Example: carekpi validate surrey-return.xlsx
    """
    code = 0
    with handled():
        from carekpi.validation.findings import ValidationReport
        from carekpi.validation.validate import validate_file

        day = _today(today)
        reports: list[ValidationReport] = []
        for f in files:
            try:
                rep = validate_file(f, framework=framework, return_id=return_type,
                                    frameworks_dirs=state.frameworks_dirs, today=day)
            except UnreadableWorkbook as exc:
                rep = ValidationReport(str(f), None, None, unreadable=exc.reason)
                code = 2
            except UsageError as exc:
                if len(files) == 1:
                    raise
                # a return of another framework or type must not hide the reports on the others
                rep = ValidationReport(str(f), None, None, unreadable=str(exc))
                code = 2
            reports.append(rep)
            if rep.unreadable is None and not rep.passed(strict):
                code = max(code, 1)
        renderer = _renderer(fmt.value)
        _emit(renderer.validation(reports), output, list(files))  # type: ignore[attr-defined]
        if len(files) == 1 and reports[0].unreadable:
            _err(f"error: {reports[0].file}: {reports[0].unreadable}")
    raise typer.Exit(code)


# --- score ------------------------------------------------------------------------------------------


@app.command()
def score(
    paths: list[Path] = typer.Argument(None, help="Return workbooks and folders of them (default: the bundled samples)."),
    framework: str = typer.Option(..., "--framework", "-f", help="Framework id (e.g. surrey)."),
    return_type: str | None = typer.Option(None, "--return", "-r", help="Return type id (default: the first)."),
    commissioner_data: Path | None = typer.Option(None, "--commissioner-data", help="CSV of council-supplied items."),
    contract: Path | None = typer.Option(None, "--contract", help="Contract settings YAML (trajectory dates)."),
    fmt: ScoreFormat = typer.Option(ScoreFormat.text, "--format", help="Output format."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the result to a file (required for xlsx)."),
    today: str | None = typer.Option(None, "--today", hidden=True, help="Pretend today is this date (testing)."),
) -> None:
    """Compute KPI values and Green / Amber / Red bands for one return or a whole market.

    Example: carekpi score returns/ --framework surrey --commissioner-data scc-ebrokerage.csv
    """
    code = 0
    with handled():
        from carekpi.market.batch import score_paths

        report = score_paths(
            framework, list(paths or []), frameworks_dirs=state.frameworks_dirs, return_id=return_type,
            commissioner_data=commissioner_data, contract=contract, today=_today(today), notice=_err,
        )
        if fmt == ScoreFormat.xlsx and output is None:
            raise UsageError("--format xlsx needs -o/--output FILE.xlsx")
        _emit(_renderer(fmt.value).score(report), output,  # type: ignore[attr-defined]
              [Path(r.file) for r in report.returns])
        if report.unreadable:
            code = 1
    raise typer.Exit(code)


# --- frameworks -------------------------------------------------------------------------------------


@frameworks_app.callback()
def frameworks_list(ctx: typer.Context) -> None:
    """List bundled and local frameworks.

    Example: carekpi frameworks
    """
    if ctx.invoked_subcommand is not None:
        return
    with handled():
        from carekpi.render.describe import list_frameworks

        typer.echo(list_frameworks(state.frameworks_dirs), nl=False)


@frameworks_app.command("show")
def frameworks_show(
    framework: str = typer.Argument(..., help="Framework id or path."),
    fmt: ShowFormat = typer.Option(ShowFormat.text, "--format", help="Output format."),
) -> None:
    """Show a framework: returns, items, KPIs with formulas and bands, and the notes.

    Example: carekpi frameworks show surrey
    """
    with handled():
        from carekpi.framework.loader import find_framework
        from carekpi.render.describe import show_json, show_text

        fw = find_framework(framework, state.frameworks_dirs)
        typer.echo(show_json(fw) if fmt == ShowFormat.json else show_text(fw), nl=False)


# --- lint -------------------------------------------------------------------------------------------


@app.command()
def lint(
    paths: list[Path] = typer.Argument(
        None, help="Framework YAML files or folders, with their versions/ (default: ./frameworks, or the bundled).",
    ),
    fmt: LintFormat = typer.Option(LintFormat.text, "--format", help="Output format."),
) -> None:
    """Check framework files: schema, references, ids, bands, deadlines, contract dates, versions.
    Every problem has its file, line and code (F0xx).

    Example: carekpi lint frameworks/
    """
    code = 0
    with handled():
        from carekpi.framework.lint import lint_paths

        files, problems = lint_paths(list(paths or []), state.frameworks_dirs)
        typer.echo(_renderer(fmt.value).lint(problems, files), nl=False)  # type: ignore[attr-defined]
        code = 1 if problems else 0
    raise typer.Exit(code)


# --- diff and schema --------------------------------------------------------------------------------


class DiffFormat(str, Enum):
    text = "text"
    markdown = "markdown"
    json = "json"


@app.command()
def diff(
    old: str = typer.Argument(
        ..., help="The old framework: ID, PATH, ID@REV or PATH@REV (as committed at a git revision).",
    ),
    new: str = typer.Argument(..., help="The new framework, likewise."),
    fmt: DiffFormat = typer.Option(
        DiffFormat.text, "--format", help="Output format (markdown: a pull-request comment).",
    ),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the result to a file."),
) -> None:
    """Explain every change between two versions of a framework, and which ones break providers' workbooks.

    Example: carekpi diff surrey@main frameworks/surrey.yaml --format markdown
    """
    with handled():
        from carekpi.framework.diff import diff_frameworks, load_framework_ref, render_json, render_markdown, render_text

        result = diff_frameworks(load_framework_ref(old, extra=state.frameworks_dirs),
                                 load_framework_ref(new, extra=state.frameworks_dirs))
        renderers = {DiffFormat.text: render_text, DiffFormat.markdown: render_markdown, DiffFormat.json: render_json}
        render = renderers[fmt]
        _emit(render(result), output)


@app.command()
def schema(
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the schema to this file."),
) -> None:
    """Print the JSON Schema of framework YAML files, for editors and CI.

    A framework file opts in to completion and checking in editors with this first line:
    # yaml-language-server: $schema=../schema/framework.schema.json

    Example: carekpi schema -o schema/framework.schema.json
    """
    with handled():
        from carekpi.framework.schema import schema_text, write_schema_file

        if output is None:
            sys.stdout.write(schema_text())
        else:
            write_schema_file(output)
            _err(f"wrote {output}")


# --- sample -----------------------------------------------------------------------------------------


@app.command()
def sample(
    framework: str = typer.Option(..., "--framework", "-f", help="Framework id."),
    output: Path = typer.Option(..., "--output", "-o", help="Folder to write the sample returns into."),
) -> None:
    """Make the synthetic sample returns for a framework (how sample_returns/ is built).

    Example: carekpi sample --framework surrey -o sample_returns/surrey
    """
    with handled():
        from carekpi.framework.loader import find_framework
        from carekpi.workbook.samples import write_samples

        fw = find_framework(framework, state.frameworks_dirs)
        written = write_samples(fw, output)
        typer.echo(f"wrote {len(written)} files to {output}")


def main() -> None:
    app(prog_name="carekpi")
