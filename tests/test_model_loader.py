"""Loading framework YAML: every problem a framework author can make, with its code, file and line."""

from __future__ import annotations

import pytest

from carekpi.base.enums import Band
from carekpi.base.errors import FrameworkError, FrameworkProblem
from carekpi.framework.bands import RangeBands
from carekpi.framework.compiled import compiled
from carekpi.framework.loader import load_framework_text
from carekpi.framework.model import Framework, excel_name_problem

MINI = """\
id: mini
name: Mini framework
commissioner: Test Council
service: Home care
source_document: test.txt
version: "1"
effective_from: 2024-04-01
service_types:
  - id: hbc
    label: Home-based care
returns:
  - id: monthly
    label: Monthly return
    cadence: monthly
    deadline:
      rule: day_of_following_month
      day: 7
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
            applies_to: [hbc]
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
    bands:
      scheme: thresholds
      direction: higher
      green: 90
      amber: 75
"""

THRESHOLDS = """\
      scheme: thresholds
      direction: higher
      green: 90
      amber: 75
"""


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based line number of the ``nth`` line containing ``needle``."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(hits) >= nth, f"{needle!r} is not in the YAML {nth} time(s)"
    return hits[nth - 1]


def edit(old: str, new: str, text: str = MINI) -> str:
    assert text.count(old) == 1, f"{old!r} must occur exactly once"
    return text.replace(old, new)


def problems(text: str) -> list[FrameworkProblem]:
    with pytest.raises(FrameworkError) as info:
        load_framework_text(text, "x.yaml")
    return info.value.problems


def only(text: str, code: str) -> FrameworkProblem:
    found = problems(text)
    assert [p.code for p in found] == [code], [str(p) for p in found]
    assert found[0].file == "x.yaml"
    return found[0]


# --- the minimal framework ------------------------------------------------------------------------------


def test_minimal_framework_loads() -> None:
    fw = load_framework_text(MINI, "x.yaml")
    assert isinstance(fw, Framework)
    assert fw.path == "x.yaml"
    comp = compiled(fw)
    assert set(comp.items) == {"calls_total", "calls_late"}
    assert [r.id for r in comp.rules] == ["late_within_total"]
    assert comp.kpis["on_time"].numerator is not None
    assert comp.kpis["on_time"].numerator.evaluate({"calls_total": 10, "calls_late": 1}) == 9


def renamed(new: str) -> str:
    """The minimal framework with the item calls_late renamed, everywhere it is named."""
    return MINI.replace("calls_late", new)


def test_problem_text_is_file_line_code_message() -> None:
    text = renamed("kpi1")
    p = only(text, "F004")
    assert str(p).startswith(f"x.yaml:{line_of(text, 'id: kpi1')}: F004 ")


# --- F004: ids that Excel would read as cell references ------------------------------------------------------


@pytest.mark.parametrize("bad", ["kpi1", "abc123", "r1c1", "xfd1", "a1", "r", "c", "r12", "c3", "true"])
def test_field_id_read_as_a_cell_reference_is_f004(bad: str) -> None:
    text = edit(f"id: {bad}\n", f"id: '{bad}'\n", renamed(bad))
    p = only(text, "F004")
    assert p.line == line_of(text, f"id: '{bad}'")
    assert f"'{bad}'" in p.message


@pytest.mark.parametrize("bad", ["Calls", "calls-late", "1calls", "_calls", "calls late"])
def test_field_id_not_snake_case_is_f004(bad: str) -> None:
    text = edit("id: calls_late", f"id: '{bad}'")
    found = problems(text)
    # the item is set aside, the rest still checked: its references are unknown now, and said so
    assert [p.code for p in found] == ["F004", "F005", "F005"], [str(p) for p in found]
    p = found[0]
    assert p.line == line_of(text, f"id: '{bad}'")
    assert "snake_case" in p.message
    assert all("unknown item 'calls_late'" in q.message for q in found[1:])


def test_id_longer_than_excel_allows_is_f004() -> None:
    long_id = "calls_" + "x" * 250
    text = MINI.replace("calls_late", long_id)
    found = problems(text)
    assert {p.code for p in found} == {"F004"}
    assert line_of(text, f"id: {long_id}") in {p.line for p in found}


def test_kpi_id_read_as_a_cell_reference_is_f004() -> None:
    text = edit("id: on_time", "id: kpi1")
    p = only(text, "F004")
    assert p.line == line_of(text, "id: kpi1")


@pytest.mark.parametrize("good", ["xfe1", "kpi_1", "calls_late_2", "abcd1", "rc_1"])
def test_names_beyond_excel_columns_or_with_underscores_are_fine(good: str) -> None:
    assert excel_name_problem(good) is None
    load_framework_text(MINI.replace("calls_late", good), "x.yaml")


def test_excel_name_problem_explains_why() -> None:
    assert "cell reference" in (excel_name_problem("xfd1048576") or "")
    assert excel_name_problem("xfd1048577") is None  # beyond the last row
    assert "R1C1" in (excel_name_problem("r1c1") or "")


# --- F005 / F006: expressions ---------------------------------------------------------------------------------


def test_unknown_name_in_numerator_is_f005_with_the_numerator_line() -> None:
    text = edit("numerator: calls_total - calls_late", "numerator: calls_total - calls_lte")
    p = only(text, "F005")
    assert p.line == line_of(text, "numerator: calls_total - calls_lte") == 39
    assert "calls_lte" in p.message
    assert str(p) == f"x.yaml:39: F005 {p.message}"


def test_unknown_name_in_a_rule_is_f005_with_the_check_line() -> None:
    text = edit("check: calls_late <= calls_total", "check: calls_late <= calls_totl")
    found = problems(text)
    assert [(p.code, p.file, p.line) for p in found] == [("F005", "x.yaml", 32)]
    assert line_of(text, "check: calls_late <= calls_totl") == 32
    assert "'calls_totl'" in found[0].message


def test_unknown_name_in_a_denominator_and_a_rule_are_both_reported() -> None:
    text = edit("denominator: calls_total", "denominator: calls_due")
    text = edit("check: calls_late <= calls_total", "check: late <= calls_total", text)
    found = problems(text)
    assert sorted((p.code, p.line) for p in found) == [
        ("F005", line_of(text, "check: late")), ("F005", line_of(text, "denominator: calls_due")),
    ]


def test_unknown_function_is_f006() -> None:
    text = edit("numerator: calls_total - calls_late", "numerator: median(calls_total)")
    p = only(text, "F006")
    assert p.line == line_of(text, "numerator: median")
    assert "unknown function 'median'" in p.message


@pytest.mark.parametrize("expr", ["calls_total.real", "calls_total[0]", "__import__('os')", "calls_total ** 2"])
def test_expression_outside_the_language_is_f006(expr: str) -> None:
    text = edit("check: calls_late <= calls_total", f'check: "{expr} > 0"')
    p = only(text, "F006")
    assert p.line == line_of(text, "check: ")


# --- F003: duplicate ids -------------------------------------------------------------------------------------


def test_duplicate_item_id_is_f003() -> None:
    text = edit("id: calls_late", "id: calls_total")
    found = problems(text)
    assert ("F003", line_of(text, "id: calls_total", 2)) in [(p.code, p.line) for p in found]


def test_duplicate_rule_id_is_f003() -> None:
    rule = """      - id: late_within_total
        check: calls_late <= calls_total
"""
    text = edit("kpis:\n", rule + "kpis:\n")
    p = only(text, "F003")
    assert p.line == line_of(text, "id: late_within_total", 2)


def test_duplicate_kpi_id_is_f003() -> None:
    text = MINI + MINI[MINI.index("  - id: on_time"):]
    p = only(text, "F003")
    assert p.line == line_of(text, "id: on_time", 2)


def test_item_id_reserved_for_the_cover_sheet_is_f003() -> None:
    text = edit("id: calls_late", "id: provider_name").replace("calls_late", "provider_name")
    p = only(text, "F003")
    assert "reserved" in p.message


# --- F007 / F008: bands -------------------------------------------------------------------------------------------


def test_higher_is_better_with_green_below_amber_is_f007() -> None:
    text = edit(THRESHOLDS, THRESHOLDS.replace("green: 90", "green: 70"))
    p = only(text, "F007")
    assert p.line == line_of(text, "scheme: thresholds")
    assert "'higher is better'" in p.message


def test_lower_is_better_with_green_above_amber_is_f007() -> None:
    text = edit(THRESHOLDS, "      scheme: thresholds\n      direction: lower\n      green: 10\n      amber: 5\n")
    p = only(text, "F007")
    assert "'lower is better'" in p.message


def test_lower_is_better_in_order_loads() -> None:
    load_framework_text(edit(THRESHOLDS, "      scheme: thresholds\n      direction: lower\n      green: 5\n"
                                         "      amber: 10\n"), "x.yaml")


SURREY_KPI3_AS_PRINTED = """\
      scheme: ranges
      ranges:
        - {band: green, min: 95, max: 100}
        - {band: amber, min: 75, max: 89}
        - {band: red, min: 0, max: 74}
"""


def test_surrey_kpi3_bands_as_printed_leave_a_gap_f008() -> None:
    text = edit(THRESHOLDS, SURREY_KPI3_AS_PRINTED)
    found = problems(text)
    assert {p.code for p in found} == {"F008"}
    assert all(p.file == "x.yaml" and p.line is not None for p in found)
    text_all = " ".join(p.message for p in found)
    # 90-94 is in no band (the printed gap), and at one decimal place 89.1-89.9 and 74.1-74.9 are not either
    assert "94" in text_all
    assert "amber 75-89 and green 95-100" in text_all
    lines = {p.line for p in found}
    assert lines <= {line_of(text, "band: green"), line_of(text, "band: amber"), line_of(text, "band: red")}


def test_overlapping_ranges_are_f008() -> None:
    text = edit(THRESHOLDS, """\
      scheme: ranges
      ranges:
        - {band: green, min: 90, max: 100}
        - {band: amber, min: 75, max: 90}
        - {band: red, min: 0, max: 74.9}
""")
    p = only(text, "F008")
    assert "overlap" in p.message


def test_ranges_bounded_at_the_kpi_precision_load_and_band() -> None:
    text = edit(THRESHOLDS, """\
      scheme: ranges
      ranges:
        - {band: green, min: 90.0, max: 100.0}
        - {band: amber, min: 75.0, max: 89.9}
        - {band: red, min: 0.0, max: 74.9}
""")
    fw = load_framework_text(text, "x.yaml")
    bands = fw.kpis[0].bands
    assert isinstance(bands, RangeBands)
    assert [r.band for r in bands.ranges] == [Band.green.value, Band.amber.value, Band.red.value]


# --- F009 .. F012 ---------------------------------------------------------------------------------------------


def test_message_naming_an_unknown_parameter_is_f009() -> None:
    text = edit('message: "{left_label} ({left}) cannot exceed {right_label} ({right})"',
                'message: "{left_label} ({left}) cannot exceed {total} ({right})"')
    p = only(text, "F009")
    assert p.line == line_of(text, "message:")
    assert "{total}" in p.message


def test_message_may_name_items_of_its_rule() -> None:
    load_framework_text(edit('message: "{left_label} ({left}) cannot exceed {right_label} ({right})"',
                             'message: "{calls_late_label} ({calls_late}) over {calls_total}"'), "x.yaml")


def test_ratio_kpi_without_denominator_is_f010() -> None:
    text = edit("    denominator: calls_total\n", "")
    p = only(text, "F010")
    assert p.line == line_of(text, "- id: on_time")
    assert "denominator" in p.message


def test_unknown_service_type_is_f011() -> None:
    text = edit("applies_to: [hbc]", "applies_to: [linc]")
    p = only(text, "F011")
    assert p.line == line_of(text, "applies_to: [linc]")
    assert "'linc'" in p.message


def test_unknown_service_type_on_a_kpi_is_f011() -> None:
    text = edit("    kind: ratio\n", "    kind: ratio\n    applies_to: [hbc, dom]\n")
    p = only(text, "F011")
    assert p.line == line_of(text, "applies_to: [hbc, dom]")


@pytest.mark.parametrize(
    "sheet",
    ["'Calls: 1/2'", "'Calls [new]'", "Cover", "KPI summary", "_carekpi", "Notes",
     "A sheet name that is longer than thirty-one", "\"'Calls'\""],
)
def test_bad_or_reserved_sheet_name_is_f012(sheet: str) -> None:
    text = edit("sheet: Calls", f"sheet: {sheet}")
    p = only(text, "F012")
    assert p.line == line_of(text, "sheet: ")


# --- F001: YAML syntax ------------------------------------------------------------------------------------------


def test_yaml_syntax_error_is_f001_with_the_line() -> None:
    text = edit("name: Mini framework", "name: Mini: framework")
    p = only(text, "F001")
    assert p.line == 2
    assert p.message == ("YAML syntax: column 11: a ':' followed by a space inside a value: put the value in quotes, "
                         "or check this line's indentation")


def test_yaml_bad_indentation_is_f001_with_the_line() -> None:
    text = edit("          - id: calls_late\n", "          - id: calls_late\n         label: oops\n")
    p = only(text, "F001")
    assert p.line == line_of(text, "label: oops")


def test_duplicate_yaml_key_is_f001_with_the_line_of_the_second_key() -> None:
    text = edit('version: "1"\n', 'version: "1"\nname: again\n')
    p = only(text, "F001")
    assert p.line == line_of(text, "name: again")
    assert p.message == "YAML syntax: column 1: the key 'name' is written twice in the same mapping: keep one"


def test_schema_problem_is_f002_with_the_line() -> None:
    text = edit("type: count\n          - id: calls_late", "type: cuont\n          - id: calls_late")
    p = only(text, "F002")
    assert p.line == line_of(text, "type: cuont")


def test_every_problem_is_reported_not_just_the_first() -> None:
    text = edit("applies_to: [hbc]", "applies_to: [linc]")
    text = edit("sheet: Calls", "sheet: Cover", text)
    text = edit("denominator: calls_total", "denominator: calls_al", text)
    assert sorted(p.code for p in problems(text)) == ["F005", "F011", "F012"]
