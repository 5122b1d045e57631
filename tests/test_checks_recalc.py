"""The template's Checks sheet, recalculated by LibreOffice, says what carekpi validate says: every
rule of every bundled framework, failing and holding, and every required item, blank, typed as a
word meaning "nothing", refused or typed the way people type (scripts/checks_recalc.py)."""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from scripts_loader import load_script

pytestmark = pytest.mark.skipif(
    shutil.which("soffice") is None,
    reason="LibreOffice (soffice) is not on PATH: the Checks sheet's formulas cannot be recalculated",
)


recalc = load_script("checks_recalc")


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return recalc.run_check(tmp_path_factory.mktemp("checks"))


def test_every_check_cell_agrees_with_carekpi_validate(result: Any) -> None:
    assert not result.different, recalc.report(result)
    assert len({c.case for c in result.cells}) > 100
    assert len(result.cells) > 10000


def test_no_cell_shows_ok_where_carekpi_reports_a_problem(result: Any) -> None:
    assert not result.false_ok, recalc.report(result)
    findings = [c for c in result.cells if c.finding is not None]
    assert len(findings) > 1000
    assert all(c.shown in (c.finding, recalc.ck.DOUBT) for c in findings)


def test_every_rule_of_every_bundled_framework_both_fails_and_holds(result: Any) -> None:
    assert sum(len(ids) for ids in result.rules.values()) >= 120
    assert result.uncovered() == []
    for key, ids in result.rules.items():
        for rid in ids:
            failed, held = result.coverage[f"{key}/{rid}"]
            assert failed and held, (key, rid)


def test_answers_only_carekpi_reads_are_left_to_it_only_where_people_typed_them(result: Any) -> None:
    doubt = [c for c in result.cells if c.shown == recalc.ck.DOUBT]
    assert doubt, "the returns typed the way people type must reach answers only carekpi reads"
    assert all(c.typed for c in doubt)
    clean = [c for c in result.cells if not c.typed]
    assert all(c.shown == c.expected for c in clean)


def test_each_kind_of_answer_is_covered(result: Any) -> None:
    shown = {c.shown for c in result.cells}
    for state in (recalc.ck.OK, recalc.ck.WAITING, recalc.ck.NOT_APPLICABLE, recalc.ck.INVALID, recalc.ck.DOUBT):
        assert state in shown, state
    messages = {c.expected for c in result.cells if c.finding}
    assert any(m.endswith("is required") for m in messages)
    assert any("is not an answer; a value is required (enter 0 if there were none)" in m for m in messages)
    assert any(m.startswith("the reporting period is missing") for m in messages)
    assert any("the categories in" in m for m in messages)  # a breakdown (V202), with its cells
    assert any(m.startswith("say which service types you deliver") for m in messages)
    assert any(m == "the Cover sheet says you deliver none of the service types" for m in messages)


def test_explained_warnings_show_as_explained_and_errors_stay_errors(result: Any) -> None:
    statuses = {c.status for c in result.cells if c.finding is not None and c.equal}
    assert {"Error", "Warning", "Explained"} <= statuses
    explained = [c for c in result.cells if c.status == "Explained"]
    assert explained and all(c.expected_status == "Explained" for c in explained)


def test_the_cover_count_of_open_problems_is_carekpis(result: Any) -> None:
    assert result.counts and not result.wrong_counts, recalc.report(result)
    assert any(shown > 0 for _, shown, _ in result.counts) and any(shown == 0 for _, shown, _ in result.counts)


def test_a_kpi_is_not_shown_while_a_rule_on_its_figures_fails(result: Any) -> None:
    """11 restarts taken of 10 offered: carekpi withholds the KPI, and so does the live value cell
    ("n/a", never 110% Green); where carekpi gives a figure the cell never says "n/a"."""
    assert not result.kpi_diffs, recalc.report(result)
    withheld = [k for k in result.kpis if k[3]]
    assert len(withheld) >= 200
    assert sum(1 for k in withheld if k[2] == "n/a") >= 200
    assert any(kpi == "successful_restarts" for _, kpi, _, _ in withheld)
    assert len(result.kpis) - len(withheld) >= 100
