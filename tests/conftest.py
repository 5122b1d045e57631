"""Shared fixtures: frameworks, templates, and returns made by filling the template by name."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from carekpi.framework.cache import ENV_CACHE_DIR
from carekpi.framework.discovery import find_framework
from carekpi.framework.model import Framework
from carekpi.workbook.fill import fill_workbook
from carekpi.workbook.template import template_bytes

#: tests pretend today is this day, so "in the future" and "not ended yet" are stable
TODAY = date(2026, 11, 22)


@pytest.fixture(scope="session", autouse=True)
def _framework_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The framework cache of every test run (and of the commands tests start) is a folder of
    its own, never the user's."""
    before = os.environ.get(ENV_CACHE_DIR)
    folder = tmp_path_factory.mktemp("framework-cache")
    folder.chmod(0o700)
    os.environ[ENV_CACHE_DIR] = str(folder)
    yield
    if before is None:
        os.environ.pop(ENV_CACHE_DIR, None)
    else:
        os.environ[ENV_CACHE_DIR] = before

_TEMPLATES: dict[tuple[str, str | None], bytes] = {}


def template_for(fw: Framework, return_id: str | None = None) -> bytes:
    key = (fw.id, return_id)
    if key not in _TEMPLATES:
        _TEMPLATES[key] = template_bytes(fw, return_id)
    return _TEMPLATES[key]


SURREY_CLEAN: dict[str, Any] = {
    "provider_name": "Test Care Ltd",
    "cqc_location_id": "1-000000001",
    "reporting_period": date(2026, 3, 1),
    "delivers_hbc": "Yes",
    "delivers_linc": "Yes",
    "delivers_specialist": "No",
    "contact_name": "A Manager",
    "contact_email": "manager@test.example",
    "contact_phone": "01234 567890",
    "packages_ceased": 3,
    "packages_handed_back": 1,
    "calls_total": 960,
    "calls_late": 40,
    "calls_missed": 10,
    "calls_rescheduled": 20,
    "calls_cancelled_provider": 30,
    "calls_cancelled_recipient": 100,
    "calls_cancelled_recipient_24h": 25,
    "restarts_offered": 10,
    "restarts_taken": 9,
    "staff_total": 100,
    "staff_new_direct_care": 4,
    "staff_new_back_office": 1,
    "staff_leavers": 3,
    "staff_orientation_eligible": 5,
    "staff_orientation_completed": 5,
    "staff_care_certificate": 96,
    "complaints_received": 2,
    "complaints_not_upheld": 1,
    "complaints_upheld": 1,
    "complaints_upheld_reasons": "Carer arrived late twice without notice; apology given and rota changed",
    "complaints_open": 0,
    "complaints_closed": 2,
    "safeguarding_referrals": 2,
    "safeguarding_s42": 1,
    "safeguarding_s42_abuse_risk": 0,
    "safeguarding_s42_no_abuse": 1,
    "safeguarding_s42_open": 0,
    "linc_packages_ceased": 0,
    "linc_packages_handed_back": 0,
    "linc_breaks_delivered": 300,
    "linc_breaks_not_required": 40,
    "linc_active_staff": 12,
    "linc_staff_supervised": 12,
}
"""A clean Surrey return: KPI 1 = 900/1000 = 90.0% (Green: 960 calls delivered, less 40 late and 20
rescheduled, of 960 + 10 missed + 30 cancelled by the provider due), KPI 2 = 90.0%, KPI 3 = 96.0%."""


@pytest.fixture(scope="session")
def surrey() -> Framework:
    return find_framework("surrey")


@pytest.fixture
def make_return(tmp_path: Path) -> Callable[..., Path]:
    """Make a return workbook from a framework's generated template, filled by defined name."""
    counter = {"n": 0}

    def make(fw: Framework, values: dict[str, Any], *, return_id: str | None = None, name: str | None = None,
             tables: dict[str, list[list[Any]]] | None = None, drop: tuple[str, ...] = ()) -> Path:
        counter["n"] += 1
        vals = {k: v for k, v in values.items() if k not in drop}
        path = tmp_path / (name or f"return-{counter['n']}.xlsx")
        path.write_bytes(fill_workbook(template_for(fw, return_id), vals, tables=tables))
        return path

    return make
