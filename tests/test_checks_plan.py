"""The Checks sheet as planned (no spreadsheet program needed): a live check of every required item
and every rule of every bundled framework, named as documented, part of the fingerprint; what a
formula cannot judge exactly is listed as checked by carekpi validate, with the reason."""

from __future__ import annotations

import re

import pytest

from carekpi.framework.compiled import compiled
from carekpi.framework.cover import cover_items, required_check_name, rule_check_name
from carekpi.framework.discovery import find_framework
from carekpi.framework.expr import NotInSpreadsheet, Tri, parse, to_excel_tri
from carekpi.framework.loader import load_framework_text
from carekpi.framework.model import Framework, Source
from carekpi.workbook.checks import COUNCIL_ONLY, DOUBT
from carekpi.workbook.layout import plan
from mini_framework import mini_framework

FRAMEWORKS = ["surrey", "bcp", "dorset", "cheshire-east-awc", "cheshire-east-dpss"]
RETURNS = [(fid, rt.id) for fid in FRAMEWORKS for rt in find_framework(fid).returns]
#: rules that use figures the council supplies: no return holds them, so nothing checks them on one
COUNCIL_RULES = {
    ("dorset", "quarterly"): {"partner_satisfied_within_respondents", "partner_outcomes_within_respondents",
                              "partner_positive_within_respondents", "partner_in_control_within_respondents",
                              "partner_feel_safe_within_respondents"},
    ("cheshire-east-awc", "quarterly"): {"on_time_within_due", "accurate_within_checked"},
    ("cheshire-east-dpss", "quarterly"): {"on_time_within_due", "accurate_within_checked"},
}


@pytest.mark.parametrize(("fid", "rid"), RETURNS)
def test_every_rule_and_required_item_has_a_named_live_check(fid: str, rid: str) -> None:
    fw = find_framework(fid)
    layout = plan(fw, rid)
    rtype = fw.return_type(rid)
    council = COUNCIL_RULES.get((fid, rid), set())
    for rule in compiled(fw, rid).rules:
        name = rule_check_name(rule.id)
        if rule.id in council:
            assert name not in layout.formulas
            [row] = [r for r in layout.checks.rows if r.group == "council" and r.item == rule.fields[0]]
            assert row.formula is None and row.reason
            continue
        assert name in layout.formulas, name
        assert layout.slots[name].sheet == "Checks"
    required = [i for i in [*cover_items(fw, rtype), *rtype.items()] if i.required and i.source == Source.provider]
    for item in required:
        assert required_check_name(item.id) in layout.formulas, item.id
    # nothing else is left to carekpi validate alone but what no formula can do the same way
    left = [r for r in layout.checks.rows if r.group == "validate"]
    assert all(r.reason and r.formula is None for r in left)
    assert {r.code for r in left} <= {"V401/V402", "V302/V303", "V102-V107"}


@pytest.mark.parametrize(("fid", "rid"), RETURNS)
def test_formulas_fit_in_a_spreadsheet(fid: str, rid: str) -> None:
    layout = plan(find_framework(fid), rid)
    for text in [*layout.formulas.values(), *layout.cell_formulas.values()]:
        assert len(text) < 8192
        assert all(len(m) <= 255 for m in re.findall(r'"((?:[^"]|"")*)"', text))
        assert text.count("(") == text.count(")")


def test_council_rules_say_why_they_are_not_checked() -> None:
    layout = plan(find_framework("dorset"))
    council = [r for r in layout.checks.rows if r.group == "council"]
    assert len(council) == 5
    assert all(r.reason and "is supplied by the council" in r.reason for r in council)
    assert COUNCIL_ONLY.startswith("Not checked in the return")


def test_the_checks_are_part_of_the_fingerprint() -> None:
    base = load_framework_text(mini_framework(), "mini.yaml")
    text = mini_framework().replace(
        "    sections:", "    rules:\n      - id: late_within_total\n        check: calls_late <= calls_total\n"
                         "    sections:")
    with_rule = load_framework_text(text, "mini.yaml")
    reworded = load_framework_text(text.replace("check: calls_late <= calls_total",
                                                "check: calls_late <= calls_total\n        message: Too late"),
                                   "mini.yaml")
    prints = {plan(fw).fingerprint() for fw in (base, with_rule, reworded)}
    assert len(prints) == 3
    layout = plan(with_rule)
    assert layout.formulas["check_late_within_total"].startswith('IF(OR($L$')


def test_surrey_check_formula_reads_each_figure_as_carekpi_does(surrey: Framework) -> None:
    layout = plan(surrey)
    formula = layout.formulas["check_restarts_taken_within_offered"]
    assert formula.startswith("IF(OR(")
    assert f'"{DOUBT}"' in formula
    assert '"Total number of eligible restarts taken on (same provider) ("' in formula
    status = next(r for r in layout.checks.readings.values() if r.item.id == "restarts_taken").status_formula
    # blank, an Excel error, TRUE/FALSE, whole numbers from 0, text that means nothing, text only carekpi reads
    for piece in ('ISBLANK(restarts_taken),"b"', 'ISERROR(restarts_taken),"x"', 'ISLOGICAL(restarts_taken),"x"',
                  "restarts_taken=INT(restarts_taken)", "restarts_taken>=0", 'EXACT(LOWER(restarts_taken),"n/a")'):
        assert piece in status, piece


def _name(n: str) -> Tri:
    kinds = {"a": ("number", None), "b": ("number", None), "yes": ("text", ("Yes", "No")), "t": ("text", None),
             "d": ("other", None)}
    kind, choices = kinds[n]
    return Tri(f'S_{n}="v"', f"V_{n}", kind, choices)


@pytest.mark.parametrize(("source", "why"), [
    ("a / b > 1", "division"),
    ("a * b > 1", "product of two figures"),
    ("a > 0.5", "not a whole number"),
    ('t == "Yes"', "free text"),
    ("t < yes", "ordering text"),
    ("d > a", "dates and decimal figures"),
    ("a and b", "needs bool"),
])
def test_what_a_formula_cannot_judge_exactly_is_refused(source: str, why: str) -> None:
    with pytest.raises(NotInSpreadsheet, match=why.split()[0]):
        to_excel_tri(parse(source), _name)


def test_answers_from_a_list_compare_exactly() -> None:
    t = to_excel_tri(parse('yes == " YES "'), _name)
    assert t.value == 'EXACT(V_yes,"Yes")'
    t = to_excel_tri(parse('yes != "Maybe"'), _name)
    assert t.value == "NOT(FALSE())"
    assert to_excel_tri(parse("present(d)"), _name).known == "TRUE()"
