"""What new users tripped over, as a provider's office administrator, a council's contract-monitoring
officer with a folder of returns, and a council data team writing a framework of its own: each
behaviour they expected, checked the way they would see it."""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.workbook.defined_name import DefinedName
from typer.testing import CliRunner

from carekpi.cli import app
from carekpi.framework.discovery import bundled_dir
from carekpi.framework.lint import lint_text
from carekpi.framework.model import FieldType, Framework, ItemField
from carekpi.framework.schema import MODELINE, schema_text
from carekpi.validation.validate import validate_file
from carekpi.workbook.coerce import coerce
from carekpi.workbook.template import template_bytes
from conftest import SURREY_CLEAN, TODAY
from mini_framework import mini_framework

ROOT = Path(__file__).resolve().parents[1]
DAY = TODAY.isoformat()


class Run:
    def __init__(self, exit_code: int, stdout: str, stderr: str):
        self.exit_code, self.stdout, self.stderr = exit_code, stdout, stderr


def run(*args: str, env: dict[str, str] | None = None) -> Run:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False, env=env)
    out = Run(result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in out.stdout + out.stderr
    assert "No such option" not in out.stderr, out.stderr
    return out


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def surrey_return(workdir: Path, surrey: Framework, make_return: Callable[..., Path]) -> Callable[..., str]:
    """A Surrey return in the working folder, by name (so messages show a short path)."""

    def make(name: str, **changes: Any) -> str:
        path = make_return(surrey, {**SURREY_CLEAN, **changes})
        target = workdir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
        return name

    return make


def findings(path: Path | str, code: str | None = None, **kw: Any) -> list[tuple[str, str, str | None]]:
    rep = validate_file(path, today=TODAY, **kw)
    return [(f.code, f.severity.value, f.message) for f in rep.sorted_findings() if code in (None, f.code)]


# === the provider ===================================================================================================


@pytest.mark.parametrize("typed", ["09/2026", "9/2026", "2026-09", "Sep 2026", "Sept 2026", "September 2026",
                                   "september 2026", " 09/2026\u00a0"])
def test_a_month_typed_as_the_reporting_period_is_read_as_that_month_without_a_warning(
        surrey_return: Callable[..., str], typed: str) -> None:
    rep = validate_file(surrey_return("september.xlsx", reporting_period=typed), today=TODAY)
    assert rep.period == "2026-09"
    assert rep.valid
    assert [f for f in rep.findings if f.field == "reporting_period" and f.code != "V306"] == []


@pytest.mark.parametrize("typed", ["09/26", "Sep 26", "Sep-26"])
def test_a_month_with_a_two_digit_year_is_read_with_a_warning_it_is_a_guess(
        surrey_return: Callable[..., str], typed: str) -> None:
    rep = validate_file(surrey_return("september.xlsx", reporting_period=typed), today=TODAY)
    assert rep.period == "2026-09"
    (warning,) = [f for f in rep.findings if f.code == "V103"]
    assert (warning.field, warning.sheet, warning.cell) == ("reporting_period", "Cover", "C9")
    assert warning.message == (f"Reporting month: '{typed}' read as September 2026, a guess from a two-digit year: "
                               "type the month in full (September 2026) if it is the one meant")


def test_a_month_in_any_other_date_is_its_first_day_with_a_warning() -> None:
    item = ItemField(id="received", label="Date received", type=FieldType.date)
    c = coerce(item, "09/2026")
    assert c.value == date(2026, 9, 1)
    assert [(n.code, n.message) for n in c.notes] == [
        ("V103", "'09/2026' names a month, not a day; read as the date 01/09/2026, the first of the month: "
                 "type the day if another is meant")]


def test_a_period_that_is_not_a_month_says_how_to_type_one(surrey_return: Callable[..., str]) -> None:
    assert findings(surrey_return("bad.xlsx", reporting_period="13/2026"), "V102") == [
        ("V102", "error", "Reporting month: '13/2026' is not a date; type the month, e.g. 09/2026 or September 2026")]


def test_a_period_before_the_framework_came_into_force_is_warned_about(surrey_return: Callable[..., str]) -> None:
    old = surrey_return("2019.xlsx", reporting_period=date(2019, 9, 1))
    assert findings(old, "V307") == [("V307", "warning", (
        "the reporting period September 2019 is before surrey version 2021.10 came into force on 1 October 2021, and "
        "no earlier version was found: the return was validated against version 2021.10, the version in force now; "
        "check the reporting period"))]
    assert findings(surrey_return("2021.xlsx", reporting_period=date(2021, 10, 1)), "V307") == []
    r = run("validate", old, "--today", DAY)
    assert "V307" in r.stdout and r.exit_code == 0


@pytest.fixture
def not_a_return(workdir: Path) -> str:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws["A1"], ws["B1"] = "Our own monthly figures", 12
    wb.save(workdir / "our-figures.xlsx")
    return "our-figures.xlsx"


NOT_A_RETURN = ("this workbook is not a surrey return: none of the 44 items was found by name or label; "
                "is it the right file, made from the surrey template?")


def test_a_workbook_that_is_not_the_template_is_said_once(not_a_return: str) -> None:
    r = run("validate", not_a_return, "-f", "surrey", "--today", DAY)
    assert r.exit_code == 1
    assert r.stdout.splitlines() == [
        "our-figures.xlsx: surrey 2021.10, monthly return, provider not named",
        f"  (workbook)                   error    V008  {NOT_A_RETURN} [--verbose lists the 44]",
        "  (workbook)                   warning  V001  the workbook has no carekpi metadata; validated as framework "
        "surrey version 2021.10 by item names and labels",
        "Result: NOT VALID: correct the errors and validate again before sending. 1 error, 1 warning, 0 info.",
    ]


def test_the_items_not_found_are_listed_with_verbose_and_in_json(not_a_return: str) -> None:
    r = run("validate", not_a_return, "-f", "surrey", "--today", DAY, "--verbose")
    listed = [line.strip() for line in r.stdout.splitlines() if line.strip().startswith("- ")]
    assert len(listed) == 44
    assert listed[0] == "- 'Provider name' (provider_name) on the sheet 'Cover'"
    assert "- 'Number of late calls' (calls_late) on the sheet 'KPI 1-3'" in listed
    doc = json.loads(run("validate", not_a_return, "-f", "surrey", "--today", DAY, "--format", "json").stdout)
    (v008,) = [f for f in doc["findings"] if f["code"] == "V008"]
    assert v008["message"] == NOT_A_RETURN
    assert len(v008["details"]) == 44
    assert {"field": "calls_late", "message": "'Number of late calls' (calls_late) on the sheet 'KPI 1-3'"} in \
        v008["details"]
    assert doc["counts"] == {"error": 1, "warning": 1, "info": 0, "explained": 0}
    assert "V005" not in {f["code"] for f in doc["findings"]}


def test_a_workbook_missing_a_few_items_still_names_each(surrey: Framework, surrey_return: Callable[..., str],
                                                         workdir: Path) -> None:
    name = surrey_return("two-gone.xlsx")
    wb = openpyxl.load_workbook(workdir / name)
    for item in ("calls_late", "calls_missed"):
        title, ref = next(iter(wb.defined_names[item].destinations))
        del wb.defined_names[item]
        wb[title][ref.replace("$", "")].offset(column=-1).value = None  # the label too
        wb[title][ref.replace("$", "")].offset(column=-2).value = None
    wb.save(workdir / name)
    assert {c for c, _, _ in findings(workdir / name)} >= {"V005"}
    assert [m for c, _, m in findings(workdir / name, "V005")] == [
        "'Number of late calls' (calls_late) is not in the workbook: no cell has that name and no cell has that label",
        "'Number of missed calls' (calls_missed) is not in the workbook: no cell has that name and no cell has that "
        "label",
    ]


def test_a_non_breaking_space_is_shown_as_a_space(surrey_return: Callable[..., str]) -> None:
    (message,) = [m for _, _, m in findings(surrey_return("typed.xlsx", calls_total=" 1,100\u00a0"), "V103")]
    assert message == "Total Number of Calls: ' 1,100 ' was typed as text; read as the number 1100"
    assert "\\x" not in message


def test_a_blank_required_count_says_how_to_report_none(surrey_return: Callable[..., str]) -> None:
    assert findings(surrey_return("blank.xlsx", calls_late=None), "V101") == [
        ("V101", "error", "Number of late calls is required (enter 0 if there were none)")]


def test_a_blank_required_text_answer_has_no_figure_hint(surrey_return: Callable[..., str]) -> None:
    assert findings(surrey_return("blank.xlsx", contact_name=None), "V101") == [
        ("V101", "error", "Contact name is required")]


def test_an_unreadable_file_is_reported_once(workdir: Path) -> None:
    (workdir / "notes.xlsx").write_text("provider,calls\n", encoding="utf-8")
    reason = ("this is a plain text file (perhaps CSV), not an Excel workbook; "
              "save it from Excel as Excel Workbook (.xlsx)")
    r = run("validate", "notes.xlsx", "--today", DAY)
    assert (r.exit_code, r.stdout, r.stderr) == (2, f"notes.xlsx: cannot be read: {reason}\n", "")
    # written to a file, the report is not on the terminal: standard error says it, once
    r = run("validate", "notes.xlsx", "--today", DAY, "-o", "report.txt")
    assert r.exit_code == 2
    assert r.stderr == f"carekpi: wrote report.txt\ncarekpi: error: notes.xlsx: {reason}\n"
    assert (workdir / "report.txt").read_text(encoding="utf-8") == f"notes.xlsx: cannot be read: {reason}\n"


# === the officer ====================================================================================================


@pytest.fixture
def returns_folder(surrey_return: Callable[..., str], workdir: Path) -> str:
    surrey_return("march/brightwater.xlsx")
    surrey_return("march/meadowbank.xlsx", provider_name="Meadowbank Care", cqc_location_id="1-000000002",
                  calls_total="1,100")
    surrey_return("march/late/oakridge.xlsx", provider_name="Oakridge Care", cqc_location_id="1-000000003",
                  restarts_taken=11)
    (workdir / "march" / "notes.xlsx").write_text("not a workbook\n", encoding="utf-8")
    return "march"


def test_validate_takes_a_folder_and_ends_with_the_totals(returns_folder: str) -> None:
    r = run("validate", returns_folder, "--today", DAY)
    assert r.exit_code == 2  # an unreadable file
    lines = r.stdout.splitlines()
    assert [line.split(":")[0] for line in lines if line.startswith("march/")] == [
        "march/brightwater.xlsx", "march/late/oakridge.xlsx", "march/meadowbank.xlsx", "march/notes.xlsx"]
    assert lines[-1] == ("Totals: 4 files: 2 valid, 1 not valid, 1 unreadable; "
                         "1 error, 1 warning, 3 info in the files read.")


def test_validate_a_folder_with_only_valid_returns_exits_0(surrey_return: Callable[..., str]) -> None:
    surrey_return("ok/a.xlsx")
    surrey_return("ok/b.xlsx")
    r = run("validate", "ok", "--today", DAY)
    assert r.exit_code == 0
    assert r.stdout.splitlines()[-1] == ("Totals: 2 files: 2 valid, 0 not valid, 0 unreadable; "
                                         "0 errors, 0 warnings, 2 info in the files read.")


def test_validate_an_empty_folder_is_misuse(workdir: Path) -> None:
    (workdir / "empty").mkdir()
    r = run("validate", "empty", "--today", DAY)
    assert r.exit_code == 2
    assert r.stderr.endswith("carekpi: error: no .xlsx or .xlsm returns found in empty\n")


def test_validate_csv_of_a_batch_has_provider_and_period(returns_folder: str) -> None:
    r = run("validate", returns_folder, "--today", DAY, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert list(rows[0]) == ["file", "provider", "cqc_location_id", "period", "code", "severity", "field", "sheet",
                             "cell", "message", "explanation"]
    errors = [(row["file"], row["provider"], row["cqc_location_id"], row["period"], row["code"]) for row in rows
              if row["severity"] == "error"]
    assert errors == [("march/late/oakridge.xlsx", "Oakridge Care", "1-000000003", "2026-03", "V201"),
                      ("march/notes.xlsx", "", "", "", "unreadable")]


def test_score_counts_mean_the_same_in_text_and_json(returns_folder: str) -> None:
    text = run("score", returns_folder, "-f", "surrey", "--today", DAY, "--by-return")
    assert text.exit_code == 1
    assert "3 returns scored, 1 unreadable:" in text.stdout
    doc = json.loads(run("score", returns_folder, "-f", "surrey", "--today", DAY, "--by-return",
                         "--format", "json").stdout)
    summary = doc["summary"]
    assert (summary["files"], summary["returns"], summary["unreadable"]) == (4, 3, 1)
    assert summary["files"] == len(doc["returns"])
    assert summary["returns"] == sum(1 for r in doc["returns"] if "unreadable" not in r)
    rows = list(csv.DictReader(io.StringIO(run("score", returns_folder, "-f", "surrey", "--today", DAY, "--by-return",
                                                "--format", "csv").stdout)))
    assert len({row["file"] for row in rows if row["return_valid"] != "unreadable"}) == summary["returns"]
    assert sum(1 for row in rows if row["return_valid"] == "unreadable") == summary["unreadable"]
    # the market view counts the same unreadable files
    market = json.loads(run("score", returns_folder, "-f", "surrey", "--today", DAY, "--format", "json").stdout)
    assert market["summary"]["returns"]["unreadable"] == summary["unreadable"]


ERRORS = ["Returns with errors (a KPI using a figure in error is not banded; carekpi validate FILE explains each):",
          "  Oakridge Care, 2026-03 (march/late/oakridge.xlsx): V201 restarts_taken (KPI 1-3!C22)"]


def test_score_names_each_return_s_errors_below_the_table(returns_folder: str) -> None:
    lines = run("score", returns_folder, "-f", "surrey", "--today", DAY, "--by-return").stdout.splitlines()
    start = lines.index(ERRORS[0])
    assert lines[start:] == ERRORS
    # the market table says "received, 1 error"; below its summary, which error it is
    lines = run("score", returns_folder, "-f", "surrey", "--today", DAY).stdout.splitlines()
    start = lines.index(ERRORS[0])
    assert lines[start:start + 2] == ERRORS
    assert lines[start + 2] == "Unreadable:"


def test_text_is_fitted_to_a_terminal_and_full_width_piped(monkeypatch: pytest.MonkeyPatch) -> None:
    from carekpi.cli.common import terminal_width
    from carekpi.render.registry import FULL_WIDTH

    monkeypatch.setenv("COLUMNS", "90")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert terminal_width() == 90
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False)
    assert terminal_width() == FULL_WIDTH == 150


def _score_text(monkeypatch: pytest.MonkeyPatch, tty: bool, columns: int) -> str:
    from carekpi.cli.common import rendered
    from carekpi.market.batch import score_paths

    monkeypatch.setenv("COLUMNS", str(columns))
    monkeypatch.setattr(sys.stdout, "isatty", lambda: tty)
    report = score_paths("surrey", [], today=TODAY).scores
    out = rendered("text", "score", report)
    assert isinstance(out, str)
    return re.sub(r"\x1b\[[0-9;]*m", "", out)


@pytest.mark.parametrize("columns", [80, 100, 120])
def test_the_score_table_fits_the_terminal(monkeypatch: pytest.MonkeyPatch, columns: int) -> None:
    out = _score_text(monkeypatch, True, columns)
    table = out[: out.index(" returns scored")]
    assert max(len(line) for line in table.splitlines()) <= columns
    assert "Brightwater Home" in table and "96.2%" in table and "Green" in table
    header = next(line for line in table.splitlines() if "KPI" in line and "Band" in line)
    assert ("Target" in header) == (columns >= 120)
    assert ("Num/Den" in header) == (columns >= 100)


def test_piped_the_score_table_is_the_full_table(monkeypatch: pytest.MonkeyPatch) -> None:
    out = _score_text(monkeypatch, False, 80)
    header = next(line for line in out.splitlines() if "Provider" in line)
    assert [c.strip() for c in header.strip("┃").split("┃")] == [
        "Provider", "Period", "KPI", "Num/Den", "Value", "Target", "Band", "Reason"]
    assert max(len(line) for line in out.splitlines()) == 150


# === the data team ==================================================================================================


@pytest.fixture
def council(workdir: Path) -> Path:
    """A council's own frameworks folder (not ./frameworks) with the framework wessex."""
    folder = workdir / "myframeworks"
    folder.mkdir()
    (folder / "wessex.yaml").write_text(mini_framework().replace("id: mini", "id: wessex"), encoding="utf-8")
    return folder


@pytest.fixture
def wessex_return(council: Path, workdir: Path) -> str:
    from carekpi.framework.loader import load_framework
    from carekpi.workbook.fill import fill_workbook

    fw = load_framework(council / "wessex.yaml")
    values = {"provider_name": "W Care", "cqc_location_id": "1-000000009", "reporting_period": date(2026, 3, 1),
              "contact_name": "A", "contact_email": "a@b.example", "calls_total": 100, "calls_late": 3}
    (workdir / "wessex-march.xlsx").write_bytes(fill_workbook(template_bytes(fw), values))
    return "wessex-march.xlsx"


@pytest.mark.parametrize("args", [
    ["template", "-f", "wessex", "-o", "w.xlsx"],
    ["frameworks"],
    ["frameworks", "show", "wessex"],
    ["lint"],
    ["diff", "wessex", "wessex"],
    ["score", "-f", "wessex", "WESSEX_RETURN"],
    ["report", "-f", "wessex", "WESSEX_RETURN", "-o", "market.xlsx"],
    ["validate", "WESSEX_RETURN"],
], ids=lambda a: " ".join(a[:2]))
def test_frameworks_dir_is_accepted_after_every_command_that_loads_a_framework(
        args: list[str], council: Path, wessex_return: str) -> None:
    args = [wessex_return if a == "WESSEX_RETURN" else a for a in args]
    for where in ("after", "before"):
        full = [*args, "--frameworks-dir", "myframeworks"] if where == "after" else \
            ["--frameworks-dir", "myframeworks", *args]
        r = run(*full, "--today", DAY) if args[0] in ("score", "validate", "report") else run(*full)
        assert r.exit_code == 0, (where, r.stdout, r.stderr)
        assert "wessex" in r.stdout + r.stderr or args[0] in ("lint", "report")
    r = run(*([*args, "--today", DAY] if args[0] in ("score", "validate", "report") else args),
            env={"CAREKPI_FRAMEWORKS_DIR": "myframeworks"})
    assert r.exit_code == 0, r.stderr


def test_sample_accepts_frameworks_dir_after_the_command(council: Path) -> None:
    r = run("sample", "-f", "wessex", "-o", "out", "--frameworks-dir", "myframeworks")
    assert "unknown framework" not in r.stderr


def test_lint_with_no_path_lints_the_folder_named(council: Path) -> None:
    r = run("lint", "--frameworks-dir", "myframeworks")
    assert (r.exit_code, r.stdout) == (0, "1 framework file checked: no problems.\n")


def test_every_command_finds_frameworks_in_the_current_folder(workdir: Path) -> None:
    (workdir / "frameworks").mkdir()
    (workdir / "frameworks" / "wessex.yaml").write_text(mini_framework().replace("id: mini", "id: wessex"),
                                                        encoding="utf-8")
    r = run("frameworks")
    assert r.stdout.splitlines()[1].split()[:3] == ["wessex", "1", "local"]
    assert run("template", "-f", "wessex").exit_code == 0
    assert (workdir / "wessex-monthly-return.xlsx").is_file()
    assert run("frameworks", "show", "wessex").stdout.startswith("wessex: Mini framework\n")
    assert run("lint").stdout == "1 framework file checked: no problems.\n"


def test_an_unknown_framework_names_the_folders_searched_and_the_ids_found(council: Path) -> None:
    r = run("template", "-f", "wesex", "--frameworks-dir", "myframeworks", "--frameworks-dir", "nowhere")
    assert r.exit_code == 2
    assert r.stderr == (
        "carekpi: error: unknown framework 'wesex' (known: bcp, cheshire-east-awc, cheshire-east-dpss, dorset, "
        "surrey, wessex). Folders searched, in order: myframeworks (--frameworks-dir); nowhere (--frameworks-dir, "
        f"no such folder); {bundled_dir()} (bundled with carekpi)\n")


MINI = mini_framework()


def _problems(text: str) -> list[str]:
    return [f"{p.line}: {p.code} {p.message}" for p in lint_text(text, "x.yaml").problems]


def test_an_unknown_key_is_named_with_the_key_meant() -> None:
    text = MINI.replace("            label: Late calls\n", "            label: Late calls\n            defintion: x\n")
    assert _problems(text) == ["23: F002 unknown key 'defintion' in item 'calls_late' - did you mean 'definition'?"]


def test_unquoted_yes_and_no_are_explained() -> None:
    text = MINI.replace("kpis:\n", "kpis:\n  - id: policy\n    label: Policy\n    return: monthly\n    kind: rating\n"
                                   "    value: calls_total\n    bands: {scheme: mapping, map: {Yes: green, No: red}}\n")
    line = text.splitlines().index("    bands: {scheme: mapping, map: {Yes: green, No: red}}") + 1
    assert _problems(text) == [
        f"{line}: F002 the answer Yes in KPI 'policy' is read by YAML as true, not as text: YAML reads unquoted Yes, "
        "No, On, Off, True and False as true or false; write it in quotes, \"Yes\"",
        f"{line}: F002 the answer No in KPI 'policy' is read by YAML as false, not as text: YAML reads unquoted Yes, "
        "No, On, Off, True and False as true or false; write it in quotes, \"No\"",
    ]


def test_a_version_read_as_a_number_is_explained() -> None:
    assert _problems(MINI.replace('version: "1"', "version: 2021.10")) == [
        "6: F002 version: YAML reads 2021.10 as a number (2021.1), not text: write it in quotes, \"2021.10\""]


@pytest.mark.parametrize(("edit", "expected"), [
    (("    label: Monthly return", "    label: Monthly: return"),
     "10: F001 YAML syntax: column 19: a ':' followed by a space inside a value: put the value in quotes, or check "
     "this line's indentation"),
    (("        sheet: Calls", "       sheet: Calls"),
     "16: F001 YAML syntax: column 8: this line's indentation does not match the lines above it: keys at one level "
     "must line up exactly"),
    (("            label: Late calls", "\tlabel: Late calls"),
     "22: F001 YAML syntax: column 1: a tab character: YAML indents with spaces only"),
    (("            label: Late calls", "            label: 'Late calls"),
     "22: F001 YAML syntax: column 20: a quoted value is never closed: its closing quote is missing"),
])
def test_a_yaml_syntax_error_says_where_and_what(edit: tuple[str, str], expected: str) -> None:
    assert _problems(MINI.replace(*edit)) == [expected]


def test_a_date_that_is_no_date_is_a_problem_with_its_line_not_a_crash(workdir: Path) -> None:
    text = MINI.replace("effective_from: 2024-04-01", "effective_from: 2024-13-01")
    assert _problems(text) == [
        "7: F001 YAML syntax: column 17: '2024-13-01' is not a date: write it as YYYY-MM-DD, or in quotes if it is text"]
    (workdir / "x.yaml").write_text(text, encoding="utf-8")
    assert run("lint", "x.yaml").exit_code == 1


def test_a_missing_list_of_returns_is_one_problem() -> None:
    text = MINI[: MINI.index("returns:")] + MINI[MINI.index("kpis:"):]
    assert _problems(text) == ["1: F002 missing key 'returns' at the top level"]


def test_lint_reports_every_stage_in_one_run() -> None:
    text = MINI.replace("          - id: calls_late\n", "          - id: calls_late\n            label: Late\n"
                        "            type: count\n          - id: calls_late\n            label: Late again\n"
                        "            type: count\n          - id: kpi1\n")
    assert _problems(text) == [
        "24: F003 duplicate item id 'calls_late'",
        "27: F004 item id 'kpi1' reads as a cell reference in Excel (column letters then a row number)",
    ]


def test_an_id_the_schema_refuses_is_not_also_an_unknown_item() -> None:
    text = MINI.replace("calls_late", "kpi1")
    assert _problems(text) == [
        "21: F004 item id 'kpi1' reads as a cell reference in Excel (column letters then a row number)"]


def test_a_duplicate_return_type_is_not_followed_by_unknown_items() -> None:
    second = ("  - id: monthly\n    label: Second\n    cadence: monthly\n    deadline: {rule: day_of_following_month, "
              "day: 7}\n    sections:\n      - id: other\n        label: Other\n        sheet: Other\n        fields:\n"
              "          - id: other_total\n            label: Other\n            type: count\nkpis:\n")
    assert _problems(MINI.replace("kpis:\n", second)) == ["24: F003 duplicate return type id 'monthly'"]


def test_an_item_the_schema_refuses_is_not_also_an_unknown_item() -> None:
    text = MINI.replace("            label: Late calls\n            type: count", "            label: Late calls\n"
                                                                                 "            type: cnt")
    assert _problems(text) == [
        "23: F002 type 'cnt' in item 'calls_late' is not one of: count, integer, number, percentage, money, date, "
        "yes_no, yes_no_partial, choice, text - did you mean 'count'?"]


def test_template_check_names_the_old_and_new_name_and_the_exact_command(
        surrey: Framework, workdir: Path) -> None:
    (workdir / "templates").mkdir()
    path = workdir / "templates" / "surrey monthly.xlsx"
    path.write_bytes(template_bytes(surrey))
    wb = openpyxl.load_workbook(path)
    ref = wb.defined_names["calls_late"].attr_text
    del wb.defined_names["calls_late"]
    wb.defined_names["late_calls"] = DefinedName("late_calls", attr_text=ref)  # the old name, in an old template
    wb.save(path)
    r = run("template", "--check", "templates/surrey monthly.xlsx")
    assert r.exit_code == 1
    assert ("defined name renamed from 'late_calls' (in this workbook) to 'calls_late' (in the template generated "
            "now), at 'KPI 1-3'!$C$9") in r.stdout
    assert r.stdout.splitlines()[-1] == ("Regenerate it with: carekpi template --framework surrey -o "
                                         "'templates/surrey monthly.xlsx' (then commit or circulate the new file).")


def test_template_check_command_names_the_return_type_and_frameworks_dir(council: Path, workdir: Path) -> None:
    from carekpi.framework.discovery import find_framework
    from carekpi.workbook.drift import regenerate_command

    fw = find_framework("cheshire-east-awc")
    assert regenerate_command(fw, "cheshire-east-awc", "quarterly", "t/q.xlsx", [Path("myframeworks")]) == (
        "carekpi template --framework cheshire-east-awc --return quarterly --frameworks-dir myframeworks -o t/q.xlsx")


def test_the_wheel_ships_the_schema_where_the_bundled_modeline_points() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    included = config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    installed_frameworks = Path(included["frameworks"])
    target = MODELINE.split("$schema=")[1]
    installed_schema = (Path("/") / installed_frameworks / target).resolve().relative_to("/")
    sources = {Path(dst): src for src, dst in included.items()}
    assert installed_schema in sources, f"{installed_schema} is not in the wheel"
    assert (ROOT / sources[installed_schema]).read_text(encoding="utf-8") == schema_text()
    assert "schema" in config["tool"]["hatch"]["build"]["targets"]["sdist"]["include"]


def test_a_council_repository_gets_its_schema_and_a_framework_to_start_from(workdir: Path) -> None:
    (workdir / "frameworks").mkdir()
    r = run("schema", "-o", "schema/framework.schema.json")
    assert r.exit_code == 0
    assert (workdir / "schema" / "framework.schema.json").read_text(encoding="utf-8") == schema_text()
    r = run("frameworks", "show", "surrey", "--format", "yaml", "-o", "frameworks/surrey.yaml")
    assert r.exit_code == 0
    copied = (workdir / "frameworks" / "surrey.yaml").read_text(encoding="utf-8")
    assert copied == (bundled_dir() / "surrey.yaml").read_text(encoding="utf-8")
    modeline = copied.splitlines()[0]
    assert modeline == MODELINE
    assert (workdir / "frameworks" / modeline.split("$schema=")[1]).resolve().is_file()


def test_diff_warns_of_a_new_version_with_the_old_effective_date(workdir: Path) -> None:
    (workdir / "old.yaml").write_text(mini_framework(version="2021.10", effective_from="2021-10-01"), encoding="utf-8")
    (workdir / "new.yaml").write_text(mini_framework(version="2027.04", effective_from="2021-10-01")
                                      .replace("green: 95", "green: 96"), encoding="utf-8")
    r = run("diff", "old.yaml", "new.yaml")
    assert r.stdout.splitlines()[:3] == [
        "Mini framework",
        "Framework mini, version 2021.10 -> 2027.04, effective 2021-10-01",
        "Warning: the version changed (2021.10 -> 2027.04) but effective_from is still 2021-10-01: returns for every "
        "period since then would be validated against version 2027.04; set effective_from to the date version 2027.04 "
        "applies from (and keep version 2021.10 in the versions/ folder).",
    ]
    doc = json.loads(run("diff", "old.yaml", "new.yaml", "--format", "json").stdout)
    assert len(doc["warnings"]) == 1
    assert "> **Warning:** the version changed" in run("diff", "old.yaml", "new.yaml", "--format", "markdown").stdout
    (workdir / "next.yaml").write_text(mini_framework(version="2027.04", effective_from="2027-04-01"), encoding="utf-8")
    assert "Warning" not in run("diff", "old.yaml", "next.yaml").stdout
