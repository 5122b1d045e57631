"""The template's Excel formulas, recalculated by LibreOffice, give carekpi's KPI values and bands."""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from carekpi.framework.model import Framework
from scripts_loader import load_script

pytestmark = pytest.mark.skipif(
    shutil.which("soffice") is None,
    reason="LibreOffice (soffice) is not on PATH: the template's formulas cannot be recalculated",
)


recalc = load_script("recalc_check")


@pytest.fixture(scope="module")
def result(surrey: Framework, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return recalc.run_check(tmp_path_factory.mktemp("recalc"), fw=surrey)


def test_cases_cover_the_boundaries() -> None:
    names = {c.name for c in recalc.CASES}
    for name in ("rounding-up-to-the-bands", "rounding-down-below-the-bands", "zero-denominators",
                 "live-in-only-call-items-filled", "live-in-only-call-items-blank", "blank-inputs", "float-ties"):
        assert name in names
    assert len(recalc.CASES) >= 20


def test_spreadsheet_kpis_equal_carekpi(result: Any) -> None:
    comparisons = result.comparisons
    assert len(comparisons) == 3 * len(recalc.CASES)  # KPI 1-3 live in the template
    assert result.skipped_kpis == ["pocs_responded"]  # council data: no formula
    different = [c for c in comparisons if not c.equal]
    assert not different, recalc.report(result)


def test_boundary_values_as_the_spreadsheet_shows_them(result: Any) -> None:
    shown = {(c.case, c.kpi): (c.sheet_value, c.sheet_band) for c in result.comparisons}
    assert shown[("rounding-up-to-the-bands", "successful_calls")] == (75, "Amber")  # 74.95%
    assert shown[("rounding-up-to-the-bands", "successful_restarts")] == (90, "Green")  # 89.95%
    assert shown[("rounding-down-below-the-bands", "care_certificate")] == (94.9, "Amber")
    assert shown[("zero-denominators", "successful_calls")] == ("n/a", "n/a")
    assert shown[("live-in-only-call-items-filled", "successful_calls")] == ("n/a", "n/a")
    assert shown[("blank-inputs", "care_certificate")][0] in ("", None)


def test_libreoffice_saved_returns_read_the_same(result: Any) -> None:
    read_back = result.read_back
    assert len(read_back) == len(recalc.CASES)
    assert [r.case for r in read_back if not (r.findings_equal and r.kpis_equal)] == [], recalc.report(result)
