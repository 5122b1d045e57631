"""Read and validate many returns on every core: the per-file half of scoring a market.

Scoring needs every return together (peer-relative bands, rolling judgements), so only the
per-file work runs in worker processes: preflight, reading and validating one workbook. Each
worker is given the framework once, when it starts; a file's result comes back without the
framework (which the parent already holds), so a report costs little to send.

One file can never stop or slow the others beyond its own budget: a worker handles one file
at a time; if it dies (killed, out of memory) or runs past :data:`FILE_TIME_LIMIT`, that
file is reported as unreadable, the worker is replaced and the batch goes on. Results are
returned in the order of the files given, whatever order workers finish in.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from carekpi.base.errors import UnreadableWorkbook, UsageError
from carekpi.framework.model import Framework
from carekpi.validation.findings import ValidationReport
from carekpi.validation.validate import ReturnTypeMismatch, validate_file

#: a worker still reading one file after this many seconds is stopped and the file reported
#: unreadable. Every workbook is read or refused well within 5 s (preflight's caps); this
#: is the safety net behind them, generous for a loaded machine.
FILE_TIME_LIMIT = 60.0


@dataclass(frozen=True)
class Outcome:
    """What reading one file gave: a report, another return type, or why it cannot be read."""

    file: Path
    report: ValidationReport | None = None
    other_type: bool = False
    unreadable: str | None = None


def read_one(path: Path, fw: Framework, return_id: str | None, today: date | None) -> Outcome:
    """Validate one workbook, every expected failure kept as the file's outcome."""
    try:
        return Outcome(path, report=validate_file(path, framework=fw, return_id=return_id, today=today))
    except ReturnTypeMismatch:
        return Outcome(path, other_type=True)  # a folder mixing return types, scored with --return
    except UnreadableWorkbook as exc:
        return Outcome(path, unreadable=exc.reason)
    except UsageError as exc:
        return Outcome(path, unreadable=str(exc))


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def read_all(files: list[Path], fw: Framework, return_id: str | None, today: date | None, *, jobs: int,
             progress: Callable[[int], None] | None = None) -> list[Outcome]:
    """:func:`read_one` for every file, on ``jobs`` worker processes (1: in this process).

    ``progress`` is called with the number of files done so far, after each one.
    """
    if jobs <= 1 or len(files) <= 1:
        out = []
        for n, f in enumerate(files, start=1):
            out.append(read_one(f, fw, return_id, today))
            if progress:
                progress(n)
        return out
    return _Pool(fw, return_id, today, min(jobs, len(files))).run(files, progress)


# --- the pool ---------------------------------------------------------------------------------

# What a worker sends back: a framework stays behind (the parent holds it); the report names it.
_Key = tuple[str, str]


def _detach(outcome: Outcome, fw: Framework) -> tuple[Outcome, _Key | None, Framework | None]:
    """The outcome without its framework; the framework too when it is not the one given."""
    data = outcome.report.data if outcome.report is not None else None
    if data is None:
        return outcome, None, None
    used: Framework = data.framework
    key = (used.id, used.version)
    data.framework = None
    data.rtype = data.rtype.id
    return outcome, key, (None if used is fw else used)


def _attach(outcome: Outcome, key: _Key | None, frameworks: dict[_Key, Framework]) -> Outcome:
    data = outcome.report.data if outcome.report is not None else None
    if data is not None and key is not None:
        data.framework = frameworks[key]
        data.rtype = data.framework.return_type(data.rtype)
    return outcome


def _serve(conn: Connection, fw: Framework, return_id: str | None, today: date | None) -> None:
    """A worker: read the files sent, one at a time, until told to stop (None)."""
    sent: set[_Key] = {(fw.id, fw.version)}
    while True:
        try:
            task = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        if task is None:
            return
        index, path = task
        try:
            read = read_one(path, fw, return_id, today)
        except Exception as exc:  # a bug: this file's outcome, not the end of the batch
            read = Outcome(path, unreadable=f"carekpi failed on it with an internal error ({type(exc).__name__}); "
                                            "please report it")
        outcome, key, other = _detach(read, fw)
        extra = other if (other is not None and key not in sent) else None
        if key is not None:
            sent.add(key)
        conn.send((index, outcome, key, extra))


class _Worker:
    def __init__(self, ctx: Any, fw: Framework, return_id: str | None, today: date | None):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child, fw, return_id, today), daemon=True)
        self.process.start()
        child.close()
        self.task: int | None = None
        self.started = 0.0

    def give(self, index: int, path: Path) -> None:
        self.task, self.started = index, time.monotonic()
        self.conn.send((index, path))

    def stop(self, *, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            with contextlib.suppress(OSError):
                self.conn.send(None)
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


class _Pool:
    def __init__(self, fw: Framework, return_id: str | None, today: date | None, jobs: int):
        # fork where there is one (the framework is then inherited, not even pickled), spawn elsewhere
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        self.ctx = multiprocessing.get_context(method)
        self.fw, self.return_id, self.today, self.jobs = fw, return_id, today, jobs
        self.frameworks: dict[_Key, Framework] = {(fw.id, fw.version): fw}

    def _worker(self) -> _Worker:
        return _Worker(self.ctx, self.fw, self.return_id, self.today)

    def run(self, files: list[Path], progress: Callable[[int], None] | None) -> list[Outcome]:
        results: list[Outcome | None] = [None] * len(files)
        todo = list(range(len(files)))[::-1]  # popped from the end: files in order
        workers = [self._worker() for _ in range(self.jobs)]
        done = 0

        def finish(index: int, outcome: Outcome) -> None:
            nonlocal done
            results[index] = outcome
            done += 1
            if progress:
                progress(done)

        try:
            for w in workers:
                if todo:
                    i = todo.pop()
                    w.give(i, files[i])
            while done < len(files):
                busy = [w for w in workers if w.task is not None]
                waiting = {w.conn: w for w in busy} | {w.process.sentinel: w for w in busy}
                ready = {id(waiting[obj]): waiting[obj] for obj in wait(list(waiting), timeout=1.0)}
                now = time.monotonic()
                for w in busy:
                    index = w.task
                    assert index is not None
                    if id(w) in ready:
                        message = None
                        try:
                            if w.conn.poll():
                                message = w.conn.recv()
                        except (EOFError, OSError):
                            message = None
                        if message is not None:
                            got, outcome, key, extra = message
                            if extra is not None:
                                self.frameworks.setdefault(key, extra)
                            finish(got, _attach(outcome, key, self.frameworks))
                        else:
                            w.process.join(timeout=5)  # it has ended (or is ending): learn its exit code
                            finish(index, Outcome(files[index], unreadable=(
                                f"reading the file stopped its reader (exit code {w.process.exitcode}); the file "
                                "may be damaged or far larger than a return")))
                        w.task = None
                    elif now - w.started > FILE_TIME_LIMIT:
                        finish(index, Outcome(files[index], unreadable=(
                            f"reading the file took longer than {FILE_TIME_LIMIT:.0f} s and was stopped")))
                        w.task = None
                        w.process.kill()
                    else:
                        continue
                    if not w.process.is_alive():
                        workers[workers.index(w)] = w = self._replace(w)
                    if todo:
                        i = todo.pop()
                        try:
                            w.give(i, files[i])
                        except OSError:  # it died just now: a new one takes the file
                            workers[workers.index(w)] = w = self._replace(w)
                            w.give(i, files[i])
        finally:
            for w in workers:
                w.stop(kill=w.task is not None)
        assert all(r is not None for r in results)
        return [r for r in results if r is not None]

    def _replace(self, w: _Worker) -> _Worker:
        w.task = None
        w.stop(kill=True)
        return self._worker()
