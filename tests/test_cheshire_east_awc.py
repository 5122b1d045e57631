"""Cheshire East Accommodation With Care: golden tests, end to end.

Returns are built from the generated template (``make_return``), starting from the values of
clean samples in ``sample_returns/cheshire-east-awc/samples.yaml``.
"""

from __future__ import annotations

import copy
import csv
import io
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from openpyxl import load_workbook
from typer.testing import CliRunner

from carekpi.cli import app
from carekpi.framework.cover import META_SHEET
from carekpi.framework.discovery import bundled_dir, find_framework
from carekpi.framework.model import Framework
from carekpi.framework.periods import deadline_for, parse_period_key, period_for
from carekpi.market.batch import score_paths
from carekpi.render import RenderOptions, render
from carekpi.scoring.inputs import load_commissioner_data
from carekpi.scoring.passes import score_reports
from carekpi.scoring.results import KpiResult, ScoreReport
from carekpi.validation.validate import validate_file
from carekpi.workbook.samples import load_spec, write_samples
from carekpi.workbook.template import template_bytes
from conftest import TODAY

FW_ID = "cheshire-east-awc"
SAMPLES = bundled_dir("sample_returns") / FW_ID
SPEC: dict[str, Any] = yaml.safe_load((SAMPLES / "samples.yaml").read_text(encoding="utf-8"))
ENTRIES: list[dict[str, Any]] = SPEC["returns"]
TOP_LEVEL = [e for e in ENTRIES if "/" not in e["file"]]

Make = Callable[..., Path]


@pytest.fixture(scope="module")
def fw() -> Framework:
    return find_framework(FW_ID)


def sample(file: str) -> dict[str, Any]:
    return copy.deepcopy(next(e for e in ENTRIES if e["file"] == file))


def four_weekly(**changes: Any) -> dict[str, Any]:
    values = sample("willow-court-2026-08-17.xlsx")["values"]
    values.update(changes)
    return values


def quarterly(**changes: Any) -> dict[str, Any]:
    values = sample("willow-court-2026-q3.xlsx")["values"]
    values.update(changes)
    return values


def kpi(report: ScoreReport, kpi_id: str) -> KpiResult:
    return next(k for k in report.returns[0].kpis if k.kpi == kpi_id)


def score(fw: Framework, path: Path, council: Path | None = None) -> ScoreReport:
    data = load_commissioner_data(council, fw) if council else None
    return score_reports(fw, [validate_file(path, today=TODAY)], commissioner=data)


def errors(path: Path) -> list[Any]:
    return [f for f in validate_file(path, today=TODAY).findings if f.severity == "error"]


def make_four_weekly(fw: Framework, make_return: Make, **changes: Any) -> Path:
    return make_return(fw, four_weekly(**changes), return_id="four_weekly",
                       tables=sample("willow-court-2026-08-17.xlsx")["tables"])


# --- return types and templates ---------------------------------------------------------------------


def test_three_return_types(fw: Framework) -> None:
    assert [(r.id, r.cadence.value) for r in fw.returns] == [
        ("four_weekly", "four_weekly"), ("quarterly", "quarterly"), ("annual", "annual")]


@pytest.mark.parametrize("rid", ["four_weekly", "quarterly", "annual"])
def test_template_for_every_return_type_records_it(fw: Framework, rid: str, tmp_path: Path) -> None:
    path = tmp_path / f"{rid}.xlsx"
    path.write_bytes(template_bytes(fw, rid))
    meta = {r[0].value: r[1].value for r in load_workbook(path)[META_SHEET].iter_rows(max_row=5)}
    assert (meta["framework"], meta["return_type"]) == (FW_ID, rid)
    report = validate_file(path, today=TODAY)  # no --return: detected from the metadata
    assert report.return_type == rid


def test_template_cli_takes_the_return_type(tmp_path: Path) -> None:
    out = tmp_path / "q.xlsx"
    result = CliRunner().invoke(app, ["template", "-f", FW_ID, "-r", "quarterly", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Quarterly monitoring return" in result.stdout
    result = CliRunner().invoke(app, ["template", "-f", FW_ID, "-r", "monthly", "-o", str(out)])
    assert result.exit_code == 2 and "four_weekly, quarterly, annual" in result.output


def test_validate_cli_takes_the_return_type(tmp_path: Path) -> None:
    path = SAMPLES / "willow-court-2026-q3.xlsx"
    ok = CliRunner().invoke(app, ["validate", str(path), "-r", "quarterly", "--today", TODAY.isoformat()])
    assert ok.exit_code == 0 and "quarterly return" in ok.stdout
    wrong = CliRunner().invoke(app, ["validate", str(path), "-r", "annual", "--today", TODAY.isoformat()])
    assert wrong.exit_code == 2 and "is a quarterly return" in wrong.output


# --- KPI targets at their boundaries ------------------------------------------------------------------


@pytest.mark.parametrize(("consistent", "residents", "display", "band"), [
    (34, 40, "85.0%", "green"), (33, 40, "82.5%", "red"),
    (1699, 2000, "85.0%", "green"),  # 84.95% rounds to 85.0% at one decimal place, then is banded
    (1698, 2000, "84.9%", "red"),
])
def test_continuity_target_85(fw: Framework, make_return: Make, consistent: int, residents: int, display: str,
                              band: str) -> None:
    path = make_four_weekly(fw, make_return, residents_active=residents, residents_cec_funded=residents - 18,
                            residents_consistent_staff=consistent)
    assert errors(path) == []
    res = kpi(score(fw, path), "continuity_of_care_workers")
    assert (res.display, res.band, res.target, res.critical_failure) == (display, band, "85%", False)


@pytest.mark.parametrize(("covered", "required", "rostering", "well_led"), [
    (90, 100, "green", "red"), (89, 100, "red", "red"), (95, 100, "green", "green"), (94, 100, "green", "red"),
])
def test_rostering_boundaries(fw: Framework, make_return: Make, covered: int, required: int, rostering: str,
                              well_led: str) -> None:
    path = make_four_weekly(fw, make_return, rota_shifts_required=required, rota_shifts_fully_covered=covered,
                            shifts_staffed_as_required=covered)
    assert errors(path) == []
    report = score(fw, path)
    assert kpi(report, "rostering").band == rostering
    led = kpi(report, "well_led_rostering")
    assert (led.band, led.critical, led.critical_failure) == (well_led, True, well_led == "red")


@pytest.mark.parametrize(("trained", "band"), [(95, "green"), (94, "red")])
def test_kqf_safe_training_95_is_critical(fw: Framework, make_return: Make, trained: int, band: str) -> None:
    path = make_four_weekly(fw, make_return, staff_employed=100, staff_full_time=60, staff_part_time=40,
                            staff_core_training_complete=trained)
    assert errors(path) == []
    res = kpi(score(fw, path), "safe_training")
    assert (res.band, res.critical_failure) == (band, band == "red")
    assert res.reason == f"{trained}% {'meets' if band == 'green' else 'does not meet'} the target 95%"


@pytest.mark.parametrize(("with_outcomes", "display", "band"), [(19, "95.0%", "green"), (18, "90.0%", "red"),
                                                                 (25, "100.0%", "green")])
def test_outcome_reviews_95_of_the_25_percent_quota(fw: Framework, make_return: Make, with_outcomes: int,
                                                    display: str, band: str) -> None:
    # 80 CEC funded Residents: the quota is 20 reviews; more than the quota counts as 100%
    values = quarterly(cec_funded_residents=80, outcome_reviews_completed=25, outcome_reviews_with_outcomes=with_outcomes,
                       residents_current=100, outcome_reviews_all_residents=25)
    path = make_return(fw, values, return_id="quarterly")
    assert errors(path) == []
    res = kpi(score(fw, path), "outcome_reviews")
    # 2.2.1 a) is a KPI of 2.2.1, not marked critical (the KQF Effective row over all Residents is)
    assert (res.display, res.band, res.critical, res.critical_failure) == (display, band, False, False)


def test_kqf_kpis_are_tagged_by_cqc_domain_and_critical(fw: Framework) -> None:
    kqf = [k for k in fw.kpis if k.ref and k.ref.startswith("KQF")]
    domains = {k.tags.get("cqc_domain") for k in kqf}
    assert domains == {"Safe", "Effective", "Caring", "Well-led"}
    assert all(k.critical for k in kqf if k.bands.scheme == "met")
    assert all(getattr(k.bands, "target", None) == 95 for k in kqf if k.bands.scheme == "met")
    targets = {k.id: k.bands.target for k in fw.kpis if k.bands.scheme == "met" and not k.critical}  # type: ignore[union-attr]
    assert targets == {"outcome_reviews": 95, "continuity_of_care_workers": 85, "rostering": 90, "data_timeliness": 95,
                       "data_accuracy": 95, "first_accounts_timely": 100, "safeguarding_training": 100,
                       "investigator_training": 100, "mca_dols_training": 100}


# --- CQC ratings --------------------------------------------------------------------------------------


def test_inadequate_rating_is_a_critical_performance_failure(fw: Framework, make_return: Make) -> None:
    path = make_four_weekly(fw, make_return, cqc_rating_safe="Inadequate", cqc_rating_overall="Inadequate")
    assert errors(path) == []
    report = score(fw, path)
    safe, overall, caring = kpi(report, "cqc_safe"), kpi(report, "cqc_overall"), kpi(report, "cqc_caring")
    assert (safe.band, safe.critical_failure) == ("red", True)
    assert (overall.band, overall.critical_failure) == ("red", True)
    assert (caring.band, caring.critical_failure) == ("green", False)
    text = render("text", "score", report, RenderOptions(width=400))
    lines = [ln for ln in text.splitlines() if ln.startswith("CRITICAL PERFORMANCE FAILURE")]
    assert len(lines) == 2
    assert "2.2.2 a) Safe CQC rating: Safe" in lines[0] and "Inadequate is a critical performance failure" in lines[0]
    assert "CQC rating: Overall" in lines[1] and "Willow Court Extra Care" in lines[1]


@pytest.mark.parametrize(("rating", "band"), [("Outstanding", "green"), ("Good", "green"),
                                              ("Requires improvement", "amber"), ("Not yet rated", "na"),
                                              ("inadequate", "red")])
def test_rating_bands(fw: Framework, make_return: Make, rating: str, band: str) -> None:
    path = make_four_weekly(fw, make_return, cqc_rating_well_led=rating)
    assert errors(path) == []
    res = kpi(score(fw, path), "cqc_well_led")
    assert res.band == band and res.critical_failure is (band == "red")
    text = render("text", "score", score(fw, path), RenderOptions(width=400))
    assert ("CRITICAL PERFORMANCE FAILURE" in text) is (band == "red")


# --- breakdowns and rules -----------------------------------------------------------------------------


def test_breakdown_mismatch_names_the_headline_cell_and_the_breakdown_cells(fw: Framework, make_return: Make) -> None:
    path = make_four_weekly(fw, make_return, staff_part_time=21)
    [f] = errors(path)
    assert (f.code, f.field, f.sheet, f.cell) == ("V202", "staff_employed", "Workforce", "C6")
    assert "C24:C25" in f.message and "C6 (60)" in f.message and "add up to 57" in f.message


def test_enquiry_outcomes_add_up_to_enquiries_concluded(fw: Framework, make_return: Make) -> None:
    path = make_four_weekly(fw, make_return, enquiries_not_substantiated=2)
    [f] = errors(path)
    assert (f.code, f.field) == ("V202", "enquiries_concluded")
    assert "Outcome of enquiries concluded" in f.message


def test_a_kpi_without_a_band_shows_no_value_when_a_breakdown_it_uses_has_an_error(fw: Framework,
                                                                                make_return: Make) -> None:
    """Substantiated safeguarding is reported without a band; with the enquiry outcomes not adding up its
    figure is not shown, and the reason says why."""
    clean = kpi(score(fw, make_four_weekly(fw, make_return)), "safe_substantiated_safeguarding")
    assert (clean.band, clean.reason) == ("na", "management information: not banded")
    assert clean.display != "n/a"
    res = kpi(score(fw, make_four_weekly(fw, make_return, enquiries_substantiated=3)), "safe_substantiated_safeguarding")
    assert (res.band, res.display, res.value) == ("na", "n/a", None)
    assert res.reason == ("not computed: Outcome of enquiries concluded: Upheld / substantiated has an error (V202) in "
                          "this return; correct the return and score it again")


# --- outcome reviews: CEC funded (2.2.1 a) and all Residents (KQF Effective, 2.3.3) ---------------------


@pytest.mark.parametrize(("all_reviewed", "display", "band"), [(24, "96.0%", "green"), (23, "92.0%", "red"),
                                                               (30, "100.0%", "green")])
def test_the_effective_row_counts_all_residents(fw: Framework, make_return: Make, all_reviewed: int, display: str,
                                                band: str) -> None:
    # 100 Residents, 40 of them CEC funded: the Effective quota is 25 reviews of any Resident; the
    # 2.2.1 a) quota is 10 reviews of CEC funded Residents evidencing an outcome achieved
    values = quarterly(residents_current=100, outcome_reviews_all_residents=all_reviewed, cec_funded_residents=40,
                       outcome_reviews_completed=10, outcome_reviews_with_outcomes=10)
    path = make_return(fw, values, return_id="quarterly")
    assert errors(path) == []
    report = score(fw, path)
    effective = kpi(report, "outcome_reviews_all_residents")
    assert (effective.display, effective.band, effective.critical, effective.critical_failure) == (
        display, band, True, band == "red")
    assert (kpi(report, "outcome_reviews").display, kpi(report, "outcome_reviews").band) == ("100.0%", "green")
    notes = {n.title for _, n in fw.all_notes()}
    assert "CEC funded Residents, or all Residents" in notes


def test_cec_funded_reviews_are_some_of_all_reviews(fw: Framework, make_return: Make) -> None:
    values = quarterly(residents_current=100, outcome_reviews_all_residents=9, cec_funded_residents=40,
                       outcome_reviews_completed=10, outcome_reviews_with_outcomes=10)
    [f] = errors(make_return(fw, values, return_id="quarterly"))
    assert (f.code, f.field, f.rule) == ("V201", "outcome_reviews_completed", "cec_reviews_within_all_reviews")


# --- high level outcomes that are standards for every case (2.3.1 c-e), complaints in 28 days --------------


@pytest.mark.parametrize(("changes", "kpi_id", "display", "band"), [
    ({"first_accounts_raised": 3, "first_accounts_timely": 3}, "first_accounts_timely", "100.0%", "green"),
    ({"first_accounts_raised": 3, "first_accounts_timely": 2}, "first_accounts_timely", "66.7%", "red"),
    ({"first_accounts_raised": 0, "first_accounts_timely": 0}, "first_accounts_timely", "n/a", "na"),
    ({"staff_safeguarding_basic_trained": 60}, "safeguarding_training", "100.0%", "green"),
    ({"staff_safeguarding_basic_trained": 59}, "safeguarding_training", "98.3%", "red"),
    ({"staff_investigating": 4, "staff_investigating_trained": 3}, "investigator_training", "75.0%", "red"),
    ({"staff_mca_dols_trained": 60}, "mca_dols_training", "100.0%", "green"),
    ({"staff_mca_dols_trained": 59}, "mca_dols_training", "98.3%", "red"),
    ({"complaints_received": 3, "complaints_28_days_ended": 3, "complaints_resolved_within_28_days": 2},
     "complaints_resolved_28_days", "66.7%", "na"),
])
def test_safeguarding_outcomes_and_complaints_in_28_days(fw: Framework, make_return: Make, changes: dict[str, Any],
                                                         kpi_id: str, display: str, band: str) -> None:
    path = make_four_weekly(fw, make_return, **changes)
    assert errors(path) == []
    res = kpi(score(fw, path), kpi_id)
    assert (res.display, res.band, res.critical) == (display, band, False)


def test_more_trained_than_staff_is_an_error(fw: Framework, make_return: Make) -> None:
    [f] = errors(make_four_weekly(fw, make_return, staff_mca_dols_trained=61))
    assert (f.code, f.field, f.rule) == ("V201", "staff_mca_dols_trained", "mca_dols_trained_within_staff")


def test_three_consecutive_late_periods_are_declared_as_data(fw: Framework) -> None:
    for framework in (fw, find_framework("cheshire-east-dpss")):
        rule = framework.submissions.late_or_missing
        assert rule is not None and (rule.periods, rule.label) == (3, "service failure")
        assert framework.effective_from_placeholder
        show = CliRunner().invoke(app, ["frameworks", "show", framework.id]).stdout
        assert "3 consecutive periods of one return type late or missing: service failure" in show


# --- data submission KPIs (council data) --------------------------------------------------------------


def test_data_submission_kpis_use_council_data(fw: Framework, make_return: Make, tmp_path: Path) -> None:
    path = make_return(fw, quarterly(), return_id="quarterly")
    assert kpi(score(fw, path), "data_timeliness").reason == "council data not supplied (use --commissioner-data)"
    council = tmp_path / "council.csv"
    council.write_text("provider,period,submissions_due,submissions_on_time,submissions_checked,submissions_accurate\n"
                       "1-201234567,2026-Q3,20,19,20,18\n", encoding="utf-8")
    report = score(fw, path, council)
    assert (kpi(report, "data_timeliness").display, kpi(report, "data_timeliness").band) == ("95.0%", "green")
    assert (kpi(report, "data_accuracy").display, kpi(report, "data_accuracy").band) == ("90.0%", "red")


# --- deadlines ----------------------------------------------------------------------------------------


def test_deadlines_of_each_return_type(fw: Framework) -> None:
    fwk = fw.return_type("four_weekly")
    p = period_for(fwk, date(2026, 9, 14))
    assert (p.start, p.end) == (date(2026, 9, 14), date(2026, 10, 11))
    assert deadline_for(fwk, p) == date(2026, 10, 23)  # 10 working days after Sunday 11 October
    p = period_for(fwk, date(2025, 12, 15))
    assert p.end == date(2026, 1, 4) and deadline_for(fwk, p) == date(2026, 1, 16)
    q = fw.return_type("quarterly")
    assert deadline_for(q, parse_period_key(q, "2026-Q3")) == date(2026, 10, 15)  # type: ignore[arg-type]
    assert deadline_for(q, parse_period_key(q, "2027-Q4")) == date(2028, 1, 14)  # type: ignore[arg-type]
    a = fw.return_type("annual")
    assert deadline_for(a, period_for(a, date(2025, 4, 1))) == date(2026, 4, 30)


# --- samples, default scoring, CLI --------------------------------------------------------------------


def test_spec_names_every_committed_workbook(fw: Framework) -> None:
    assert load_spec(fw)["framework"] == FW_ID
    committed = sorted(str(p.relative_to(SAMPLES)) for p in SAMPLES.rglob("*.xlsx"))
    assert committed == sorted(e["file"] for e in ENTRIES)
    assert {e["return"] for e in TOP_LEVEL} == {"four_weekly", "quarterly", "annual"}


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_sample_matches_its_expectation(fw: Framework, entry: dict[str, Any]) -> None:
    report = validate_file(SAMPLES / entry["file"], today=TODAY)
    assert report.return_type == entry["return"]
    expect = entry["expect"]
    assert report.valid is expect["valid"]
    found = [f.to_dict() for f in report.findings]
    for want in expect.get("findings") or []:
        assert any(all(f.get(k) == v for k, v in want.items()) for f in found), (want, found)
    if not expect["valid"]:
        errs = {(f["code"], f["field"]) for f in found if f["severity"] == "error"}
        assert errs == {(w["code"], w["field"]) for w in expect["findings"]}
    if expect.get("bands"):
        council = load_commissioner_data(SAMPLES / SPEC["commissioner_data"], fw)
        kpis = score_reports(fw, [report], commissioner=council).returns[0].kpis
        assert {k.kpi: k.band for k in kpis if k.kpi in expect["bands"]} == expect["bands"]


def test_regenerated_samples_are_byte_identical(fw: Framework, tmp_path: Path) -> None:
    written = write_samples(fw, tmp_path)
    assert len(written) == len(ENTRIES) + 1
    for path in written:
        rel = path.relative_to(tmp_path)
        assert path.read_bytes() == (SAMPLES / rel).read_bytes(), f"{rel}: run carekpi sample -f {FW_ID} -o {SAMPLES}"


def test_default_score_run_scores_every_return_type_with_council_data() -> None:
    report = score_paths(FW_ID, [], today=TODAY).scores
    assert len(report.returns) == len(TOP_LEVEL) == 12 and report.unreadable == 0
    assert {r.return_type for r in report.returns} == {"four_weekly", "quarterly", "annual"}
    bands = report.band_counts()
    assert bands["green"] and bands["amber"] and bands["red"]
    timeliness = [k for r in report.returns for k in r.kpis if k.kpi == "data_timeliness"]
    assert len(timeliness) == 3 and all(k.band != "na" for k in timeliness)
    critical = {(r.provider, k.kpi) for r in report.returns for k in r.kpis if k.critical_failure}
    assert ("Riverside Lodge", "cqc_overall") in critical
    assert not any(p == "Willow Court Extra Care" for p, _ in critical)


def test_score_cli_states_critical_failures_plainly() -> None:
    result = CliRunner().invoke(app, ["score", "-f", FW_ID, "-r", "four_weekly", "--today", TODAY.isoformat(),
                                      "--by-return"])
    assert result.exit_code == 0, result.output
    failures = [ln for ln in result.stdout.splitlines() if ln.startswith("CRITICAL PERFORMANCE FAILURE")]
    assert any("Riverside Lodge 2026-09-14: 2.2.2 a) Overall CQC rating" in ln for ln in failures)
    assert "skipped 6 return(s) of other types" in result.output
    csv_out = CliRunner().invoke(app, ["score", "-f", FW_ID, "--format", "csv", "--today", TODAY.isoformat()])
    rows = list(csv.DictReader(io.StringIO(csv_out.stdout)))
    assert {r["critical_failure"] for r in rows
            if r["kpi"] == "cqc_overall" and r["provider_name"] == "Riverside Lodge"} == {"yes"}
    market = CliRunner().invoke(app, ["score", "-f", FW_ID, "-r", "four_weekly", "--today", TODAY.isoformat()])
    summary = " ".join(market.stdout.split("Critical performance failures:")[1].split())
    assert "Riverside Lodge: 2.2.2 a) Overall CQC rating" in summary


def test_frameworks_show_lists_the_notes() -> None:
    result = CliRunner().invoke(app, ["frameworks", "show", FW_ID])
    assert result.exit_code == 0
    for title in ("Targets without Amber bands", "Key Performance Indicator and Quality Framework domains",
                  "CQC ratings and Critical Performance Failure", "Two rostering targets",
                  "Due date of the four-weekly return", "30 April on a weekend", "Banding CQC ratings"):
        assert title in result.stdout, title
    assert "Return four_weekly" in result.stdout and "Return annual" in result.stdout
