"""Real-world and hostile workbooks: read what people actually send, crash on nothing.

Honest variants of a filled Surrey return (sheets copied into a new workbook, an older
template without defined names, hidden sheets, merged labels, extra sheets, rows inserted
above the data, an .xlsm) must validate and score as the pristine return does, apart from
the warnings that say what was different. Values typed the way people type them are read,
each correction leaving a warning that names the cell. Bad input ends as one sentence
(UnreadableWorkbook / UsageError, exit 2), never a traceback.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

import workbook_variants as wv
from carekpi.base.errors import UnreadableWorkbook, UsageError
from carekpi.cli import app
from carekpi.framework.loader import load_framework
from carekpi.framework.model import Framework
from carekpi.scoring.passes import score_reports
from carekpi.validation.findings import ValidationReport
from carekpi.validation.validate import validate_file
from carekpi.workbook import openpyxl_load, preflight, reader
from carekpi.workbook.fill import fill_workbook
from carekpi.workbook.template import template_bytes
from conftest import SURREY_CLEAN, TODAY, template_for

# Where the Surrey template puts each item (tests/test_surrey.py has the full table).
CELLS = {
    "provider_name": ("Cover", "C7"), "reporting_period": ("Cover", "C9"), "delivers_hbc": ("Cover", "C10"),
    "delivers_linc": ("Cover", "C11"), "delivers_specialist": ("Cover", "C12"),
    "packages_ceased": ("KPI 1-3", "C6"), "calls_total": ("KPI 1-3", "C8"), "calls_late": ("KPI 1-3", "C9"),
    "calls_missed": ("KPI 1-3", "C10"), "restarts_offered": ("KPI 1-3", "C21"),
    "restarts_taken": ("KPI 1-3", "C22"), "staff_total": ("KPI 1-3", "C29"),
    "linc_packages_ceased": ("Live-in care", "C6"),
}
LINC_ITEMS = ["linc_packages_ceased", "linc_packages_handed_back", "linc_breaks_delivered",
              "linc_breaks_not_required", "linc_active_staff", "linc_staff_supervised"]


def findings(rep: ValidationReport, *, without: tuple[str, ...] = ()) -> list[tuple[Any, ...]]:
    return sorted((f.code, f.severity, f.field, f.sheet, f.cell, f.message) for f in rep.findings
                  if f.code not in without)


def kpis(fw: Framework, rep: ValidationReport) -> dict[str, tuple[Any, ...]]:
    return {k.kpi: (k.value, k.band, k.display, k.reason) for k in score_reports(fw, [rep]).returns[0].kpis}


def codes(rep: ValidationReport) -> dict[str, set[str | None]]:
    out: dict[str, set[str | None]] = {}
    for f in rep.findings:
        out.setdefault(f.code, set()).add(f.field)
    return out


@pytest.fixture(scope="module")
def clean_bytes(surrey: Framework) -> bytes:
    return fill_workbook(template_for(surrey), SURREY_CLEAN)


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    def w(data: bytes, name: str = "variant.xlsx") -> Path:
        p = tmp_path / name
        p.write_bytes(data)
        return p

    return w


@pytest.fixture(scope="module")
def pristine(surrey: Framework, clean_bytes: bytes, tmp_path_factory: pytest.TempPathFactory) -> ValidationReport:
    p = tmp_path_factory.mktemp("pristine") / "pristine.xlsx"
    p.write_bytes(clean_bytes)
    return validate_file(p, today=TODAY)


# --- defined names lost -----------------------------------------------------------------------------


def test_sheets_copied_into_a_new_workbook_are_read_by_their_labels(
        surrey: Framework, clean_bytes: bytes, pristine: ValidationReport, write: Callable[..., Path]) -> None:
    path = write(wv.copied_into_new_workbook(clean_bytes))
    with pytest.raises(UsageError, match="name it with --framework"):
        validate_file(path, today=TODAY)
    rep = validate_file(path, framework="surrey", today=TODAY)
    assert rep.valid
    assert kpis(surrey, rep) == kpis(surrey, pristine)
    assert rep.data.values == pristine.data.values
    found = {f.field: (f.sheet, f.cell) for f in rep.findings if f.code == "V004"}
    items = list(pristine.data.cells)
    assert sorted(found) == sorted(items)  # one V004 per item, each naming the cell it was read from
    for item, place in CELLS.items():
        assert found[item] == place
    v004 = next(f for f in rep.findings if f.code == "V004" and f.field == "calls_total")
    assert v004.severity == "warning"
    assert "found by its label because the cell named calls_total is missing" in v004.message
    assert {f.code for f in rep.findings} == {"V001", "V004", "V306"}


def test_a_label_used_on_two_sheets_is_read_from_the_items_own_sheet(
        surrey: Framework, write: Callable[..., Path]) -> None:
    # "Number of Packages of Care ceased in month" is on both 'KPI 1-3' and 'Live-in care'
    data = fill_workbook(template_for(surrey), {**SURREY_CLEAN, "packages_ceased": 3, "linc_packages_ceased": 7})
    rep = validate_file(write(wv.copied_into_new_workbook(data)), framework="surrey", today=TODAY)
    assert rep.data.values["packages_ceased"] == 3
    assert rep.data.values["linc_packages_ceased"] == 7
    assert (rep.data.cells["packages_ceased"].sheet, rep.data.cells["linc_packages_ceased"].sheet) == \
        ("KPI 1-3", "Live-in care")
    # also when a working sheet the provider added first carries the same labels
    rep = validate_file(write(wv.copied_into_new_workbook(wv.with_extra_sheets(data))), framework="surrey",
                        today=TODAY)
    assert rep.data.values["packages_ceased"] == 3
    assert rep.data.values["linc_packages_ceased"] == 7
    assert rep.data.values["calls_total"] == 960


def test_an_older_template_without_names_but_with_metadata_needs_no_framework_option(
        surrey: Framework, clean_bytes: bytes, pristine: ValidationReport, write: Callable[..., Path]) -> None:
    for data in (wv.without_names(clean_bytes), wv.copied_into_new_workbook(clean_bytes, keep_meta=True)):
        rep = validate_file(write(data), today=TODAY)
        assert rep.valid
        assert kpis(surrey, rep) == kpis(surrey, pristine)
        assert {f.code for f in rep.findings} == {"V004", "V306"}


def test_only_the_lost_names_are_found_by_label(
        surrey: Framework, clean_bytes: bytes, pristine: ValidationReport, write: Callable[..., Path]) -> None:
    rep = validate_file(write(wv.without_names(clean_bytes, LINC_ITEMS)), today=TODAY)
    assert codes(rep)["V004"] == set(LINC_ITEMS)
    assert kpis(surrey, rep) == kpis(surrey, pristine)


def test_a_label_that_cannot_be_matched_is_a_finding_not_a_crash(
        surrey: Framework, clean_bytes: bytes, write: Callable[..., Path]) -> None:
    wb = openpyxl.load_workbook(write(wv.copied_into_new_workbook(clean_bytes)))
    wb["KPI 1-3"]["B9"] = "Late calls (our definition)"  # calls_late's label, reworded
    wb.save(path := write(b"", "reworded.xlsx"))
    rep = validate_file(path, framework="surrey", today=TODAY)
    v005 = [f for f in rep.findings if f.code == "V005"]
    assert [(f.field, f.severity) for f in v005] == [("calls_late", "error")]
    assert v005[0].message == ("'Number of late calls' (calls_late) is not in the workbook: no cell has that name "
                               "and no cell has that label")
    assert kpis(surrey, rep)["successful_calls"][1] == "na"


def test_a_sheet_left_out_for_a_service_not_delivered_is_a_warning(
        surrey: Framework, write: Callable[..., Path]) -> None:
    data = fill_workbook(template_for(surrey), {**SURREY_CLEAN, "delivers_linc": "No"})
    wb = openpyxl.load_workbook(write(wv.copied_into_new_workbook(data)))
    del wb["Live-in care"]
    wb.save(path := write(b"", "no-linc.xlsx"))
    rep = validate_file(path, framework="surrey", today=TODAY)
    assert {(f.field, f.severity) for f in rep.findings if f.code == "V005"} == {(i, "warning") for i in LINC_ITEMS}
    assert rep.valid


def test_cli_copied_workbook_needs_framework(clean_bytes: bytes, write: Callable[..., Path]) -> None:
    path = write(wv.copied_into_new_workbook(clean_bytes))
    r = CliRunner().invoke(app, ["validate", str(path), "--today", TODAY.isoformat()])
    assert r.exit_code == 2
    assert r.stderr.strip().count("\n") == 0 and "name it with --framework" in r.stderr
    r = CliRunner().invoke(app, ["validate", "--framework", "surrey", str(path), "--today", TODAY.isoformat()])
    assert r.exit_code == 0, r.stdout
    assert "V004" in r.stdout and "valid: the return can be accepted" in r.stdout


# --- layout changes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", [
    pytest.param(lambda d: wv.with_sheet_states(d, {"KPI 1-3": "hidden", "Live-in care": "veryHidden",
                                                   "Cover": "visible"}), id="hidden-sheets"),
    pytest.param(wv.with_extra_sheets, id="extra-sheets"),
    pytest.param(lambda d: wv.with_rows_inserted(d, {"Cover": 2, "KPI 1-3": 3}), id="rows-inserted"),
])
def test_honest_layout_changes_read_the_same(surrey: Framework, clean_bytes: bytes, pristine: ValidationReport,
                                             write: Callable[..., Path], variant: Callable[[bytes], bytes]) -> None:
    rep = validate_file(write(variant(clean_bytes)), today=TODAY)
    assert rep.data.values == pristine.data.values
    assert kpis(surrey, rep) == kpis(surrey, pristine)
    assert [(f.code, f.severity, f.message) for f in rep.sorted_findings()] == \
        [(f.code, f.severity, f.message) for f in pristine.sorted_findings()]


def test_rows_inserted_above_the_data_move_the_cells_reported(clean_bytes: bytes, write: Callable[..., Path]) -> None:
    data = fill_workbook(clean_bytes, {"calls_total": "1,100"})
    rep = validate_file(write(wv.with_rows_inserted(data, {"Cover": 2, "KPI 1-3": 3})), today=TODAY)
    assert [(f.code, f.sheet, f.cell) for f in rep.findings if f.code in ("V103", "V306")] == \
        [("V103", "KPI 1-3", "C11"), ("V306", "Cover", "C11")]
    # and with the names lost as well, the labels are still found where they now are
    rep = validate_file(write(wv.copied_into_new_workbook(wv.with_rows_inserted(data, {"KPI 1-3": 3}))),
                        framework="surrey", today=TODAY)
    assert rep.data.values["calls_total"] == 1100
    assert rep.data.cells["calls_total"].coordinate == "C11"


def test_labels_merged_across_cells_are_read_after_the_merged_block(
        surrey: Framework, clean_bytes: bytes, pristine: ValidationReport, write: Callable[..., Path]) -> None:
    # the labels moved into column A and merged A:B; Cover has no "Your figure" heading to go by
    data = wv.copied_into_new_workbook(clean_bytes, label_column={"Cover": 1, "KPI 1-3": 1})
    wb = openpyxl.load_workbook(write(data))
    assert "A7:B7" in {r.coord for r in wb["Cover"].merged_cells.ranges}
    rep = validate_file(write(data), framework="surrey", today=TODAY)
    assert rep.valid
    assert rep.data.values == pristine.data.values
    assert kpis(surrey, rep) == kpis(surrey, pristine)
    assert rep.data.cells["provider_name"].coordinate == "C7"


# --- macros -----------------------------------------------------------------------------------------


def test_xlsm_is_read_macros_never_run_and_v006_is_reported(
        surrey: Framework, clean_bytes: bytes, pristine: ValidationReport, write: Callable[..., Path]) -> None:
    path = write(wv.as_xlsm(clean_bytes), "return.xlsm")
    rep = validate_file(path, today=TODAY)
    v006 = [f for f in rep.findings if f.code == "V006"]
    assert [(f.severity, f.message) for f in v006] == [("warning", "the workbook contains macros (.xlsm); they were not run")]
    assert kpis(surrey, rep) == kpis(surrey, pristine)
    assert findings(rep, without=("V006",)) == findings(pristine)
    r = CliRunner().invoke(app, ["validate", str(path), "--today", TODAY.isoformat()])
    assert r.exit_code == 0
    assert "V006  the workbook contains macros (.xlsm); they were not run" in r.stdout
    # macros in a workbook without carekpi metadata are reported too
    path = write(wv.as_xlsm(wv.copied_into_new_workbook(clean_bytes)), "copied.xlsm")
    assert "V006" in {f.code for f in validate_file(path, framework="surrey", today=TODAY).findings}


# --- values as people type them ---------------------------------------------------------------------

TYPED = {
    "provider_name": "\u00a0 Test Care Ltd\u00a0",
    "calls_total": " 960\u00a0",
    "restarts_offered": "10",
    "staff_total": "100 ",
    "delivers_hbc": "Y",
    "delivers_linc": "yes",
    "reporting_period": "01/03/2026",
}


def test_values_as_people_type_them_score_the_same_with_a_warning_per_cell(
        surrey: Framework, pristine: ValidationReport, write: Callable[..., Path]) -> None:
    data = fill_workbook(template_for(surrey), {**SURREY_CLEAN, **TYPED})
    rep = validate_file(write(data), today=TODAY)
    assert rep.valid
    assert kpis(surrey, rep) == kpis(surrey, pristine)
    assert rep.data.values == pristine.data.values
    warned = {f.field: (f.sheet, f.cell, f.message) for f in rep.findings if f.code == "V103"}
    assert sorted(warned) == sorted(set(TYPED) - {"provider_name"})  # spaces alone are not a correction
    for item, (sheet, cell, _) in warned.items():
        assert (sheet, cell) == CELLS[item]
    assert warned["calls_total"][2] == "Total Number of Calls: ' 960 ' was typed as text; read as the number 960"
    assert warned["delivers_hbc"][2] == "Do you deliver Home-based care (HBC)?: 'Y' read as Yes"
    assert warned["reporting_period"][2] == ("Reporting month: '01/03/2026' was typed as text; "
                                             "read as the date 01/03/2026")


@pytest.mark.parametrize("answer", ["Yes", "yes", "Y", "y", "TRUE", True, " Yes\u00a0"])
def test_yes_in_any_form(surrey: Framework, make_return: Callable[..., Path], answer: Any) -> None:
    rep = validate_file(make_return(surrey, {**SURREY_CLEAN, "delivers_hbc": answer}), today=TODAY)
    assert rep.data.values["delivers_hbc"] == "Yes"
    warned = [f for f in rep.findings if f.code == "V103"]
    if answer in ("Yes", " Yes\u00a0"):
        assert warned == []
    else:
        assert [(f.field, f.sheet, f.cell) for f in warned] == [("delivers_hbc", "Cover", "C10")]


@pytest.mark.parametrize("nothing", ["-", "n/a", "N/A", "–", None, "   "])
def test_nothing_in_a_required_figure_is_an_error(
        surrey: Framework, make_return: Callable[..., Path], nothing: Any) -> None:
    rep = validate_file(make_return(surrey, {**SURREY_CLEAN, "calls_late": nothing}), today=TODAY)
    errors = [(f.code, f.field, f.sheet, f.cell) for f in rep.findings if f.severity == "error"]
    assert errors == [("V101", "calls_late", "KPI 1-3", "C9")]
    msg = next(f.message for f in rep.findings if f.code == "V101")
    if nothing is None or not nothing.strip():
        assert msg == "Number of late calls is required (enter 0 if there were none)"
    else:
        assert msg == f"Number of late calls: {nothing!r} is not an answer; a value is required (enter 0 if there were none)"


def test_nothing_in_an_item_that_does_not_apply_is_fine(surrey: Framework, make_return: Callable[..., Path]) -> None:
    values = {**SURREY_CLEAN, "delivers_linc": "No", **dict.fromkeys(LINC_ITEMS, "n/a")}
    rep = validate_file(make_return(surrey, values), today=TODAY)
    assert rep.valid


def test_dates_as_serial_numbers_and_text(surrey: Framework, clean_bytes: bytes, pristine: ValidationReport,
                                          write: Callable[..., Path]) -> None:
    serial = (date(2026, 3, 31) - date(1899, 12, 30)).days
    # a serial number in a cell formatted as a date is a real date (Excel stores dates so)
    rep = validate_file(write(wv.set_cells(clean_bytes, {"reporting_period": serial})), today=TODAY)
    assert rep.data.values["reporting_period"] == date(2026, 3, 31)
    assert "V103" not in codes(rep)
    # in a cell formatted General it is a number: read as the date it stands for, with a warning
    rep = validate_file(write(wv.set_cells(clean_bytes, {"reporting_period": serial},
                                           {"reporting_period": "General"})), today=TODAY)
    assert rep.data.values["reporting_period"] == date(2026, 3, 31)
    assert [(f.sheet, f.cell, f.message) for f in rep.findings if f.code == "V103"] == [
        ("Cover", "C9", f"Reporting month: {serial} is a date stored as a number; read as 31/03/2026")]
    assert rep.period == pristine.period
    assert kpis(surrey, rep) == kpis(surrey, pristine)
    for text in ("31/03/2026", "31-03-2026", "31 March 2026", "2026-03-31"):
        rep = validate_file(write(wv.set_cells(clean_bytes, {"reporting_period": text})), today=TODAY)
        assert rep.period == "2026-03", text
        assert codes(rep)["V103"] == {"reporting_period"}
    # a month names a monthly period completely: read as it is, no warning
    rep = validate_file(write(wv.set_cells(clean_bytes, {"reporting_period": "March 2026"})), today=TODAY)
    assert rep.period == "2026-03"
    assert "V103" not in codes(rep)


PCT_FRAMEWORK = """\
id: pct-test
name: Percentage test framework
commissioner: Test Council
service: Home care
source_document: test.txt
version: "1"
effective_from: 2024-04-01
returns:
  - id: monthly
    label: Monthly return
    cadence: monthly
    deadline:
      rule: day_of_following_month
      day: 7
    sections:
      - id: staff
        label: Staff
        sheet: Staff
        fields:
          - id: staff_trained_pct
            label: Staff trained (per cent)
            type: percentage
          - id: last_audit
            label: Date of the last audit
            type: date
          - id: has_policy
            label: Is a training policy in place?
            type: yes_no
kpis:
  - id: trained
    label: Staff trained
    return: monthly
    kind: value
    value: staff_trained_pct
    unit: percent
    bands:
      scheme: thresholds
      direction: higher
      green: 90
      amber: 75
"""
PCT_BASE = {"provider_name": "P Ltd", "cqc_location_id": "1-000000001", "reporting_period": date(2026, 3, 1),
            "contact_name": "A", "contact_email": "a@b.example", "contact_phone": "1", "last_audit": date(2026, 3, 2),
            "has_policy": "Yes"}


@pytest.fixture(scope="module")
def pct(tmp_path_factory: pytest.TempPathFactory) -> tuple[Framework, bytes]:
    path = tmp_path_factory.mktemp("fw") / "pct-test.yaml"
    path.write_text(PCT_FRAMEWORK, encoding="utf-8")
    fw = load_framework(path)
    return fw, template_bytes(fw)


@pytest.mark.parametrize(("typed", "number_format", "warned"), [
    (0.95, None, False),  # the template formats the cell as a percentage: Excel stores 95% as 0.95
    ("95%", None, True),
    (" 95 %", None, True),
    ("0.95", None, True),
    (0.95, "General", True),
    (95, "General", False),
    ("95", "General", True),
])
def test_percentages_as_people_type_them(pct: tuple[Framework, bytes], write: Callable[..., Path], typed: Any,
                                         number_format: str | None, warned: bool) -> None:
    fw, template = pct
    data = fill_workbook(template, {**PCT_BASE, "staff_trained_pct": typed})
    if number_format:
        data = wv.set_cells(data, {}, {"staff_trained_pct": number_format})
    rep = validate_file(write(data), framework=fw, today=TODAY)
    assert rep.valid, rep.findings
    assert rep.data.values["staff_trained_pct"] == 95
    assert [(f.code, f.sheet, f.cell) for f in rep.findings if f.code == "V103"] == \
        ([("V103", "Staff", "C5")] if warned else [])
    assert [(k.value, k.band) for k in score_reports(fw, [rep]).returns[0].kpis] == [(95, "green")]


def test_a_whole_number_in_a_percentage_formatted_cell_is_not_silently_divided(
        pct: tuple[Framework, bytes], write: Callable[..., Path]) -> None:
    fw, template = pct
    rep = validate_file(write(fill_workbook(template, {**PCT_BASE, "staff_trained_pct": 95})), framework=fw,
                        today=TODAY)
    assert [(f.code, f.message) for f in rep.findings if f.severity == "error"] == \
        [("V104", "Staff trained (per cent): 9500 is above the maximum 100")]


def test_yes_no_and_dates_in_a_small_framework(pct: tuple[Framework, bytes], write: Callable[..., Path]) -> None:
    fw, template = pct
    data = fill_workbook(template, {**PCT_BASE, "staff_trained_pct": 0.95, "has_policy": "TRUE",
                                    "last_audit": "02/03/2026"})
    rep = validate_file(write(data), framework=fw, today=TODAY)
    assert rep.data.values["has_policy"] == "Yes" and rep.data.values["last_audit"] == date(2026, 3, 2)
    assert {f.field for f in rep.findings if f.code == "V103"} == {"has_policy", "last_audit"}


# --- reader robustness ------------------------------------------------------------------------------


def test_a_huge_declared_dimension_is_read_quickly(
        surrey: Framework, clean_bytes: bytes, pristine: ValidationReport, write: Callable[..., Path]) -> None:
    path = write(wv.with_dimension(clean_bytes))
    start = time.perf_counter()
    rep = validate_file(path, today=TODAY)
    assert time.perf_counter() - start < 5
    assert kpis(surrey, rep) == kpis(surrey, pristine)
    v007 = [f for f in rep.findings if f.code == "V007"]
    assert v007 and all("A1:XFD1048576" in f.message for f in v007)
    assert findings(rep, without=("V007",)) == findings(pristine)


def test_a_real_cell_in_the_last_row_and_column_does_not_slow_the_label_search(
        surrey: Framework, clean_bytes: bytes, pristine: ValidationReport, write: Callable[..., Path]) -> None:
    path = write(wv.with_far_cell(wv.copied_into_new_workbook(clean_bytes), "KPI 1-3"))
    assert openpyxl.load_workbook(path)["KPI 1-3"].max_row == 1048576
    start = time.perf_counter()
    rep = validate_file(path, framework="surrey", today=TODAY)
    assert time.perf_counter() - start < 5
    assert kpis(surrey, rep) == kpis(surrey, pristine)
    assert reader.LABEL_SEARCH_ROWS <= 10000 and reader.LABEL_SEARCH_COLS <= 26


def test_thousands_of_sheets_are_refused_in_one_sentence(clean_bytes: bytes, write: Callable[..., Path]) -> None:
    path = write(wv.with_many_sheet_entries(clean_bytes, 5000))
    proc = subprocess.run([sys.executable, "-m", "carekpi", "validate", str(path)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2
    assert proc.stderr == ""
    assert proc.stdout.strip().splitlines() == [
        f"{path}: cannot be read: the workbook has more than {preflight.MAX_SHEETS} sheets, far more than a return "
        "needs; remove the extra sheets and save again"]


@pytest.mark.parametrize("target", ["'KPI 1-3'!$C$9999999", "'KPI 1-3'!$C$0", "'KPI 1-3'!$C:$C", "'KPI 1-3'!$8:$8",
                                    "#REF!", "'No such sheet'!$C$8", "'KPI 1-3'!$ZZZ$8", "1+1", "'KPI 1-3!$C$8",
                                    "[1]Sheet1!$A$1", "'KPI 1-3'!$C$8:$C$2000000"])
def test_a_defined_name_pointing_nowhere_falls_back_to_the_label(
        clean_bytes: bytes, write: Callable[..., Path], target: str) -> None:
    rep = validate_file(write(wv.with_defined_name(clean_bytes, "calls_total", target)), today=TODAY)
    assert rep.data.values["calls_total"] == 960
    if not target.endswith(":$C$2000000"):  # a range starting at the right cell is read by its name
        assert codes(rep)["V004"] == {"calls_total"}


def test_numbers_too_large_or_infinite_in_the_file_are_errors(clean_bytes: bytes, write: Callable[..., Path]) -> None:
    for raw, code in ((b"1E999", "V102"), (b"-1E999", "V102"), (b"9" * 4000, "V104"), (b"1E300", "V104")):
        rep = validate_file(write(wv.with_raw_value(clean_bytes, "KPI 1-3", "C8", raw)), today=TODAY)
        assert [(f.code, f.field, f.cell) for f in rep.findings if f.severity == "error"] == \
            [(code, "calls_total", "C8")], raw[:10]


def test_a_long_text_is_quoted_shortened(surrey: Framework, make_return: Callable[..., Path]) -> None:
    rep = validate_file(make_return(surrey, {**SURREY_CLEAN, "calls_total": "x" * 20000}), today=TODAY)
    msg = next(f.message for f in rep.findings if f.code == "V102")
    assert len(msg) < 200 and msg.endswith("…' is not a whole number")


def test_a_framework_path_in_the_metadata_is_never_loaded(clean_bytes: bytes, write: Callable[..., Path],
                                                          tmp_path: Path) -> None:
    other = tmp_path / "other.yaml"
    other.write_text(PCT_FRAMEWORK, encoding="utf-8")
    path = write(wv.with_meta(clean_bytes, "framework", str(other)))
    with pytest.raises(UsageError, match="which is not a framework id: name it with --framework"):
        validate_file(path, today=TODAY)


def test_a_chart_sheet_named_like_the_metadata_sheet(surrey: Framework, clean_bytes: bytes,
                                                     pristine: ValidationReport, write: Callable[..., Path]) -> None:
    wb = openpyxl.load_workbook(write(wv.copied_into_new_workbook(clean_bytes)))
    chart = openpyxl.chart.BarChart()
    chart.add_data(openpyxl.chart.Reference(wb["KPI 1-3"], min_col=3, min_row=6, max_row=14))
    wb.create_chartsheet("_carekpi").add_chart(chart)
    wb.save(path := write(b"", "chart.xlsx"))
    rep = validate_file(path, framework="surrey", today=TODAY)
    assert kpis(surrey, rep) == kpis(surrey, pristine)


def test_a_chart_sheet_without_a_chart_is_read(surrey: Framework, clean_bytes: bytes, pristine: ValidationReport,
                                               write: Callable[..., Path]) -> None:
    """openpyxl could not read such a workbook (it fails on the empty chart sheet it writes
    itself); carekpi's reader does not read chart sheets, so the return reads as usual."""
    rep = validate_file(write(wv.with_empty_chartsheet(clean_bytes)), today=TODAY)
    assert kpis(surrey, rep) == kpis(surrey, pristine)


@pytest.mark.parametrize("name", ["return", "return.XLSX", "return.xlsx.download", "return.xls"])
def test_the_content_decides_not_the_file_name(surrey: Framework, clean_bytes: bytes, pristine: ValidationReport,
                                               write: Callable[..., Path], name: str) -> None:
    rep = validate_file(write(clean_bytes, name), today=TODAY)
    assert kpis(surrey, rep) == kpis(surrey, pristine)


def test_a_small_file_of_one_huge_string_in_every_cell_is_refused_in_one_sentence(
        write: Callable[..., Path]) -> None:
    """250 KB on disk, 80 GB of text once every cell is read: refused (it once took minutes)."""
    path = write(wv.one_string_everywhere())
    assert path.stat().st_size < 400_000
    with pytest.raises(UnreadableWorkbook, match="characters of text"):
        validate_file(path, framework="surrey", today=TODAY)
    r = CliRunner().invoke(app, ["validate", "-f", "surrey", str(path)])
    assert r.exit_code == 2 and "characters of text" in r.stdout and "Traceback" not in r.stderr


def test_an_archive_of_nothing_but_its_end_record_cannot_be_read(write: Callable[..., Path]) -> None:
    path = write(b"PK\x05\x06" + b"\x00" * 18)
    r = CliRunner().invoke(app, ["validate", str(path)])
    assert r.exit_code == 2 and "internal error" not in r.stderr
    assert "empty zip archive" in r.stdout  # the report says why, once


def test_template_check_turns_every_openpyxl_read_error_into_one_sentence(
        clean_bytes: bytes, write: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """`template --check` compares the whole workbook as openpyxl models it: its load errors
    end as one sentence too."""
    path = write(clean_bytes)
    errors = (*openpyxl_load.OPENPYXL_READ_ERRORS, *openpyxl_load.READER_EXTRA_ERRORS)
    assert len(errors) >= 5
    for exc_type in errors:
        def boom(*_: Any, exc_type: type[BaseException] = exc_type, **__: Any) -> None:
            raise exc_type("boom")

        monkeypatch.setattr(openpyxl, "load_workbook", boom)
        with pytest.raises(UnreadableWorkbook) as info:
            openpyxl_load.load_workbook(path)
        assert info.value.reason == f"the file is damaged or is not an Excel workbook ({exc_type.__name__})"
        r = CliRunner().invoke(app, ["template", "--check", str(path)])
        assert r.exit_code == 2 and "Traceback" not in r.stderr and "internal error" not in r.stderr
        assert f"carekpi: error: {path}: {info.value.reason}" in r.stderr


def test_openpyxl_load_uses_its_list_of_openpyxl_errors(
        clean_bytes: bytes, write: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    class NewOpenpyxlError(Exception):
        pass

    def boom(*_: Any, **__: Any) -> None:
        raise NewOpenpyxlError

    monkeypatch.setattr(openpyxl, "load_workbook", boom)
    monkeypatch.setattr(openpyxl_load, "OPENPYXL_READ_ERRORS", (NewOpenpyxlError,))
    with pytest.raises(UnreadableWorkbook, match="NewOpenpyxlError"):
        openpyxl_load.load_workbook(write(clean_bytes))


def test_preflight_refusals_reach_the_cli_as_one_sentence(tmp_path: Path) -> None:
    cases = {"pdf.xlsx": b"%PDF-1.7\n", "empty.xlsx": b"", "text.xlsx": b"Provider,Calls\nA,1\n",
             "truncated.xlsx": fill_workbook(template_for(load_framework_surrey()), SURREY_CLEAN)[:3000]}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        r = CliRunner().invoke(app, ["validate", str(tmp_path / name)])
        assert r.exit_code == 2, name
        lines = r.stdout.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"{tmp_path / name}: cannot be read: "), r.stdout
        assert r.stderr == ""


def load_framework_surrey() -> Framework:
    from carekpi.framework.discovery import find_framework

    return find_framework("surrey")


# --- output safety ----------------------------------------------------------------------------------

HOSTILE_TEXT = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "=1+1", "\t=1+1", "\r=1", "\n-1"]


def test_score_csv_and_xlsx_neutralise_provider_names(
        surrey: Framework, make_return: Callable[..., Path], tmp_path: Path) -> None:
    import csv
    import io

    from carekpi.render import render

    reports = [validate_file(make_return(surrey, {**SURREY_CLEAN, "provider_name": name}), today=TODAY)
               for name in HOSTILE_TEXT]
    score = score_reports(surrey, reports, unreadable=[("=cmd|' /C calc'!A0.xlsx", "=not a workbook")])
    rows = list(csv.DictReader(io.StringIO(render("csv", "score", score), newline="")))
    providers = {r["provider"] for r in rows if r["return_valid"] != "unreadable"}
    assert providers and all(p.startswith("'") for p in providers), providers
    unreadable = [r for r in rows if r["return_valid"] == "unreadable"]
    assert [(r["file"], r["reason"]) for r in unreadable] == [("'=cmd|' /C calc'!A0.xlsx", "'=not a workbook")]
    for r in rows:
        for key, value in r.items():
            assert not value.startswith(("=", "+", "@", "\t", "\r", "\n")), (key, value)
            if value.startswith("-"):
                float(value)  # a negative number, not text
    numbers = [r["value"] for r in rows if r["value"]]
    assert numbers and all(float(v) >= 0 for v in numbers)

    out = tmp_path / "scores.xlsx"
    out.write_bytes(render("xlsx", "score", score))
    wb = openpyxl.load_workbook(out)
    ws = wb["Scores"]
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", (cell.coordinate, cell.value)
        provider = row[header.index("provider")]
        if provider.value is not None:
            assert provider.data_type == "s"
        value = row[header.index("value")].value
        assert value is None or isinstance(value, (int, float))
    names = {r[header.index("provider")].value for r in ws.iter_rows(min_row=2)} - {None}
    # the names survive as text (cleaned of the spaces around them, as all values are)
    assert names == {n.strip() for n in HOSTILE_TEXT}


def test_validate_csv_neutralises_text_from_the_return(
        surrey: Framework, make_return: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import csv
    import io

    from carekpi.render import render
    from carekpi.validation.findings import Finding

    # file names are chosen by the sender (and shown as given on the command line); messages
    # quote what they typed
    (tmp_path / "in").mkdir()
    monkeypatch.chdir(tmp_path / "in")
    paths = []
    for i, name in enumerate(["=HYPERLINK(\"x\",\"y\")", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "\nx"]):
        p = Path(f"{name}.xlsx")
        p.write_bytes(make_return(surrey, {**SURREY_CLEAN, "cqc_location_id": f"=1+{i}", "calls_total": "=2+2"},
                                  name=f"r{i}.xlsx").read_bytes())
        paths.append(str(p))
    r = CliRunner().invoke(app, ["validate", "--format", "csv", "--today", TODAY.isoformat(), "--", *paths])
    assert r.exit_code == 1
    rows = list(csv.reader(io.StringIO(r.stdout, newline="")))
    assert rows[0] == ["file", "provider", "cqc_location_id", "period", "code", "severity", "field", "sheet", "cell",
                       "message", "explanation"]
    for row in rows[1:]:
        for value in row:
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r", "\n")), row
    assert {row[0] for row in rows[1:]} == {"'" + p.replace("\r", "\n") for p in paths}
    assert {row[2] for row in rows[1:]} == {f"'=1+{i}" for i in range(len(paths))}
    # a carriage return inside a value is quoted, so it cannot start a row (with a formula)
    assert all(len(row) == 11 for row in rows)
    assert any("'=2+2' is not a whole number" in row[9] for row in rows)
    # a message that itself starts with provider text is neutralised too
    rep = ValidationReport("r.xlsx", "surrey", "1", findings=[Finding("V201", "error", "=1+1 is wrong"),
                                                              Finding("V201", "warning", "x", explanation="=cmd|'/c calc'")])
    rendered = list(csv.reader(io.StringIO(render("csv", "validation", [rep]), newline="")))
    assert rendered[1][-2] == "'=1+1 is wrong"
    assert rendered[2][-1] == "'=cmd|'/c calc'"  # the provider's explanation is text from the return too


def test_renderers_neutralise_leading_tab_cr_lf_and_keep_numbers(
        surrey: Framework, make_return: Callable[..., Path], tmp_path: Path) -> None:
    """Values are cleaned of surrounding spaces when read, so a leading tab, CR or LF cannot come
    from a cell; the renderers must still neutralise them wherever text comes from."""
    import csv
    import io

    from carekpi.render import render

    rep = validate_file(make_return(surrey, SURREY_CLEAN), today=TODAY)
    score = score_reports(surrey, [rep] * len(HOSTILE_TEXT))
    score = replace(score, returns=tuple(replace(r, provider=text, cqc_location_id=text, file=text)
                                         for r, text in zip(score.returns, HOSTILE_TEXT, strict=True)))
    rows = list(csv.DictReader(io.StringIO(render("csv", "score", score), newline="")))
    shown = {"'" + t.replace("\r", "\n") for t in HOSTILE_TEXT}
    assert {r["provider"] for r in rows} == shown
    assert {r["cqc_location_id"] for r in rows} == shown
    assert {r["file"] for r in rows} == shown
    # and a carriage return in the middle of a value cannot start a new row
    first = replace(score.returns[0], provider="Care Ltd\r=HYPERLINK(\"http://x\",\"y\")")
    text = render("csv", "score", replace(score, returns=(first, *score.returns[1:])))
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert all(len(row) == len(parsed[0]) for row in parsed)
    assert parsed[1][1] == "Care Ltd\n=HYPERLINK(\"http://x\",\"y\")"  # one quoted cell, not a new row
    assert "\r" not in text
    assert {r["numerator"] for r in rows if r["kpi"] == "successful_calls"} == {"900"}
    out = tmp_path / "s.xlsx"
    out.write_bytes(render("xlsx", "score", score))
    ws = openpyxl.load_workbook(out)["Scores"]
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        cells = dict(zip(header, row, strict=True))
        # (XML reads a carriage return back as a line feed)
        assert cells["provider"].data_type == "s"
        assert cells["provider"].value in {t.replace("\r", "\n") for t in HOSTILE_TEXT}
        assert cells["provider"].quotePrefix  # Excel keeps it text when the cell is edited
        if cells["kpi"].value == "successful_calls":
            # a percentage is stored as a fraction and shown as a percentage (90.0%)
            assert (cells["numerator"].value, cells["denominator"].value, cells["value"].value) == (900, 1000, 0.9)
            assert cells["value"].number_format == "0.0%"
    # in the XML itself: inline or shared strings, never a formula element
    import zipfile

    with zipfile.ZipFile(out) as z:
        assert b"<f>" not in z.read("xl/worksheets/sheet1.xml")


def test_validate_json_keeps_text_exactly(surrey: Framework, make_return: Callable[..., Path]) -> None:
    import json

    path = make_return(surrey, {**SURREY_CLEAN, "provider_name": "=1+1"})
    r = CliRunner().invoke(app, ["validate", "--format", "json", "--today", TODAY.isoformat(), str(path)])
    assert json.loads(r.stdout)["provider"] == "=1+1"  # JSON is data, not a spreadsheet: nothing to neutralise


def test_dates_stay_dates_in_text_items(surrey: Framework, make_return: Callable[..., Path]) -> None:
    rep = validate_file(make_return(surrey, {**SURREY_CLEAN, "contact_name": datetime(2026, 3, 1)}), today=TODAY)
    assert rep.data.values["contact_name"] == "2026-03-01"


def test_formulas_without_calculated_values_are_reported_not_read_as_blank(
        clean_bytes: bytes, write: Callable[..., Path]) -> None:
    data = wv.with_formulas(clean_bytes, {"calls_total": "=1000+100", "calls_late": "=calls_total/0",
                                          "provider_name": '=HYPERLINK("http://x","y")'})
    rep = validate_file(write(data), today=TODAY)
    assert sorted((f.code, f.field) for f in rep.findings if f.severity == "error") == [
        ("V108", "calls_late"), ("V108", "calls_total"), ("V108", "provider_name")]
    assert "V101" not in codes(rep)
