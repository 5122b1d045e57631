"""The ``carekpi`` command's entry point.

``carekpi --version`` is answered here without loading the command-line application (typer,
click, rich and every command's module), so it costs little more than starting Python;
everything else runs :func:`carekpi.cli.main`. The import inside :func:`main` is for start-up
speed only.

Until a command has made :data:`FIRST_COLLECTION` objects, the cyclic garbage collector does not
run (:func:`_collect_later`): start-up makes tens of thousands of long-lived objects (modules,
classes, the framework) and no garbage, and the collector's passes over them, at its usual
threshold of 700, took a fifteenth of a one-return ``carekpi validate``. Its first pass after
that restores the usual thresholds, so a long run (``score`` over thousands of returns) collects
as it always did.

When a command has finished, the process ends at once (:func:`_end`): the exit handlers run and
the output is flushed, as at any exit, but the interpreter does not then tear down every module
it imported one by one, which took a sixth of a one-return ``carekpi validate``. Library calls
and tests that run the app in-process never come here.
"""

from __future__ import annotations

import gc
import sys

#: new objects (net of those freed) before the collector's first pass; a one-return
#: ``validate`` makes about 60,000
FIRST_COLLECTION = 100_000


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from carekpi.base.version import __version__

        sys.stdout.write(f"carekpi {__version__}\n")
        return
    _collect_later()
    from carekpi.cli import main as run

    try:
        run()
    except SystemExit as exc:
        _end(exc.code)
        raise
    _end(0)


def _collect_later() -> None:
    usual = gc.get_threshold()

    def restore(phase: str, info: dict[str, int]) -> None:
        if phase == "stop":
            gc.set_threshold(*usual)
            gc.callbacks.remove(restore)

    if usual[0] and usual[0] < FIRST_COLLECTION:  # (a threshold of 0 means the collector is off)
        gc.callbacks.append(restore)
        gc.set_threshold(FIRST_COLLECTION, *usual[1:])


def _end(code: object) -> None:
    """End the process with ``code`` now, if that is safe: after the exit handlers and with
    standard output and error flushed. Returns (and the caller exits the ordinary way) under a
    debugger, profiler or coverage tracer (which write their results at the teardown), while
    another thread is running, for a code that is not a number, or when flushing fails (a closed
    pipe: the ordinary exit reports it as Python always does)."""
    import atexit
    import os
    import threading

    if code is None:
        code = 0
    if (not isinstance(code, int) or sys.gettrace() is not None or sys.getprofile() is not None
            or threading.active_count() > 1 or not hasattr(atexit, "_run_exitfuncs")):
        return
    try:
        atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except Exception:
        return
    os._exit(code)
