"""Dorset (Appendix 13) end to end: quarterly measures with ASCOF tags, banded relative to the other
providers' returns for the same quarter (top quartile Green, bottom quartile Red, otherwise Amber;
fewer than 4 peers: comparison only).

Returns are built from the generated template, filled by defined name; a "market" is several
providers' returns scored together.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from carekpi.cli import app
from carekpi.framework.bands import RELATIVE_PENDING, RelativeBands
from carekpi.framework.discovery import find_framework
from carekpi.framework.model import Framework
from carekpi.render import RenderOptions, render
from carekpi.scoring.passes import score_reports
from carekpi.scoring.relative import quartiles
from carekpi.scoring.results import KpiResult, ScoreReport
from carekpi.validation.findings import ValidationReport
from carekpi.validation.validate import validate_file
from conftest import TODAY, template_for
from sample_specs import Samples, check_bands, check_findings, check_regenerated

LOCALITIES = ["north_dorset", "east_dorset", "west_dorset", "purbeck", "weymouth_portland", "outside_dorset"]

DORSET_CLEAN: dict[str, Any] = {
    "provider_name": "Test Care Ltd", "cqc_location_id": "1-000000001", "reporting_period": date(2026, 1, 1),
    "contact_name": "A Manager", "contact_email": "manager@test.example", "contact_phone": "01305 000000",
    "service_users_supported": 100, "moves_to_care_home": 2, "medication_support_users": 100,
    "medication_as_prescribed": 95, "medication_errors": 5, "wellbeing_additional_support": 20,
    "mdt_need_identified": 10, "mdt_input_achieved": 9, "outcomes_reviewed": 100, "outcomes_achieved": 90,
    "eol_plans_in_place": 5, "eol_deaths_wished_home": 2, "eol_died_at_home": 2,
    "referrals_received": 20, "referrals_accepted": 16, "referrals_declined": 4,
    "referrals_received_from_partner": 14, "referrals_received_from_individual_budget": 4,
    "referrals_received_from_self_funder": 2,
    **{f"{what}_in_{loc}": 0 for what in ("received", "accepted", "declined") for loc in LOCALITIES},
    "received_in_north_dorset": 20, "accepted_in_north_dorset": 16, "declined_in_north_dorset": 4,
    "declined_reason_no_capacity": 4, "declined_reason_outside_area": 0, "declined_reason_needs_not_met": 0,
    "declined_reason_other": 0,
    "carer_changes_not_requested": 20, "users_with_carer_change": 10,
    "experience_surveys_sent": 50, "experience_survey_responses": 40, "experience_positive": 36,
    "experience_in_control": 32, "experience_consistent": 30, "experience_treated_well": 38,
    "complaints_received": 2, "complaints_skills_dignity": 0,
    "care_workers": 60, "care_workers_joined": 6, "care_workers_progressed": 3,
    "joined_via_apprenticeship": 2, "joined_via_other_scheme": 1,
    "care_workers_on_guaranteed_hours": 50, "care_workers_on_zero_hours": 10,
    "safeguarding_concerns_raised": 2, "safeguarding_person_engaged": 2,
    "cqc_requirements": "Yes", "cqc_requirements_evidence": "CQC report 2025",
    "pre_employment_checks": "Yes", "pre_employment_checks_evidence": "Recruitment audit 2026-Q1",
    "plan_value": 100000, "purchase_order_value": 100000, "actual_payments": 98000,
    "at_users": 20, "at_visits_replaced": 30, "at_hours_released": 12.5,
}
"""A clean quarterly return: medication 95.0%, moves into care homes 2.0%, unrequested changes 10.0%."""


@pytest.fixture(scope="module")
def dorset() -> Framework:
    return find_framework("dorset")


Market = Callable[..., ScoreReport]


@pytest.fixture
def market(dorset: Framework, make_return: Callable[..., Path]) -> Market:
    """Score together one return per entry of ``changes`` (provider P1, P2...), all for 2026-Q1 unless changed."""

    def score(*changes: dict[str, Any], invalid: tuple[int, ...] = ()) -> ScoreReport:
        reports: list[ValidationReport] = []
        for i, change in enumerate(changes, start=1):
            values = {**DORSET_CLEAN, "provider_name": f"P{i}", "cqc_location_id": f"1-{i:09d}", **change}
            if i in invalid:  # outcomes achieved > reviewed: an error
                values["outcomes_achieved"] = values["outcomes_reviewed"] + 1
            report = validate_file(make_return(dorset, values, tables=moves_listed(values)), today=TODAY)
            assert report.valid is (i not in invalid), [f.message for f in report.findings if f.severity == "error"]
            reports.append(report)
        return score_reports(dorset, reports)

    return score


def moves_listed(values: dict[str, Any], rows: int | None = None) -> dict[str, list[list[Any]]]:
    """The Care home moves table with one row per move counted (or ``rows`` rows)."""
    n = values.get("moves_to_care_home", 0) if rows is None else rows
    return {"care_home_moves": [[f"CHM-{i:03d}", date(2026, 2, 2), "Directly from home", "Increased care needs",
                                 "No", None] for i in range(1, n + 1)]}


def bands(report: ScoreReport, kpi: str) -> dict[str, str]:
    return {r.provider or "": _kpi(r.kpis, kpi).band for r in report.returns}


def _kpi(kpis: list[KpiResult], kpi: str) -> KpiResult:
    return next(k for k in kpis if k.kpi == kpi)


def medication(*values: int) -> list[dict[str, Any]]:
    """Returns whose medication KPI is each value (out of 100 people with medication support)."""
    return [{"medication_as_prescribed": v} for v in values]


# --- the framework and its template -----------------------------------------------------------------


def test_quarterly_measures_with_ascof_tags(dorset: Framework) -> None:
    assert [r.cadence.value for r in dorset.returns] == ["quarterly"]
    ascof: dict[str, set[str]] = {}
    for k in dorset.kpis:
        for tag in k.tags.get("ascof", []):
            ascof.setdefault(tag, set()).add(k.id)
    assert set(ascof) == {"1B", "2A", "3A", "4A"}
    assert ascof["2A"] == {"care_home_moves"}
    assert {"feel_in_control", "partner_in_control"} <= ascof["1B"]
    lower = {k.id for k in dorset.kpis if isinstance(k.bands, RelativeBands) and k.bands.direction.value == "lower"}
    assert lower == {"care_home_moves", "unrequested_carer_changes", "attributable_safeguarding",
                     "payments_to_plan_compared", "payments_to_purchase_orders"}
    assert all(k.bands.min_peers == 4 for k in dorset.kpis if isinstance(k.bands, RelativeBands))


def test_template_opens_and_relative_bands_wait_for_the_peers(dorset: Framework) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(template_for(dorset)))
    assert {"Cover", "Healthy and well", "Commissioner data", "Care home moves", "KPI summary"} <= set(wb.sheetnames)

    def cell(name: str) -> Any:
        sheet, ref = next(iter(wb.defined_names[name].destinations))
        return wb[sheet][ref.replace("$", "")].value

    v = "kpi_care_home_moves_value"
    assert cell("kpi_care_home_moves_band") == f'=IF(ISNUMBER({v}),"{RELATIVE_PENDING}",IF({v}="n/a","n/a",""))'
    assert RELATIVE_PENDING == "Compared with other providers when scored"
    # measures built on the Commissioning Partners' data are the council's to calculate
    assert (cell("kpi_partner_satisfaction_value"), cell("kpi_partner_satisfaction_band")) == (
        "Calculated by the council", "Scored by the council")


def test_clean_return_alone_is_comparison_only(market: Market, dorset: Framework) -> None:
    [scored] = market({}).returns
    results = {k.kpi: k for k in scored.kpis}
    assert _kpi(scored.kpis, "medication_as_prescribed").display == "95.0%"
    relative = [k.id for k in dorset.kpis if isinstance(k.bands, RelativeBands)]
    council = {"partner_satisfaction", "partner_outcomes_achieved", "partner_positive_experience",
               "partner_in_control", "partner_feel_safe", "attributable_safeguarding"}
    for kid in relative:
        r = results[kid]
        assert r.band == "na"
        if kid in council:
            assert r.reason == "council data not supplied (use --commissioner-data)"
        else:
            assert r.reason == "comparison only: 1 return for 2026-Q1 (relative bands need at least 4)"
            assert r.peers == ("P1",)
    assert (results["cqc_requirements"].band, results["pre_employment_checks"].band) == ("green", "green")
    assert (results["payments_less_plan"].band, results["payments_less_plan"].display) == ("na", "£-2,000.00")


# --- relative bands -----------------------------------------------------------------------------------------


def test_quartiles_are_excel_quartile_inc() -> None:
    assert quartiles([Fraction(v) for v in range(90, 100)]) == (Fraction("92.25"), Fraction("96.75"))
    assert quartiles([Fraction(v) for v in (80, 90, 90, 100)]) == (Fraction("87.5"), Fraction("92.5"))
    assert quartiles([Fraction(5)] * 4) == (Fraction(5), Fraction(5))


def test_three_peers_is_comparison_only(market: Market) -> None:
    scored = market(*medication(90, 95, 99))
    assert bands(scored, "medication_as_prescribed") == {"P1": "na", "P2": "na", "P3": "na"}
    r = _kpi(scored.returns[0].kpis, "medication_as_prescribed")
    assert r.reason == "comparison only: 3 returns for 2026-Q1 (relative bands need at least 4)"
    assert r.peers == ("P1", "P2", "P3")


def test_four_peers(market: Market) -> None:
    scored = market(*medication(80, 90, 90, 100))
    assert bands(scored, "medication_as_prescribed") == {"P1": "red", "P2": "amber", "P3": "amber", "P4": "green"}
    reasons = {r.provider: _kpi(r.kpis, "medication_as_prescribed").reason for r in scored.returns}
    assert reasons == {
        "P1": "bottom quartile of 4 returns for 2026-Q1: 80.0% is at or below the lower quartile 87.5%",
        "P2": "middle half of 4 returns for 2026-Q1: 90.0% is between the quartiles 87.5% and 92.5%",
        "P3": "middle half of 4 returns for 2026-Q1: 90.0% is between the quartiles 87.5% and 92.5%",
        "P4": "top quartile of 4 returns for 2026-Q1: 100.0% is at or above the upper quartile 92.5%",
    }
    p4 = _kpi(scored.returns[3].kpis, "medication_as_prescribed")
    assert (p4.target, p4.peers) == ("Green >= 92.5%, Red <= 87.5%", ("P1", "P2", "P3", "P4"))


def test_four_tied_peers_are_all_amber(market: Market) -> None:
    scored = market(*medication(95, 95, 95, 95))
    assert set(bands(scored, "medication_as_prescribed").values()) == {"amber"}
    assert _kpi(scored.returns[0].kpis, "medication_as_prescribed").reason == (
        "middle of 4 returns for 2026-Q1: 95.0% is both quartiles (tied values)")


def test_four_peers_lower_is_better(market: Market) -> None:
    # moves into a care home: 1%, 2%, 3%, 6% of 100 Individuals; quartiles 1.75% and 3.75%
    scored = market(*({"moves_to_care_home": n} for n in (3, 1, 6, 2)))
    assert bands(scored, "care_home_moves") == {"P1": "amber", "P2": "green", "P3": "red", "P4": "amber"}
    reasons = {r.provider: _kpi(r.kpis, "care_home_moves").reason for r in scored.returns}
    assert reasons["P2"] == ("top quartile of 4 returns for 2026-Q1: 1.0% is at or below the lower quartile 1.75% "
                             "(lower is better)")
    assert reasons["P3"] == ("bottom quartile of 4 returns for 2026-Q1: 6.0% is at or above the upper quartile 3.75% "
                             "(lower is better)")
    assert _kpi(scored.returns[0].kpis, "care_home_moves").target == "Green <= 1.75%, Red >= 3.75%"


def test_ten_peers_both_directions_and_ties(market: Market) -> None:
    changes = [{"medication_as_prescribed": 90 + i, "moves_to_care_home": i, "users_with_carer_change": changed}
               for i, changed in enumerate((5, 5, 5, 5, 6, 7, 8, 9, 9, 9))]
    scored = market(*changes)
    g, a, r = "green", "amber", "red"
    # 90..99%: quartiles 92.25% and 96.75%: three Red, four Amber, three Green
    assert list(bands(scored, "medication_as_prescribed").values()) == [r, r, r, a, a, a, a, g, g, g]
    # 0..9% moving into care homes, lower is better: the same split the other way round
    assert list(bands(scored, "care_home_moves").values()) == [g, g, g, a, a, a, a, r, r, r]
    # unrequested changes 5,5,5,5,6,7,8,9,9,9% (lower is better): quartiles 5% and 8.75%; ties share a band
    assert list(bands(scored, "unrequested_carer_changes").values()) == [g, g, g, g, a, a, a, r, r, r]
    top = _kpi(scored.returns[7].kpis, "medication_as_prescribed")
    assert top.reason == "top quartile of 10 returns for 2026-Q1: 97.0% is at or above the upper quartile 96.75%"
    assert top.peers == tuple(f"P{i}" for i in range(1, 11))


def test_peers_are_the_returns_for_the_same_quarter(market: Market) -> None:
    q2 = {"reporting_period": date(2026, 4, 1)}
    scored = market(*medication(80, 90, 90, 100), *({**q2, **m} for m in medication(70, 99, 99)))
    got = {(r.provider, r.period): _kpi(r.kpis, "medication_as_prescribed").band for r in scored.returns}
    assert got == {("P1", "2026-Q1"): "red", ("P2", "2026-Q1"): "amber", ("P3", "2026-Q1"): "amber",
                   ("P4", "2026-Q1"): "green", ("P5", "2026-Q2"): "na", ("P6", "2026-Q2"): "na",
                   ("P7", "2026-Q2"): "na"}
    assert _kpi(scored.returns[5].kpis, "medication_as_prescribed").peers == ("P5", "P6", "P7")
    assert scored.source_note == ("Relative bands compare the valid returns for the same period (dorset):\n"
                                  "  2026-Q1: 4 returns: P1, P2, P3, P4\n"
                                  "  2026-Q2: 3 returns: P5, P6, P7")


def test_a_return_without_a_value_is_not_a_peer(market: Market) -> None:
    # P4 had no end-of-life deaths: dying at home is compared among the other 3 only
    scored = market({"eol_died_at_home": 1}, {}, {}, {"eol_deaths_wished_home": 0, "eol_died_at_home": 0})
    assert bands(scored, "died_at_home") == {"P1": "na", "P2": "na", "P3": "na", "P4": "na"}
    assert _kpi(scored.returns[0].kpis, "died_at_home").reason == (
        "comparison only: 3 returns for 2026-Q1 (relative bands need at least 4)")
    assert _kpi(scored.returns[3].kpis, "died_at_home").reason.startswith("not applicable: ")
    assert bands(scored, "medication_as_prescribed") == dict.fromkeys(["P1", "P2", "P3", "P4"], "amber")


def test_a_return_with_errors_is_banded_against_its_valid_peers_but_is_not_one(market: Market) -> None:
    scored = market(*medication(80, 90, 90, 100, 50), invalid=(5,))
    assert bands(scored, "medication_as_prescribed") == {"P1": "red", "P2": "amber", "P3": "amber", "P4": "green",
                                                         "P5": "red"}
    p5 = _kpi(scored.returns[4].kpis, "medication_as_prescribed")
    assert p5.peers == ("P1", "P2", "P3", "P4")
    assert p5.reason == ("bottom quartile of 4 returns for 2026-Q1 (this return has errors, so it is not one of "
                         "them): 50.0% is at or below the lower quartile 87.5%")
    # three valid returns and one with errors: no comparison
    scored = market(*medication(80, 90, 100, 50), invalid=(4,))
    assert set(bands(scored, "medication_as_prescribed").values()) == {"na"}


def test_peers_in_text_and_json(market: Market) -> None:
    scored = market(*medication(80, 90, 90, 100))
    text = render("text", "score", scored, RenderOptions(width=400))
    assert text.splitlines()[:2] == ["Relative bands compare the valid returns for the same period (dorset):",
                                     "  2026-Q1: 4 returns: P1, P2, P3, P4"]
    assert "top quartile of 4 returns for 2026-Q1" in text
    kpis = {k["kpi"]: k for k in scored.to_dict()["returns"][0]["kpis"]}
    assert kpis["medication_as_prescribed"]["peers"] == ["P1", "P2", "P3", "P4"]
    assert "peers" not in kpis["cqc_requirements"]


@pytest.mark.parametrize(("answer", "band"), [("Yes", "green"), ("Partial", "amber"), ("No", "red")])
def test_full_compliance_answers_are_not_compared(market: Market, answer: str, band: str) -> None:
    scored = market({"cqc_requirements": answer, "pre_employment_checks": answer})
    kpis = scored.returns[0].kpis
    assert (_kpi(kpis, "cqc_requirements").band, _kpi(kpis, "pre_employment_checks").band) == (band, band)


# --- command line -----------------------------------------------------------------------------------------


def run(*args: str) -> Any:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert "Traceback" not in result.stdout + result.stderr
    return result


def test_score_bundled_samples_names_the_peers() -> None:
    r = run("score", "--framework", "dorset", "--today", TODAY.isoformat(), "--by-return")
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    head = " ".join(r.stdout.split("KPI scores: dorset")[0].split())
    assert head == ("Relative bands compare the valid returns for the same period (dorset): "
                    "2026-Q1: 5 returns: Blackmore Vale Homecare, Chesil Care at Home Ltd, Cranborne Chase Home Care, "
                    "Jurassic Coast Care Services, Stour Valley Community Care "
                    "2026-Q2: 3 returns: Blackmore Vale Homecare, Chesil Care at Home Ltd, "
                    "Jurassic Coast Care Services")
    assert lines[-1].startswith("8 returns scored, 0 unreadable:")
    data = json.loads(run("score", "--framework", "dorset", "--format", "json", "--today",
                          TODAY.isoformat()).stdout)
    chesil = next(r for r in data["returns"] if r["provider"] == "Chesil Care at Home Ltd" and r["period"] == "2026-Q1")
    moves = next(k for k in chesil["kpis"] if k["kpi"] == "care_home_moves")
    assert (moves["band"], len(moves["peers"])) == ("green", 5)


def test_frameworks_show_lists_every_note_and_the_tags(dorset: Framework) -> None:
    r = run("frameworks", "show", "dorset")
    assert r.exit_code == 0
    text = " ".join(r.stdout.split())
    for where, note in dorset.all_notes():
        assert f"[{where}] {note.title}" in text
        assert " ".join(note.text.split()) in text
    assert "tags: domain=Helping Individuals to remain healthy and well, ascof=['2A'], who=Providers" in text
    assert "bands: relative: No target: to allow comparison between Providers" in text


def test_lint_dorset_is_clean() -> None:
    r = run("lint", str(Path(__file__).resolve().parents[1] / "frameworks" / "dorset.yaml"))
    assert r.exit_code == 0 and "no problems" in r.stdout, r.stdout


# --- the committed sample returns -------------------------------------------------------------------------

SAMPLES = Samples.of("dorset")


def test_samples_name_every_committed_workbook() -> None:
    assert SAMPLES.committed_workbooks() == sorted(e["file"] for e in SAMPLES.entries)
    periods: dict[str, int] = {}
    for e in SAMPLES.top_level:
        key = f"{e['values']['reporting_period']:%Y}-Q{(e['values']['reporting_period'].month - 1) // 3 + 1}"
        periods[key] = periods.get(key, 0) + 1
    assert periods == {"2026-Q1": 5, "2026-Q2": 3}
    invalid = [e for e in SAMPLES.entries if e["file"].startswith("invalid/")]
    assert len({(f["code"], f.get("field")) for e in invalid for f in e["expect"]["findings"]}) == len(invalid)


@pytest.mark.parametrize("entry", SAMPLES.entries, ids=[e["file"] for e in SAMPLES.entries])
def test_sample_matches_its_expectation(entry: dict[str, Any]) -> None:
    check_findings(SAMPLES.validate(entry), entry)


def test_samples_score_as_expected(dorset: Framework) -> None:
    scored = SAMPLES.score_top_level(dorset)
    check_bands(scored, SAMPLES)
    counts = scored.band_counts()
    assert all(counts[b] for b in ("green", "amber", "red", "na"))
    q2 = [k for r in scored.returns if r.period == "2026-Q2" for k in r.kpis if k.peers]
    assert q2 and all(k.band == "na" and k.reason.startswith("comparison only: ") for k in q2)


def test_samples_are_reproducible(dorset: Framework, tmp_path: Path) -> None:
    check_regenerated(dorset, SAMPLES, tmp_path)


# --- faithful to the appendix: 6.2's own standard, one row per move, numbers and trends -----------------------


@pytest.mark.parametrize(("payments", "display", "band"), [
    (99000, "99.0%", "green"),
    (100000, "100.0%", "green"),     # "less or equal to the value of initial Care and Support Plans"
    (100040, "100.04%", "red"),      # above the plan, though it rounds to 100.0%
    (103000, "103.0%", "red"),
])
def test_costs_against_the_plan_are_judged_against_the_appendix_standard(market: Market, payments: int, display: str,
                                                                         band: str) -> None:
    alone = market({"actual_payments": payments})
    r = _kpi(alone.returns[0].kpis, "payments_to_plan")
    assert (r.display, r.band, r.target) == (display, band, "100% or lower")


def test_a_provider_at_99_percent_of_its_plan_is_never_red(market: Market) -> None:
    """Against four cheaper peers, 99% of the plan is the bottom quartile of the comparison, which is shown
    beside the standard; the standard itself is met."""
    report = market({"actual_payments": 99000}, *[{"actual_payments": v} for v in (90000, 91000, 92000, 93000)])
    mine = report.returns[0]
    assert (_kpi(mine.kpis, "payments_to_plan").band, _kpi(mine.kpis, "payments_to_plan_compared").band) == (
        "green", "red")


@pytest.mark.parametrize(("moves", "rows", "found"), [
    (5, 0, [("V403", "moves_to_care_home")]),
    (5, 4, [("V403", "moves_to_care_home")]),
    (2, 3, [("V403", "moves_to_care_home")]),
    (5, 5, []),
    (0, 0, []),
])
def test_the_care_home_moves_table_has_one_row_per_move(dorset: Framework, make_return: Callable[..., Path],
                                                       moves: int, rows: int, found: list[tuple[str, str]]) -> None:
    values = {**DORSET_CLEAN, "moves_to_care_home": moves}
    report = validate_file(make_return(dorset, values, tables=moves_listed(values, rows)), today=TODAY)
    assert [(f.code, f.field) for f in report.findings if f.severity == "error"] == found
    kpi = _kpi(score_reports(dorset, [report]).returns[0].kpis, "care_home_moves")
    if found:
        (f,) = [f for f in report.findings if f.code == "V403"]
        assert (f.sheet, f.cell) == ("Healthy and well", "C6")
        assert f.message == (f"Individuals who moved from their own home into a registered care home after early "
                             f"termination of their Care and Support Plan: the return declares {moves} in Healthy and "
                             f"well!C6, but the Care home moves sheet (Moves into a registered care home (reasons and "
                             f"attribution)) has {rows} row{'s' if rows != 1 else ''}, and it must have one row per "
                             f"case counted: " + ("list every case on it, one row each" if rows < moves else
                                                 "remove the rows that are not counted, or correct the figure"))
        assert (kpi.display, kpi.band) == ("n/a", "na")
        assert "has an error (V403)" in kpi.reason


def test_the_number_joining_through_schemes_is_reported_beside_the_share(market: Market, dorset: Framework) -> None:
    r = _kpi(market({}).returns[0].kpis, "joiners_via_schemes_number")
    assert (r.display, r.band) == ("3", "na")
    notes = {(where, n.title) for where, n in dorset.all_notes()}
    assert ("kpi joiners_via_schemes", "A number, reported as a share, with the number beside it") in notes


def test_measures_worded_as_a_trend_say_which_way_is_better(dorset: Framework) -> None:
    trend = {k.id: k.tags.get("trend") for k in dorset.kpis if "trend" in k.tags}
    assert trend == {"positive_experience": "increase", "feel_in_control": "increase",
                     "partner_positive_experience": "increase", "referrals_accepted": "increase",
                     "unrequested_carer_changes": "decrease", "consistent_support": "increase",
                     "guaranteed_hours": "increase"}
    titles = {n.title for _, n in dorset.all_notes()}
    assert {"Measures worded as a change over time", "No annual return and no deadline for the annual reports"} <= titles
    assert dorset.effective_from_placeholder
