"""A return re-saved by another program reads exactly as the original: same findings, same KPIs.

Providers open the template in Excel, LibreOffice Calc or Google Sheets and save it again;
some tools (and our own tests) load and save it with openpyxl. Each re-saved file must give
identical findings (code, severity, item, sheet, cell and message) and identical KPI values.
LibreOffice is driven as in scripts/recalc_check.py: one soffice call for all files, with a
private profile.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest

import workbook_variants as wv
from carekpi.framework.discovery import bundled_dir, find_framework
from carekpi.scoring.passes import score_reports
from carekpi.validation.findings import ValidationReport
from carekpi.validation.validate import validate_file
from carekpi.workbook.fill import fill_workbook
from conftest import SURREY_CLEAN, TODAY, template_for
from scripts_loader import load_script

SURREY_CASES: dict[str, dict[str, Any]] = {
    "clean": {},
    "typed-as-people-type": {"calls_total": " 1,100\u00a0", "restarts_offered": "10", "delivers_hbc": "Y",
                             "delivers_linc": "yes", "reporting_period": "01/03/2026",
                             "provider_name": "\u00a0Test Care Ltd "},
    "errors": {"calls_late": "-", "calls_missed": "n/a", "restarts_taken": 11, "staff_total": 12.5,
               "calls_rescheduled": "#DIV/0!", "contact_email": "=1+1", "complaints_upheld": 2},
    "live-in-only": {"delivers_hbc": "No", "delivers_specialist": "No"},
    "hostile-text": {"provider_name": '=HYPERLINK("http://x","y")', "contact_name": "@SUM(A1)",
                     "cqc_location_id": "+1", "contact_phone": "-2"},
}
OTHER_FRAMEWORKS = ["bcp", "dorset", "cheshire-east-awc", "cheshire-east-dpss"]


def view(path: Path, framework: str | None = None) -> tuple[list[tuple[Any, ...]], dict[str, tuple[Any, ...]]]:
    rep: ValidationReport = validate_file(path, framework=framework, today=TODAY)
    fw = find_framework(rep.framework or "surrey")
    found = sorted((f.code, f.severity, f.field, f.sheet, f.cell, f.message) for f in rep.findings)
    scored = {k.kpi: (k.value, k.band, k.display, k.reason) for k in score_reports(fw, [rep]).returns[0].kpis}
    return found, scored


def originals(directory: Path) -> dict[str, tuple[Path, str | None]]:
    """name -> (file, --framework to give): the Surrey cases, honest variants and a bundled sample
    of every other framework."""
    surrey = find_framework("surrey")
    directory.mkdir(parents=True, exist_ok=True)
    out: dict[str, tuple[Path, str | None]] = {}
    for name, changes in SURREY_CASES.items():
        p = directory / f"surrey-{name}.xlsx"
        p.write_bytes(fill_workbook(template_for(surrey), {**SURREY_CLEAN, **changes}))
        out[p.name] = (p, None)
    clean = fill_workbook(template_for(surrey), SURREY_CLEAN)
    for name, data, fw in (("copied", wv.copied_into_new_workbook(clean), "surrey"),
                           ("hidden", wv.with_sheet_states(clean, {"KPI 1-3": "hidden"}), None),
                           ("rows-inserted", wv.with_rows_inserted(clean, {"KPI 1-3": 3}), None)):
        p = directory / f"surrey-{name}.xlsx"
        p.write_bytes(data)
        out[p.name] = (p, fw)
    for fid in OTHER_FRAMEWORKS:
        sample = sorted((bundled_dir("sample_returns") / fid).glob("*.xlsx"))[0]
        p = directory / f"{fid}-{sample.name}"
        p.write_bytes(sample.read_bytes())
        out[p.name] = (p, None)
    return out


def test_openpyxl_load_and_save_reads_the_same(tmp_path: Path) -> None:
    files = originals(tmp_path / "orig")
    (tmp_path / "saved").mkdir()
    for name, (path, fw) in files.items():
        wb = openpyxl.load_workbook(path)
        buf = io.BytesIO()
        wb.save(buf)
        saved = tmp_path / "saved" / name
        saved.write_bytes(buf.getvalue())
        assert view(saved, fw) == view(path, fw), name


@pytest.mark.skipif(shutil.which("soffice") is None,
                    reason="LibreOffice (soffice) is not on PATH: cannot check returns re-saved by LibreOffice Calc")
def test_libreoffice_calc_saved_returns_read_the_same(tmp_path: Path) -> None:
    recalc = load_script("recalc_check")

    files = originals(tmp_path / "orig")
    out = tmp_path / "calc"
    recalc.recalculate([p for p, _ in files.values()], out)  # soffice --headless --convert-to xlsx, one call
    different = []
    for name, (path, fw) in files.items():
        saved = out / name
        assert saved.read_bytes() != path.read_bytes()  # really re-written by LibreOffice
        if view(saved, fw) != view(path, fw):
            different.append((name, set(view(saved, fw)[0]) ^ set(view(path, fw)[0])))
    assert not different
