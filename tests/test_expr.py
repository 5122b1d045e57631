"""The expression language: exact arithmetic, 'unknown' propagation, the accepted subset, Excel text."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from carekpi.framework.expr import ExprError, parse


def ev(source: str, **env: Any) -> Any:
    return parse(source).evaluate(env)


# --- arithmetic is exact -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "env", "expected"),
    [
        ("1/3 + 1/6", {}, Fraction(1, 2)),
        ("0.1 + 0.2", {}, Fraction(3, 10)),  # 0.30000000000000004 in binary floats
        ("a + b", {"a": 0.1, "b": 0.2}, Fraction(3, 10)),  # floats from cells are read as typed
        ("a * 3", {"a": Decimal("0.1")}, Fraction(3, 10)),
        ("a / b * 100", {"a": 8995, "b": 10000}, Fraction(8995, 100)),
        ("a - b - c", {"a": 10, "b": 3, "c": 2}, Fraction(5)),
        ("-a + +b", {"a": 2, "b": 5}, Fraction(3)),
        ("2 * (a + b)", {"a": 1, "b": 2}, Fraction(6)),
    ],
)
def test_arithmetic_is_exact(source: str, env: dict[str, Any], expected: Fraction) -> None:
    result = ev(source, **env)
    assert result == expected
    assert isinstance(result, Fraction)


def test_result_of_float_inputs_is_not_a_binary_approximation() -> None:
    assert ev("a + b", a=0.1, b=0.2) == Fraction(3, 10)
    assert 0.1 + 0.2 != 0.3  # what exactness protects against


# --- missing values are unknown -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    ["a + 1", "1 - a", "a * 2", "a / 2", "2 / a", "-a", "a < 1", "a == 1", "1 <= a <= 3", "not a",
     "a if a > 0 else 0", "sum(a, 1)", "min(a, 1)", "max(a, 1)", "abs(a)", "a + b"],
)
def test_a_missing_value_makes_the_result_unknown(source: str) -> None:
    assert ev(source, b=1) is None


def test_booleans_and_text_are_not_numbers_in_arithmetic() -> None:
    assert ev("a + 1", a=True) is None
    assert ev("a + 1", a="12") is None


@pytest.mark.parametrize("source", ["1 / 0", "a / b", "a / (b - b)", "(a / b) * 100"])
def test_division_by_zero_is_unknown_not_an_exception(source: str) -> None:
    assert ev(source, a=5, b=0) is None


# --- comparisons and logic ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "expected"),
    [(0, False), (1, False), (2, True), (3, True), (4, False), (Fraction(5, 2), True), (None, None)],
)
def test_chained_comparison(a: Any, expected: bool | None) -> None:
    assert ev("1 < a <= 3", a=a) is expected


def test_chained_comparison_stops_at_the_first_false_like_python() -> None:
    # 5 < 3 is False whatever b is, so an unknown b does not make it unknown
    assert ev("5 < a < b", a=3) is False
    assert ev("1 < a < b", a=3) is None


@pytest.mark.parametrize(
    ("source", "env", "expected"),
    [
        ("a == b", {"a": 2, "b": 2.0}, True),
        ("a != b", {"a": 2, "b": 3}, True),
        ("a >= b", {"a": Decimal("89.95"), "b": Fraction(1799, 20)}, True),
        ("a == 'Yes'", {"a": " yes "}, True),  # answers compare without case or surrounding spaces
        ("a == 'Yes'", {"a": "No"}, False),
        ("a < 'x'", {"a": 1}, None),  # a number and text cannot be ordered: unknown
    ],
)
def test_comparisons(source: str, env: dict[str, Any], expected: bool | None) -> None:
    assert ev(source, **env) is expected


@pytest.mark.parametrize(
    ("a", "b", "and_", "or_"),
    [
        (True, True, True, True),
        (True, False, False, True),
        (False, False, False, False),
        (False, None, False, None),  # False and unknown is False
        (True, None, None, True),  # True or unknown is True
        (None, None, None, None),
    ],
)
def test_and_or_with_unknowns(a: Any, b: Any, and_: bool | None, or_: bool | None) -> None:
    assert ev("a and b", a=a, b=b) is and_
    assert ev("a or b", a=a, b=b) is or_


def test_not() -> None:
    assert ev("not (a > 1)", a=0) is True
    assert ev("not (a > 1)", a=2) is False
    assert ev("not (a > 1)") is None


def test_ternary() -> None:
    assert ev("a if a > 0 else 0", a=5) == 5
    assert ev("a if a > 0 else 0", a=-5) == 0
    assert ev("1 if a > 0 else 2") is None  # an unknown test gives an unknown result
    assert ev("'high' if a >= 90 else 'low'", a=90) == "high"


# --- functions ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "env", "expected"),
    [
        ("sum(a, b, c)", {"a": 1, "b": 2, "c": 3}, Fraction(6)),
        ("sum(a)", {"a": 0.5}, Fraction(1, 2)),
        ("min(a, b)", {"a": 4, "b": 3}, Fraction(3)),
        ("max(a, b, 10)", {"a": 4, "b": 3}, Fraction(10)),
        ("abs(a - b)", {"a": 3, "b": 10}, Fraction(7)),
        ("coalesce(a, 0)", {}, Fraction(0)),
        ("coalesce(a, 0)", {"a": 5}, Fraction(5)),
        ("coalesce(a, b, 7)", {"b": 2}, Fraction(2)),
        ("coalesce(a, 0) + 1", {}, Fraction(1)),
        ("present(a)", {}, False),
        ("present(a)", {"a": 0}, True),
        ("present(a) and a > 1", {}, False),
    ],
)
def test_functions(source: str, env: dict[str, Any], expected: Any) -> None:
    assert ev(source, **env) == expected


def test_coalesce_supplies_a_default_for_a_division_by_zero() -> None:
    assert ev("coalesce(a / b, 0)", a=1, b=0) == 0


def test_names_and_functions_are_recorded() -> None:
    e = parse("sum(calls_late, calls_missed) <= coalesce(calls_total, 0)")
    assert e.names == {"calls_late", "calls_missed", "calls_total"}
    assert e.functions == {"sum", "coalesce"}
    assert parse("True and x").names == {"x"}


def test_comparison_sides() -> None:
    e = parse("a + b <= c")
    assert e.comparison == ("a + b", "<=", "c")
    assert e.side("left").evaluate({"a": 1, "b": 2}) == 3
    assert e.side("right").evaluate({"c": 4}) == 4
    assert parse("a and b").comparison is None
    assert parse("1 < a < 3").comparison is None


# --- what the language rejects -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("a.b", id="attribute"),
        pytest.param("a.__class__", id="dunder-attribute"),
        pytest.param("a[0]", id="subscript"),
        pytest.param("(lambda: 1)()", id="lambda-call"),
        pytest.param("lambda: 1", id="lambda"),
        pytest.param("foo(a)", id="unknown-function"),
        pytest.param("round(a, 1)", id="builtin-not-in-the-language"),
        pytest.param("__import__('os')", id="import"),
        pytest.param("__import__('os').system('true')", id="import-call"),
        pytest.param("sum(a, start=1)", id="keyword-args"),
        pytest.param("sum(*a)", id="starred"),
        pytest.param("max(*a, *b)", id="starred-twice"),
        pytest.param("abs(a, b)", id="too-many-args"),
        pytest.param("coalesce(a)", id="too-few-args"),
        pytest.param("a ** 2", id="power"),
        pytest.param("a // 2", id="floor-division"),
        pytest.param("a % 2", id="modulo"),
        pytest.param("a in b", id="in"),
        pytest.param("a is None", id="is"),
        pytest.param("[a, b]", id="list"),
        pytest.param("{'a': 1}", id="dict"),
        pytest.param("(a := 1)", id="walrus"),
        pytest.param("f'{a}'", id="f-string"),
        pytest.param("a.b()", id="method-call"),
        pytest.param("~a", id="invert"),
        pytest.param("a if b", id="syntax-error"),
        pytest.param("1 +", id="incomplete"),
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
    ],
)
def test_rejected_constructs(source: str) -> None:
    with pytest.raises(ExprError):
        parse(source)


def test_unknown_function_message_lists_the_known_ones() -> None:
    with pytest.raises(ExprError, match=r"unknown function 'median' \(known: abs, coalesce, max, min, present, sum\)"):
        parse("median(a, b)")


def test_expr_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse("a.b")


# --- Excel formulas ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "excel"),
    [
        ("a + b", "(a+b)"),
        ("a / b * 100", "((a/b)*100)"),
        ("a - (b - c)", "(a-(b-c))"),
        ("-a", "(-a)"),
        ("a <= b", "a<=b"),
        ("a != b", "a<>b"),
        ("a == b", "a=b"),
        ("a == 'Yes'", 'a="Yes"'),
        ("a == 'say \"hi\"'", 'a="say ""hi"""'),
        ("1 < a <= 3", "AND(1<a,a<=3)"),
        ("a > 1 and not b", "AND(a>1,NOT(b))"),
        ("a or b or c", "OR(a,b,c)"),
        ("a if c > 0 else b", "IF(c>0,a,b)"),
        ("True", "TRUE"),
        ("0.5 * a", "(0.5*a)"),
        ("sum(a, b, c)", "SUM(a,b,c)"),
        ("min(a, 1)", "MIN(a,1)"),
        ("max(a, 1)", "MAX(a,1)"),
        ("abs(a)", "ABS(a)"),
        ("coalesce(a, 0)", "IF(ISBLANK(a),0,a)"),
        ("coalesce(a, b, 0)", "IF(ISBLANK(a),IF(ISBLANK(b),0,b),a)"),
        ("present(a)", "NOT(ISBLANK(a))"),
        ("calls_late + calls_missed <= calls_total", "(calls_late+calls_missed)<=calls_total"),
    ],
)
def test_to_excel(source: str, excel: str) -> None:
    assert parse(source).to_excel() == excel


def test_to_excel_maps_names() -> None:
    e = parse("a / b")
    assert e.to_excel(lambda n: f"'KPI 1-3'!{n.upper()}") == "('KPI 1-3'!A/'KPI 1-3'!B)"
