"""Surrey end to end: template -> filled by defined name -> validate -> score.

Golden cases are data: each says what a provider typed (changes to a clean return), which
findings carekpi must report (code, item, sheet, cell) and the band of every KPI.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from carekpi.base.errors import UsageError
from carekpi.cli import app
from carekpi.framework.compiled import compiled
from carekpi.framework.cover import META_SHEET, cover_items
from carekpi.framework.model import Framework, Source
from carekpi.scoring.inputs import load_commissioner_data
from carekpi.scoring.passes import score_reports
from carekpi.validation.findings import ValidationReport
from carekpi.validation.validate import validate_file
from carekpi.workbook.fill import fill_workbook
from carekpi.workbook.layout import template_layout
from carekpi.workbook.samples import _set_error
from carekpi.workbook.template import template_bytes, write_template
from conftest import SURREY_CLEAN, TODAY, template_for

# Where each item is in the Surrey template (golden: a change here moves cells users are told about).
_ROWS = {
    "Cover": ["provider_name", "cqc_location_id", "reporting_period", "delivers_hbc", "delivers_linc",
              "delivers_specialist", "contact_name", "contact_email", "contact_phone"],
    "KPI 1-3": ["packages_ceased", "packages_handed_back", "calls_total", "calls_late", "calls_missed",
                "calls_rescheduled", "calls_cancelled_provider", "calls_cancelled_recipient",
                "calls_cancelled_recipient_24h"],
    "Management information": ["complaints_received", "complaints_not_upheld", "complaints_upheld",
                               "complaints_upheld_reasons", "complaints_open",
                               "complaints_closed", "safeguarding_referrals", "safeguarding_s42",
                               "safeguarding_s42_abuse_risk", "safeguarding_s42_no_abuse", "safeguarding_s42_open"],
    "Live-in care": ["linc_packages_ceased", "linc_packages_handed_back", "linc_breaks_delivered",
                     "linc_breaks_not_required", "linc_active_staff", "linc_staff_supervised"],
}
_FIRST_ROW = {"Cover": 7, "KPI 1-3": 6, "Management information": 6, "Live-in care": 6}
CELLS: dict[str, tuple[str, str]] = {
    item: (sheet, f"C{_FIRST_ROW[sheet] + i}") for sheet, items in _ROWS.items() for i, item in enumerate(items)
}
CELLS.update({
    "restarts_offered": ("KPI 1-3", "C21"), "restarts_taken": ("KPI 1-3", "C22"),
    **{item: ("KPI 1-3", f"C{29 + i}") for i, item in enumerate(
        ["staff_total", "staff_new_direct_care", "staff_new_back_office", "staff_leavers",
         "staff_orientation_eligible", "staff_orientation_completed", "staff_care_certificate"])},
})

KPIS = ["successful_calls", "successful_restarts", "care_certificate", "pocs_responded"]
CLEAN_BANDS = {"successful_calls": "green", "successful_restarts": "green", "care_certificate": "green",
               "pocs_responded": "na"}
LINC_ITEMS = _ROWS["Live-in care"]
HBC_ITEMS = _ROWS["KPI 1-3"] + ["restarts_offered", "restarts_taken"]
NO_KPI1_2 = {"successful_calls": "na", "successful_restarts": "na"}


@dataclass(frozen=True)
class Case:
    id: str
    changes: dict[str, Any] = field(default_factory=dict)
    drop: tuple[str, ...] = ()
    #: named cell -> Excel error value stored in it
    errors: dict[str, str] = field(default_factory=dict)
    #: (code, item) of every finding except the V306 deadline notice; sheet and cell come from CELLS
    findings: tuple[tuple[str, str], ...] = ()
    valid: bool = True
    #: KPI bands that differ from CLEAN_BANDS
    bands: dict[str, str] = field(default_factory=dict)
    #: KPI displays to check
    shown: dict[str, str] = field(default_factory=dict)
    #: the rule a V201 finding comes from; "passes" cases name the rule they pass at its limit
    rule: str | None = None
    passes: str | None = None


def _fails(rule: str, changes: dict[str, Any], item: str, *, warning: bool = False, **kw: Any) -> Case:
    return Case(f"rule-{rule}-fails", changes, findings=(("V201", item),), valid=warning, rule=rule, **kw)


def _passes(rule: str, changes: dict[str, Any], **kw: Any) -> Case:
    return Case(f"rule-{rule}-passes-at-its-limit", changes, passes=rule, **kw)


RULE_CASES = [
    # recipient cancellations are not in KPI 1 (neither delivered nor due), so it keeps its band
    _fails("recipient_24h_within_recipient_cancellations", {"calls_cancelled_recipient_24h": 101},
           "calls_cancelled_recipient_24h"),
    _passes("recipient_24h_within_recipient_cancellations", {"calls_cancelled_recipient_24h": 100}),
    # late + rescheduled calls are calls delivered: 40 + 20 = 60 of the calls in the total
    _fails("delivered_outcomes_within_total", {"calls_total": 59}, "calls_late",
           bands={"successful_calls": "na"}),
    _passes("delivered_outcomes_within_total", {"calls_total": 60}, bands={"successful_calls": "red"},
            shown={"successful_calls": "0.0%"}),
    _fails("restarts_taken_within_offered", {"restarts_taken": 11}, "restarts_taken",
           bands={"successful_restarts": "na"}),
    _passes("restarts_taken_within_offered", {"restarts_taken": 10}, shown={"successful_restarts": "100.0%"}),
    _fails("care_certificates_within_staff", {"staff_care_certificate": 101}, "staff_care_certificate",
           bands={"care_certificate": "na"}),
    _passes("care_certificates_within_staff", {"staff_care_certificate": 100}, shown={"care_certificate": "100.0%"}),
    # new starters are in the month-end total or among the leavers (100 + 3)
    _fails("new_staff_within_staff", {"staff_new_direct_care": 102, "staff_new_back_office": 2},
           "staff_new_direct_care", bands={"care_certificate": "na"}),
    _passes("new_staff_within_staff", {"staff_new_direct_care": 102, "staff_new_back_office": 1}),
    _fails("orientation_completed_within_eligible", {"staff_orientation_completed": 6}, "staff_orientation_completed"),
    _passes("orientation_completed_within_eligible", {"staff_orientation_eligible": 6,
                                                      "staff_orientation_completed": 6}),
    _fails("complaints_outcomes_within_received", {"complaints_upheld": 2}, "complaints_upheld", warning=True),
    _passes("complaints_outcomes_within_received", {"complaints_received": 0, "complaints_open": 2,
                                                    "complaints_upheld": 2, "complaints_not_upheld": 0}),
    _fails("s42_within_safeguarding_referrals", {"safeguarding_s42": 3}, "safeguarding_s42"),
    _passes("s42_within_safeguarding_referrals", {"safeguarding_s42": 2}),
    _fails("s42_outcomes_within_enquiries", {"safeguarding_s42_abuse_risk": 1}, "safeguarding_s42_abuse_risk"),
    _passes("s42_outcomes_within_enquiries", {"safeguarding_s42_abuse_risk": 1, "safeguarding_s42_open": 1}),
    _fails("live_in_supervised_within_active", {"linc_staff_supervised": 13}, "linc_staff_supervised"),
    _passes("live_in_supervised_within_active", {"linc_active_staff": 13, "linc_staff_supervised": 13}),
]

HBC_ONLY = {"delivers_hbc": "Yes", "delivers_linc": "No", "delivers_specialist": "No"}
LINC_ONLY = {"delivers_hbc": "No", "delivers_linc": "Yes", "delivers_specialist": "No"}

CASES = [
    Case("clean", shown={"successful_calls": "90.0%", "successful_restarts": "90.0%", "care_certificate": "96.0%",
                         "pocs_responded": "n/a"}),
    # required values
    Case("required-count-missing", drop=("calls_late",), findings=(("V101", "calls_late"),), valid=False,
         bands={"successful_calls": "na"}),
    Case("required-cover-item-missing", drop=("provider_name",), findings=(("V101", "provider_name"),), valid=False),
    Case("optional-telephone-missing", drop=("contact_phone",)),
    Case("na-typed-in-a-count", {"calls_missed": "n/a"}, findings=(("V101", "calls_missed"),), valid=False,
         bands={"successful_calls": "na"}),
    Case("dash-typed-in-a-count", {"restarts_taken": "-"}, findings=(("V101", "restarts_taken"),), valid=False,
         bands={"successful_restarts": "na"}),
    # figures typed as text are read, with a warning, and used
    Case("number-with-trailing-space", {"restarts_offered": "10 "}, findings=(("V103", "restarts_offered"),),
         shown={"successful_restarts": "90.0%"}),
    Case("number-with-thousands-comma", {"calls_total": "1,234"}, findings=(("V103", "calls_total"),),
         shown={"successful_calls": "92.2%"}),  # (1234 - 40 - 20) / (1234 + 10 + 30)
    Case("words-in-a-count", {"staff_leavers": "three"}, findings=(("V102", "staff_leavers"),), valid=False),
    Case("fraction-in-a-count", {"calls_late": 12.5}, findings=(("V105", "calls_late"),), valid=False,
         bands={"successful_calls": "na"}),
    Case("negative-count", {"staff_leavers": -1}, findings=(("V104", "staff_leavers"),), valid=False),
    Case("excel-error-value", errors={"calls_rescheduled": "#DIV/0!"}, findings=(("V107", "calls_rescheduled"),),
         valid=False, bands={"successful_calls": "na"}),
    Case("excel-error-typed-as-text", {"restarts_offered": "#N/A"}, findings=(("V107", "restarts_offered"),),
         valid=False, bands={"successful_restarts": "na"}),
    # the reporting period
    Case("period-in-the-future", {"reporting_period": date(2026, 12, 1)},
         findings=(("V302", "reporting_period"),), valid=False),
    Case("period-not-ended", {"reporting_period": date(2026, 11, 1)}, findings=(("V303", "reporting_period"),)),
    Case("period-ended-yesterday", {"reporting_period": date(2026, 10, 31)}),
    Case("period-missing", drop=("reporting_period",), findings=(("V301", "reporting_period"),), valid=False),
    Case("period-not-a-date", {"reporting_period": "sometime"}, findings=(("V102", "reporting_period"),),
         valid=False),
    # service types
    Case("service-types-not-answered", drop=("delivers_hbc", "delivers_linc", "delivers_specialist"),
         findings=(("V304", "delivers_hbc"),), valid=False),
    Case("service-types-all-no", {"delivers_hbc": "No", "delivers_linc": "No", "delivers_specialist": "No"},
         findings=(("V304", "delivers_hbc"),), valid=False),
    Case("live-in-items-ignored-without-live-in-care", HBC_ONLY,
         findings=tuple(("V109", i) for i in LINC_ITEMS)),
    Case("live-in-items-left-blank-without-live-in-care", HBC_ONLY, drop=tuple(LINC_ITEMS)),
    Case("live-in-rule-not-checked-without-live-in-care", {**HBC_ONLY, "linc_staff_supervised": 99},
         findings=tuple(("V109", i) for i in LINC_ITEMS)),
    Case("live-in-only-provider-with-call-items-filled", LINC_ONLY,
         findings=tuple(("V109", i) for i in HBC_ITEMS), bands=NO_KPI1_2,
         shown={"successful_calls": "n/a", "successful_restarts": "n/a", "care_certificate": "96.0%"}),
    Case("live-in-only-provider-leaving-call-items-blank", LINC_ONLY, drop=tuple(HBC_ITEMS), bands=NO_KPI1_2),
    Case("specialist-only-provider", {"delivers_hbc": "No", "delivers_linc": "No", "delivers_specialist": "Yes"},
         drop=tuple(LINC_ITEMS)),
    Case("yes-typed-as-y", {"delivers_linc": "y"}, findings=(("V103", "delivers_linc"),)),
    # the provider
    Case("odd-cqc-location-id", {"cqc_location_id": "ABC123"}, findings=(("V305", "cqc_location_id"),)),
    *RULE_CASES,
]


def _findings(report: ValidationReport) -> Counter[tuple[str, str | None, str | None, str | None]]:
    return Counter((f.code, f.field, f.sheet, f.cell) for f in report.findings if f.code != "V306")


def _make(surrey: Framework, make_return: Callable[..., Path], case: Case) -> Path:
    values = {**SURREY_CLEAN, **case.changes}
    path = make_return(surrey, values, drop=case.drop, name=f"{case.id}.xlsx")
    for name, value in case.errors.items():
        path.write_bytes(_set_error(path.read_bytes(), name, value))
    return path


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_golden_case(surrey: Framework, make_return: Callable[..., Path], case: Case) -> None:
    report = validate_file(_make(surrey, make_return, case), today=TODAY)
    expected = Counter((code, item, *CELLS[item]) for code, item in case.findings)
    assert _findings(report) == expected
    assert report.valid is case.valid
    if case.rule:
        assert [f.rule for f in report.findings if f.code == "V201"] == [case.rule]
        assert not any(f.rule and f.rule != case.rule for f in report.findings)
    if "reporting_period" not in case.drop and case.id != "period-not-a-date":
        assert [f.code for f in report.findings if f.code == "V306"] == ["V306"]
    scored = score_reports(surrey, [report]).returns[0]
    assert scored.valid is case.valid
    assert {k.kpi: k.band for k in scored.kpis} == {**CLEAN_BANDS, **case.bands}
    for kpi, shown in case.shown.items():
        assert next(k for k in scored.kpis if k.kpi == kpi).display == shown


def test_every_rule_has_a_failing_and_a_passing_case(surrey: Framework) -> None:
    rules = {r.id for r in compiled(surrey).rules}  # written and generated rules
    assert rules == {c.rule for c in CASES if c.rule}
    assert rules == {c.passes for c in CASES if c.passes}


def test_cells_table_matches_the_template(surrey: Framework) -> None:
    layout = template_layout(surrey)
    inputs = {n: (s.sheet, s.coordinate) for n, s in layout.slots.items() if s.kind == "input"}
    assert inputs == CELLS


# --- messages a provider reads ------------------------------------------------------------------------------------


def _messages(surrey: Framework, make_return: Callable[..., Path], changes: dict[str, Any],
              drop: tuple[str, ...] = ()) -> dict[str, str]:
    path = make_return(surrey, {**SURREY_CLEAN, **changes}, drop=drop)
    report = validate_file(path, today=TODAY)
    return {f"{f.code} {f.field}": f.message for f in report.findings if f.code != "V306"}


def test_messages(surrey: Framework, make_return: Callable[..., Path]) -> None:
    assert _messages(surrey, make_return, {"calls_missed": "n/a"}) == {
        "V101 calls_missed": "Number of missed calls: 'n/a' is not an answer; a value is required "
                             "(enter 0 if there were none)"}
    assert _messages(surrey, make_return, {"calls_total": "1,234"}) == {
        "V103 calls_total": "Total Number of Calls: '1,234' was typed as text; read as the number 1234"}
    assert _messages(surrey, make_return, {"restarts_taken": 11}) == {
        "V201 restarts_taken": "Total number of eligible restarts taken on (same provider) (11) must be at most "
                               "Total number of restarts offered (10)"}
    assert _messages(surrey, make_return, {"calls_total": 59}) == {
        "V201 calls_late": "Late and rescheduled calls (60) are calls delivered, so they cannot be more than the 59 "
                           "calls delivered in Total Number of Calls"}
    assert _messages(surrey, make_return, {"reporting_period": date(2026, 12, 1)}) == {
        "V302 reporting_period": "the reporting period December 2026 is in the future"}
    assert _messages(surrey, make_return, {"cqc_location_id": "ABC123"}) == {
        "V305 cqc_location_id": "CQC location ID 'ABC123' is not in the usual form 1-123456789"}


def test_deadline_notice(surrey: Framework, make_return: Callable[..., Path]) -> None:
    report = validate_file(make_return(surrey, SURREY_CLEAN), today=TODAY)
    (notice,) = report.findings
    assert (notice.code, notice.severity, notice.message) == (
        "V306", "info", "the return for March 2026 is due by Tuesday 7 April 2026")


def test_live_in_only_reason(surrey: Framework, make_return: Callable[..., Path]) -> None:
    report = validate_file(make_return(surrey, {**SURREY_CLEAN, **LINC_ONLY}, drop=tuple(HBC_ITEMS)), today=TODAY)
    kpis = {k.kpi: k for k in score_reports(surrey, [report]).returns[0].kpis}
    assert kpis["successful_calls"].reason == "not applicable: applies to Home-based care (HBC) or Specialist care only"
    assert kpis["successful_restarts"].band == "na"


# --- formulas in input cells -------------------------------------------------------------------------------------


def _put_formula(path: Path, name: str, formula: str) -> None:
    wb = openpyxl.load_workbook(path)
    title, ref = next(iter(wb.defined_names[name].destinations))
    cell = wb[title][ref.replace("$", "")]
    cell.value = formula  # openpyxl stores a formula without a calculated value
    assert cell.data_type == "f"
    wb.save(path)


def test_formula_without_a_cached_value_is_v108_not_blank(surrey: Framework, make_return: Callable[..., Path]) -> None:
    path = make_return(surrey, SURREY_CLEAN)
    _put_formula(path, "calls_late", "=1+1")
    report = validate_file(path, today=TODAY)
    assert _findings(report) == Counter({("V108", "calls_late", "KPI 1-3", "C9"): 1})
    (v108,) = [f for f in report.findings if f.code == "V108"]
    assert v108.severity == "error"
    assert "=1+1" in v108.message
    kpis = {k.kpi: k for k in score_reports(surrey, [report]).returns[0].kpis}
    assert kpis["successful_calls"].band == "na"


def test_formula_in_the_reporting_period_is_v108_only(surrey: Framework, make_return: Callable[..., Path]) -> None:
    path = make_return(surrey, SURREY_CLEAN)
    _put_formula(path, "reporting_period", "=DATE(2026,3,1)")
    report = validate_file(path, today=TODAY)
    assert Counter((f.code, f.field, f.sheet, f.cell) for f in report.findings) == Counter(
        {("V108", "reporting_period", "Cover", "C9"): 1})


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed: cannot recalc")
def test_formula_with_a_cached_value_is_read(surrey: Framework, make_return: Callable[..., Path],
                                             tmp_path: Path) -> None:
    path = make_return(surrey, SURREY_CLEAN, name="with-formula.xlsx")
    _put_formula(path, "calls_late", "=20+20")  # 40, as in the clean return
    out = tmp_path / "recalculated"
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless", "--calc",
         "--convert-to", "xlsx", "--outdir", str(out), str(path)],
        check=True, capture_output=True, timeout=180,
    )
    recalculated = out / path.name
    assert openpyxl.load_workbook(recalculated)["KPI 1-3"]["C9"].value == "=20+20"
    report = validate_file(recalculated, today=TODAY)
    assert _findings(report) == Counter()
    assert report.data.values["calls_late"] == 40
    kpis = {k.kpi: k for k in score_reports(surrey, [report]).returns[0].kpis}
    assert kpis["successful_calls"].display == "90.0%"


# --- KPI 4: data the council supplies ------------------------------------------------------------------------------


def _council_csv(tmp_path: Path, rows: list[tuple[str, str, int, int]]) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["provider", "period", "pocs_responded", "pocs_no_response", "pocs_awarded"])
    for provider, period, responded, no_response in rows:
        w.writerow([provider, period, responded, no_response, 3])
    path = tmp_path / "council.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("responded", "no_response", "shown", "band"),
    [(95, 5, "95.0%", "green"), (1799, 201, "90.0%", "green"), (85, 15, "85.0%", "amber"), (50, 50, "50.0%", "red"),
     (0, 0, "n/a", "na")],
    ids=["green", "89.95-green", "amber", "red", "no-requests"],
)
def test_kpi4_banded_from_council_data(surrey: Framework, make_return: Callable[..., Path], tmp_path: Path,
                                       responded: int, no_response: int, shown: str, band: str) -> None:
    council = load_commissioner_data(_council_csv(tmp_path, [
        ("1-000000001", "2026-03", responded, no_response), ("1-000000001", "2026-02", 1, 99),
        ("1-999999999", "2026-03", 1, 99),
    ]), surrey)
    report = validate_file(make_return(surrey, SURREY_CLEAN), today=TODAY)
    kpi4 = next(k for k in score_reports(surrey, [report], commissioner=council).returns[0].kpis
                if k.kpi == "pocs_responded")
    assert (kpi4.display, kpi4.band) == (shown, band)
    if band == "na":
        assert "is 0" in kpi4.reason
    else:
        assert (kpi4.numerator, kpi4.denominator) == (responded, responded + no_response)


def test_kpi4_matches_council_data_by_provider_name(surrey: Framework, make_return: Callable[..., Path],
                                                    tmp_path: Path) -> None:
    council = load_commissioner_data(_council_csv(tmp_path, [("test care ltd", "2026-03", 80, 20)]), surrey)
    report = validate_file(make_return(surrey, SURREY_CLEAN), today=TODAY)
    kpi4 = score_reports(surrey, [report], commissioner=council).returns[0].kpis[3]
    assert (kpi4.kpi, kpi4.display, kpi4.band) == ("pocs_responded", "80.0%", "amber")


def test_kpi4_without_council_data_is_na_with_a_reason(surrey: Framework, make_return: Callable[..., Path],
                                                       tmp_path: Path) -> None:
    report = validate_file(make_return(surrey, SURREY_CLEAN), today=TODAY)
    kpi4 = score_reports(surrey, [report]).returns[0].kpis[3]
    assert (kpi4.kpi, kpi4.band, kpi4.display) == ("pocs_responded", "na", "n/a")
    assert kpi4.reason == "council data not supplied (use --commissioner-data)"
    path = _council_csv(tmp_path, [("1-999999999", "2026-03", 95, 5)])
    kpi4 = score_reports(surrey, [report], commissioner=load_commissioner_data(path, surrey)).returns[0].kpis[3]
    assert kpi4.band == "na"
    assert kpi4.reason == f"no council data for 1-000000001 in 2026-03 in {path}"


# --- the template -----------------------------------------------------------------------------------------------


def _template(surrey: Framework) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(template_for(surrey)))


def test_template_is_byte_identical_every_time(surrey: Framework, tmp_path: Path) -> None:
    first = template_bytes(surrey)
    assert template_bytes(surrey) == first
    a, b = write_template(surrey, tmp_path / "a.xlsx"), write_template(surrey, tmp_path / "b.xlsx")
    assert a.read_bytes() == b.read_bytes() == first


def _provider_inputs(fw: Framework) -> list[tuple[str, str]]:
    rtype = fw.return_type()
    cover = [(i.id, "Cover") for i in cover_items(fw, rtype)]
    body = [(i.id, s.sheet) for s in rtype.sections for i in s.all_items() if i.source == Source.provider]
    return cover + body


def _cell(wb: openpyxl.Workbook, name: str) -> Any:
    dests = list(wb.defined_names[name].destinations)
    assert len(dests) == 1
    title, ref = dests[0]
    assert ":" not in ref
    return wb[title][ref.replace("$", "")]


def test_every_provider_input_has_a_defined_name_equal_to_its_id(surrey: Framework) -> None:
    wb = _template(surrey)
    inputs = _provider_inputs(surrey)
    assert len(inputs) == 9 + 35
    for item_id, sheet in inputs:
        assert item_id in wb.defined_names, item_id
        assert _cell(wb, item_id).parent.title == sheet


def test_council_items_have_no_input_cell(surrey: Framework) -> None:
    wb = _template(surrey)
    council = [i.id for i in surrey.return_type().items() if i.source == Source.commissioner]
    assert len(council) == 7 + 7  # the e-brokerage items, and no response by postcode area
    for item_id in council:
        assert item_id not in wb.defined_names
    ws = wb["SCC data"]
    assert [c.value for c in ws["C"] if c.value == "Supplied by the council"] == ["Supplied by the council"] * 14


def test_input_cells_are_unlocked_everything_else_locked_and_sheets_protected(surrey: Framework) -> None:
    wb = _template(surrey)
    inputs = {(_cell(wb, i).parent.title, _cell(wb, i).coordinate) for i, _ in _provider_inputs(surrey)}
    for ws in wb.worksheets:
        assert ws.protection.sheet, ws.title
        for row in ws.iter_rows():
            for c in row:
                if (ws.title, c.coordinate) in inputs:
                    assert c.protection.locked is False, (ws.title, c.coordinate)
                elif c.value is not None:
                    assert c.protection.locked is not False, (ws.title, c.coordinate)


def test_every_input_cell_has_a_data_validation(surrey: Framework) -> None:
    wb = _template(surrey)
    for item_id, _ in _provider_inputs(surrey):
        cell = _cell(wb, item_id)
        dvs = [dv for dv in cell.parent.data_validations.dataValidation if cell.coordinate in dv.sqref]
        assert len(dvs) == 1, item_id
        dv = dvs[0]
        assert dv.showErrorMessage and dv.showInputMessage and dv.prompt, item_id
    calls = next(dv for dv in wb["KPI 1-3"].data_validations.dataValidation if "C8" in dv.sqref)
    assert (calls.type, calls.operator, calls.formula1) == ("whole", "greaterThanOrEqual", "0")
    yes_no = next(dv for dv in wb["Cover"].data_validations.dataValidation if "C10" in dv.sqref)
    assert (yes_no.type, yes_no.formula1) == ("list", '"Yes,No"')
    period = next(dv for dv in wb["Cover"].data_validations.dataValidation if "C9" in dv.sqref)
    assert period.type == "date"


def test_kpi_cells_are_named(surrey: Framework) -> None:
    wb = _template(surrey)
    for kpi in surrey.kpis:
        value, band = _cell(wb, f"kpi_{kpi.id}_value"), _cell(wb, f"kpi_{kpi.id}_band")
        assert (value.row, value.parent.title) == (band.row, band.parent.title)
        if kpi.id == "pocs_responded":
            assert (value.value, band.value) == ("Calculated by the council", "Scored by the council")
        else:
            assert str(value.value).startswith("=") and str(band.value).startswith("=")
    assert _cell(wb, "kpi_successful_calls_value").coordinate == "C16"
    assert _cell(wb, "kpi_care_certificate_band").coordinate == "D37"


def test_hidden_metadata_sheet(surrey: Framework) -> None:
    wb = _template(surrey)
    ws = wb[META_SHEET]
    assert ws.sheet_state == "hidden"
    assert wb.sheetnames[-1] == META_SHEET
    meta = {r[0]: r[1] for r in ws.iter_rows(min_row=1, max_row=5, max_col=2, values_only=True)}
    assert meta["framework"] == "surrey"
    assert meta["framework_version"] == "2021.10"
    assert meta["return_type"] == "monthly"
    assert meta["fingerprint"] == template_layout(surrey).fingerprint()
    assert len(meta["fingerprint"]) == 16


def test_filling_by_name_writes_the_named_cell(surrey: Framework) -> None:
    data = fill_workbook(template_for(surrey), {"calls_total": 1234, "provider_name": "=HYPERLINK(1)"})
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb["KPI 1-3"]["C8"].value == 1234
    assert wb["Cover"]["C7"].data_type == "s"


def test_a_kpi_whose_inputs_break_a_rule_is_not_banded(surrey: Framework, make_return: Callable[..., Path]) -> None:
    """11 restarts taken of 10 offered would be 110% Green; carekpi shows neither a figure nor a band."""
    path = make_return(surrey, {**SURREY_CLEAN, "restarts_taken": 11})
    report = validate_file(path, today=TODAY)
    [kpi] = [k for k in score_reports(surrey, [report]).returns[0].kpis if k.kpi == "successful_restarts"]
    assert (kpi.display, kpi.band, kpi.value, kpi.numerator, kpi.denominator) == ("n/a", "na", None, None, None)
    assert kpi.reason == ("not banded: Total number of eligible restarts taken on (same provider) has an error "
                          "(V201) in this return; correct the return and score it again")


@pytest.mark.parametrize(("typed", "why"), [
    ("12 calls", "'12 calls' is not a whole number"),
    (-50, "-50 is below the minimum 0"),
    (12.5, "12.5 is not a whole number"),
])
def test_an_invalid_value_is_reported_as_invalid_not_missing(surrey: Framework, make_return: Callable[..., Path],
                                                             typed: Any, why: str) -> None:
    report = validate_file(make_return(surrey, {**SURREY_CLEAN, "calls_late": typed}), today=TODAY)
    [kpi] = [k for k in score_reports(surrey, [report]).returns[0].kpis if k.kpi == "successful_calls"]
    assert (kpi.display, kpi.band, kpi.value) == ("n/a", "na", None)
    assert kpi.reason == f"invalid input: Number of late calls ({why}): correct the return and score it again"


def test_an_invalid_value_and_a_blank_one_are_both_named(surrey: Framework, make_return: Callable[..., Path]) -> None:
    path = make_return(surrey, {**SURREY_CLEAN, "calls_late": "Maybe"}, drop=("calls_missed",))
    [kpi] = [k for k in score_reports(surrey, [validate_file(path, today=TODAY)]).returns[0].kpis
             if k.kpi == "successful_calls"]
    assert kpi.reason == ("invalid input: Number of late calls ('Maybe' is not a whole number): correct the return "
                          "and score it again; missing input: Number of missed calls")


def test_a_kpi_that_cannot_be_computed_honestly_shows_no_figure(surrey: Framework,
                                                                make_return: Callable[..., Path]) -> None:
    """Late calls beyond the calls delivered would compute to a negative percentage: no figure at all."""
    path = make_return(surrey, {**SURREY_CLEAN, "calls_total": 100, "calls_late": 150})
    scored = score_reports(surrey, [validate_file(path, today=TODAY)]).returns[0]
    [kpi] = [k for k in scored.kpis if k.kpi == "successful_calls"]
    assert (kpi.display, kpi.band, kpi.value, kpi.numerator) == ("n/a", "na", None, None)
    assert "Number of late calls has an error (V201) in this return" in kpi.reason


# --- faithful to the schedule's own definitions -------------------------------------------------------------------


def _kpis(surrey: Framework, make_return: Callable[..., Path], changes: dict[str, Any],
          drop: tuple[str, ...] = ()) -> tuple[ValidationReport, dict[str, Any]]:
    report = validate_file(make_return(surrey, {**SURREY_CLEAN, **changes}, drop=drop), today=TODAY)
    return report, {k.kpi: k for k in score_reports(surrey, [report]).returns[0].kpis}


#: "Total Number of Calls delivered": a provider following the printed definition
DELIVERED = {"calls_total": 1000, "calls_late": 40, "calls_rescheduled": 20, "calls_missed": 25,
             "calls_cancelled_provider": 15, "calls_cancelled_recipient": 100, "calls_cancelled_recipient_24h": 30}


def test_total_calls_are_the_calls_delivered(surrey: Framework, make_return: Callable[..., Path]) -> None:
    """Read as every call commissioned, this month was 800/900 = 88.9% Amber; as the calls delivered the
    schedule defines, (1000 - 40 - 20) / (1000 + 25 + 15) = 940/1040 = 90.4% Green."""
    report, kpis = _kpis(surrey, make_return, DELIVERED)
    assert _findings(report) == Counter()
    k = kpis["successful_calls"]
    assert (k.numerator, k.denominator, k.display, k.band) == (940, 1040, "90.4%", "green")


def test_recipient_cancellations_beyond_the_calls_delivered_are_accepted(surrey: Framework,
                                                                        make_return: Callable[..., Path]) -> None:
    """100 calls delivered, 5 of them late, and 100 more cancelled by the service recipient: a valid month
    (once refused: "... add up to 105, more than the 100 in Total Number of Calls")."""
    report, kpis = _kpis(surrey, make_return, {"calls_total": 100, "calls_late": 5, "calls_rescheduled": 0,
                                               "calls_missed": 0, "calls_cancelled_provider": 0,
                                               "calls_cancelled_recipient": 100,
                                               "calls_cancelled_recipient_24h": 10})
    assert _findings(report) == Counter()
    assert (kpis["successful_calls"].display, kpis["successful_calls"].band) == ("95.0%", "green")


def test_the_call_items_say_whether_they_are_in_the_total(surrey: Framework) -> None:
    ws = _template(surrey)["KPI 1-3"]
    inside = {"calls_late": "is one of the calls in Total Number of Calls",
              "calls_rescheduled": "one of the calls in Total Number of Calls",
              "calls_missed": "not in Total Number of Calls", "calls_cancelled_provider": "not in Total Number of Calls",
              "calls_cancelled_recipient": "not in Total Number of Calls",
              "calls_cancelled_recipient_24h": "not in Total Number of Calls",
              "calls_total": "The calls delivered in the month"}
    for item, words in inside.items():
        _sheet, cell = CELLS[item]
        text = ws[f"D{cell[1:]}"].value
        assert "How to fill it in:" in text and words in text, (item, text)
    kpi_row = _cell(_template(surrey), "kpi_successful_calls_value").row
    assert "Calls due = calls delivered (Total Number of Calls) + missed calls" in ws[f"E{kpi_row}"].value
    show = CliRunner().invoke(app, ["frameworks", "show", "surrey"]).stdout
    assert "about: Successful calls as a share of calls due" in show
    assert "how to fill it in: A missed call was not delivered, so it is not in Total Number of Calls" in show


def test_a_new_starter_who_left_within_the_month_is_accepted(surrey: Framework,
                                                             make_return: Callable[..., Path]) -> None:
    """Total staff is counted at the end of the month; 11 new starters, 2 of whom left again, with 10 staff at
    the month end is a possible month (once a blocking error: new staff > total staff)."""
    report, _ = _kpis(surrey, make_return, {"staff_total": 10, "staff_new_direct_care": 11, "staff_new_back_office": 0,
                                            "staff_leavers": 2, "staff_care_certificate": 10,
                                            "staff_orientation_eligible": 11, "staff_orientation_completed": 11})
    assert _findings(report) == Counter()


@pytest.mark.parametrize(("upheld", "reasons", "findings"), [
    (1, None, {("V101", "complaints_upheld_reasons")}),
    (1, "Late visits; rota changed", set()),
    (0, None, set()),
])
def test_upheld_complaints_come_with_their_reasons(surrey: Framework, make_return: Callable[..., Path], upheld: int,
                                                   reasons: str | None, findings: set[tuple[str, str]]) -> None:
    changes = {"complaints_upheld": upheld, "complaints_not_upheld": 2 - upheld, "complaints_upheld_reasons": reasons}
    report, _ = _kpis(surrey, make_return, changes, drop=() if reasons else ("complaints_upheld_reasons",))
    assert {(f.code, f.field) for f in report.findings if f.code != "V306"} == findings
    for f in report.findings:
        if f.code == "V101":
            assert (f.sheet, f.cell) == CELLS["complaints_upheld_reasons"]


def test_what_follows_a_late_or_missing_return_is_recorded(surrey: Framework) -> None:
    late = surrey.submissions
    assert late.late_or_missing is None
    assert late.consequence is not None and late.consequence.startswith(
        "Where monitoring information is not submitted as requested, the commissioner may give notice in writing")
    assert "the commissioner may suspend the provider from the contract" in late.consequence
    show = CliRunner().invoke(app, ["frameworks", "show", "surrey"]).stdout
    assert "  late or missing returns: Where monitoring information is not submitted as requested" in show
    notes = {title: text for _, title, text in _notes_rows(surrey)}
    assert "may suspend the provider from the contract" in notes["Late or missing returns"]
    for title in ("Quarterly contract monitoring meetings", "Extra information from High Needs (Continuing Healthcare) "
                  "providers", "The annual customer feedback survey"):
        assert title in notes


def _notes_rows(fw: Framework) -> list[tuple[str, str, str]]:
    ws = openpyxl.load_workbook(io.BytesIO(template_for(fw)))["Notes"]
    return [(a, b, c) for a, b, c in ws.iter_rows(min_row=4, max_col=3, values_only=True)]


def test_no_response_by_postcode_area_is_council_data_that_adds_up(surrey: Framework, make_return: Callable[..., Path],
                                                                  tmp_path: Path) -> None:
    header = "provider,period,pocs_responded,pocs_no_response," + ",".join(
        f"pocs_no_response_in_{a}" for a in ("gu", "kt", "rh", "tw", "cr", "sm", "other"))
    good = tmp_path / "good.csv"
    good.write_text(f"{header}\n1-000000001,2026-03,90,10,4,3,1,0,0,0,2\n", encoding="utf-8")
    council = load_commissioner_data(good, surrey)
    report = validate_file(make_return(surrey, SURREY_CLEAN), today=TODAY)
    kpi4 = next(k for k in score_reports(surrey, [report], commissioner=council).returns[0].kpis
                if k.kpi == "pocs_responded")
    assert (kpi4.display, kpi4.band) == ("90.0%", "green")
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{header}\n1-000000001,2026-03,90,10,4,3,1,0,0,0,1\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"line 2: No. of POCs request with no response, by postcode area add up "
                                         r"to 9, but they must add up to pocs_no_response \(10\)"):
        load_commissioner_data(bad, surrey)
