"""The ``carekpi`` command's entry point ends the process as soon as a command has finished, and
holds the garbage collector back while it starts: what a person sees (output, files, exit codes)
is the same as at an ordinary exit."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from carekpi.launch import FIRST_COLLECTION, _collect_later

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_returns" / "surrey"


def carekpi(*args: str, code: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real entry point in a new process (``python -m carekpi``, or ``code`` that calls it)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    cmd = [sys.executable, "-c", code] if code else [sys.executable, "-m", "carekpi", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)


def test_a_valid_return_prints_its_whole_report_and_exits_0() -> None:
    r = carekpi("validate", "--today", "2026-11-22", str(SAMPLES / "brightwater-2026-01.xlsx"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.rstrip().endswith("0 errors, 0 warnings, 1 info.")


def test_exit_codes_are_those_documented() -> None:
    invalid = sorted((SAMPLES / "invalid").glob("*.xlsx"))[0]
    assert carekpi("validate", "--today", "2026-11-22", str(invalid)).returncode == 1
    missing = carekpi("validate", str(SAMPLES / "no-such-return.xlsx"))
    assert missing.returncode == 2
    assert "cannot be read: no such file" in missing.stdout + missing.stderr
    assert carekpi("validate", "--format", "nonsense", str(invalid)).returncode == 2


def test_a_long_output_arrives_whole(tmp_path: Path) -> None:
    """A market's JSON (many times the output buffer) is flushed before the process ends, on
    standard output and in a file written with -o."""
    r = carekpi("score", "-f", "surrey", "--today", "2026-11-22", "--format", "json", "--jobs", "2", str(SAMPLES))
    assert r.returncode in (0, 1), r.stderr
    doc = json.loads(r.stdout)
    out = tmp_path / "market.json"
    w = carekpi("score", "-f", "surrey", "--today", "2026-11-22", "--format", "json", "-o", str(out), str(SAMPLES))
    assert w.returncode == r.returncode
    assert json.loads(out.read_text(encoding="utf-8")) == doc
    assert len(r.stdout) > 6 * 8192


def test_exit_handlers_run_before_the_process_ends(tmp_path: Path) -> None:
    flag = tmp_path / "ran"
    r = carekpi(code=(
        "import atexit, sys\n"
        f"atexit.register(lambda: open({str(flag)!r}, 'w').write('ran'))\n"
        f"sys.argv = ['carekpi', 'validate', '--today', '2026-11-22', {str(SAMPLES / 'oakridge-2026-01.xlsx')!r}]\n"
        "from carekpi.launch import main\n"
        "main()\n"
    ))
    assert r.returncode == 0, r.stderr
    assert flag.read_text() == "ran"


def test_under_a_tracer_the_process_ends_the_ordinary_way() -> None:
    """Coverage, debuggers and profilers write their results while Python shuts down."""
    r = carekpi(code=(
        "import sys\n"
        "sys.settrace(lambda *a: None)\n"
        "from carekpi.launch import _end\n"
        "_end(0)\n"
        "print('returned')\n"
    ))
    assert r.stdout.strip() == "returned"


def test_the_collector_waits_for_the_first_objects_then_collects_as_usual() -> None:
    usual = gc.get_threshold()
    if not usual[0]:
        pytest.skip("the collector is off in this process")
    gc.collect()
    _collect_later()
    try:
        assert gc.get_threshold()[0] == FIRST_COLLECTION
        garbage = []
        for _ in range(FIRST_COLLECTION + 1000):  # cycles: only the collector frees them
            cycle: list[object] = []
            cycle.append(cycle)
            garbage.append(cycle)
        del garbage
        gc.collect(0)  # what would happen next anyway
        assert gc.get_threshold() == usual
        assert not [cb for cb in gc.callbacks if getattr(cb, "__qualname__", "").startswith("_collect_later")]
    finally:
        gc.set_threshold(*usual)
        gc.callbacks[:] = [cb for cb in gc.callbacks if not getattr(cb, "__qualname__", "").startswith("_collect_later")]
