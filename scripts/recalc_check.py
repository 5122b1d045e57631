#!/usr/bin/env python3
"""Check that the template's own Excel formulas agree with carekpi, in a real spreadsheet program.

Each Surrey template carries live KPI cells (``kpi_<id>_value`` / ``kpi_<id>_band``) whose
formulas are generated from the same expressions carekpi scores with. This script fills
returns (boundary values such as 74.95% and 89.95%, zero denominators, a live-in-only
provider, blank inputs, and a seeded batch of ordinary ones), has LibreOffice recalculate
and save them (``soffice --headless --calc --convert-to xlsx``, all files in one call), reads
the recalculated KPI cells, and compares them with carekpi's own score: value and band.

It also checks that the file LibreOffice saved still validates exactly as the original did
(same findings, same KPI values), so a return re-saved by another spreadsheet is read the same.

Usage: python scripts/recalc_check.py [--keep DIR] [--known-differences]
(exit 0: all equal, 1: differences, 2: LibreOffice is not installed)
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl

from carekpi.framework.compiled import compiled
from carekpi.framework.discovery import find_framework
from carekpi.framework.model import Framework
from carekpi.scoring.passes import score_reports
from carekpi.scoring.results import KpiResult
from carekpi.validation.validate import validate_file
from carekpi.workbook.fill import fill_workbook
from carekpi.workbook.layout import kpi_value_formula
from carekpi.workbook.template import template_bytes

TODAY = date(2026, 11, 22)
BAND_TEXT = {"green": "Green", "amber": "Amber", "red": "Red", "na": "n/a"}

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from conftest import SURREY_CLEAN  # noqa: E402  (the clean Surrey return the tests use)

BASE: dict[str, Any] = {**SURREY_CLEAN, "provider_name": "Recalc Care Ltd", "cqc_location_id": "1-000000002",
                        "contact_email": "manager@recalc.example"}
CALL_ITEMS = ["packages_ceased", "packages_handed_back", "calls_total", "calls_late", "calls_missed",
              "calls_rescheduled", "calls_cancelled_provider", "calls_cancelled_recipient",
              "calls_cancelled_recipient_24h", "restarts_offered", "restarts_taken"]


def kpi1(successful: int, due: int) -> dict[str, Any]:
    """KPI 1 exactly successful / due (every unsuccessful call is late)."""
    return {"calls_total": due, "calls_cancelled_recipient": 0, "calls_cancelled_recipient_24h": 0,
            "calls_late": due - successful, "calls_missed": 0, "calls_rescheduled": 0, "calls_cancelled_provider": 0}


def kpi2(taken: int, offered: int) -> dict[str, Any]:
    return {"restarts_offered": offered, "restarts_taken": taken}


def kpi3(certified: int, staff: int) -> dict[str, Any]:
    return {"staff_total": staff, "staff_care_certificate": certified, "staff_new_direct_care": 0,
            "staff_new_back_office": 0}


@dataclass
class Case:
    name: str
    changes: dict[str, Any] = field(default_factory=dict)
    drop: tuple[str, ...] = ()

    def values(self) -> dict[str, Any]:
        return {k: v for k, v in {**BASE, **self.changes}.items() if k not in self.drop}


def _ordinary(seed: int, n: int) -> list[Case]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        due = rng.randint(1, 5000)
        offered = rng.randint(1, 40)
        staff = rng.randint(1, 400)
        out.append(Case(f"ordinary-{i + 1:02d}", {**kpi1(rng.randint(0, due), due),
                                                 **kpi2(rng.randint(0, offered), offered),
                                                 **kpi3(rng.randint(0, staff), staff)}))
    return out


CASES: list[Case] = [
    Case("clean"),
    Case("just-below-the-bands", {**kpi1(749, 1000), **kpi2(899, 1000), **kpi3(949, 1000)}),
    Case("exactly-on-the-bands", {**kpi1(750, 1000), **kpi2(900, 1000), **kpi3(950, 1000)}),
    Case("rounding-up-to-the-bands", {**kpi1(7495, 10000), **kpi2(1799, 2000), **kpi3(9495, 10000)}),
    Case("rounding-down-below-the-bands", {**kpi1(8994, 10000), **kpi2(7494, 10000), **kpi3(9494, 10000)}),
    Case("float-ties", {**kpi1(23, 2000), **kpi2(3, 2000), **kpi3(1, 8)}),
    Case("thirds", {**kpi1(2, 3), **kpi2(1, 3), **kpi3(1, 6)}),
    Case("all-or-nothing", {**kpi1(5000, 5000), **kpi2(0, 7), **kpi3(0, 3)}),
    Case("zero-denominators", {**kpi1(0, 0), **kpi2(0, 0), **kpi3(0, 0)}),
    Case("every-call-cancelled-by-the-recipient",
         {"calls_total": 0, "calls_cancelled_recipient": 100, "calls_cancelled_recipient_24h": 0, "calls_late": 0,
          "calls_missed": 0, "calls_rescheduled": 0, "calls_cancelled_provider": 0}),
    Case("live-in-only-call-items-filled", {"delivers_hbc": "No", "delivers_linc": "Yes", "delivers_specialist": "No"}),
    Case("live-in-only-call-items-blank", {"delivers_hbc": "No", "delivers_linc": "Yes", "delivers_specialist": "No"},
         drop=tuple(CALL_ITEMS)),
    Case("specialist-only", {"delivers_hbc": "No", "delivers_linc": "No", "delivers_specialist": "Yes"}),
    Case("service-types-not-answered", drop=("delivers_hbc", "delivers_linc", "delivers_specialist")),
    Case("blank-inputs", drop=("calls_late", "restarts_taken", "staff_total")),
    Case("empty-return", drop=tuple(k for k in BASE if k not in ("reporting_period", "delivers_hbc"))),
    *_ordinary(2026, 8),
]


#: Returns on which the template's live cells and carekpi are known to differ. Each is a return
#: carekpi reports on (an error, or a V103 warning) and Excel's data validation would refuse as
#: typed; ``--known-differences`` shows them. They are not part of the check.
KNOWN_DIFFERENCES: list[Case] = [
    # V103: carekpi reads numbers typed as text; COUNT() in the template ignores text, so KPIs stay blank
    Case("numbers-typed-as-text", {"calls_total": "1,100", "restarts_offered": "10 "}),
    # V201: more late and rescheduled calls than calls delivered: carekpi shows no figure, the template
    # computes a negative percentage
    Case("more-late-calls-than-delivered", {"calls_total": 50}),
    # V304: no service type delivered: carekpi treats every item as applying, the template shows n/a
    Case("no-service-type-delivered", {"delivers_hbc": "No", "delivers_linc": "No", "delivers_specialist": "No"}),
    # V103: 'Y' is read as Yes by carekpi; the template compares with "Yes" only
    Case("yes-typed-as-y", {"delivers_hbc": "Y", "delivers_linc": "No"}),
    # V105 / V104: values carekpi rejects are still used by the template's formulas
    Case("fraction-in-a-count", {"calls_late": 12.5}),
    Case("negative-count", {"restarts_taken": -1}),
]


@dataclass
class Comparison:
    case: str
    kpi: str
    expected_value: Any
    expected_band: str
    sheet_value: Any
    sheet_band: Any

    @property
    def equal(self) -> bool:
        # an empty text result ("") is read back as None
        return _same_value(self.expected_value, self.sheet_value) and self.expected_band == (self.sheet_band or "")


@dataclass
class ReadBack:
    """The LibreOffice-saved file validated and scored against the original."""

    case: str
    findings_equal: bool
    kpis_equal: bool
    detail: str = ""


@dataclass
class Result:
    comparisons: list[Comparison] = field(default_factory=list)
    read_back: list[ReadBack] = field(default_factory=list)
    skipped_kpis: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.equal for c in self.comparisons) and all(r.findings_equal and r.kpis_equal for r in self.read_back)


def _same_value(expected: Any, got: Any) -> bool:
    if isinstance(expected, Decimal):
        return isinstance(got, (int, float)) and not isinstance(got, bool) and abs(Decimal(repr(got)) - expected) < \
            Decimal("1e-9")
    return expected == ("" if got is None else got)


def template_view(k: KpiResult) -> tuple[Any, str]:
    """What the template's KPI cells should show for carekpi's result: the value (a number, "" while
    inputs are missing, "n/a") and the band ("Green"... "" while inputs are missing, "n/a")."""
    if k.band == "na" and k.value is None:
        if k.reason.startswith("missing input"):
            return "", ""
        return "n/a", "n/a"
    return k.value, BAND_TEXT[k.band]


def soffice() -> str | None:
    return shutil.which("soffice")


def recalculate(files: list[Path], outdir: Path, timeout: int = 600) -> None:
    """Open, recalculate and save ``files`` as .xlsx into ``outdir`` with LibreOffice, in one call."""
    exe = soffice()
    if exe is None:
        raise RuntimeError("LibreOffice (soffice) is not on PATH")
    profile = Path(tempfile.gettempdir()) / f"lo-profile-{os.getpid()}"
    outdir.mkdir(parents=True, exist_ok=True)
    try:
        proc = subprocess.run(
            [exe, f"-env:UserInstallation=file://{profile}", "--headless", "--calc", "--convert-to", "xlsx",
             "--outdir", str(outdir), *map(str, files)],
            capture_output=True, text=True, timeout=timeout,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    missing = [f.name for f in files if not (outdir / f.name).exists()]
    if proc.returncode != 0 or missing:
        raise RuntimeError(f"soffice failed (exit {proc.returncode}; not converted: {missing}): {proc.stderr.strip()}")


def _named(wb: Any, name: str) -> Any:
    title, ref = next(iter(wb.defined_names[name].destinations))
    return wb[title][ref.replace("$", "")].value


def _score(fw: Framework, path: Path) -> tuple[list[tuple[Any, ...]], dict[str, KpiResult]]:
    report = validate_file(path, today=TODAY)
    findings = sorted((f.code, f.severity, f.field, f.sheet, f.cell, f.message) for f in report.findings)
    kpis = {k.kpi: k for k in score_reports(fw, [report]).returns[0].kpis}
    return findings, kpis


def run_check(workdir: Path, cases: list[Case] | None = None, fw: Framework | None = None) -> Result:
    fw = fw or find_framework("surrey")
    cases = CASES if cases is None else cases
    template = template_bytes(fw)
    src, out = workdir / "filled", workdir / "recalculated"
    src.mkdir(parents=True, exist_ok=True)
    files = []
    for case in cases:
        path = src / f"{case.name}.xlsx"
        path.write_bytes(fill_workbook(template, case.values()))
        files.append(path)
    recalculate(files, out)
    comp = compiled(fw)
    live = [k for k in fw.kpis_for(fw.returns[0].id) if kpi_value_formula(fw, comp, k) is not None]
    result = Result(skipped_kpis=[k.id for k in fw.kpis if k not in live])
    for case, path in zip(cases, files, strict=True):
        findings, kpis = _score(fw, path)
        wb = openpyxl.load_workbook(out / path.name, data_only=True)
        for kpi in live:
            value, band = template_view(kpis[kpi.id])
            result.comparisons.append(Comparison(case.name, kpi.id, value, band,
                                                 _named(wb, kpi.value_name), _named(wb, kpi.band_name)))
        saved_findings, saved_kpis = _score(fw, out / path.name)
        same_kpis = {k: (r.value, r.band, r.display, r.reason) for k, r in kpis.items()} == \
            {k: (r.value, r.band, r.display, r.reason) for k, r in saved_kpis.items()}
        detail = "" if saved_findings == findings else f"original {findings} / saved {saved_findings}"
        result.read_back.append(ReadBack(case.name, saved_findings == findings, same_kpis, detail))
    return result


def report(result: Result) -> str:
    lines = []
    for c in result.comparisons:
        mark = "ok  " if c.equal else "DIFF"
        lines.append(f"{mark} {c.case:<40} {c.kpi:<20} carekpi {c.expected_value!s:>6} {c.expected_band:<5}  "
                     f"spreadsheet {c.sheet_value!s:>6} {c.sheet_band!s}")
    for r in result.read_back:
        if not (r.findings_equal and r.kpis_equal):
            lines.append(f"DIFF {r.case}: the LibreOffice-saved file does not read the same "
                         f"(findings {'same' if r.findings_equal else 'differ'}, KPIs "
                         f"{'same' if r.kpis_equal else 'differ'}) {r.detail}")
    equal = sum(c.equal for c in result.comparisons)
    cases = len({c.case for c in result.comparisons})
    lines.append(f"{cases} returns, {len(result.comparisons)} KPI values and bands compared: {equal} equal, "
                 f"{len(result.comparisons) - equal} different; "
                 f"{sum(r.findings_equal and r.kpis_equal for r in result.read_back)}/{len(result.read_back)} "
                 "re-saved returns read the same"
                 + (f"; not in the template (scored by the council): {', '.join(result.skipped_kpis)}"
                    if result.skipped_kpis else ""))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="keep the filled and recalculated workbooks in this folder")
    parser.add_argument("--known-differences", action="store_true",
                        help="show the returns on which the template and carekpi are known to differ instead")
    args = parser.parse_args(argv)
    if soffice() is None:
        print("recalc_check: LibreOffice (soffice) is not on PATH; nothing checked", file=sys.stderr)
        return 2
    cases = KNOWN_DIFFERENCES if args.known_differences else CASES
    if args.keep:
        result = run_check(args.keep, cases)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            result = run_check(Path(tmp), cases)
    sys.stdout.write(report(result))
    return 0 if result.ok or args.known_differences else 1


if __name__ == "__main__":
    sys.exit(main())
