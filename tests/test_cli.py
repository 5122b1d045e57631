"""The command line, as a user sees it: exact output, exit codes, and never a traceback."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import typer.main
import yaml
from typer.testing import CliRunner

from carekpi import __version__
from carekpi.cli import app
from carekpi.cli.common import app_for
from carekpi.framework.discovery import bundled_dir, find_framework
from carekpi.framework.model import Framework
from carekpi.workbook.template import template_bytes
from conftest import SURREY_CLEAN, template_for

TODAY = "2026-11-22"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


class Run:
    def __init__(self, exit_code: int, stdout: str, stderr: str):
        self.exit_code, self.stdout, self.stderr = exit_code, stdout, stderr


def run(*args: str) -> Run:
    """``carekpi ARGS`` as the command runs it (with the app :func:`app_for` gives for them)."""
    result = CliRunner().invoke(app_for(list(args)), list(args), catch_exceptions=False)
    out = Run(result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in out.stdout and "Traceback" not in out.stderr
    assert "internal error" not in out.stderr
    return out


@pytest.fixture
def returns(workdir: Path, surrey: Framework, make_return: Callable[..., Path]) -> Callable[..., str]:
    """Make a return in the working folder and give its name (so output shows a short, stable path)."""

    def make(name: str, **changes: Any) -> str:
        path = make_return(surrey, {**SURREY_CLEAN, **changes})
        (workdir / name).write_bytes(path.read_bytes())
        return name

    return make


# A return with one error (restarts), a warning from a rule (complaints) and a warning from the typing.
FLAWED = {"calls_total": "1,100", "restarts_taken": 11, "complaints_upheld": 2}
DEADLINE = "the return for March 2026 is due by Tuesday 7 April 2026"
V103 = "Total Number of Calls: '1,100' was typed as text; read as the number 1100"
V201_RESTARTS = ("Total number of eligible restarts taken on (same provider) (11) must be at most "
                 "Total number of restarts offered (10)")
V201_COMPLAINTS = ("Complaints upheld and not upheld (3) are more than complaints received plus open complaints (2): "
                   "check the complaint counts")


def test_version() -> None:
    r = run("--version")
    assert (r.exit_code, r.stdout, r.stderr) == (0, f"carekpi {__version__}\n", "")


EVERY_COMMAND = ["template", "validate", "score", "feedback", "report", "frameworks", "lint", "diff", "schema", "sample"]


@pytest.mark.parametrize("args", [
    *([c, "--help"] for c in EVERY_COMMAND),
    ["frameworks", "show", "--help"], ["frameworks"], ["frameworks", "show", "dorset"], ["frameworks", "show", "nope"],
    ["validate"], ["validate", "--format", "nope", "x.xlsx"], ["score", "--no-such-option"], ["template"],
    ["--debug", "validate", "missing.xlsx"], ["--frameworks-dir", "validate", "validate", "missing.xlsx"],
    ["--frameworks-dir=validate", "lint", "--help"], ["--help"], ["--help", "validate"], ["--version", "validate"],
    [], ["valdate", "x.xlsx"], ["--debug"], ["--frameworks-dir"],
])
def test_a_run_that_names_its_command_says_exactly_what_the_whole_app_says(args: list[str], workdir: Path) -> None:
    """The command builds only the command it is given (start-up speed): every help, message and
    exit code is the whole app's."""
    whole = CliRunner().invoke(app, args)
    one = CliRunner().invoke(app_for(args), args)
    assert (one.exit_code, one.stdout, one.stderr) == (whole.exit_code, whole.stdout, whole.stderr)
    assert whole.exit_code in (0, 1, 2)


def test_which_app_runs_which_arguments() -> None:
    def commands(args: list[str]) -> list[str]:
        chosen = app_for(args)
        return ["whole app"] if chosen is app else [
            *(typer.main.get_command_name(c.callback.__name__) for c in chosen.registered_commands if c.callback),
            *(str(g.name) for g in chosen.registered_groups)]

    assert commands(["validate", "r.xlsx"]) == ["validate"]
    assert commands(["--debug", "--frameworks-dir", "score", "score", "-f", "surrey"]) == ["score"]
    assert commands(["--frameworks-dir=x", "frameworks", "show", "surrey"]) == ["frameworks"]
    for whole in ([], ["--help", "validate"], ["--version", "validate"], ["valdate"], ["--frameworks-dir"],
                  ["--no-such-option", "validate"]):
        assert commands(whole) == ["whole app"]
    assert len(app.registered_commands) == len(EVERY_COMMAND) - 1  # the app itself is never changed


# --- validate -------------------------------------------------------------------------------------------------


def test_validate_text(returns: Callable[..., str]) -> None:
    name = returns("flawed.xlsx", **FLAWED)
    r = run("validate", name, "--today", TODAY)
    assert r.exit_code == 1
    assert r.stdout == (
        "flawed.xlsx: surrey 2021.10, monthly return, Test Care Ltd (1-000000001), 2026-03\n"
        f"  Cover!C9                     info     V306  {DEADLINE}  [reporting_period]\n"
        f"  KPI 1-3!C8                   warning  V103  {V103}  [calls_total]\n"
        f"  KPI 1-3!C22                  error    V201  {V201_RESTARTS}  [restarts_taken]\n"
        f"  Management information!C8    warning  V201  {V201_COMPLAINTS}  [complaints_upheld]\n"
        "Result: NOT VALID: correct the errors and validate again before sending. 1 error, 2 warnings, 1 info.\n"
    )
    assert r.stderr == ""


def test_validate_text_clean(returns: Callable[..., str]) -> None:
    name = returns("clean.xlsx")
    r = run("validate", name, "--today", TODAY)
    assert r.exit_code == 0
    assert r.stdout == (
        "clean.xlsx: surrey 2021.10, monthly return, Test Care Ltd (1-000000001), 2026-03\n"
        f"  Cover!C9                     info     V306  {DEADLINE}  [reporting_period]\n"
        "Result: valid: the return can be accepted. 0 errors, 0 warnings, 1 info.\n"
    )


def test_validate_json(returns: Callable[..., str]) -> None:
    name = returns("flawed.xlsx", **FLAWED)
    r = run("validate", name, "--today", TODAY, "--format", "json")
    assert r.exit_code == 1
    assert json.loads(r.stdout) == {
        "file": "flawed.xlsx",
        "framework": "surrey",
        "framework_version": "2021.10",
        "return_type": "monthly",
        "provider": "Test Care Ltd",
        "cqc_location_id": "1-000000001",
        "period": "2026-03",
        "valid": False,
        "findings": [
            {"code": "V306", "severity": "info", "message": DEADLINE, "field": "reporting_period",
             "sheet": "Cover", "cell": "C9"},
            {"code": "V103", "severity": "warning", "message": V103, "field": "calls_total",
             "sheet": "KPI 1-3", "cell": "C8"},
            {"code": "V201", "severity": "error", "message": V201_RESTARTS, "field": "restarts_taken",
             "sheet": "KPI 1-3", "cell": "C22", "rule": "restarts_taken_within_offered"},
            {"code": "V201", "severity": "warning", "message": V201_COMPLAINTS, "field": "complaints_upheld",
             "sheet": "Management information", "cell": "C8", "rule": "complaints_outcomes_within_received"},
        ],
        "counts": {"error": 1, "warning": 2, "info": 1, "explained": 0},
    }
    assert r.stdout.endswith("}\n")


def test_validate_github_annotations(returns: Callable[..., str]) -> None:
    name = returns("flawed.xlsx", **FLAWED)
    r = run("validate", name, "--today", TODAY, "--format", "github")
    assert r.exit_code == 1
    assert r.stdout.splitlines() == [
        f"::notice file=flawed.xlsx,title=V306 Cover!C9::Cover!C9: {DEADLINE}",
        f"::warning file=flawed.xlsx,title=V103 KPI 1-3!C8::KPI 1-3!C8: {V103}",
        f"::error file=flawed.xlsx,title=V201 KPI 1-3!C22::KPI 1-3!C22: {V201_RESTARTS}",
        f"::warning file=flawed.xlsx,title=V201 Management information!C8::Management information!C8: "
        f"{V201_COMPLAINTS}",
    ]


def test_validate_exit_codes(returns: Callable[..., str], workdir: Path) -> None:
    clean = returns("clean.xlsx")
    warned = returns("warned.xlsx", calls_total="1,100")
    broken = returns("broken.xlsx", restarts_taken=11)
    assert run("validate", clean, "--today", TODAY).exit_code == 0
    assert run("validate", clean, "--today", TODAY, "--strict").exit_code == 0
    assert run("validate", warned, "--today", TODAY).exit_code == 0
    assert run("validate", warned, "--today", TODAY, "--strict").exit_code == 1
    assert run("validate", broken, "--today", TODAY).exit_code == 1
    assert run("validate", clean, broken, "--today", TODAY).exit_code == 1


def test_validate_a_text_file_renamed_xlsx_exits_2(workdir: Path) -> None:
    (workdir / "notes.xlsx").write_text("provider,calls\nTest,12\n", encoding="utf-8")
    r = run("validate", "notes.xlsx", "--today", TODAY)
    assert r.exit_code == 2
    reason = ("this is a plain text file (perhaps CSV), not an Excel workbook; "
              "save it from Excel as Excel Workbook (.xlsx)")
    assert r.stdout == f"notes.xlsx: cannot be read: {reason}\n"
    assert r.stderr == ""  # said once, in the report


def test_validate_a_missing_file_exits_2(workdir: Path) -> None:
    r = run("validate", "nowhere.xlsx", "--today", TODAY)
    assert r.exit_code == 2
    assert r.stdout == "nowhere.xlsx: cannot be read: no such file\n"
    assert r.stderr == ""


def test_validate_with_an_unknown_framework_exits_2(returns: Callable[..., str]) -> None:
    name = returns("clean.xlsx")
    r = run("validate", name, "--framework", "nosuch", "--today", TODAY)
    assert r.exit_code == 2
    assert r.stderr.startswith("carekpi: error: unknown framework 'nosuch' (known: ")
    assert "surrey" in r.stderr
    assert r.stdout == ""


# --- score ------------------------------------------------------------------------------------------------------


def test_score_bundled_samples(workdir: Path) -> None:
    r = run("score", "--framework", "surrey", "--today", TODAY, "--by-return")
    assert r.exit_code == 0
    samples = bundled_dir("sample_returns") / "surrey"
    assert r.stderr == (f"carekpi: no returns given: scoring the 9 bundled sample returns for surrey in {samples} "
                        "with council data from commissioner-data.csv, the providers in providers.csv and the "
                        "submissions register register.csv\n")
    lines = r.stdout.splitlines()
    assert lines[0].strip() == "KPI scores: surrey"
    assert lines[-1] == "9 returns scored, 0 unreadable: 13 green, 14 amber, 9 red, 0 n/a."
    for provider in ("Brightwater Home Care Ltd", "Meadowbank Care Services", "Oakridge Community Care"):
        assert sum(provider in line for line in lines) == 3
    assert any("3421/3555" in line and "96.2%" in line and "Green" in line for line in lines)
    assert any("652/871" in line and "74.9%" in line and "Red" in line for line in lines)


@pytest.fixture
def scored_return(returns: Callable[..., str], workdir: Path) -> tuple[str, str]:
    name = returns("march.xlsx", calls_total=9960, calls_late=945, calls_cancelled_recipient=100,
                   restarts_offered=0, restarts_taken=0)
    (workdir / "council.csv").write_text(
        "provider,period,pocs_responded,pocs_no_response\n1-000000001,2026-03,85,15\n", encoding="utf-8")
    return name, "council.csv"


def test_score_json(scored_return: tuple[str, str]) -> None:
    name, council = scored_return
    r = run("score", name, "--framework", "surrey", "--commissioner-data", council, "--format", "json",
            "--today", TODAY, "--by-return")
    assert r.exit_code == 0
    assert r.stderr == ""
    common = {"critical": False, "critical_failure": False, "unit": "percent"}
    assert json.loads(r.stdout) == {
        "framework": "surrey",
        "returns": [{
            "file": "march.xlsx", "framework": "surrey", "framework_version": "2021.10", "return_type": "monthly",
            "provider": "Test Care Ltd", "cqc_location_id": "1-000000001", "period": "2026-03", "valid": True,
            "errors": 0, "warnings": 0,
            "kpis": [
                {"kpi": "successful_calls", "ref": "KPI 1", "label": "% of Successful Calls", "numerator": 8995,
                 "denominator": 10000, "value": 90.0, "display": "90.0%", "target": "90%", "band": "green",
                 "reason": "at or above Green 90%", **common},
                {"kpi": "successful_restarts", "ref": "KPI 2", "label": "% of Successful Restarts",
                 "numerator": 0, "denominator": 0, "value": None, "display": "n/a", "target": None,
                 "band": "na", "reason": "not applicable: Total number of restarts offered is 0", **common},
                {"kpi": "care_certificate", "ref": "KPI 3", "label": "Staff with valid Care Certificate (% of staff)",
                 "numerator": 96, "denominator": 100, "value": 96.0, "display": "96.0%", "target": "95%",
                 "band": "green", "reason": "at or above Green 95%", **common},
                {"kpi": "pocs_responded", "ref": "KPI 4",
                 "label": "% of POCs request responded to - Positive or Negative", "numerator": 85,
                 "denominator": 100, "value": 85.0, "display": "85.0%", "target": "90%", "band": "amber",
                 "reason": "below Green 90%, at or above Amber 75%", **common},
            ],
        }],
        "summary": {"files": 1, "returns": 1, "unreadable": 0, "bands": {"green": 2, "amber": 1, "red": 0, "na": 1}},
    }


def test_score_csv(scored_return: tuple[str, str]) -> None:
    name, council = scored_return
    r = run("score", name, "--framework", "surrey", "--commissioner-data", council, "--format", "csv",
            "--today", TODAY, "--by-return")
    assert r.exit_code == 0
    head = "march.xlsx,Test Care Ltd,1-000000001,2026-03,yes"
    assert r.stdout == (
        "file,provider,cqc_location_id,period,return_valid,kpi,ref,label,numerator,denominator,value,display,"
        "target,band,reason,critical,critical_failure,consequences\n"
        f"{head},successful_calls,KPI 1,% of Successful Calls,8995,10000,90.0,90.0%,90%,green,"
        "at or above Green 90%,no,no,\n"
        f"{head},successful_restarts,KPI 2,% of Successful Restarts,0,0,,n/a,,na,"
        "not applicable: Total number of restarts offered is 0,no,no,\n"
        f"{head},care_certificate,KPI 3,Staff with valid Care Certificate (% of staff),96,100,96.0,96.0%,95%,green,"
        "at or above Green 95%,no,no,\n"
        f"{head},pocs_responded,KPI 4,% of POCs request responded to - Positive or Negative,85,100,85.0,85.0%,90%,"
        "amber,\"below Green 90%, at or above Amber 75%\",no,no,\n"
    )
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [row["band"] for row in rows] == ["green", "na", "green", "amber"]


def test_score_a_missing_file_exits_2(workdir: Path) -> None:
    r = run("score", "nowhere.xlsx", "--framework", "surrey")
    assert (r.exit_code, r.stdout, r.stderr) == (2, "", "carekpi: error: nowhere.xlsx: no such file or folder\n")


def test_score_with_an_unknown_framework_exits_2(workdir: Path) -> None:
    r = run("score", "--framework", "nosuch")
    assert r.exit_code == 2
    assert r.stderr.startswith("carekpi: error: unknown framework 'nosuch'")


# --- frameworks, lint, template ----------------------------------------------------------------------------------


def test_frameworks_lists_surrey() -> None:
    r = run("frameworks")
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["id", "version", "origin", "commissioner"]
    surrey = [line for line in lines if line.startswith("surrey ")]
    assert len(surrey) == 1
    assert surrey[0].split()[:3] == ["surrey", "2021.10", "bundled"]
    assert "Surrey County Council" in surrey[0]


def test_frameworks_show_surrey_has_every_note(surrey: Framework) -> None:
    r = run("frameworks", "show", "surrey")
    assert r.exit_code == 0
    raw = yaml.safe_load((bundled_dir() / "surrey.yaml").read_text(encoding="utf-8"))
    titles: list[str] = []

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            for note in node.get("notes") or []:
                titles.append(note["title"])
            for v in node.values():
                collect(v)
        elif isinstance(node, list):
            for v in node:
                collect(v)

    collect(raw)
    assert len(titles) == len(surrey.all_notes()) >= 9
    for title in titles:
        assert title in r.stdout, title
    assert r.stdout.startswith("surrey: Care within the Home Services Performance Monitoring Framework (Schedule 5)\n")


def test_frameworks_show_json_parses() -> None:
    r = run("frameworks", "show", "surrey", "--format", "json")
    assert r.exit_code == 0
    doc = json.loads(r.stdout)
    assert isinstance(doc, dict)
    assert "surrey" in json.dumps(doc)


@pytest.mark.parametrize(("fw", "placeholder"), [("surrey", False), ("bcp", True), ("dorset", True),
                                                ("cheshire-east-awc", True), ("cheshire-east-dpss", True)])
def test_a_placeholder_effective_date_is_said_where_the_version_is_shown(fw: str, placeholder: bool) -> None:
    said = "(a placeholder date: the source document is undated)"
    version = next(line for line in run("frameworks", "show", fw).stdout.splitlines() if line.startswith("  version:"))
    assert (said in version) is placeholder
    assert json.loads(run("frameworks", "show", fw, "--format", "json").stdout)["effective_from_placeholder"] is placeholder
    framework = find_framework(fw)
    wb = openpyxl.load_workbook(io.BytesIO(template_for(framework)))
    assert (said in wb["Cover"]["B3"].value) is placeholder
    first = [c.value for c in wb["Notes"][4]][:3]
    assert first[:2] == ["framework", "Version and date in force"]
    assert (said in first[2]) is placeholder


def test_frameworks_show_unknown_exits_2() -> None:
    r = run("frameworks", "show", "nosuch")
    assert r.exit_code == 2
    assert r.stderr.startswith("carekpi: error: unknown framework 'nosuch'")


def test_lint_surrey_is_clean() -> None:
    r = run("lint", str(bundled_dir() / "surrey.yaml"))
    assert (r.exit_code, r.stdout) == (0, "1 framework file checked: no problems.\n")


def test_lint_bad_yaml_names_file_line_and_code(workdir: Path) -> None:
    (workdir / "bad.yaml").write_text("id: bad\nname: Bad: framework\n", encoding="utf-8")
    r = run("lint", "bad.yaml")
    assert r.exit_code == 1
    assert r.stdout.splitlines() == [
        "bad.yaml:2: F001 YAML syntax: column 10: a ':' followed by a space inside a value: put the value in quotes, "
        "or check this line's indentation", "1 problem in 1 file."]


def test_lint_unknown_item_names_file_line_and_code(workdir: Path) -> None:
    text = (bundled_dir() / "surrey.yaml").read_text(encoding="utf-8")
    assert text.count("numerator: restarts_taken\n") == 1
    text = text.replace("numerator: restarts_taken\n", "numerator: restarts_takne\n")
    line = text.splitlines().index("    numerator: restarts_takne") + 1
    (workdir / "surrey-typo.yaml").write_text(text, encoding="utf-8")
    r = run("lint", "surrey-typo.yaml")
    assert r.exit_code == 1
    assert r.stdout.splitlines()[0] == (f"surrey-typo.yaml:{line}: F005 expression 'restarts_takne' "
                                        "names unknown item 'restarts_takne'")


def test_template_writes_the_workbook(workdir: Path, surrey: Framework) -> None:
    (workdir / "out").mkdir()
    r = run("template", "-f", "surrey", "-o", "out/surrey.xlsx")
    assert r.exit_code == 0
    assert r.stdout == ("wrote out/surrey.xlsx: Care within the Home Services Performance Monitoring Framework "
                        "(Schedule 5), Monthly performance monitoring return (framework surrey version 2021.10)\n")
    assert (workdir / "out" / "surrey.xlsx").read_bytes() == template_bytes(surrey)


def test_template_into_a_missing_folder_exits_2(workdir: Path) -> None:
    r = run("template", "-f", "surrey", "-o", "nowhere/surrey.xlsx")
    assert (r.exit_code, r.stdout) == (2, "")
    assert r.stderr == "carekpi: error: cannot write nowhere/surrey.xlsx: the folder nowhere does not exist\n"
    assert not (workdir / "nowhere").exists()


def _commands() -> list[list[str]]:
    out: list[list[str]] = []

    def walk(cmd: Any, path: list[str]) -> None:
        out.append(path)
        for name, sub in sorted((getattr(cmd, "commands", None) or {}).items()):
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return out


COMMANDS = _commands()


def test_the_commands_users_are_told_about_exist() -> None:
    for path in (["template"], ["validate"], ["score"], ["lint"], ["sample"], ["frameworks"], ["frameworks", "show"]):
        assert path in COMMANDS


@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(p) or "carekpi" for p in COMMANDS])
def test_every_help_has_an_example(path: list[str]) -> None:
    r = run(*path, "--help")
    assert r.exit_code == 0
    assert "Example" in r.stdout
