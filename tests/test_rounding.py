"""Rounding half away from zero, exactly, and bands judged on the value as shown."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from carekpi.base.rounding import display, round_half_away
from carekpi.framework.model import Framework
from carekpi.scoring.passes import score_reports
from carekpi.scoring.results import KpiResult
from carekpi.validation.validate import validate_file
from conftest import SURREY_CLEAN, TODAY

# --- round_half_away ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        (Fraction("0.05"), 1, Decimal("0.1")),
        (Fraction("0.15"), 1, Decimal("0.2")),
        (Fraction("0.25"), 1, Decimal("0.3")),
        (Fraction("2.5"), 0, Decimal("3")),
        (Fraction("-2.5"), 0, Decimal("-3")),
        (Fraction("-0.15"), 1, Decimal("-0.2")),
        (Fraction("74.95"), 1, Decimal("75.0")),
        (Fraction("89.95"), 1, Decimal("90.0")),
        (Fraction("94.95"), 1, Decimal("95.0")),
        (Fraction("74.9499999"), 1, Decimal("74.9")),
        (Fraction(2, 3) * 100, 1, Decimal("66.7")),
        (Fraction(1, 3) * 100, 1, Decimal("33.3")),
        (Fraction(0), 1, Decimal("0.0")),
        (Fraction(100), 1, Decimal("100.0")),
        (Fraction(1, 8), 2, Decimal("0.13")),
    ],
)
def test_round_half_away(value: Fraction, places: int, expected: Decimal) -> None:
    result = round_half_away(value, places)
    assert result == expected
    assert str(result) == str(expected)  # the places are kept: 75.0, not 75


@pytest.mark.parametrize(
    ("text", "places", "python_round"),
    [("0.15", 1, 0.1), ("0.25", 1, 0.2), ("2.5", 0, 2), ("-2.5", 0, -2), ("1.15", 1, 1.1)],
)
def test_python_round_differs_at_ties(text: str, places: int, python_round: float) -> None:
    """Python's round() rounds half to even, on binary floats: not how a council rounds."""
    assert round(float(text), places or None) == python_round
    assert round_half_away(Fraction(text), places) != Decimal(str(python_round))
    assert abs(round_half_away(Fraction(text), places)) > abs(Decimal(text))


def test_display_keeps_the_places() -> None:
    assert display(Decimal("90.0"), 1, "percent") == "90.0%"
    assert display(Decimal("75"), 0, "count") == "75"
    assert display(Decimal("1234.5"), 2, "money") == "£1,234.50"


# --- band boundaries on real returns -----------------------------------------------------------------------------


def kpi1_values(successful: int, due: int) -> dict[str, Any]:
    """A Surrey return whose KPI 1 is exactly successful / due (all failures are late calls)."""
    v = dict(SURREY_CLEAN)
    v.update(calls_total=due, calls_cancelled_recipient=0, calls_cancelled_recipient_24h=0,
             calls_late=due - successful, calls_missed=0, calls_rescheduled=0, calls_cancelled_provider=0)
    return v


def kpi3_values(certified: int, staff: int) -> dict[str, Any]:
    v = dict(SURREY_CLEAN)
    v.update(staff_total=staff, staff_care_certificate=certified)
    return v


def score_one(surrey: Framework, make_return: Callable[..., Path], values: dict[str, Any]) -> dict[str, KpiResult]:
    report = validate_file(make_return(surrey, values), today=TODAY)
    assert report.valid, [f.to_dict() for f in report.findings if f.severity == "error"]
    scored = score_reports(surrey, [report])
    return {k.kpi: k for k in scored.returns[0].kpis}


@pytest.mark.parametrize(
    ("successful", "due", "shown", "band"),
    [
        pytest.param(749, 1000, "74.9%", "red", id="74.9-red"),
        pytest.param(750, 1000, "75.0%", "amber", id="75.0-amber"),
        pytest.param(899, 1000, "89.9%", "amber", id="89.9-amber"),
        pytest.param(900, 1000, "90.0%", "green", id="90.0-green"),
        pytest.param(7494, 10000, "74.9%", "red", id="74.94-shown-74.9-red"),
        pytest.param(7495, 10000, "75.0%", "amber", id="74.95-shown-75.0-amber"),
        pytest.param(8994, 10000, "89.9%", "amber", id="89.94-shown-89.9-amber"),
        pytest.param(8995, 10000, "90.0%", "green", id="89.95-shown-90.0-green"),
        pytest.param(1799, 2000, "90.0%", "green", id="1799-of-2000-is-89.95-green"),
        pytest.param(1000, 1000, "100.0%", "green", id="100-green"),
        pytest.param(0, 1000, "0.0%", "red", id="0-red"),
    ],
)
def test_kpi1_band_boundaries(surrey: Framework, make_return: Callable[..., Path],
                              successful: int, due: int, shown: str, band: str) -> None:
    k = score_one(surrey, make_return, kpi1_values(successful, due))["successful_calls"]
    assert (k.numerator, k.denominator) == (successful, due)
    assert k.display == shown
    assert k.value == Decimal(shown.rstrip("%"))
    assert k.band == band


@pytest.mark.parametrize(
    ("certified", "staff", "shown", "band"),
    [
        pytest.param(749, 1000, "74.9%", "red", id="74.9-red"),
        pytest.param(750, 1000, "75.0%", "amber", id="75.0-amber"),
        pytest.param(900, 1000, "90.0%", "amber", id="90.0-amber-in-the-printed-gap"),
        pytest.param(949, 1000, "94.9%", "amber", id="94.9-amber-under-the-90-94-decision"),
        pytest.param(9494, 10000, "94.9%", "amber", id="94.94-amber"),
        pytest.param(9495, 10000, "95.0%", "green", id="94.95-shown-95.0-green"),
        pytest.param(950, 1000, "95.0%", "green", id="95.0-green"),
    ],
)
def test_kpi3_band_boundaries(surrey: Framework, make_return: Callable[..., Path],
                              certified: int, staff: int, shown: str, band: str) -> None:
    k = score_one(surrey, make_return, kpi3_values(certified, staff))["care_certificate"]
    assert k.display == shown
    assert k.band == band


def test_reasons_name_the_threshold(surrey: Framework, make_return: Callable[..., Path]) -> None:
    k = score_one(surrey, make_return, kpi1_values(8995, 10000))["successful_calls"]
    assert k.reason == "at or above Green 90%"
    k = score_one(surrey, make_return, kpi1_values(7494, 10000))["successful_calls"]
    assert k.reason == "below Amber 75%"


# --- zero denominators ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kpi", "changes", "denominator"),
    [
        pytest.param("successful_calls", {"calls_total": 0, "calls_late": 0, "calls_missed": 0, "calls_rescheduled": 0,
                                          "calls_cancelled_provider": 0, "calls_cancelled_recipient": 0,
                                          "calls_cancelled_recipient_24h": 0}, "Calls due", id="kpi1-no-calls"),
        pytest.param("successful_calls", {"calls_total": 0, "calls_late": 0, "calls_missed": 0,
                                          "calls_rescheduled": 0, "calls_cancelled_provider": 0,
                                          "calls_cancelled_recipient": 100, "calls_cancelled_recipient_24h": 0},
                     "Calls due", id="kpi1-every-call-cancelled-by-the-recipient"),
        pytest.param("successful_restarts", {"restarts_offered": 0, "restarts_taken": 0},
                     "Total number of restarts offered", id="kpi2-no-restarts-offered"),
        pytest.param("care_certificate", {"staff_total": 0, "staff_care_certificate": 0, "staff_new_direct_care": 0,
                                          "staff_new_back_office": 0}, "Total number staff", id="kpi3-no-staff"),
    ],
)
def test_zero_denominator_is_na_never_red(surrey: Framework, make_return: Callable[..., Path],
                                          kpi: str, changes: dict[str, Any], denominator: str) -> None:
    values = {**SURREY_CLEAN, **changes}
    k = score_one(surrey, make_return, values)[kpi]
    assert k.band == "na"
    assert k.display == "n/a"
    assert k.value is None
    assert denominator in k.reason
    assert "is 0" in k.reason
