"""carekpi lint: every code triggered by a minimal bad framework, with its file and YAML line;
GitHub annotations and SARIF for lint and validate."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from carekpi.base.errors import FrameworkProblem
from carekpi.cli import app
from carekpi.framework.lint import FRAMEWORK_CODES, lint_paths, lint_text
from carekpi.framework.model import Framework
from conftest import SURREY_CLEAN

MINI = """\
id: mini
name: Mini framework
commissioner: Test Council
service: Home care
source_document: test.pdf
version: "1"
effective_from: 2024-04-01
service_types:
  - id: hbc
    label: Home-based care
contract_defaults:
  contract_start: 2024-04-01
  trajectory_end: 2026-03-31
returns:
  - id: monthly
    label: Monthly return
    cadence: monthly
    deadline: {rule: day_of_following_month, day: 7}
    sections:
      - id: calls
        label: Calls
        sheet: Calls
        fields:
          - id: calls_total
            label: Total calls
            type: count
          - id: calls_late
            label: Late calls
            type: count
          - id: unused_mi
            label: Management information nobody scores
            type: count
          - id: policy_in_place
            label: Policy in place?
            type: yes_no
          - id: referrals_received
            label: Referrals received
            type: count
            source: commissioner
          - id: referrals_met
            label: Referrals met
            type: count
            source: commissioner
    rules:
      - id: late_within_total
        check: calls_late <= calls_total
        message: "{left_label} ({left}) cannot exceed {right_label} ({right})"
kpis:
  - id: on_time
    label: Calls on time
    return: monthly
    kind: ratio
    numerator: calls_total - calls_late
    denominator: calls_total
    bands: {scheme: thresholds, green: 95, amber: 75}
  - id: referrals
    label: Referrals met (all council data)
    return: monthly
    kind: ratio
    numerator: referrals_met
    denominator: referrals_received
    bands: {scheme: trajectory, minimum: 60, final: 80}
  - id: policy
    label: Policy
    return: monthly
    kind: compliance
    value: policy_in_place
    bands:
      scheme: mapping
      map: {"Yes": green, "No": red}
"""

# The Surrey KPI 3 bands as the schedule prints them: "Green 95+%, Amber 75-89%, Red 0-74%".
SURREY_KPI3_AS_PRINTED = """bands:
      scheme: ranges
      ranges:
        - {band: green, min: 95, max: 100}
        - {band: amber, min: 75, max: 89}
        - {band: red, min: 0, max: 74}"""


def edit(*edits: tuple[str, str], text: str = MINI) -> str:
    for old, new in edits:
        assert text.count(old) == 1, f"edit anchor must occur once: {old!r}"
        text = text.replace(old, new)
    return text


def line_of(text: str, needle: str, *, last: bool = False) -> int:
    """The line ``needle`` is on (its first occurrence, or its last)."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert hits, f"{needle!r} not in the text"
    return hits[-1] if last else hits[0]


def lint(tmp_path: Path, text: str, name: str = "mini.yaml") -> list[FrameworkProblem]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    problems = lint_paths([path]).problems
    return problems


def only(problems: list[FrameworkProblem], code: str) -> list[FrameworkProblem]:
    assert problems, "expected a problem"
    assert {p.code for p in problems} == {code}, [str(p) for p in problems]
    return problems


def test_the_minimal_framework_is_clean(tmp_path: Path) -> None:
    # an item no KPI or rule uses, and a KPI whose every input the council supplies, are fine
    assert lint(tmp_path, MINI) == []


# --- each code: (edits, code, the text on the reported line) -----------------------------------------

CASES: dict[str, tuple[list[tuple[str, str]], str, str]] = {
    "syntax": ([("    label: Monthly return\n", "    label: [Monthly return\n")], "F001", ""),
    "schema": ([("            type: count\n          - id: calls_late",
                  "            typ: count\n          - id: calls_late")], "F002", "typ: count"),
    "duplicate id": ([("- id: unused_mi\n", "- id: calls_total\n")], "F003", "- id: calls_total"),
    "excel name": ([("- id: unused_mi\n", "- id: kpi1\n")], "F004", "- id: kpi1"),
    "service type name": ([("  - id: hbc\n", "  - id: Home-care\n")], "F004", "- id: Home-care"),
    "unknown item": ([("numerator: calls_total - calls_late", "numerator: calls_total - calls_lat")],
                     "F005", "numerator: calls_total - calls_lat"),
    "kpi names an item no return collects": ([("value: policy_in_place", "value: policy_agreed")],
                                             "F005", "value: policy_agreed"),
    "bad expression": ([("check: calls_late <= calls_total", "check: calls_late <= (calls_total")],
                       "F006", "check: calls_late <="),
    "thresholds out of order": ([("green: 95, amber: 75}", "green: 75, amber: 95}")], "F007", "green: 75, amber: 95"),
    "threshold direction": ([("green: 95, amber: 75}", "direction: lower, green: 95, amber: 75}")],
                            "F007", "direction: lower"),
    "ranges overlap": ([("bands: {scheme: thresholds, green: 95, amber: 75}",
                         "bands: {scheme: ranges, ranges: [{band: green, min: 90, max: 100},\n"
                         "                                   {band: red, min: 0, max: 90}]}")],
                       "F008", "{band: green, min: 90"),
    "message names a parameter the rule lacks": ([("({right})\"", "({limit})\"")], "F009", "message:"),
    "incomplete kpi": ([("    denominator: calls_total\n", "")], "F010", "- id: on_time"),
    "unknown service type": ([("        sheet: Calls\n", "        sheet: Calls\n        applies_to: [linc]\n")],
                             "F011", "applies_to: [linc]"),
    "sheet name": ([("sheet: Calls", "sheet: Calls/Visits")], "F012", "sheet: Calls/Visits"),
    "deadline": ([("{rule: day_of_following_month, day: 7}", "{rule: fixed, day: 30}")], "F013", "deadline:"),
    "trajectory order": ([("minimum: 60, final: 80", "minimum: 80, final: 60")], "F014", "minimum: 80"),
    "mapping answer": ([('{"Yes": green, "No": red}', '{"Yes": green, "Maybe": amber, "No": red}')],
                       "F015", '"Maybe": amber'),
    "unknown return type": ([("    return: monthly\n    kind: compliance", "    return: annual\n    kind: compliance")],
                            "F016", "return: annual"),
    "contract dates out of order": ([("trajectory_end: 2026-03-31", "trajectory_end: 2023-03-31")],
                                    "F018", "trajectory_end: 2023-03-31"),
    "contract date not a date": ([("contract_start: 2024-04-01", "contract_start: April 2024")],
                                 "F018", "contract_start: April 2024"),
    "unknown contract setting": ([("  trajectory_end:", "  trajectory_ends:")], "F018", "trajectory_ends:"),
    "item named like a kpi cell": ([("- id: unused_mi\n", "- id: kpi_on_time_value\n")],
                                   "F020", "- id: kpi_on_time_value"),
    "item named like a cover answer": ([("- id: unused_mi\n", "- id: delivers_hbc\n")],
                                       "F020", "- id: delivers_hbc"),
    "item named like a check cell": ([("- id: unused_mi\n", "- id: check_late_within_total\n")],
                                     "F020", "- id: check_late_within_total"),
    "item named like the explanations table": ([("- id: unused_mi\n", "- id: explanations\n")],
                                               "F020", "- id: explanations"),
    "rule named like a required item's check": ([("- id: late_within_total\n", "- id: required_calls_total\n")],
                                                "F020", "- id: required_calls_total"),
    "rule id not a name": ([("- id: late_within_total\n", "- id: Late-within-total\n")],
                           "F004", "- id: Late-within-total"),
    # Green raised from 95 to 97 while the text people read still says 95
    "bands as printed give other numbers": ([("green: 95, amber: 75}",
                                              'green: 97, amber: 75, as_printed: "Green 95+%, Amber 75-94%"}')],
                                            "F021", "as_printed:"),
    # the deadline moved from the 10th to the 7th while its text still says the 10th
    "deadline text names another day": ([("{rule: day_of_following_month, day: 7}",
                                           '{rule: day_of_following_month, day: 7, text: "by the 10th of the '
                                           'following month"}')], "F022", "deadline:"),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_each_code_with_file_and_line(tmp_path: Path, case: str) -> None:
    edits, code, needle = CASES[case]
    text = edit(*edits)
    problems = only(lint(tmp_path, text), code)
    for p in problems:
        assert p.file == str(tmp_path / "mini.yaml")
        assert p.line is not None
    if needle:
        assert line_of(text, needle, last=True) in {p.line for p in problems}, [str(p) for p in problems]


def test_syntax_error_line(tmp_path: Path) -> None:
    text = edit(("    label: Monthly return\n", "    label: [Monthly return\n"))
    (p,) = lint(tmp_path, text)
    assert p.code == "F001" and p.line is not None and p.line >= line_of(text, "[Monthly return")


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"\xff\xfe\x00id: x")
    problems = lint_paths([path]).problems
    assert [(p.file, p.code) for p in problems] == [(str(path), "F017")]


def test_surrey_kpi3_as_printed_leaves_90_to_94_in_no_band(tmp_path: Path) -> None:
    whole = edit(("bands: {scheme: thresholds, green: 95, amber: 75}", "precision: 0\n    " + SURREY_KPI3_AS_PRINTED))
    (p,) = only(lint(tmp_path, whole), "F008")
    assert "values 90 to 94 are in no band" in p.message
    assert p.line == line_of(whole, "{band: green, min: 95")
    # at one decimal place 74.1-74.9 falls between Red and Amber as well
    tenths = edit(("bands: {scheme: thresholds, green: 95, amber: 75}", SURREY_KPI3_AS_PRINTED))
    messages = sorted(p.message for p in only(lint(tmp_path, tenths), "F008"))
    assert "values 74.1 to 74.9 are in no band" in messages[0]
    assert "values 89.1 to 94.9 are in no band" in messages[1]


def test_ranges_adjacent_at_the_kpi_precision_are_fine(tmp_path: Path) -> None:
    tenths = edit(("bands: {scheme: thresholds, green: 95, amber: 75}",
                   SURREY_KPI3_AS_PRINTED.replace("max: 89", "max: 94.9").replace("max: 74", "max: 74.9")))
    assert lint(tmp_path, tenths) == []
    whole = edit(("bands: {scheme: thresholds, green: 95, amber: 75}",
                  "precision: 0\n    " + SURREY_KPI3_AS_PRINTED.replace("max: 89", "max: 94")))
    assert lint(tmp_path, whole) == []


def _versions(tmp_path: Path, second: str) -> list[FrameworkProblem]:
    folder = tmp_path / "frameworks"
    (folder / "versions").mkdir(parents=True)
    (folder / "mini.yaml").write_text(MINI.replace('version: "1"', 'version: "2"')
                                      .replace("effective_from: 2024-04-01", "effective_from: 2025-04-01"))
    (folder / "versions" / "mini-1.yaml").write_text(second)
    problems = lint_paths([folder]).problems
    return problems


def test_bands_as_printed_must_give_the_band_numbers(tmp_path: Path) -> None:
    def problems(bands: str) -> list[FrameworkProblem]:
        return lint(tmp_path, edit(("bands: {scheme: thresholds, green: 95, amber: 75}", f"bands: {bands}")))

    assert problems('{scheme: thresholds, green: 95, amber: 75, as_printed: "Green 95+%, Amber 75-94%, Red 0-74%"}') == []
    assert problems('{scheme: thresholds, green: 95, amber: 75, as_printed: "Full compliance"}') == []  # words only
    (p,) = problems('{scheme: thresholds, green: 97, amber: 75, as_printed: "Green 95+%, Amber 75-94%"}')
    assert p.message == ("KPI 'on_time': the bands as printed ('Green 95+%, Amber 75-94%') do not give the Green "
                         "threshold, 97: correct the text or the number")
    (p,) = problems('{scheme: thresholds, green: 95, amber: 70, as_printed: "Green 95+%, Amber 75-94%"}')
    assert "the Amber threshold, 70" in p.message
    assert problems('{scheme: met, target: 87.5, as_printed: "Target: 87.5%"}') == []
    assert "the target, 1000" in problems('{scheme: met, target: 1000, as_printed: "Target: 1,200"}')[0].message
    assert problems('{scheme: met, target: 1200, as_printed: "Target: 1,200"}') == []
    (p,) = problems('{scheme: trajectory, minimum: 85, final: 95, as_printed: "80% minimum increasing to 95%"}')
    assert "the minimum, 85" in p.message


@pytest.mark.parametrize(("deadline", "named"), [
    ('{rule: day_of_following_month, day: 7, text: "by the 10th of the following month"}', "day 10"),
    ('{rule: fixed, day: 30, month: 4, text: "by 30 June"}', "June"),
    ('{rule: fixed, day: 30, month: 4, text: "by 31st April"}', "day 31"),
    ('{rule: days_after_period_end, days: 10, working_days: true, text: "within 7 working days"}', "7 days"),
])
def test_deadline_text_must_name_the_rules_day(tmp_path: Path, deadline: str, named: str) -> None:
    text = edit(("{rule: day_of_following_month, day: 7}", deadline))
    (p,) = only(lint(tmp_path, text), "F022")
    assert f"names {named}, but the rule is" in p.message


@pytest.mark.parametrize("deadline", [
    '{rule: day_of_following_month, day: 7, text: "by the 7th day of the following month (January by 7 February)"}',
    '{rule: fixed, day: 30, month: 4, text: "no later than 30 April (3.1.3); results by 30th April (2.4)"}',
    '{rule: days_after_period_end, days: 10, working_days: true, text: "a four (4) weekly return (3.1.1)"}',
])
def test_deadline_text_agreeing_with_the_rule_is_clean(tmp_path: Path, deadline: str) -> None:
    assert lint(tmp_path, edit(("{rule: day_of_following_month, day: 7}", deadline))) == []


TABLE = """    record_tables:
      - id: late_calls_log
        label: Late calls
        sheet: Late calls log
        one_row_per: {item}
        columns:
          - {{id: call_ref, label: Call reference, type: text, reference: true}}
"""


@pytest.mark.parametrize(("item", "code", "words"), [
    ("calls_late", None, ""),
    ("calls_lat", "F005", "one_row_per names unknown item 'calls_lat'"),
    ("policy_in_place", "F002", "one_row_per item 'policy_in_place' must be a count (it is yes_no)"),
])
def test_one_row_per_names_a_count(tmp_path: Path, item: str, code: str | None, words: str) -> None:
    text = edit(("    rules:\n", TABLE.format(item=item) + "    rules:\n"))
    problems = lint(tmp_path, text)
    if code is None:
        assert problems == []
    else:
        (p,) = only(problems, code)
        assert words in p.message and p.line == line_of(text, "one_row_per:")


@pytest.mark.parametrize(("field", "code", "words"), [
    ("required_when: calls_late > 0", None, ""),
    ("required_when: calls_lat > 0", "F005", "names unknown item 'calls_lat'"),
    ("required_when: calls_late >", "F006", "syntax error"),
    ("required: false\n            required_when: calls_late > 0", "F002", "optional, so required_when has no effect"),
])
def test_required_when_is_an_expression_over_known_items(tmp_path: Path, field: str, code: str | None,
                                                         words: str) -> None:
    text = edit(("            label: Management information nobody scores\n            type: count\n",
                 f"            label: Management information nobody scores\n            type: count\n"
                 f"            {field}\n"))
    problems = lint(tmp_path, text)
    if code is None:
        assert problems == []
    else:
        (p,) = only(problems, code)
        assert words in p.message and p.line == line_of(text, "required_when:")


def test_versions_of_one_framework_are_linted_together(tmp_path: Path) -> None:
    assert _versions(tmp_path, MINI) == []
    same_version = edit(("effective_from: 2024-04-01", "effective_from: 2023-04-01"), ('version: "1"', 'version: "2"'))
    (p,) = only(_versions(tmp_path / "a", same_version), "F019")
    assert p.file.endswith("mini-1.yaml") and p.line == line_of(same_version, "version:")
    same_date = edit(("effective_from: 2024-04-01", "effective_from: 2025-04-01"))
    (p,) = only(_versions(tmp_path / "b", same_date), "F019")
    assert p.line == line_of(same_date, "effective_from:")


def test_every_code_is_tested() -> None:
    tested = {code for _, code, _ in CASES.values()} | {"F017", "F019"}
    assert tested == set(FRAMEWORK_CODES)


def test_lint_text_reports_problems_in_line_order() -> None:
    text = edit(("numerator: calls_total - calls_late", "numerator: calls_total - calls_lat"),
                ("trajectory_end: 2026-03-31", "trajectory_end: 2023-03-31"))
    linted = lint_text(text, "mini.yaml")
    assert [p.code for p in linted.problems] == ["F018", "F005"]


def test_bundled_frameworks_are_clean() -> None:
    result = lint_paths([Path(__file__).resolve().parents[1] / "frameworks"])
    files, problems = result.files, result.problems
    assert len(files) >= 5
    assert problems == []


# --- output formats ------------------------------------------------------------------------------------


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def bad_framework(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    monkeypatch.chdir(tmp_path)
    text = edit(("numerator: calls_total - calls_late", "numerator: calls_total - calls_lat"),
                ("green: 95, amber: 75}", "green: 75, amber: 95}"))
    Path("mini.yaml").write_text(text, encoding="utf-8")
    return "mini.yaml", text


def test_lint_github_annotations_point_at_the_yaml_line(bad_framework: tuple[str, str]) -> None:
    name, text = bad_framework
    r = run("lint", "--format", "github", name)
    assert r.exit_code == 1
    lines = r.stdout.splitlines()
    assert lines == [
        f"::error file=mini.yaml,line={line_of(text, 'numerator: calls_total - calls_lat')},title=F005::"
        "expression 'calls_total - calls_lat' names unknown item 'calls_lat'",
        f"::error file=mini.yaml,line={line_of(text, 'green: 75')},title=F007::"
        "KPI 'on_time': green 75 and amber 95 are out of order for 'higher is better'",
    ]


def test_lint_clean_exits_0_in_every_format(tmp_path: Path) -> None:
    path = tmp_path / "mini.yaml"
    path.write_text(MINI, encoding="utf-8")
    for fmt in ("text", "json", "github", "sarif"):
        r = run("lint", "--format", fmt, str(path))
        assert r.exit_code == 0, r.stdout
    assert run("lint", "--format", "github", str(path)).stdout == ""


# A subset of the SARIF 2.1.0 schema (OASIS sarif-schema-2.1.0.json): the parts carekpi writes, with
# the same required properties, types and enumerations.
SARIF_SUBSET: dict[str, Any] = {
    "type": "object",
    "required": ["version", "runs"],
    "additionalProperties": False,
    "properties": {
        "$schema": {"type": "string"},
        "version": {"enum": ["2.1.0"]},
        "runs": {"type": "array", "items": {"$ref": "#/$defs/run"}},
    },
    "$defs": {
        "message": {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}},
        "run": {
            "type": "object", "required": ["tool"],
            "properties": {
                "tool": {"type": "object", "required": ["driver"], "properties": {"driver": {
                    "type": "object", "required": ["name"],
                    "properties": {"name": {"type": "string"}, "version": {"type": "string"},
                                   "informationUri": {"type": "string"},
                                   "rules": {"type": "array", "items": {
                                       "type": "object", "required": ["id"],
                                       "properties": {"id": {"type": "string"},
                                                      "shortDescription": {"$ref": "#/$defs/message"}}}}}}}},
                "columnKind": {"enum": ["utf16CodeUnits", "unicodeCodePoints"]},
                "results": {"type": "array", "items": {"$ref": "#/$defs/result"}},
            },
        },
        "result": {
            "type": "object", "required": ["message"],
            "properties": {
                "ruleId": {"type": "string"},
                "ruleIndex": {"type": "integer", "minimum": -1},
                "level": {"enum": ["none", "note", "warning", "error"]},
                "message": {"$ref": "#/$defs/message"},
                "locations": {"type": "array", "items": {"$ref": "#/$defs/location"}},
                "properties": {"type": "object"},
            },
        },
        "location": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "physicalLocation": {
                    "type": "object", "additionalProperties": False,
                    "anyOf": [{"required": ["artifactLocation"]}, {"required": ["address"]}],
                    "properties": {
                        "artifactLocation": {"type": "object", "additionalProperties": False,
                                             "properties": {"uri": {"type": "string"}}},
                        "region": {"type": "object", "additionalProperties": False,
                                   "properties": {"startLine": {"type": "integer", "minimum": 1}}},
                    },
                },
                "logicalLocations": {"type": "array", "items": {
                    "type": "object", "additionalProperties": False,
                    "properties": {"name": {"type": "string"}, "fullyQualifiedName": {"type": "string"}}}},
            },
        },
    },
}


def check_sarif(text: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(text)
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator(SARIF_SUBSET).validate(doc)
    (run_,) = doc["runs"]
    rules = run_["tool"]["driver"]["rules"]
    assert len({r["id"] for r in rules}) == len(rules)
    for result in run_["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    return doc


def test_lint_sarif(bad_framework: tuple[str, str]) -> None:
    name, text = bad_framework
    r = run("lint", "--format", "sarif", name)
    assert r.exit_code == 1
    doc = check_sarif(r.stdout)
    results = doc["runs"][0]["results"]
    assert [(x["ruleId"], x["level"]) for x in results] == [("F005", "error"), ("F007", "error")]
    loc = results[0]["locations"][0]["physicalLocation"]
    line = line_of(text, "numerator: calls_total - calls_lat")
    assert loc == {"artifactLocation": {"uri": "mini.yaml"}, "region": {"startLine": line}}
    assert doc["runs"][0]["tool"]["driver"]["rules"][0]["shortDescription"]["text"] == FRAMEWORK_CODES["F005"]


@pytest.fixture
def flawed_return(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, surrey: Framework,
                  make_return: Callable[..., Path]) -> str:
    monkeypatch.chdir(tmp_path)
    path = make_return(surrey, {**SURREY_CLEAN, "restarts_taken": 11}, drop=("contact_name",))
    Path("flawed return.xlsx").write_bytes(path.read_bytes())
    return "flawed return.xlsx"


def test_validate_github_annotations_name_sheet_and_cell(flawed_return: str) -> None:
    r = run("validate", "--format", "github", "--today", "2026-11-22", flawed_return)
    assert r.exit_code == 1
    errors = [line for line in r.stdout.splitlines() if line.startswith("::error ")]
    assert errors, r.stdout
    for line in r.stdout.splitlines():
        assert line.startswith(("::error file=flawed return.xlsx,title=V", "::warning file=flawed return.xlsx,title=V",
                                "::notice file=flawed return.xlsx,title=V"))
    missing = next(line for line in errors if "V101" in line)
    assert missing.startswith("::error file=flawed return.xlsx,title=V101 Cover!C")
    assert "::Cover!C" in missing and "Contact name is required" in missing


def test_validate_sarif(flawed_return: str) -> None:
    r = run("validate", "--format", "sarif", "--today", "2026-11-22", flawed_return)
    assert r.exit_code == 1
    doc = check_sarif(r.stdout)
    results = doc["runs"][0]["results"]
    v101 = next(x for x in results if x["ruleId"] == "V101")
    assert v101["level"] == "error"
    assert v101["locations"][0]["physicalLocation"] == {"artifactLocation": {"uri": "flawed%20return.xlsx"}}
    (logical,) = v101["locations"][0]["logicalLocations"]
    assert logical["fullyQualifiedName"].startswith("Cover!C")
    assert v101["properties"]["field"] == "contact_name"
    assert {x["level"] for x in results} <= {"error", "warning", "note"}


def test_validate_unreadable_file_in_sarif_and_github(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("junk.xlsx").write_bytes(b"not a workbook")
    r = run("validate", "--format", "sarif", "junk.xlsx")
    assert r.exit_code == 2
    doc = check_sarif(r.stdout)
    assert [x["ruleId"] for x in doc["runs"][0]["results"]] == ["unreadable"]
    r = run("validate", "--format", "github", "junk.xlsx")
    assert r.stdout.startswith("::error file=junk.xlsx,title=unreadable::")
