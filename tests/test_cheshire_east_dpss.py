"""Cheshire East Direct Payment Support Service: golden tests, end to end.

Returns are built from the generated template (``make_return``), starting from the values of
a clean sample in ``sample_returns/cheshire-east-dpss/samples.yaml``.
"""

from __future__ import annotations

import copy
import csv
import io
import json
from collections.abc import Callable
from datetime import date, timedelta
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
from carekpi.framework.periods import deadline_for, parse_period_key, period_for, working_days_between
from carekpi.market.batch import score_paths
from carekpi.render import RenderOptions, render
from carekpi.scoring.inputs import load_commissioner_data
from carekpi.scoring.passes import score_reports
from carekpi.scoring.results import KpiResult, ScoreReport
from carekpi.validation.checks.tables import looks_like_name
from carekpi.validation.validate import ReturnTypeMismatch, validate_file
from carekpi.workbook.samples import load_spec, write_samples
from carekpi.workbook.template import template_bytes
from conftest import TODAY

FW_ID = "cheshire-east-dpss"
SAMPLES = bundled_dir("sample_returns") / FW_ID
SPEC: dict[str, Any] = yaml.safe_load((SAMPLES / "samples.yaml").read_text(encoding="utf-8"))
ENTRIES: list[dict[str, Any]] = SPEC["returns"]
TOP_LEVEL = [e for e in ENTRIES if "/" not in e["file"]]
BASE = next(e for e in ENTRIES if e["file"] == "cheshire-2026-q3.xlsx")

Make = Callable[..., Path]


@pytest.fixture(scope="module")
def fw() -> Framework:
    return find_framework(FW_ID)


def base_values(**changes: Any) -> dict[str, Any]:
    values = copy.deepcopy(BASE["values"])
    values.update(changes)
    return values


def base_tables(**changes: list[list[Any]]) -> dict[str, list[list[Any]]]:
    tables = copy.deepcopy(BASE["tables"])
    tables.update(changes)
    return tables


def with_referrals(values: dict[str, Any], n: int) -> dict[str, Any]:
    """Set the referrals received, keeping the source breakdown adding up."""
    others = sum(v for k, v in values.items() if k.startswith("referrals_source_") and k != "referrals_source_adult_social_care")
    values["referrals_received"] = n
    values["referrals_source_adult_social_care"] = n - others
    return values


def kpi(report: ScoreReport, kpi_id: str, index: int = 0) -> KpiResult:
    return next(k for k in report.returns[index].kpis if k.kpi == kpi_id)


_REPORTS: dict[Path, Any] = {}


def validated(path: Path) -> Any:
    """Validation reports, kept: the 12-month tests score the same quarters in several batches."""
    if path not in _REPORTS:
        _REPORTS[path] = validate_file(path, today=TODAY)
    return _REPORTS[path]


def score(fw: Framework, *paths: Path) -> ScoreReport:
    return score_reports(fw, [validated(p) for p in paths])


def errors(path: Path) -> list[Any]:
    return [f for f in validate_file(path, today=TODAY).findings if f.severity == "error"]


# --- templates ------------------------------------------------------------------------------------


@pytest.mark.parametrize("rid", ["quarterly", "annual"])
def test_template_for_every_return_type_records_it(fw: Framework, rid: str, tmp_path: Path) -> None:
    path = tmp_path / f"{rid}.xlsx"
    path.write_bytes(template_bytes(fw, rid))
    wb = load_workbook(path)
    meta = {r[0].value: r[1].value for r in wb[META_SHEET].iter_rows(max_row=5)}
    assert meta["framework"] == FW_ID and meta["return_type"] == rid
    if rid == "quarterly":
        assert {"Referral log", "Audit log", "Review log"} <= set(wb.sheetnames)
        assert "working days" in wb["Referral log"]["A3"].value
    assert validate_file(path, today=TODAY).return_type == rid  # detected from the metadata


def test_cqc_location_id_is_optional(fw: Framework, make_return: Make) -> None:
    path = make_return(fw, base_values(), return_id="quarterly", tables=base_tables())
    assert errors(path) == []
    assert "cqc_location_id" not in base_values()


# --- breakdowns -----------------------------------------------------------------------------------


def test_breakdown_mismatch_names_the_headline_cell_and_the_breakdown_cells(fw: Framework, make_return: Make) -> None:
    values = base_values(referrals_source_self=base_values()["referrals_source_self"] - 2)
    path = make_return(fw, values, return_id="quarterly", tables=base_tables())
    [f] = errors(path)
    assert (f.code, f.field, f.sheet, f.cell) == ("V202", "referrals_received", "Referrals", "C6")
    assert "C11:C17" in f.message and "in C6 (234)" in f.message and "add up to 232" in f.message


def test_client_profile_breakdowns_each_add_up_to_the_clients(fw: Framework, make_return: Make) -> None:
    values = base_values(clients_gender_female=base_values()["clients_gender_female"] + 1)
    [f] = errors(make_return(fw, values, return_id="quarterly", tables=base_tables()))
    assert (f.code, f.field, f.rule) == ("V202", "clients_supported", "clients_gender_reconciles")
    assert "Clients by gender" in f.message


# --- working days ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "end", "days"), [
    (date(2026, 4, 2), date(2026, 4, 9), 3),    # Thu to Thu over Good Friday and Easter Monday
    (date(2026, 4, 1), date(2026, 4, 10), 5),   # 9 calendar days, still 5 working days
    (date(2026, 4, 1), date(2026, 4, 13), 6),
    (date(2026, 4, 3), date(2026, 4, 10), 4),   # received on Good Friday
    (date(2025, 12, 23), date(2026, 1, 2), 5),  # Christmas Day, Boxing Day, New Year's Day
    (date(2025, 12, 22), date(2026, 1, 2), 6),
    (date(2025, 12, 24), date(2025, 12, 29), 1),
    (date(2026, 7, 10), date(2026, 7, 17), 5),  # Friday to Friday: an ordinary week
    (date(2026, 7, 10), date(2026, 7, 20), 6),
    (date(2026, 7, 11), date(2026, 7, 13), 1),  # received on a Saturday
    (date(2026, 7, 14), date(2026, 7, 14), 0),  # met the same day
    (date(2026, 8, 28), date(2026, 9, 4), 4),   # summer bank holiday, 31 August 2026
])
def test_working_days_exclude_weekends_and_bank_holidays(start: date, end: date, days: int) -> None:
    assert working_days_between(start, end) == days


def other_logs(start: date, but: str = "referral_log") -> tuple[dict[str, list[list[Any]]], dict[str, Any]]:
    """Case logs of one case each in the quarter starting ``start``, with the figures they
    declare, for a test about one log (``but``) in another quarter than the sample's."""
    day = start.replace(day=20)
    logs = {"referral_log": [["R-1", day, day]], "audit_log": [["A-1", day, day]], "review_log": [["V-1", day, day]]}
    declared = {f"{kind}_{what}": value for kind in ("referrals", "audits", "reviews")
                for what, value in (("response_due", 1), ("met_within_5_days", 1), ("average_working_days", 0))}
    del logs[but]
    return logs, {k: v for k, v in declared.items() if not k.startswith(but.split("_")[0])}


EASTER_LOG = [
    ["R-26-001", date(2026, 4, 2), date(2026, 4, 9)],   # 3 working days: within
    ["R-26-002", date(2026, 4, 1), date(2026, 4, 10)],  # 5: within
    ["R-26-003", date(2026, 4, 1), date(2026, 4, 13)],  # 6: late
    ["R-26-004", date(2026, 4, 3), date(2026, 4, 10)],  # 4: within
    ["R-26-005", date(2026, 4, 7), None],               # not met yet: not within
]


def easter_return(make_return: Make, fw: Framework, **declared: Any) -> Path:
    logs, other = other_logs(date(2026, 4, 1))
    values = base_values(reporting_period=date(2026, 4, 1), referrals_response_due=5,
                         referrals_met_within_5_days=3, referrals_average_working_days=4.5, **other)
    values.update(declared)
    return make_return(fw, values, return_id="quarterly", tables=base_tables(referral_log=EASTER_LOG, **logs))


def test_case_log_over_easter_agrees_with_declared_figures(fw: Framework, make_return: Make) -> None:
    path = easter_return(make_return, fw)
    assert errors(path) == []
    res = kpi(score(fw, path), "referral_response")
    assert (res.numerator, res.denominator, res.display, res.band) == (3, 5, "60.0%", "red")
    assert "agree with the Referral log sheet" in res.reason
    avg = kpi(score(fw, path), "referral_response_average")
    assert avg.display == "4.5"  # (3 + 5 + 6 + 4) / 4 cases met


def test_case_log_disagreement_is_v402_and_score_uses_the_computed_figure(fw: Framework, make_return: Make) -> None:
    # counted in calendar days, the provider thought only the 2 April case was in time
    path = easter_return(make_return, fw, referrals_met_within_5_days=1)
    [f] = errors(path)
    assert (f.code, f.field, f.sheet, f.cell) == ("V402", "referrals_met_within_5_days", "Response times", "C7")
    assert "Response times!C7" in f.message and "Referral log sheet" in f.message
    assert "declares 1" in f.message and "3 of the 5 cases" in f.message and "computes 3" in f.message
    res = kpi(score(fw, path), "referral_response")
    assert (res.numerator, res.denominator, res.display) == (3, 5, "60.0%")
    assert "computed by carekpi from the Referral log sheet" in res.reason
    assert "the return declares 1" in res.reason


def test_declared_case_count_and_average_are_checked_too(fw: Framework, make_return: Make) -> None:
    path = easter_return(make_return, fw, referrals_response_due=6, referrals_average_working_days=3.2)
    found = {(f.code, f.field) for f in errors(path)}
    assert found == {("V402", "referrals_response_due"), ("V402", "referrals_average_working_days")}
    report = score(fw, path)
    assert kpi(report, "referral_response").denominator == 5
    assert kpi(report, "referral_response_average").display == "4.5"


def test_christmas_case_log(fw: Framework, make_return: Make) -> None:
    log = [["R-26-101", date(2025, 12, 23), date(2026, 1, 2)],   # 5: within; due Fri 2 January 2026 (Q1)
           ["R-26-102", date(2025, 12, 19), date(2026, 1, 2)],   # 6: late; due Tue 30 December 2025 (Q4)
           ["R-26-103", date(2026, 1, 5), date(2026, 1, 5)],     # 0: within
           ["R-26-104", date(2025, 12, 24), date(2026, 1, 6)]]   # 6: late; due Mon 5 January 2026 (Q1)
    logs, other = other_logs(date(2026, 1, 1))
    values = base_values(reporting_period=date(2026, 1, 1), referrals_response_due=3, referrals_met_within_5_days=2,
                         referrals_average_working_days=3.7, **other)
    path = make_return(fw, values, return_id="quarterly", tables=base_tables(referral_log=log, **logs))
    [f] = errors(path)  # the case due before Christmas belongs to October-December 2025
    assert (f.code, f.sheet, f.cell) == ("V401", "Referral log", "B6")
    assert "Tuesday 30 December 2025, in Oct-Dec 2025 (Q4 2025)" in f.message
    assert kpi(score(fw, path), "referral_response").display == "66.7%"  # 2 of the 3 cases of the quarter


@pytest.mark.parametrize(("in_time", "band"), [(19, "green"), (18, "red")])
def test_response_target_boundary_95(fw: Framework, make_return: Make, in_time: int, band: str) -> None:
    days = [date(2026, 7, d) for d in (6, 7, 8, 9, 10, 13, 14, 15, 16, 17, 20, 21, 22, 23, 24, 27, 28, 29, 30, 31)]
    log = [[f"A-{i:03d}", d, d if i < in_time else date(2026, 8, 28)] for i, d in enumerate(days)]
    values = base_values(audits_response_due=20, audits_met_within_5_days=in_time,
                         audits_average_working_days=None)
    path = make_return(fw, values, return_id="quarterly", tables=base_tables(audit_log=log))
    assert [f for f in errors(path) if f.code != "V101"] == []
    res = kpi(score(fw, path), "audit_response")
    assert (res.display, res.band) == ({19: "95.0%", 18: "90.0%"}[in_time], band)


def test_review_log_starts_from_the_due_date(fw: Framework, make_return: Make) -> None:
    log = [["V-001", date(2026, 4, 2), date(2026, 4, 9)], ["V-002", date(2026, 4, 2), date(2026, 4, 14)]]
    logs, other = other_logs(date(2026, 4, 1), but="review_log")
    values = base_values(reporting_period=date(2026, 4, 1), reviews_response_due=2, reviews_met_within_5_days=1,
                         reviews_average_working_days=4.5, **other)
    path = make_return(fw, values, return_id="quarterly", tables=base_tables(review_log=log, **logs))
    assert errors(path) == []
    assert kpi(score(fw, path), "review_response").display == "50.0%"


#: a quarter's referral log: 8 cases due in April-June 2026, 6 met within 5 working days (75%), and
#: two cases of other quarters: received 2 July (due 9 July, Q3; met in time) and 9 March (due
#: 16 March, Q1; late). Counted in this quarter they would give 7 of 10 (70%), and be counted twice.
Q2_LOG = [
    ["R-201", date(2026, 4, 13), date(2026, 4, 14)],
    ["R-202", date(2026, 4, 20), date(2026, 4, 21)],
    ["R-203", date(2026, 7, 2), date(2026, 7, 3)],    # row 7: due Thursday 9 July 2026
    ["R-204", date(2026, 5, 5), date(2026, 5, 6)],
    ["R-205", date(2026, 5, 18), date(2026, 5, 29)],  # late
    ["R-206", date(2026, 3, 9), date(2026, 3, 20)],   # row 10: due Monday 16 March 2026
    ["R-207", date(2026, 6, 1), date(2026, 6, 2)],
    ["R-208", date(2026, 6, 8), date(2026, 6, 9)],
    ["R-209", date(2026, 6, 15), None],               # not met yet
    ["R-210", date(2026, 6, 22), date(2026, 6, 23)],
]


def test_a_case_of_another_quarter_is_v401_naming_the_row_and_is_not_counted(fw: Framework, make_return: Make) -> None:
    logs, other = other_logs(date(2026, 4, 1))
    values = base_values(reporting_period=date(2026, 4, 1), **other, referrals_response_due=8,
                         referrals_met_within_5_days=6, referrals_average_working_days=2)
    path = make_return(fw, values, return_id="quarterly", tables=base_tables(referral_log=Q2_LOG, **logs))
    found = errors(path)
    assert [(f.code, f.sheet, f.cell) for f in found] == [("V401", "Referral log", "B7"), ("V401", "Referral log", "B10")]
    assert found[0].message.startswith("1.6 Referral log, row 7: Date received 02/07/2026 puts the case's "
                                       "5-working-day deadline on Thursday 9 July 2026, in Jul-Sep 2026 (Q3 2026), not in "
                                       "this return's period Apr-Jun 2026 (Q2 2026)")
    assert "Monday 16 March 2026, in Jan-Mar 2026 (Q1 2026)" in found[1].message
    res = kpi(score(fw, path), "referral_response")
    assert (res.numerator, res.denominator, res.display, res.band) == (6, 8, "75.0%", "red")
    assert "agree with the Referral log sheet" in res.reason


@pytest.mark.parametrize(("received", "in_quarter"), [
    (date(2026, 3, 26), False),  # due Thursday 2 April 2026 (27, 30, 31 March, 1, 2 April)
    (date(2026, 3, 25), False),  # due Wednesday 1 April 2026
    (date(2026, 3, 24), True),   # due Tuesday 31 March 2026: the last case of January-March
])
def test_a_case_belongs_to_the_quarter_of_its_fifth_working_day(fw: Framework, make_return: Make, received: date,
                                                                 in_quarter: bool) -> None:
    logs, other = other_logs(date(2026, 1, 1))
    values = base_values(reporting_period=date(2026, 1, 1), **other, referrals_response_due=1,
                         referrals_met_within_5_days=1, referrals_average_working_days=0)
    path = make_return(fw, values, return_id="quarterly",
                       tables=base_tables(referral_log=[["R-1", received, received]], **logs))
    found = [(f.code, f.cell) for f in errors(path)]
    assert found == ([] if in_quarter else [("V401", "B5"), ("V402", "C6"), ("V402", "C7")])


# --- names in case logs ---------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "is_name"), [
    ("Jane Smith", True), ("Mr O'Neil", True), ("SMITH, John", True), ("Mary-Jane Watson-Hughes", True),
    ("Zoë Ñúñez", True), ("J. Smith", True),
    ("REF-0042", False), ("CE/2026/17", False), ("Jane", False), ("jane smith", False),
    ("Case 12 Smith", False), ("DPR-26-0001", False), (None, False), (42, False),
])
def test_looks_like_name(value: Any, is_name: bool) -> None:
    assert looks_like_name(value) is is_name


def test_name_in_a_case_log_is_v401_with_the_cell(fw: Framework, make_return: Make) -> None:
    tables = base_tables()
    tables["review_log"][2][0] = "Peter Jones"
    path = make_return(fw, base_values(), return_id="quarterly", tables=tables)
    [f] = errors(path)
    assert (f.code, f.sheet, f.cell) == ("V401", "Review log", "A7")
    assert "looks like a person's name" in f.message
    assert "Peter" not in f.message and "Jones" not in f.message  # the report carries no personal data


def test_met_before_received_is_v401_and_left_out(fw: Framework, make_return: Make) -> None:
    log = [["R-1", date(2026, 7, 6), date(2026, 7, 3)], ["R-2", date(2026, 7, 6), date(2026, 7, 7)]]
    values = base_values(referrals_response_due=1, referrals_met_within_5_days=1, referrals_average_working_days=1)
    found = errors(make_return(fw, values, return_id="quarterly", tables=base_tables(referral_log=log)))
    assert [(f.code, f.sheet, f.cell) for f in found] == [("V401", "Referral log", "C5")]


# --- 900 referrals in a 12 month period -------------------------------------------------------------


@pytest.mark.parametrize(("referrals", "band"), [(224, "red"), (225, "green")])
def test_referral_minimum_is_pro_rated_to_225_a_quarter(fw: Framework, make_return: Make, referrals: int,
                                                         band: str) -> None:
    path = make_return(fw, with_referrals(base_values(), referrals), return_id="quarterly", tables=base_tables())
    assert errors(path) == []
    report = score(fw, path)
    res = kpi(report, "referrals_minimum")
    assert (res.target, res.band) == ("225", band)
    assert "900 per 12 months, pro-rated" in res.reason
    assert not [k for k in report.returns[0].kpis if k.kpi.endswith("_12_months")]  # one quarter: no 12-month sum


QUARTERS = [date(2025, 10, 1), date(2026, 1, 1), date(2026, 4, 1), date(2026, 7, 1)]
def small_logs(start: date) -> dict[str, list[list[Any]]]:
    """One case per log in the quarter starting ``start``, so that the many returns of the 12-month
    tests are quick to build and read (the 20th of a quarter's first month is a Monday or Tuesday)."""
    day = start.replace(day=20)
    return {"referral_log": [["R-1", day, day + timedelta(days=2)]], "audit_log": [["A-1", day, day]],
            "review_log": [["V-1", day, day + timedelta(days=1)]]}


SMALL_DECLARED = {"referrals_response_due": 1, "referrals_met_within_5_days": 1, "referrals_average_working_days": 2,
                  "audits_response_due": 1, "audits_met_within_5_days": 1, "audits_average_working_days": 0,
                  "reviews_response_due": 1, "reviews_met_within_5_days": 1, "reviews_average_working_days": 1}


@pytest.fixture(scope="module")
def quarter_file(fw: Framework, tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """A quarterly return with n referrals, made once per (quarter, n, provider)."""
    from carekpi.workbook.fill import fill_workbook
    from conftest import template_for

    folder = tmp_path_factory.mktemp("quarters")
    made: dict[tuple[date, int, str], Path] = {}

    def make(start: date, n: int, provider: str = BASE["values"]["provider_name"]) -> Path:
        key = (start, n, provider)
        if key not in made:
            values = with_referrals(base_values(reporting_period=start, provider_name=provider, **SMALL_DECLARED), n)
            path = folder / f"{len(made)}.xlsx"
            path.write_bytes(fill_workbook(template_for(fw, "quarterly"), values, tables=small_logs(start)))
            made[key] = path
        return made[key]

    return make


def quarter_returns(fw: Framework, quarter_file: Callable[..., Path], counts: list[int],
                    starts: list[date] = QUARTERS) -> list[Path]:
    return [quarter_file(start, n) for start, n in zip(starts, counts, strict=False)]


@pytest.mark.parametrize(("counts", "band"), [([225, 225, 225, 224], "red"), ([225, 225, 225, 225], "green"),
                                              ([300, 200, 200, 200], "green")])
def test_four_consecutive_quarters_are_judged_on_their_sum(fw: Framework, quarter_file: Callable[..., Path], counts: list[int],
                                                           band: str) -> None:
    paths = quarter_returns(fw, quarter_file, counts)
    report = score(fw, *reversed(paths))  # the order of the files does not matter
    rolling = [(r.period, k) for r in report.returns for k in r.kpis if k.kpi == "referrals_minimum_12_months"]
    assert len(rolling) == 1
    period, res = rolling[0]
    assert period == "2026-Q3"  # on the latest return of the four
    assert res.band == band and res.value == sum(counts) and res.target == "900 per 12 months"
    for key in ("2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"):
        assert key in res.reason
    assert f"= {sum(counts)} over 4 consecutive quarters" in res.reason
    assert ("does not meet" in res.reason) is (band == "red")


def test_the_12_month_result_sits_beside_the_quarter_result(fw: Framework, quarter_file: Callable[..., Path]) -> None:
    report = score(fw, *quarter_returns(fw, quarter_file, [225, 225, 225, 224]))
    ids = [k.kpi for k in report.returns[3].kpis]
    assert ids[ids.index("referrals_minimum") + 1] == "referrals_minimum_12_months"
    assert kpi(report, "referrals_minimum", 3).band == "red"  # 224 < 225 for the quarter alone


def test_no_12_month_result_for_a_gap_or_another_provider(fw: Framework, quarter_file: Callable[..., Path]) -> None:
    starts = [date(2025, 7, 1), date(2026, 1, 1), date(2026, 4, 1), date(2026, 7, 1)]  # 2025-Q4 missing
    assert not any(k.kpi.endswith("_12_months") for r in score(fw, *quarter_returns(fw, quarter_file, [300] * 4, starts)).returns
                   for k in r.kpis)
    paths = quarter_returns(fw, quarter_file, [300] * 4)
    other = quarter_file(QUARTERS[3], 300, "Another Provider Ltd")
    report = score(fw, *paths[:3], other)
    assert not any(k.kpi.endswith("_12_months") for r in report.returns for k in r.kpis)


def test_five_consecutive_quarters_give_two_12_month_results(fw: Framework, quarter_file: Callable[..., Path]) -> None:
    starts = [date(2025, 7, 1), *QUARTERS]
    report = score(fw, *quarter_returns(fw, quarter_file, [200, 230, 230, 230, 230], starts))
    rolling = {r.period: k.value for r in report.returns for k in r.kpis if k.kpi == "referrals_minimum_12_months"}
    assert rolling == {"2026-Q2": 890, "2026-Q3": 920}


@pytest.mark.parametrize("fmt", ["text", "json", "csv"])
def test_12_month_result_appears_in_every_format(fw: Framework, quarter_file: Callable[..., Path], fmt: str) -> None:
    report = score(fw, *quarter_returns(fw, quarter_file, [225, 225, 225, 224]))
    out = render(fmt, "score", report, RenderOptions(width=400))
    if fmt == "json":
        doc = json.loads(out)
        [res] = [k for r in doc["returns"] for k in r["kpis"] if k["kpi"] == "referrals_minimum_12_months"]
        assert (res["value"], res["band"]) == (899, "red")
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
        [row] = [r for r in rows if r["kpi"] == "referrals_minimum_12_months"]
        assert (row["value"], row["band"], row["period"]) == ("899", "red", "2026-Q3")
    else:
        assert "4 consecutive quarters" in out and "899" in out


# --- deadlines ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "due"), [
    ("2025-Q4", date(2026, 1, 15)),   # Thursday
    ("2026-Q1", date(2026, 4, 15)),   # Wednesday
    ("2026-Q2", date(2026, 7, 15)),   # Wednesday
    ("2026-Q3", date(2026, 10, 15)),  # Thursday
    ("2027-Q4", date(2028, 1, 14)),   # 15 January 2028 is a Saturday: Friday 14th
    ("2023-Q2", date(2023, 7, 14)),   # 15 July 2023 is a Saturday
    ("2022-Q4", date(2023, 1, 13)),   # 15 January 2023 is a Sunday: Friday 13th
    ("2022-Q1", date(2022, 4, 14)),   # 15 April 2022 is Good Friday: Thursday 14th
])
def test_quarterly_deadline_is_the_15th_or_the_last_working_day_before(fw: Framework, key: str, due: date) -> None:
    rt = fw.return_type("quarterly")
    period = parse_period_key(rt, key)
    assert period is not None
    assert deadline_for(rt, period) == due


@pytest.mark.parametrize(("year_start", "due"), [(date(2025, 4, 1), date(2026, 4, 30)),
                                                 (date(2027, 4, 1), date(2028, 4, 30))])  # a Sunday, kept
def test_annual_deadline_is_30_april(fw: Framework, year_start: date, due: date) -> None:
    rt = fw.return_type("annual")
    assert deadline_for(rt, period_for(rt, year_start)) == due
    assert due.weekday() == (3 if due.year == 2026 else 6)


def test_validate_states_the_deadline(fw: Framework, make_return: Make) -> None:
    path = make_return(fw, base_values(), return_id="quarterly", tables=base_tables())
    [info] = [f for f in validate_file(path, today=TODAY).findings if f.code == "V306"]
    assert "due by Thursday 15 October 2026" in info.message


# --- samples, batches, CLI --------------------------------------------------------------------------


def test_spec_names_every_committed_workbook(fw: Framework) -> None:
    assert load_spec(fw)["framework"] == FW_ID
    committed = sorted(str(p.relative_to(SAMPLES)) for p in SAMPLES.rglob("*.xlsx"))
    assert committed == sorted(e["file"] for e in ENTRIES)
    assert {e["return"] for e in TOP_LEVEL} == {"quarterly", "annual"}


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


def test_default_score_run_mixes_return_types_and_shows_the_12_month_judgement() -> None:
    notes: list[str] = []
    report = score_paths(FW_ID, [], today=TODAY, notice=notes.append).scores
    assert len(report.returns) == len(TOP_LEVEL) and report.unreadable == 0
    assert {r.return_type for r in report.returns} == {"quarterly", "annual"}
    assert "commissioner-data.csv" in notes[0]
    rolling = {r.provider: k.band for r in report.returns for k in r.kpis if k.kpi == "referrals_minimum_12_months"}
    assert rolling == {"Cheshire Direct Payments Support CIC": "green", "Peaks and Plains DP Services": "red"}
    timeliness = [k for r in report.returns for k in r.kpis if k.kpi == "data_timeliness"]
    assert timeliness and all(k.band in ("green", "red") for k in timeliness)  # council data found
    bands = report.band_counts()
    assert bands["green"] and bands["red"] and bands["na"]


def test_scoring_one_return_type_of_a_mixed_folder() -> None:
    notes: list[str] = []
    report = score_paths(FW_ID, [], return_id="annual", today=TODAY, notice=notes.append).scores
    assert {r.return_type for r in report.returns} == {"annual"} and len(report.returns) == 2
    assert any("skipped 9" in n for n in notes)


def test_validate_with_the_wrong_return_type_says_so() -> None:
    with pytest.raises(ReturnTypeMismatch, match="is a quarterly return"):
        validate_file(SAMPLES / "cheshire-2026-q3.xlsx", return_id="annual", today=TODAY)


def test_frameworks_show_lists_the_notes() -> None:
    result = CliRunner().invoke(app, ["frameworks", "show", FW_ID])
    assert result.exit_code == 0
    for title in ("A 12-month minimum scored quarterly", "carekpi computes the response figures from the logs",
                  "Case logs hold references, not names", "No CQC registration", "30 April on a weekend",
                  "Which cases a quarter's response KPI counts"):
        assert title in result.stdout, title
    assert "referral_log" in result.stdout


def test_score_cli_names_the_four_quarters() -> None:
    result = CliRunner().invoke(app, ["score", "-f", FW_ID, "--today", TODAY.isoformat(), "--format", "csv"])
    assert result.exit_code == 0, result.output
    [row] = [r for r in csv.DictReader(io.StringIO(result.stdout))
             if r["kpi"] == "referrals_minimum_12_months" and r["band"] == "red"]
    assert row["reason"].startswith("230 (2025-Q4) + 220 (2026-Q1) + 224 (2026-Q2) + 225 (2026-Q3) = 899")
