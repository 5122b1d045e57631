"""Golden cases as data: every YAML file under tests/cases/ is a framework fragment, the values
typed into a return made from its template, and the findings and bands carekpi must give.

A case file::

    about: what the file tests
    framework:            # merged into a minimal framework (see BASE below); lists replace
      returns: [...]      # optional: the return types (default: BASE's one monthly return)
      kpis: [...]
    cover: {...}          # optional: cover values for every case (default: COVER below)
    cases:
      - name: exactly on the Green threshold
        values: {calls_total: 100, calls_late: 10}
        tables: {log: [[...], ...]}          # optional: case-log rows
        bands: {on_time: green}              # KPI id -> band (only those named are checked)
        reasons: {on_time: "at or above"}    # optional: text the reason must contain
        displays: {on_time: "90.0%"}         # optional: the value as shown
        findings:                            # optional: exactly these (code, field), info excluded
          - {code: V201, field: calls_late, cell: C5}

Files are discovered by one parametrised test: adding a case is adding data.
"""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from carekpi.base.enums import Severity
from carekpi.framework.loader import load_framework_text
from carekpi.scoring.passes import score_reports
from carekpi.validation.validate import validate_file
from carekpi.workbook.fill import fill_workbook
from carekpi.workbook.template import template_bytes

CASES_DIR = Path(__file__).parent / "cases"
TODAY = date(2026, 11, 22)

BASE: dict[str, Any] = {
    "id": "cases",
    "name": "Golden cases",
    "commissioner": "Test Council",
    "service": "Home care",
    "source_document": "test.pdf",
    "version": "1",
    "effective_from": "2024-04-01",
    "returns": [{
        "id": "monthly", "label": "Monthly return", "cadence": "monthly",
        "deadline": {"rule": "day_of_following_month", "day": 7},
        "sections": [{"id": "calls", "label": "Calls", "sheet": "Calls", "fields": [
            {"id": "calls_total", "label": "Total calls", "type": "count"},
            {"id": "calls_late", "label": "Late calls", "type": "count"},
        ]}],
    }],
    "kpis": [],
}
COVER: dict[str, Any] = {
    "provider_name": "Test Care Ltd", "cqc_location_id": "1-000000001", "reporting_period": date(2026, 3, 1),
    "contact_name": "A Manager", "contact_email": "manager@test.example",
}


def _files() -> list[Path]:
    return sorted(CASES_DIR.rglob("*.yaml"))


def _cases() -> list[Any]:
    out = []
    for path in _files():
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in doc["cases"]:
            out.append(pytest.param(path, doc, case, id=f"{path.relative_to(CASES_DIR).with_suffix('')}: {case['name']}"))
    return out


_FRAMEWORKS: dict[Path, Any] = {}


def _framework(path: Path, doc: dict[str, Any]) -> Any:
    if path not in _FRAMEWORKS:
        merged = copy.deepcopy(BASE)
        merged.update(copy.deepcopy(doc.get("framework") or {}))
        fw = load_framework_text(yaml.safe_dump(merged, sort_keys=False), str(path))
        _FRAMEWORKS[path] = (fw, {r.id: template_bytes(fw, r.id) for r in fw.returns})
    return _FRAMEWORKS[path]


def test_the_case_files_are_found() -> None:
    assert len(_files()) >= 10


@pytest.mark.parametrize(("path", "doc", "case"), _cases())
def test_case(path: Path, doc: dict[str, Any], case: dict[str, Any], tmp_path: Path) -> None:
    fw, templates = _framework(path, doc)
    rid = case.get("return") or fw.returns[0].id
    values = {**COVER, **(doc.get("cover") or {}), **(case.get("values") or {})}
    workbook = tmp_path / "return.xlsx"
    workbook.write_bytes(fill_workbook(templates[rid], values, tables=case.get("tables")))
    report = validate_file(workbook, framework=fw, today=TODAY)
    if "findings" in case:
        def key(t: tuple[Any, ...]) -> tuple[str, ...]:
            return tuple(x or "" for x in t)

        want = sorted(((f["code"], f.get("field"), f.get("cell")) for f in case["findings"]), key=key)
        cells = {(c, fld): True for c, fld, cell in want if cell}
        # a wanted finding without a cell matches any cell
        got = sorted(((f.code, f.field, f.cell if (f.code, f.field) in cells else None)
                      for f in report.findings if f.severity != Severity.info), key=key)
        assert got == want, report.findings
    results = {k.kpi: k for k in score_reports(fw, [report]).returns[0].kpis}
    for kpi, band in (case.get("bands") or {}).items():
        assert results[kpi].band == band, f"{kpi}: {results[kpi].display} {results[kpi].reason}"
    for kpi, text in (case.get("reasons") or {}).items():
        assert text in results[kpi].reason, results[kpi].reason
    for kpi, shown in (case.get("displays") or {}).items():
        assert results[kpi].display == shown
