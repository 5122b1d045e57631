"""Explanations: a provider explains a warning on the Explanations sheet (item, finding code,
explanation). An explained warning stays in every output, marked as explained, and does not fail
--strict; an explanation cannot silence an error."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from carekpi.base.enums import Severity
from carekpi.cli import app
from carekpi.framework.model import Framework
from carekpi.render import render
from carekpi.validation.findings import Finding
from carekpi.validation.validate import validate_file
from conftest import SURREY_CLEAN, TODAY

COMPLAINTS = {"complaints_upheld": 2}  # 2 upheld + 1 not upheld > 2 received + 0 open: a V201 warning
WHY = "One complaint received in February was concluded in March."


@pytest.fixture
def explained(surrey: Framework, make_return: Callable[..., Path]) -> Callable[..., Path]:
    def make(rows: list[list[Any]], **changes: Any) -> Path:
        return make_return(surrey, {**SURREY_CLEAN, **changes}, tables={"explanations": rows})

    return make


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, [*args, "--today", TODAY.isoformat()], catch_exceptions=False)


def test_an_explained_warning_stays_marked_explained(explained: Callable[..., Path]) -> None:
    path = explained([["complaints_upheld", "V201", WHY]], **COMPLAINTS)
    report = validate_file(path, today=TODAY)
    [warning] = [f for f in report.findings if f.severity == Severity.warning]
    assert (warning.code, warning.field, warning.explanation, warning.explained) == ("V201", "complaints_upheld", WHY, True)
    assert report.counts == {"error": 0, "warning": 1, "info": 1, "explained": 1}
    assert report.passed(strict=True)
    assert report.unexplained_warnings == 0


def test_without_its_explanation_the_warning_fails_strict(explained: Callable[..., Path]) -> None:
    path = explained([], **COMPLAINTS)
    report = validate_file(path, today=TODAY)
    assert report.passed() and not report.passed(strict=True)
    assert invoke("validate", str(path), "--strict").exit_code == 1
    with_it = explained([["complaints_upheld", "V201", WHY]], **COMPLAINTS)
    assert invoke("validate", str(with_it), "--strict").exit_code == 0


def test_every_format_shows_the_explanation(explained: Callable[..., Path]) -> None:
    path = explained([["complaints_upheld", "v201 ", WHY]], **COMPLAINTS)  # the code's case and spaces do not matter
    text = invoke("validate", str(path)).stdout
    assert f"explained by the provider: {WHY}" in text
    assert "1 warning, 1 info (1 explained)" in text and "(check the warnings)" not in text
    doc = json.loads(invoke("validate", str(path), "--format", "json").stdout)
    [warning] = [f for f in doc["findings"] if f["severity"] == "warning"]
    assert (warning["explained"], warning["explanation"]) == (True, WHY)
    assert doc["counts"]["explained"] == 1
    rows = list(csv.DictReader(io.StringIO(invoke("validate", str(path), "--format", "csv").stdout)))
    assert [r["explanation"] for r in rows if r["code"] == "V201"] == [WHY]
    github = invoke("validate", str(path), "--format", "github").stdout
    assert "title=V201 Management information!C8 (explained)" in github.replace("%3A", ":").replace("%2C", ",")
    assert f"(explained by the provider: {WHY})" in github
    sarif = json.loads(invoke("validate", str(path), "--format", "sarif").stdout)
    [result] = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "V201"]
    assert result["level"] == "warning"
    assert result["suppressions"] == [{"kind": "external", "status": "accepted", "justification": WHY}]


def test_an_item_may_be_named_by_its_label(explained: Callable[..., Path], surrey: Framework) -> None:
    label = surrey.return_type().item_map()["complaints_upheld"].label
    report = validate_file(explained([[label.upper(), "V201", WHY]], **COMPLAINTS), today=TODAY)
    assert [f.explained for f in report.findings if f.code == "V201"] == [True]


def test_an_explanation_cannot_silence_an_error(explained: Callable[..., Path]) -> None:
    path = explained([["restarts_taken", "V201", "We took on more than we were offered."]], restarts_taken=11)
    report = validate_file(path, today=TODAY)
    assert not report.valid
    [error] = [f for f in report.findings if f.severity == Severity.error]
    assert (error.code, error.explained) == ("V201", False)
    [v502] = [f for f in report.findings if f.code == "V502"]
    assert (v502.severity, v502.sheet, v502.cell) == ("info", "Explanations", "A5")
    assert v502.message == "V201 on restarts_taken is an error: an error cannot be explained; correct the return"
    assert invoke("validate", str(path)).exit_code == 1
    # nor can an error found later
    later = report.add(Finding("Q101", Severity.error, "queried", field="restarts_taken"))
    assert not later.explained


def test_rows_that_explain_nothing_are_reported(explained: Callable[..., Path]) -> None:
    path = explained([
        ["complaints_upheld", "", WHY],
        ["calls_lat", "V201", WHY],
        ["calls_late", "V201", "Nothing to explain here."],
        ["calls_late", "Q101", "A query from comparing returns, not known yet."],
    ])
    report = validate_file(path, today=TODAY)
    notes = {(f.code, f.cell): f.message for f in report.findings if f.code.startswith("V5")}
    assert notes == {
        ("V501", "A5"): "Explanations row 5: give the finding's code; the row explains nothing until it has all three",
        ("V501", "A6"): "Explanations row 6: 'calls_lat' is not an item of this return: name the item as the Checks "
                        "sheet or carekpi's report does (e.g. its id)",
        ("V503", "A7"): "this return has no V201 finding on calls_late to explain (check the item and the code)",
    }
    assert all(f.severity == Severity.info for f in report.findings if f.code.startswith("V5"))
    assert report.valid and report.passed(strict=True)


def test_a_query_found_after_validation_is_explained_by_item_and_code(explained: Callable[..., Path]) -> None:
    """Plausibility queries come from comparing returns, after validation: the same lookup applies."""
    report = validate_file(explained([["calls_late", "Q101", "A hard month: flu among staff."]]), today=TODAY)
    query = report.add(Finding("Q101", Severity.warning, "late calls far above the market", field="calls_late"))
    assert query.explanation == "A hard month: flu among staff."
    assert query in report.findings and report.passed(strict=True)
    other = report.add(Finding("Q102", Severity.warning, "another query", field="calls_late"))
    assert not other.explained and not report.passed(strict=True)
    text = render("text", "validation", [report])
    assert isinstance(text, str) and "explained by the provider: A hard month: flu among staff." in text


@pytest.mark.parametrize("fid", ["surrey", "bcp", "dorset", "cheshire-east-awc", "cheshire-east-dpss"])
def test_the_explanations_sheet_gives_an_example_from_its_own_return(fid: str) -> None:
    """The instructions name an item of this return (one a warning checks) beside V201, never
    an item of another framework."""
    import io
    import re

    import openpyxl

    from carekpi.framework.discovery import find_framework
    from conftest import template_for

    fw = find_framework(fid)
    for rt in fw.returns:
        intro = openpyxl.load_workbook(io.BytesIO(template_for(fw, rt.id)))["Explanations"]["A2"].value
        m = re.search(r"e\.g\. (\w+) and V201\)", intro)
        assert m is not None, intro
        assert m.group(1) in {i.id for i in rt.items()}, (fid, rt.id, m.group(1))
