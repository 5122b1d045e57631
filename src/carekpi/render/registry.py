"""The registry of renderers: one function per (output format, result type).

A renderer is a function ``(result, options) -> str | bytes`` registered with
:func:`renders`. Result types:

==============  ==========================================================  ===================
result          what it is                                                  command
==============  ==========================================================  ===================
``validation``  a list of :class:`~carekpi.validation.findings.ValidationReport`  ``validate``
``score``       a :class:`~carekpi.scoring.results.ScoreReport` (per return) ``score --by-return``
``market``      a :class:`~carekpi.market.report.MarketReport`             ``score``
``lint``        a :class:`~carekpi.framework.lint.LintResult`               ``lint``
``drift``       a list of :class:`~carekpi.workbook.drift.TemplateCheck`    ``template --check``
``diff``        a :class:`~carekpi.framework.diff.FrameworkDiff`            ``diff``
``framework``   a :class:`~carekpi.framework.model.Framework`               ``frameworks show``
``frameworks``  the rows of :func:`~carekpi.framework.discovery.list_frameworks`  ``frameworks``
==============  ==========================================================  ===================

The CLI's ``--format`` choices are :func:`formats_for` the command's result type. Renderer
modules import only the standard library at module level (what they render, openpyxl and
rich are imported when they run), so listing formats costs nothing at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from carekpi.base.errors import UsageError

#: the width of text output that is not shown on a terminal (piped, or written with -o): the
#: full score table
FULL_WIDTH = 150


@dataclass(frozen=True)
class RenderOptions:
    """How the output will be shown: colours (a terminal), width in characters (the terminal's,
    else :data:`FULL_WIDTH`), and whether to list everything a finding stands for (verbose)."""

    color: bool = False
    width: int = FULL_WIDTH
    verbose: bool = False
    #: the order of the market table: ``worst`` first, or by ``provider``
    sort: str = "worst"


RenderFn = Callable[[Any, RenderOptions], "str | bytes"]


@dataclass(frozen=True)
class Entry:
    """One renderer: the format and result type it is registered for, and whether it gives bytes."""

    format: str
    result: str
    fn: RenderFn
    binary: bool


#: every renderer by (format, result type), in registration order
RENDERERS: dict[tuple[str, str], Entry] = {}


def renders(fmt: str, result: str, *, binary: bool = False) -> Callable[[RenderFn], RenderFn]:
    """Decorator: register a function as the ``fmt`` renderer of ``result``."""

    def register(fn: RenderFn) -> RenderFn:
        if (fmt, result) in RENDERERS:
            raise ValueError(f"two {fmt} renderers for {result}")
        RENDERERS[(fmt, result)] = Entry(fmt, result, fn, binary)
        return fn

    return register


def formats_for(result: str) -> list[str]:
    """The formats a result type can be rendered in (text first, then as registered)."""
    names = [e.format for e in RENDERERS.values() if e.result == result]
    return sorted(names, key=lambda n: n != "text")


def is_binary(fmt: str, result: str) -> bool:
    entry = RENDERERS.get((fmt, result))
    return bool(entry and entry.binary)


def render(fmt: str, result: str, value: Any, options: RenderOptions | None = None) -> str | bytes:
    """Render ``value`` (a result of type ``result``) in format ``fmt``."""
    entry = RENDERERS.get((fmt, result))
    if entry is None:
        raise UsageError(f"--format {fmt} is not available here (choose from: {', '.join(formats_for(result))})")
    return entry.fn(value, options or RenderOptions())


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")
