"""BCP (Schedule 3) end to end: survey counts, trajectory targets, compliance answers, CQC ratings,
contract settings and the range of potential consequences.

Returns are built from the generated template, filled by defined name. QA survey counts out of
1,000 responses give percentages to 0.1%, so every boundary can be hit exactly.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from carekpi.base.errors import UsageError
from carekpi.cli import app
from carekpi.framework.bands import RELATIVE_PENDING, TRAJECTORY_PENDING, BandContext, TrajectoryBands
from carekpi.framework.discovery import find_framework
from carekpi.framework.model import Framework, Kpi, ReturnType
from carekpi.framework.periods import Period, parse_period_key
from carekpi.render import RenderOptions, render
from carekpi.scoring.inputs import ContractSettings, _as_date
from carekpi.scoring.passes import score_reports
from carekpi.scoring.results import KpiResult, ReturnScore, ScoreReport
from carekpi.validation.validate import validate_file
from conftest import TODAY, template_for
from sample_specs import Samples, check_bands, check_findings, check_regenerated

COMPLIANCE = ["written_plans", "service_matches_outcomes", "self_care_support", "community_integration", "worker_skills_match",
              "risk_management", "prevention_support", "safe_recruitment", "incident_reporting",
              "manager_safeguarding_training", "investigation_cooperation", "improvements_evidenced",
              "regulations_compliance", "cqc_action_plan", "complaints_learning", "sufficient_staffing",
              "employee_management", "staff_training", "staff_names_recorded", "referral_procedure",
              "payment_conditions", "business_continuity", "timely_reports", "minimum_hours",
              "package_management", "partnership_working", "innovation_workforce"]

BCP_CLEAN: dict[str, Any] = {
    "provider_name": "Test Care Ltd", "cqc_location_id": "1-000000001", "reporting_period": date(2025, 7, 1),
    "contact_name": "A Manager", "contact_email": "manager@test.example", "contact_phone": "01202 000000",
    "qa_surveys_sent": 1500, "qa_survey_responses": 1000, "qa_responses_to_this_quarter": 1000,
    "qa_responses_to_earlier_quarters": 0, "qa_respondents_dignity_respect": 1000,
    "qa_respondents_with_capacity": 800, "qa_respondents_involved_in_plan": 800,
    "qa_respondents_carers_stay_time": 1000, "qa_respondents_communication_ok": 1000,
    "qa_respondents_continuity_ok": 1000, "qa_respondents_preferences_met": 1000,
    "qa_respondents_money_handled": 200, "qa_respondents_money_satisfied": 200,
    "qa_respondents_know_complain": 1000, "qa_respondents_complained": 10, "qa_respondents_complaint_ok": 10,
    "service_users": 120, "service_users_plan_current": 120,
    "hours_delivered": 11000,
    "service_users_age_under_65": 20, "service_users_age_65_74": 30, "service_users_age_75_84": 40,
    "service_users_age_85_plus": 30, "service_users_gender_female": 70, "service_users_gender_male": 48,
    "service_users_gender_other_or_not_stated": 2, "service_users_ethnicity_white": 110,
    "service_users_ethnicity_mixed": 2, "service_users_ethnicity_asian": 3, "service_users_ethnicity_black": 2,
    "service_users_ethnicity_other": 1, "service_users_ethnicity_not_stated": 2,
    "staff_start": 60, "staff_joiners": 5, "staff_leavers": 3, "staff_end": 62,
    "referrals_received": 20, "referrals_accepted": 15, "referrals_declined": 5,
    "declined_reason_no_capacity": 3, "declined_reason_outside_area": 1, "declined_reason_needs_not_met": 1,
    "declined_reason_other": 0,
    **{f"reports_made_{t}": 1 for t in ["incidents", "riddor_sui", "safeguarding_authority", "complaints",
                                        "refusals", "survey_results", "lost_records", "cancellations", "no_access",
                                        "circumstances_changed"]},
    "safeguarding_concerns_raised": 2, "cqc_rating": "Good", "cqc_report_date": date(2024, 10, 1),
    **{item: "Yes" for item in COMPLIANCE},
    **{f"{item}_evidence": "Quality file 2025-Q3" for item in COMPLIANCE},
}
"""A clean quarterly return: every survey share 100%, every answer Yes, CQC Good (all Green)."""

TRAJECTORY_KPIS = ["dignity_respect", "carers_stay_agreed_time", "communication_satisfactory",
                   "continuity_satisfactory", "personal_preferences", "money_handling"]
CONSEQUENCES_1 = ["Invoice adjustments", "Compliance Notices", "Default Notices"]
CONSEQUENCES_3 = ["Report at Performance Review meetings", "Compliance Notices", "Default Notices"]


@pytest.fixture(scope="module")
def bcp() -> Framework:
    return find_framework("bcp")


@pytest.fixture
def score(bcp: Framework, make_return: Callable[..., Path]) -> Callable[..., dict[str, KpiResult]]:
    """Build a return from changes to the clean one, validate it, and score it alone."""

    def run(contract: ContractSettings | None = None, **changes: Any) -> dict[str, KpiResult]:
        report = validate_file(make_return(bcp, {**BCP_CLEAN, **changes}), today=TODAY)
        assert report.valid, [f.message for f in report.findings if f.severity == "error"]
        return {k.kpi: k for k in score_reports(bcp, [report], contract=contract).returns[0].kpis}

    return run


def test_framework_loads_and_template_opens(bcp: Framework, tmp_path: Path) -> None:
    path = tmp_path / "bcp.xlsx"
    path.write_bytes(template_for(bcp))
    wb = openpyxl.load_workbook(path)
    assert {"Cover", "QA survey", "Compliance 1-3", "Compliance 4-7", "KPI summary", "Notes"} <= set(wb.sheetnames)
    for kpi in bcp.kpis:
        assert kpi.value_name in wb.defined_names and kpi.band_name in wb.defined_names


def _band_formula(fw: Framework, kpi_id: str) -> str:
    wb = openpyxl.load_workbook(io.BytesIO(template_for(fw)))
    sheet, ref = next(iter(wb.defined_names[f"kpi_{kpi_id}_band"].destinations))
    return str(wb[sheet][ref.replace("$", "")].value)


def test_template_trajectory_band_is_exact_where_it_can_be(bcp: Framework) -> None:
    v = "kpi_dignity_respect_value"
    assert _band_formula(bcp, "dignity_respect") == (
        f'=IF(ISNUMBER({v}),IF({v}<90,"Red",IF({v}>=100,"Green","{TRAJECTORY_PENDING}")),IF({v}="n/a","n/a",""))')
    assert TRAJECTORY_PENDING == "Amber or Green: scored against the target in force"
    assert "Compared with other providers" in RELATIVE_PENDING


def test_clean_return_is_all_green(score: Callable[..., dict[str, KpiResult]], bcp: Framework) -> None:
    bands = {k: r.band for k, r in score().items()}
    na = {"staff_turnover", "referrals_declined_rate"}  # management information, no level set
    assert bands == {k.id: "na" if k.id in na else "green" for k in bcp.kpis}


# --- trajectory targets -------------------------------------------------------------------------------


CONTRACT_2025 = ContractSettings(None, date(2025, 4, 1), date(2027, 3, 31), "test contract")


def trajectory_target(bands: TrajectoryBands, period: Period | None, contract: ContractSettings) -> tuple[Decimal, str]:
    return bands.target_in_force(period, contract)


def band_value(kpi: Kpi, value: Decimal, unit: str, *, rtype: ReturnType, period: Period | None,
               contract: ContractSettings) -> tuple[str, str, str | None]:
    got = kpi.bands.band(value, BandContext(unit, rtype.cadence, period, contract))
    return got.band, got.reason, got.target


def _target(bands: TrajectoryBands, key: str, contract: ContractSettings = CONTRACT_2025) -> Decimal:
    period = parse_period_key(find_framework("bcp").returns[0], key)
    return trajectory_target(bands, period, contract)[0]


@pytest.mark.parametrize(("contract", "targets"), [
    # 1 Apr 2025 - 31 Mar 2027 in 4 steps: due by 30 Sep 2025, 31 Mar 2026, 30 Sep 2026, 31 Mar 2027
    (CONTRACT_2025, {"2025-Q1": 90, "2025-Q2": 90, "2025-Q3": 92.5, "2025-Q4": 92.5, "2026-Q1": 95, "2026-Q2": 95,
                     "2026-Q3": 97.5, "2026-Q4": 97.5, "2027-Q1": 100, "2027-Q2": 100, "2030-Q4": 100}),
    # a trajectory over a leap year still steps at the half-years
    (ContractSettings(None, date(2027, 4, 1), date(2029, 3, 31)),
     {"2027-Q3": 92.5, "2027-Q4": 92.5, "2028-Q1": 95, "2028-Q2": 95, "2028-Q3": 97.5, "2029-Q1": 100}),
    # the framework's defaults: 1 Apr 2024 - 31 Mar 2026
    (ContractSettings.from_defaults(find_framework("bcp")),
     {"2024-Q2": 90, "2024-Q3": 92.5, "2024-Q4": 92.5, "2025-Q1": 95, "2025-Q2": 95, "2025-Q3": 97.5,
      "2025-Q4": 97.5, "2026-Q1": 100}),
    # no dates: the final target
    (ContractSettings(), {"2025-Q3": 100}),
], ids=["2025-27", "leap-year", "defaults", "no-dates"])
def test_trajectory_target_steps_at_the_end_of_each_part(contract: ContractSettings, targets: dict[str, float]) -> None:
    bands = TrajectoryBands(scheme="trajectory", minimum=Decimal(90), final=Decimal(100), steps=4)
    assert {key: _target(bands, key, contract) for key in targets} == {k: Decimal(str(v)) for k, v in targets.items()}


def test_trajectory_target_says_which_step_and_when_due() -> None:
    bands = TrajectoryBands(scheme="trajectory", minimum=Decimal(80), final=Decimal(95), steps=4)
    fw_rt = find_framework("bcp").returns[0]
    say = {key: trajectory_target(bands, parse_period_key(fw_rt, key), CONTRACT_2025) for key in
           ("2024-Q4", "2025-Q2", "2025-Q3", "2026-Q3", "2027-Q1", "2027-Q2")}
    where = "trajectory 01 Apr 2025 to 31 Mar 2027, test contract"
    assert say == {
        "2024-Q4": (Decimal(80), f"the minimum: the period ends before the contract start; {where}"),
        "2025-Q2": (Decimal(80), f"the minimum until step 1 of 4, due by 30 Sep 2025; {where}"),
        "2025-Q3": (Decimal("83.75"), f"step 1 of 4, due by 30 Sep 2025; {where}"),
        "2026-Q3": (Decimal("91.25"), f"step 3 of 4, due by 30 Sep 2026; {where}"),
        "2027-Q1": (Decimal(95), f"the final target, due by 31 Mar 2027; {where}"),
        "2027-Q2": (Decimal(95), f"the final target: the {where} has ended"),
    }


@pytest.mark.parametrize(("period", "dignity", "band", "target"), [
    # 2025-Q2 ends 30 Jun 2025, before step 1 is due: the target is the minimum 90%
    (date(2025, 4, 1), 899, "red", "90%"),
    (date(2025, 4, 1), 900, "green", "90%"),
    # 2025-Q3 ends 30 Sep 2025, the day step 1 (92.5%) is due
    (date(2025, 7, 1), 899, "red", "92.5%"),
    (date(2025, 7, 1), 900, "amber", "92.5%"),
    (date(2025, 7, 1), 924, "amber", "92.5%"),
    (date(2025, 7, 1), 925, "green", "92.5%"),
    # 2026-Q1 ends 31 Mar 2026: step 2 (95%)
    (date(2026, 1, 1), 949, "amber", "95%"),
    (date(2026, 1, 1), 950, "green", "95%"),
    # 2026-Q3 ends 30 Sep 2026: step 3 (97.5%)
    (date(2026, 7, 1), 974, "amber", "97.5%"),
    (date(2026, 7, 1), 975, "green", "97.5%"),
])
def test_trajectory_bands_either_side_of_each_step(score: Callable[..., dict[str, KpiResult]], period: date,
                                                   dignity: int, band: str, target: str) -> None:
    r = score(CONTRACT_2025, reporting_period=period, qa_respondents_dignity_respect=dignity)["dignity_respect"]
    assert (r.band, r.target, r.display) == (band, target, f"{Decimal(dignity) / 10:.1f}%")


def test_same_figure_is_green_before_a_step_and_amber_after(score: Callable[..., dict[str, KpiResult]]) -> None:
    before = score(CONTRACT_2025, reporting_period=date(2025, 4, 1), qa_respondents_carers_stay_time=820)
    after = score(CONTRACT_2025, reporting_period=date(2025, 7, 1), qa_respondents_carers_stay_time=820)
    b, a = before["carers_stay_agreed_time"], after["carers_stay_agreed_time"]
    assert (b.band, b.target, a.band, a.target) == ("green", "80%", "amber", "83.75%")
    assert a.reason == ("82% is at or above the minimum 80% but short of the target in force 83.75% (step 1 of 4, "
                        "due by 30 Sep 2025; trajectory 01 Apr 2025 to 31 Mar 2027, test contract)")
    assert b.reason == ("82% meets the target in force 80% (the minimum until step 1 of 4, due by 30 Sep 2025; "
                        "trajectory 01 Apr 2025 to 31 Mar 2027, test contract)")


def test_every_rising_target_uses_the_trajectory(score: Callable[..., dict[str, KpiResult]]) -> None:
    # 2025-Q3 with the framework's defaults is step 3: 97.5 / 91.25 / 95 / 92.5 / 97.5 / 95
    results = score(qa_respondents_dignity_respect=974, qa_respondents_carers_stay_time=912,
                    qa_respondents_communication_ok=950, qa_respondents_continuity_ok=849,
                    qa_respondents_preferences_met=975, qa_respondents_money_satisfied=190)
    got = {k: (results[k].display, results[k].target, results[k].band) for k in TRAJECTORY_KPIS}
    assert got == {
        "dignity_respect": ("97.4%", "97.5%", "amber"),
        "carers_stay_agreed_time": ("91.2%", "91.25%", "amber"),
        "communication_satisfactory": ("95.0%", "95%", "green"),
        "continuity_satisfactory": ("84.9%", "92.5%", "red"),
        "personal_preferences": ("97.5%", "97.5%", "green"),
        "money_handling": ("95.0%", "95%", "green"),
    }


def _kpi(direction: str) -> Kpi:
    return Kpi.model_validate({"id": "x", "label": "x", "return": "quarterly", "kind": "ratio", "numerator": "a",
                               "denominator": "b", "bands": {"scheme": "trajectory", "direction": direction,
                                                             "minimum": 10, "final": 5, "steps": 4}})


@pytest.mark.parametrize(("value", "band"), [("10.1", "red"), ("10.0", "amber"), ("8.8", "amber"), ("8.7", "green")])
def test_lower_is_better_trajectory(bcp: Framework, value: str, band: str) -> None:
    # 10% at most, falling to 5%: 2025-Q3 is step 1, 8.75%
    period = parse_period_key(bcp.returns[0], "2025-Q3")
    got, reason, target = band_value(_kpi("lower"), Decimal(value), "percent", rtype=bcp.returns[0], period=period,
                                     contract=CONTRACT_2025)
    assert (got, target) == (band, "8.75%")
    if band == "red":
        assert reason.startswith(f"{Decimal(value).normalize()}% is above the maximum 10%")


def test_a_target_that_is_not_round_is_compared_exactly_and_shown_to_two_places(bcp: Framework) -> None:
    kpi = Kpi.model_validate({"id": "x", "label": "x", "return": "quarterly", "kind": "ratio", "numerator": "a",
                              "denominator": "b", "bands": {"scheme": "trajectory", "minimum": 90, "final": 100,
                                                            "steps": 3}})
    period = parse_period_key(bcp.returns[0], "2025-Q4")  # step 1 of 3: 93 1/3
    common = {"rtype": bcp.returns[0], "period": period, "contract": CONTRACT_2025}
    assert band_value(kpi, Decimal("93.3"), "percent", **common)[::2] == ("amber", "93.33%")
    assert band_value(kpi, Decimal("93.4"), "percent", **common)[::2] == ("green", "93.33%")


# --- contract settings ----------------------------------------------------------------------------------------


def test_contract_defaults_load_as_dates(bcp: Framework) -> None:
    d = bcp.contract_defaults
    assert type(d["contract_start"]) is date and type(d["trajectory_end"]) is date
    s = ContractSettings.from_defaults(bcp)
    assert (s.provider_name, s.contract_start, s.trajectory_end) == (None, date(2024, 4, 1), date(2026, 3, 31))
    assert _as_date(datetime(2025, 4, 1, 9, 30)) == date(2025, 4, 1)
    assert type(_as_date(datetime(2025, 4, 1, 9, 30))) is date
    assert _as_date("2025-04-01") == date(2025, 4, 1)


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "contract.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_contract_settings_file_overrides_defaults(bcp: Framework, tmp_path: Path) -> None:
    s = ContractSettings.load(_write(tmp_path, "contract_start: 2025-04-01\ntrajectory_end: 2027-03-31\n"), bcp)
    assert (s.contract_start, s.trajectory_end, s.origin) == (date(2025, 4, 1), date(2027, 3, 31),
                                                              "contract settings contract.yaml")
    # a setting left out keeps the default
    s = ContractSettings.load(_write(tmp_path, "trajectory_end: 2026-09-30\n"), bcp)
    assert (s.contract_start, s.trajectory_end) == (date(2024, 4, 1), date(2026, 9, 30))


@pytest.mark.parametrize(("text", "message"), [
    ("contract_start: 2025-04-01\ntrajectory_end: 2025-03-31\n", "must be after contract_start"),
    ("contract_start: 1st April\n", "is not a date"),
    ("start: 2025-04-01\n", "unknown setting(s) start"),
    ("- 2025-04-01\n", "must be a mapping"),
])
def test_contract_settings_file_errors(bcp: Framework, tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ContractSettings.load(_write(tmp_path, text), bcp)


def run(*args: str) -> Any:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert "Traceback" not in result.stdout + result.stderr
    return result


def test_score_contract_option_changes_the_target(bcp: Framework, make_return: Callable[..., Path],
                                                  tmp_path: Path) -> None:
    # 2025-Q3: step 3 (97.5%) with the defaults, step 1 (92.5%) with a contract starting 1 April 2025
    path = make_return(bcp, {**BCP_CLEAN, "qa_respondents_dignity_respect": 950})
    contract = _write(tmp_path, "provider_name: test care ltd\ncontract_start: 2025-04-01\n"
                                "trajectory_end: 2027-03-31\n")

    def dignity(*extra: str) -> dict[str, Any]:
        r = run("score", str(path), "--framework", "bcp", "--format", "json", "--today", TODAY.isoformat(), *extra)
        assert r.exit_code == 0, r.stderr
        return next(k for k in json.loads(r.stdout)["returns"][0]["kpis"] if k["kpi"] == "dignity_respect")

    default, agreed = dignity(), dignity("--contract", str(contract))
    assert (default["band"], default["target"]) == ("amber", "97.5%")
    assert default["reason"].endswith("(step 3 of 4, due by 30 Sep 2025; trajectory 01 Apr 2024 to 31 Mar 2026, "
                                      "bcp contract defaults)")
    assert default["consequences"] == CONSEQUENCES_1
    assert (agreed["band"], agreed["target"]) == ("green", "92.5%")
    assert agreed["reason"] == ("95% meets the target in force 92.5% (step 1 of 4, due by 30 Sep 2025; trajectory "
                                "01 Apr 2025 to 31 Mar 2027, contract settings contract.yaml)")
    assert "consequences" not in agreed


def test_contract_for_one_provider_leaves_the_others_on_the_defaults(
        bcp: Framework, make_return: Callable[..., Path], tmp_path: Path) -> None:
    ours = validate_file(make_return(bcp, {**BCP_CLEAN, "qa_respondents_dignity_respect": 950}), today=TODAY)
    other = validate_file(make_return(bcp, {**BCP_CLEAN, "qa_respondents_dignity_respect": 950,
                                            "provider_name": "Other Care", "cqc_location_id": "1-000000002"}),
                          today=TODAY)
    contract = ContractSettings.load(_write(tmp_path, "provider_name: ' 1-000000001 '\ncontract_start: 2025-04-01\n"
                                                      "trajectory_end: 2027-03-31\n"), bcp)
    scored = score_reports(bcp, [ours, other], contract=contract)
    bands = {r.provider: next(k.band for k in r.kpis if k.kpi == "dignity_respect") for r in scored.returns}
    assert bands == {"Test Care Ltd": "green", "Other Care": "amber"}
    nobody = ContractSettings.load(_write(tmp_path, "provider_name: Nobody Ltd\n"), bcp)
    with pytest.raises(UsageError, match="'Nobody Ltd', which names none of the returns scored"):
        score_reports(bcp, [ours, other], contract=nobody)


# --- met targets, compliance answers, CQC ratings -----------------------------------------------------------


@pytest.mark.parametrize(("changes", "kpi", "display", "band"), [
    # "50% minimum" and "100%" are judged on the exact value: a value that would round onto the
    # threshold it misses is shown with more places
    ({"qa_surveys_sent": 2000}, "qa_response_rate", "50.0%", "green"),
    ({"qa_surveys_sent": 2001}, "qa_response_rate", "49.975%", "red"),  # 49.975...%, not 50.0%
    ({"qa_surveys_sent": 2002}, "qa_response_rate", "49.95%", "red"),  # 49.9500...%
    ({"qa_surveys_sent": 2003}, "qa_response_rate", "49.9%", "red"),
    ({"qa_respondents_involved_in_plan": 799}, "involved_in_plan", "99.9%", "red"),
    ({"qa_respondents_with_capacity": 2000, "qa_respondents_involved_in_plan": 1999, "qa_survey_responses": 2000,
      "qa_responses_to_this_quarter": 2000, "qa_surveys_sent": 2000}, "involved_in_plan", "99.95%", "red"),
    ({"qa_respondents_with_capacity": 2000, "qa_respondents_involved_in_plan": 2000, "qa_survey_responses": 2000,
      "qa_responses_to_this_quarter": 2000, "qa_surveys_sent": 2000}, "involved_in_plan", "100.0%", "green"),
    ({"qa_respondents_know_complain": 999}, "know_how_to_complain", "99.9%", "red"),
    ({"qa_respondents_complaint_ok": 9}, "complaint_satisfaction", "90.0%", "red"),
    ({"qa_respondents_complained": 0, "qa_respondents_complaint_ok": 0}, "complaint_satisfaction", "n/a", "na"),
    ({"service_users_plan_current": 119}, "plans_personalised_reviewed", "99.2%", "red"),
])
def test_met_targets(score: Callable[..., dict[str, KpiResult]], changes: dict[str, Any], kpi: str, display: str,
                     band: str) -> None:
    r = score(**changes)[kpi]
    assert (r.display, r.band) == (display, band)


def test_no_survey_this_quarter_leaves_survey_indicators_na(score: Callable[..., dict[str, KpiResult]]) -> None:
    zero = {k: 0 for k in BCP_CLEAN if k.startswith("qa_")}
    results = score(**zero)
    survey = ["qa_response_rate", "dignity_respect", "involved_in_plan", "carers_stay_agreed_time",
              "communication_satisfactory", "continuity_satisfactory", "personal_preferences", "money_handling",
              "know_how_to_complain", "complaint_satisfaction"]
    assert {k: results[k].band for k in survey} == dict.fromkeys(survey, "na")
    assert results["service_matches_outcomes"].band == "green"  # from reviews, not the survey


@pytest.mark.parametrize(("answer", "band"), [("Yes", "green"), ("Partial", "amber"), ("No", "red")])
@pytest.mark.parametrize("kpi", ["written_plans", "risk_management", "staff_training", "innovation_workforce"])
def test_compliance_answers(score: Callable[..., dict[str, KpiResult]], kpi: str, answer: str, band: str) -> None:
    r = score(**{kpi: answer})[kpi]
    assert (r.display, r.band, r.reason) == (answer, band, f"answer {answer!r} is {band.capitalize()}")


def test_cqc_action_plan_not_applicable_is_na(score: Callable[..., dict[str, KpiResult]]) -> None:
    r = score(cqc_action_plan="CQC identified none")["cqc_action_plan"]
    assert (r.band, r.reason) == ("na", "answer 'CQC identified none' is not banded")


@pytest.mark.parametrize(("rating", "band"), [("Outstanding", "green"), ("Good", "green"),
                                              ("Requires improvement", "amber"), ("Inadequate", "red"),
                                              ("Not yet rated", "na")])
def test_cqc_rating_mapping(score: Callable[..., dict[str, KpiResult]], rating: str, band: str) -> None:
    changes: dict[str, Any] = {"cqc_rating": rating}
    if rating == "Not yet rated":  # otherwise a warning: a service not yet rated has no CQC action plan
        changes["cqc_action_plan"] = "CQC identified none"
    r = score(**changes)["cqc_rating"]
    assert (r.display, r.band, r.target) == (rating, band, "Good or Excellent")


def test_cqc_excellent_is_not_an_answer(bcp: Framework, make_return: Callable[..., Path]) -> None:
    report = validate_file(make_return(bcp, {**BCP_CLEAN, "cqc_rating": "Excellent"}), today=TODAY)
    assert [(f.code, f.field, f.sheet) for f in report.findings if f.severity == "error"] == [
        ("V106", "cqc_rating", "Compliance 1-3")]


def test_evidence_reference_is_required(bcp: Framework, make_return: Callable[..., Path]) -> None:
    report = validate_file(make_return(bcp, BCP_CLEAN, drop=("staff_training_evidence",)), today=TODAY)
    assert [(f.code, f.field) for f in report.findings if f.severity == "error"] == [
        ("V101", "staff_training_evidence")]


@pytest.mark.parametrize(("answer", "evidence", "errors"), [
    ("CQC identified none", None, []),  # nothing to evidence: no action plan was needed
    ("Yes", None, [("V101", "cqc_action_plan_evidence")]),
    ("No", None, [("V101", "cqc_action_plan_evidence")]),
    ("Yes", "Action plan sent 12/05/2025", []),
])
def test_evidence_is_not_asked_for_when_cqc_identified_none(bcp: Framework, make_return: Callable[..., Path],
                                                           answer: str, evidence: str | None,
                                                           errors: list[tuple[str, str]]) -> None:
    values = {**BCP_CLEAN, "cqc_action_plan": answer, "cqc_action_plan_evidence": evidence}
    report = validate_file(make_return(bcp, values, drop=() if evidence else ("cqc_action_plan_evidence",)),
                           today=TODAY)
    assert [(f.code, f.field) for f in report.findings if f.severity == "error"] == errors


# --- faithful to the schedule: 2.1, survey replies, exact thresholds ---------------------------------------


@pytest.mark.parametrize(("answer", "band"), [("Yes", "green"), ("Partial", "amber"), ("No", "red")])
def test_indicator_2_1_is_a_full_compliance_answer(score: Callable[..., dict[str, KpiResult]], bcp: Framework,
                                                    answer: str, band: str) -> None:
    r = score(service_matches_outcomes=answer)["service_matches_outcomes"]
    assert (r.display, r.band, r.target) == (answer, band, "Full compliance")
    items = bcp.return_type().item_map()
    assert "reviews_held" not in items and "reviews_outcomes_matched" not in items
    assert items["service_matches_outcomes_evidence"].type.value == "text"
    notes = {n.title: n.text for _, n in bcp.all_notes()}
    weighed = notes['2.1 is a practice, answered like outcome 1\'s "All service users..." indicator']
    assert "Weighed and not chosen" in weighed and "90% minimum" in weighed and '"100%"' in weighed


def test_replies_to_last_quarters_survey_are_counted_when_they_arrive(score: Callable[..., dict[str, KpiResult]]) -> None:
    """A survey sent in March, replies in April: April-June sent no survey and is a normal return."""
    results = score(qa_surveys_sent=0, qa_survey_responses=1000, qa_responses_to_this_quarter=0,
                    qa_responses_to_earlier_quarters=1000, qa_respondents_dignity_respect=980)
    assert (results["qa_response_rate"].band, results["qa_response_rate"].display) == ("na", "n/a")
    assert "QA surveys sent to service users is 0" in results["qa_response_rate"].reason
    assert (results["dignity_respect"].display, results["dignity_respect"].band) == ("98.0%", "green")
    # a new survey as well: replies received over surveys sent, the late ones included
    results = score(qa_surveys_sent=400, qa_survey_responses=1000, qa_responses_to_this_quarter=300,
                    qa_responses_to_earlier_quarters=700)
    assert (results["qa_response_rate"].display, results["qa_response_rate"].band) == ("250.0%", "green")


def test_more_replies_to_this_quarters_survey_than_surveys_sent_is_an_error(bcp: Framework,
                                                                           make_return: Callable[..., Path]) -> None:
    values = {**BCP_CLEAN, "qa_surveys_sent": 999, "qa_responses_to_this_quarter": 1000}
    report = validate_file(make_return(bcp, values), today=TODAY)
    [f] = [f for f in report.findings if f.severity == "error"]
    assert (f.code, f.field, f.rule) == ("V201", "qa_responses_to_this_quarter", "responses_within_surveys_sent")
    assert f.message == ("Replies to surveys sent this quarter (1000) cannot be more than the QA surveys sent to "
                         "service users (999): count replies to an earlier quarter's survey under the earlier quarters")


@pytest.mark.parametrize(("stay", "display", "band"), [
    (1999, "79.96%", "red"),    # 79.96% exactly is below the 80% minimum, though it rounds to 80.0%
    (2000, "80.0%", "amber"),   # at the minimum, short of the target in force
    (2281, "91.2%", "amber"),   # 91.24%: below the 91.25% in force
    (2282, "91.3%", "green"),
])
def test_minimums_and_targets_in_force_are_judged_exactly(score: Callable[..., dict[str, KpiResult]], stay: int,
                                                        display: str, band: str) -> None:
    n = 2500  # 2025-Q3, step 3 of 80% rising to 95%: 91.25% in force
    r = score(qa_surveys_sent=n, qa_survey_responses=n, qa_responses_to_this_quarter=n,
              **{f"qa_respondents_{k}": n for k in ("dignity_respect", "communication_ok", "continuity_ok",
                                                       "preferences_met", "know_complain")},
              qa_respondents_carers_stay_time=stay)["carers_stay_agreed_time"]
    assert (r.display, r.band) == (display, band)


def test_template_shows_a_value_judged_exactly_as_carekpi_does(bcp: Framework) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(template_for(bcp)))
    sheet, ref = next(iter(wb.defined_names["kpi_involved_in_plan_value"].destinations))
    cell = wb[sheet][ref.replace("$", "")]
    x = "qa_respondents_involved_in_plan/qa_respondents_with_capacity*100"
    value = (f'IF(COUNT(qa_respondents_involved_in_plan,qa_respondents_with_capacity)<2,"",'
             f'IF(qa_respondents_with_capacity=0,"n/a",IF(OR(({x}>=100)<>(ROUND({x},1)>=100)),'
             f'ROUND({x},4),ROUND({x},1))))')
    # "n/a" while a rule on its figures fails on the Checks sheet, as carekpi withholds it
    assert cell.value.startswith('=IF(OR(AND(check_capacity_within_responses<>"OK",')
    assert cell.value.endswith(f'"n/a",{value})')
    assert cell.number_format == '0.0###"%"'
    assert "(judged on the exact value, before rounding)" in wb[sheet].cell(row=cell.row, column=5).value


def test_a_value_shown_with_more_places_keeps_them_in_excel(bcp: Framework, make_return: Callable[..., Path],
                                                           tmp_path: Path) -> None:
    values = {**BCP_CLEAN, "qa_respondents_with_capacity": 2000, "qa_respondents_involved_in_plan": 1999,
              "qa_survey_responses": 2000, "qa_responses_to_this_quarter": 2000, "qa_surveys_sent": 2000}
    report = score_reports(bcp, [validate_file(make_return(bcp, values), today=TODAY)])
    out = tmp_path / "scores.xlsx"
    out.write_bytes(render("xlsx", "score", report))
    ws = openpyxl.load_workbook(out)["Scores"]
    header = [c.value for c in ws[1]]
    row = next(dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2)
               if r[header.index("kpi")].value == "involved_in_plan")
    assert (row["value"].value, row["value"].number_format, row["display"].value, row["band"].value) == (
        0.9995, "0.00%", "99.95%", "red")


def test_safeguarding_concerns_raised_says_why_it_is_asked(bcp: Framework) -> None:
    notes = dict((where, n.title) for where, n in bcp.all_notes())
    assert notes["item safeguarding_concerns_raised"] == "Why carekpi asks for the safeguarding concerns raised"


# --- consequences in every output format ------------------------------------------------------------------


@pytest.fixture
def flawed(bcp: Framework, make_return: Callable[..., Path], tmp_path: Path) -> Path:
    """Red response rate, Amber dignity (2025-Q3 defaults: 97.5%), Partial and No answers."""
    path = make_return(bcp, {**BCP_CLEAN, "qa_surveys_sent": 2100, "qa_respondents_dignity_respect": 950,
                             "risk_management": "Partial", "sufficient_staffing": "No"})
    target = tmp_path / "flawed.xlsx"
    target.write_bytes(path.read_bytes())
    return target


def test_consequences_in_text_output(bcp: Framework, flawed: Path) -> None:
    r = run("score", str(flawed), "--framework", "bcp", "--today", TODAY.isoformat(), "--by-return")
    assert r.exit_code == 0 and r.stdout.count("Possible") == 4  # response rate, dignity, risk, staffing
    scored = score_reports(bcp, [validate_file(flawed, today=TODAY)])
    lines = render("text", "score", scored, RenderOptions(width=1000)).splitlines()
    reasons = {kpi: next(line for line in lines if f" {kpi} " in line) for kpi in ("1.1", "1.2", "3.1", "5.1", "1.6")}
    assert reasons["1.1"].split("│")[-2].strip() == (
        "47.6% does not meet the target 50%. Possible consequences: Invoice adjustments; Compliance Notices; "
        "Default Notices")
    assert "short of the target in force 97.5%" in reasons["1.2"]
    assert "Possible consequences: Invoice adjustments; Compliance Notices; Default Notices" in reasons["1.2"]
    assert reasons["3.1"].split("│")[-2].strip() == (
        "answer 'Partial' is Amber. Possible consequences: Report at Performance Review meetings; "
        "Compliance Notices; Default Notices")
    assert "Possible consequences: Report at Performance Review meetings" in reasons["5.1"]
    assert "Possible consequences" not in reasons["1.6"]


def test_consequences_in_json_only_when_not_green(flawed: Path) -> None:
    r = run("score", str(flawed), "--framework", "bcp", "--format", "json", "--today", TODAY.isoformat())
    kpis = {k["kpi"]: k for k in json.loads(r.stdout)["returns"][0]["kpis"]}
    with_consequences = {k: v["consequences"] for k, v in kpis.items() if "consequences" in v}
    assert with_consequences == {"qa_response_rate": CONSEQUENCES_1, "dignity_respect": CONSEQUENCES_1,
                                 "risk_management": CONSEQUENCES_3, "sufficient_staffing": CONSEQUENCES_3}
    assert {kpis[k]["band"] for k in with_consequences} == {"red", "amber"}


def test_consequences_column_in_csv(flawed: Path) -> None:
    r = run("score", str(flawed), "--framework", "bcp", "--format", "csv", "--today", TODAY.isoformat())
    header = r.stdout.splitlines()[0].split(",")
    assert header[-1] == "consequences"
    rows = {row["kpi"]: row for row in csv.DictReader(io.StringIO(r.stdout))}
    assert rows["dignity_respect"]["consequences"] == "Invoice adjustments; Compliance Notices; Default Notices"
    assert rows["risk_management"]["consequences"] == ("Report at Performance Review meetings; Compliance Notices; "
                                                       "Default Notices")
    assert rows["written_plans"]["band"] == "green" and rows["written_plans"]["consequences"] == ""


def test_consequences_column_in_xlsx(flawed: Path, tmp_path: Path) -> None:
    out = tmp_path / "scores.xlsx"
    r = run("score", str(flawed), "--framework", "bcp", "--format", "xlsx", "-o", str(out), "--today",
            TODAY.isoformat())
    assert r.exit_code == 0
    ws = openpyxl.load_workbook(out)["Scores"]
    rows = list(ws.iter_rows(values_only=True))
    col = rows[0].index("consequences")
    assert col == len(rows[0]) - 1
    by_kpi = {row[rows[0].index("kpi")]: row[col] for row in rows[1:]}
    assert by_kpi["sufficient_staffing"] == "Report at Performance Review meetings; Compliance Notices; Default Notices"
    assert by_kpi["written_plans"] is None


def test_csv_unreadable_row_has_every_column() -> None:
    from carekpi.render.csv import SCORE_COLUMNS

    report = ScoreReport("bcp", [ReturnScore("bad.xlsx", "bcp", None, None, None, None, None, False, 0, 0,
                                             unreadable="not a workbook")])
    rows = list(csv.reader(io.StringIO(render("csv", "score", report))))
    assert rows[1] == ["bad.xlsx", "", "", "", "unreadable"] + [""] * 9 + ["not a workbook"] + [""] * 3
    assert len(rows[1]) == len(SCORE_COLUMNS)


# --- frameworks show, lint ------------------------------------------------------------------------------


def test_frameworks_show_lists_every_note(bcp: Framework) -> None:
    r = run("frameworks", "show", "bcp")
    assert r.exit_code == 0
    text = " ".join(r.stdout.split())
    for where, note in bcp.all_notes():
        assert f"[{where}] {note.title}" in text
        assert " ".join(note.text.split()) in text
    for title in ("The target in force for a period", "Contract settings file", "Trajectory bands in the template",
                  "CQC ratings and \"Good or Excellent\"", "Consequences are recorded, not applied"):
        assert title in text


def test_lint_bcp_is_clean() -> None:
    r = run("lint", str(Path(__file__).resolve().parents[1] / "frameworks" / "bcp.yaml"))
    assert r.exit_code == 0 and "no problems" in r.stdout, r.stdout


# --- the committed sample returns ---------------------------------------------------------------------------

SAMPLES = Samples.of("bcp")


def test_samples_name_every_committed_workbook() -> None:
    assert SAMPLES.committed_workbooks() == sorted(e["file"] for e in SAMPLES.entries)
    assert len(SAMPLES.top_level) == 9
    assert len({e["expect"]["findings"][0]["code"] + e["expect"]["findings"][0].get("field", "")
                for e in SAMPLES.entries if e["file"].startswith("invalid/")}) == 10


@pytest.mark.parametrize("entry", SAMPLES.entries, ids=[e["file"] for e in SAMPLES.entries])
def test_sample_matches_its_expectation(entry: dict[str, Any]) -> None:
    check_findings(SAMPLES.validate(entry), entry)


def test_samples_score_as_expected_and_span_every_band(bcp: Framework) -> None:
    scored = SAMPLES.score_top_level(bcp)
    check_bands(scored, SAMPLES)
    counts = scored.band_counts()
    assert all(counts[b] for b in ("green", "amber", "red", "na"))
    targets = {(r.period, k.target) for r in scored.returns for k in r.kpis
               if k.kpi == "dignity_respect" and k.target}
    assert targets == {("2025-Q2", "95%"), ("2025-Q4", "97.5%"), ("2026-Q1", "100%")}


def test_samples_are_reproducible(bcp: Framework, tmp_path: Path) -> None:
    check_regenerated(bcp, SAMPLES, tmp_path)
