"""carekpi refuses to load a workbook with openpyxl (template --check) when openpyxl's XML parsing is
not defused; returns are read by carekpi's own reader, which needs no openpyxl."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _env(src: str) -> dict[str, str]:
    """A bare environment: carekpi's source, and the test run's own framework cache."""
    return {"PYTHONPATH": src, "CAREKPI_CACHE_DIR": os.environ["CAREKPI_CACHE_DIR"]}


SAMPLE = Path(__file__).resolve().parents[1] / "sample_returns" / "surrey" / "brightwater-2026-01.xlsx"


def test_template_check_refuses_to_run_without_defusedxml() -> None:
    code = (
        "import sys, openpyxl.xml as ox\n"
        "ox.DEFUSEDXML = False\n"
        f"sys.argv = ['carekpi', 'template', '--check', {str(SAMPLE)!r}]\n"
        "from carekpi.cli import main\n"
        "main()\n"
    )
    src = str(Path(__file__).resolve().parents[1] / "src")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env(src),
                       timeout=60)
    assert r.returncode == 2
    assert "openpyxl is not using defusedxml" in r.stderr
    assert "Traceback" not in r.stderr


def test_validate_runs_with_defusedxml() -> None:
    code = f"import sys; sys.argv = ['carekpi', 'validate', {str(SAMPLE)!r}, '--today', '2026-11-22']\n" \
           "from carekpi.cli import main\nmain()\n"
    src = str(Path(__file__).resolve().parents[1] / "src")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env(src),
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert "Result: valid" in r.stdout
