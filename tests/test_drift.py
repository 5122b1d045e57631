"""carekpi template --check: every kind of edit to a template is reported; a regenerated template
(or one re-saved unchanged by a spreadsheet program) is clean."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from typer.testing import CliRunner

from carekpi.cli import app
from carekpi.framework.cover import META_SHEET
from carekpi.framework.loader import load_framework_text
from carekpi.framework.model import Framework
from carekpi.render.drift import render_drift
from carekpi.workbook.drift import Drift, check_template
from carekpi.workbook.fill import fill_workbook
from carekpi.workbook.template import template_bytes

SHEET = "KPI 1-3"


@pytest.fixture(scope="module")
def fresh(surrey: Framework, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("drift") / "surrey-monthly.xlsx"
    path.write_bytes(template_bytes(surrey))
    return path


def edited(fresh: Path, tmp_path: Path, change: Callable[[Workbook], Any]) -> Path:
    wb = openpyxl.load_workbook(fresh)
    change(wb)
    out = tmp_path / "edited.xlsx"
    wb.save(out)
    return out


def sheet(wb: Workbook, title: str = SHEET) -> Worksheet:
    ws = wb[title]
    assert isinstance(ws, Worksheet)
    return ws


def kinds(drifts: list[Drift]) -> list[tuple[str, str]]:
    return [(d.kind, d.location) for d in drifts]


def name_cell(wb: Workbook, name: str) -> str:
    title, ref = next(iter(wb.defined_names[name].destinations))
    return f"{title}!{ref.replace('$', '')}"


def test_fresh_template_has_no_drift(surrey: Framework, fresh: Path) -> None:
    assert check_template(surrey, fresh, "monthly") == []
    assert render_drift([], "t.xlsx") == "t.xlsx: matches the template the framework generates now (no drift).\n"


@pytest.mark.parametrize("fid", ["bcp", "dorset", "cheshire-east-awc", "cheshire-east-dpss"])
def test_every_bundled_template_regenerated_is_clean(fid: str, tmp_path: Path) -> None:
    from carekpi.framework.discovery import find_framework

    fw = find_framework(fid)
    for rt in fw.returns:
        path = tmp_path / f"{rt.id}.xlsx"
        path.write_bytes(template_bytes(fw, rt.id))
        assert check_template(fw, path, rt.id) == [], (fid, rt.id)


def test_values_typed_into_input_cells_are_not_drift(surrey: Framework, fresh: Path, tmp_path: Path) -> None:
    from conftest import SURREY_CLEAN

    path = tmp_path / "filled.xlsx"
    path.write_bytes(fill_workbook(fresh.read_bytes(), SURREY_CLEAN))
    assert check_template(surrey, path) == []


def test_renamed_defined_name(surrey: Framework, fresh: Path, tmp_path: Path) -> None:
    def change(wb: Workbook) -> None:
        ref = wb.defined_names["calls_late"].attr_text
        del wb.defined_names["calls_late"]
        wb.defined_names["late_calls"] = DefinedName("late_calls", attr_text=ref)

    (d,) = check_template(surrey, edited(fresh, tmp_path, change))
    assert (d.kind, d.location, d.expected, d.found) == ("name_renamed", "calls_late", "calls_late", "late_calls")
    # the workbook has the old name, the framework's template the new one
    assert d.message.startswith("defined name renamed from 'late_calls' (in this workbook) to 'calls_late' (in the "
                                "template generated now), at 'KPI 1-3'!$C$9: ")


def test_deleted_and_moved_names(surrey: Framework, fresh: Path, tmp_path: Path) -> None:
    def change(wb: Workbook) -> None:
        del wb.defined_names["calls_missed"]
        wb.defined_names["calls_total"].attr_text = "'KPI 1-3'!$C$40"
        wb.defined_names["my_note"] = DefinedName("my_note", attr_text="'Notes'!$A$1")

    assert kinds(check_template(surrey, edited(fresh, tmp_path, change))) == [
        ("name_missing", "calls_missed"), ("name_unexpected", "my_note"), ("name_moved", "calls_total"),
    ]


def test_deleted_validation(surrey: Framework, fresh: Path, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(fresh)
    where = name_cell(wb, "calls_total")

    def change(wb: Workbook) -> None:
        ws = sheet(wb)
        coord = where.split("!")[1]
        ws.data_validations.dataValidation = [dv for dv in ws.data_validations.dataValidation if coord not in dv.sqref]

    (d,) = check_template(surrey, edited(fresh, tmp_path, change))
    assert (d.kind, d.location, d.found) == ("validation_missing", where, None)
    assert "(calls_total) has lost its data validation (whole greaterThanOrEqual 0)" in d.message


def test_changed_validation(surrey: Framework, fresh: Path, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(fresh)
    where = name_cell(wb, "calls_total")

    def change(wb: Workbook) -> None:
        for dv in sheet(wb).data_validations.dataValidation:
            if where.split("!")[1] in dv.sqref:
                dv.formula1 = "10"
                dv.prompt = "Type anything"

    (d,) = check_template(surrey, edited(fresh, tmp_path, change))
    assert (d.kind, d.location) == ("validation_changed", where)
    assert "formula1 '0' is now '10'" in d.message and "prompt" in d.message


def test_changed_label(surrey: Framework, fresh: Path, tmp_path: Path) -> None:
    def change(wb: Workbook) -> None:
        sheet(wb)["B8"] = "All calls"

    (d,) = check_template(surrey, edited(fresh, tmp_path, change))
    assert (d.kind, d.location, d.found) == ("label_changed", f"{SHEET}!B8", "All calls")
    assert d.expected == "Total Number of Calls"


def test_edited_formula(surrey: Framework, fresh: Path, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(fresh)
    where = name_cell(wb, "kpi_successful_calls_value")

    def change(wb: Workbook) -> None:
        cell = sheet(wb)[where.split("!")[1]]
        cell.value = str(cell.value).replace("*100", "*10")

    (d,) = check_template(surrey, edited(fresh, tmp_path, change))
    assert (d.kind, d.location) == ("formula_changed", where)
    assert "(kpi_successful_calls_value)" in d.message and "*10," in d.message


def test_protection_removed(surrey: Framework, fresh: Path, tmp_path: Path) -> None:
    def change(wb: Workbook) -> None:
        sheet(wb).protection.sheet = False

    (d,) = check_template(surrey, edited(fresh, tmp_path, change))
    assert (d.kind, d.location, d.expected, d.found) == ("protection_changed", SHEET, "protected", "unprotected")


def test_cell_unlocked(surrey: Framework, fresh: Path, tmp_path: Path) -> None:
    from openpyxl.styles import Protection

    def change(wb: Workbook) -> None:
        for coord in ("B8", "B9", "B10"):
            sheet(wb)[coord].protection = Protection(locked=False)

    (d,) = check_template(surrey, edited(fresh, tmp_path, change))
    assert (d.kind, d.location, d.expected, d.found) == ("protection_changed", f"{SHEET}!B8:B10", "locked", "unlocked")


def test_metadata_changed(surrey: Framework, fresh: Path, tmp_path: Path) -> None:
    def change(wb: Workbook) -> None:
        sheet(wb, META_SHEET)["B2"] = "2019.01"
        sheet(wb, META_SHEET)["B5"] = "carekpi 0.0.1"  # the generator's version is not drift

    (d,) = check_template(surrey, edited(fresh, tmp_path, change))
    assert (d.kind, d.location, d.expected, d.found) == ("metadata_changed", f"{META_SHEET}!B2", "2021.10", "2019.01")
    assert d.message.startswith("metadata framework_version:")


def test_sheets_and_formats(surrey: Framework, fresh: Path, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(fresh)
    where = name_cell(wb, "reporting_period")

    def change(wb: Workbook) -> None:
        wb.remove(wb["Live-in care"])
        wb.create_sheet("Scratch")
        sheet(wb, META_SHEET).sheet_state = "visible"
        sheet(wb, "Cover")[where.split("!")[1]].number_format = "General"
        sheet(wb).conditional_formatting = type(sheet(wb).conditional_formatting)()

    found = kinds(check_template(surrey, edited(fresh, tmp_path, change)))
    assert ("sheet_missing", "Live-in care") in found
    assert ("sheet_unexpected", "Scratch") in found
    assert ("sheet_state_changed", META_SHEET) in found
    assert ("format_changed", where) in found
    assert any(k == "formatting_changed" and loc.startswith(f"{SHEET}!") for k, loc in found)


def test_template_of_a_changed_framework_drifts(surrey: Framework, fresh: Path) -> None:
    text = Path(surrey.path or "").read_text(encoding="utf-8")
    changed = load_framework_text(text.replace("label: Total number staff", "label: Total staff"), "surrey.yaml")
    found = kinds(check_template(changed, fresh))
    assert ("label_changed", f"{SHEET}!B29") in found
    assert ("metadata_changed", f"{META_SHEET}!B4") in found  # the fingerprint


def test_render_drift_lists_every_drift() -> None:
    drifts = [Drift("label_changed", "S!B2", "a", "b", "cell B2: expected 'a', found 'b'"),
              Drift("name_missing", "x", "'S'!$C$1", None, "defined name 'x' is missing")]
    text = render_drift(drifts, "t.xlsx")
    assert text.splitlines()[0] == "t.xlsx: 2 differences from the template the framework generates now:"
    assert "  S!B2  label_changed        cell B2: expected 'a', found 'b'" in text
    assert "  x     name_missing         defined name 'x' is missing" in text


# --- the command -----------------------------------------------------------------------------------


def run(*args: str) -> Any:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert "Traceback" not in result.stdout + result.stderr
    return result


def test_cli_exit_codes(fresh: Path, tmp_path: Path) -> None:
    r = run("template", "--framework", "surrey", "--check", str(fresh))
    assert r.exit_code == 0 and "no drift" in r.stdout
    # the framework and return type are read from the workbook's metadata
    r = run("template", "--check", str(fresh))
    assert r.exit_code == 0

    bad = edited(fresh, tmp_path, lambda wb: setattr(sheet(wb).protection, "sheet", False))
    r = run("template", "--check", str(bad))
    assert r.exit_code == 1
    assert f"{bad}: 1 difference from the template" in r.stdout
    # several files, as pre-commit passes them: exit 1 if any drifted
    r = run("template", "--check", str(fresh), str(bad))
    assert r.exit_code == 1 and "no drift" in r.stdout and "protection_changed" in r.stdout


def test_cli_errors(fresh: Path, tmp_path: Path) -> None:
    r = run("template", "--check", str(tmp_path / "missing.xlsx"))
    assert r.exit_code == 2 and "no such file" in r.stderr
    plain = tmp_path / "plain.xlsx"
    openpyxl.Workbook().save(plain)
    r = run("template", "--check", str(plain))
    assert r.exit_code == 2 and "no carekpi metadata" in r.stderr and "--framework" in r.stderr
    r = run("template", "--framework", "surrey", "--check", str(plain))
    assert r.exit_code == 1 and "sheet_missing" in r.stdout
    r = run("template", "--framework", "dorset", "--check", str(fresh))
    assert r.exit_code == 2 and "framework dorset has no return type 'monthly'" in r.stderr
    r = run("template", str(fresh))
    assert r.exit_code == 2 and "for --check" in r.stderr
    r = run("template")
    assert r.exit_code == 2 and "--framework" in r.stderr


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_template_resaved_by_libreoffice_is_clean(surrey: Framework, fresh: Path, tmp_path: Path) -> None:
    out = tmp_path / "lo"
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless", "--calc",
         "--convert-to", "xlsx", "--outdir", str(out), str(fresh)],
        check=True, capture_output=True, timeout=180,
    )
    assert check_template(surrey, out / fresh.name) == []
