"""A small, safe expression language for numerators, denominators, derived values and rules.

Expressions are written in Python syntax but only a whitelisted subset is
accepted: field names, numbers, strings, ``+ - * /``, comparisons (chained
too), ``and``/``or``/``not``, ``a if cond else b`` and the functions in
:data:`FUNCTIONS`. Anything else (attributes, subscripts, lambdas, calls of
unknown functions) is rejected when the framework loads. Nothing is passed to
``eval``: the syntax tree is compiled once into nested closures.

Semantics: numbers are exact (``fractions.Fraction``); a missing value is
``None`` and makes every arithmetic or comparison that uses it ``None``
("unknown"), so a rule over an unanswered item is not evaluated; division by
zero is also ``None``. ``coalesce(x, 0)`` supplies a default.

The same tree renders as an Excel formula over defined names (``to_excel``),
which is how the template's live KPI cells stay identical to carekpi's own
arithmetic.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

Env = Mapping[str, Any]
Compiled = Callable[[Env], Any]


class ExprError(ValueError):
    """The expression is not in the accepted language."""


def to_number(value: Any) -> Fraction | None:
    """Exact numeric value of an int/float/Decimal/Fraction; ``None`` for anything else."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, Decimal):
        return Fraction(value)
    if isinstance(value, float):
        # The value as typed (shortest repr), not the binary approximation.
        return Fraction(Decimal(repr(value)))
    return None


def _numeric_args(args: list[Any]) -> list[Fraction] | None:
    out = []
    for a in args:
        n = to_number(a)
        if n is None:
            return None
        out.append(n)
    return out


def _f_sum(*args: Any) -> Any:
    nums = _numeric_args(list(args))
    return None if nums is None else sum(nums, Fraction(0))


def _f_min(*args: Any) -> Any:
    nums = _numeric_args(list(args))
    return None if nums is None else min(nums)


def _f_max(*args: Any) -> Any:
    nums = _numeric_args(list(args))
    return None if nums is None else max(nums)


def _f_abs(x: Any) -> Any:
    n = to_number(x)
    return None if n is None else abs(n)


def _f_coalesce(*args: Any) -> Any:
    for a in args:
        if a is not None:
            return to_number(a) if to_number(a) is not None else a
    return None


def _f_present(x: Any) -> Any:
    return x is not None


@dataclass(frozen=True)
class Function:
    """A function expressions may call: what it does, how many arguments it takes and its Excel name."""

    impl: Callable[..., Any]
    min_args: int
    max_args: int | None
    excel: str


FUNCTIONS: dict[str, Function] = {
    "sum": Function(_f_sum, 1, None, "SUM"),
    "min": Function(_f_min, 1, None, "MIN"),
    "max": Function(_f_max, 1, None, "MAX"),
    "abs": Function(_f_abs, 1, 1, "ABS"),
    "coalesce": Function(_f_coalesce, 2, None, ""),
    "present": Function(_f_present, 1, 1, ""),
}

_BINOPS: dict[type[ast.operator], tuple[str, Callable[[Fraction, Fraction], Any]]] = {
    ast.Add: ("+", operator.add),
    ast.Sub: ("-", operator.sub),
    ast.Mult: ("*", operator.mul),
    ast.Div: ("/", lambda a, b: None if b == 0 else a / b),
}

_CMPOPS: dict[type[ast.cmpop], tuple[str, str, Callable[[Any, Any], bool]]] = {
    ast.Lt: ("<", "<", operator.lt),
    ast.LtE: ("<=", "<=", operator.le),
    ast.Gt: (">", ">", operator.gt),
    ast.GtE: (">=", ">=", operator.ge),
    ast.Eq: ("==", "=", operator.eq),
    ast.NotEq: ("!=", "<>", operator.ne),
}


def _comparable(v: Any) -> Any:
    n = to_number(v)
    if n is not None:
        return n
    if isinstance(v, str):
        return v.strip().casefold()
    return v


@dataclass(frozen=True)
class Expression:
    """A parsed, checked and compiled expression.

    It pickles as its source text and is compiled again when unpickled, so a framework can
    be sent to worker processes.
    """

    source: str
    names: frozenset[str]
    functions: frozenset[str]
    _tree: ast.expr = field(repr=False, compare=False)
    _fn: Compiled = field(repr=False, compare=False)

    def __reduce__(self) -> tuple[Callable[[str], Expression], tuple[str]]:
        return parse, (self.source,)

    def evaluate(self, env: Env) -> Any:
        return self._fn(env)

    def in_words(self, labels: Mapping[str, str]) -> str:
        """The expression in words: item ids replaced by their labels."""
        if self.source in labels:
            return labels[self.source]
        return _NAME.sub(lambda m: labels.get(m.group(0), m.group(0)), self.source)

    def to_excel(self, name: Callable[[str], str] | None = None) -> str:
        """Excel formula text (without the leading ``=``); ``name`` maps a field id to a reference."""
        return _excel(self._tree, name or (lambda n: n))

    @property
    def comparison(self) -> tuple[str, str, str] | None:
        """``(left source, operator, right source)`` when the expression is one comparison."""
        t = self._tree
        if isinstance(t, ast.Compare) and len(t.ops) == 1:
            sym = _CMPOPS[type(t.ops[0])][0]
            return ast.unparse(t.left), sym, ast.unparse(t.comparators[0])
        return None

    def side(self, which: str) -> Expression:
        """The left or right operand of a single comparison, as an expression of its own."""
        t = self._tree
        assert isinstance(t, ast.Compare)
        node = t.left if which == "left" else t.comparators[0]
        return _build(ast.unparse(node), node)


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def show_value(v: Any) -> str:
    """A value as a message quotes it: ``blank``, ``12``, ``0.3333``, ``31/03/2026``."""
    if v is None:
        return "blank"
    if isinstance(v, Fraction):
        if v.denominator == 1:
            return str(v.numerator)
        return format(float(v), ".4g")
    if isinstance(v, date):
        return v.strftime("%d/%m/%Y")
    return str(v)


def parse(source: str) -> Expression:
    """Parse and compile ``source``; raise :class:`ExprError` if it is outside the language."""
    if not isinstance(source, str) or not source.strip():
        raise ExprError("expression is empty")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExprError(f"syntax error in expression {source!r}: {exc.msg}") from None
    return _build(source.strip(), tree.body)


def _build(source: str, node: ast.expr) -> Expression:
    names: set[str] = set()
    funcs: set[str] = set()
    fn = _compile(node, names, funcs)
    return Expression(source, frozenset(names), frozenset(funcs), node, fn)


def _const(value: Any) -> Compiled:
    return lambda env: value


def _compile(node: ast.expr, names: set[str], funcs: set[str]) -> Compiled:
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or value is None or isinstance(value, str):
            return _const(value)
        if isinstance(value, (int, float)):
            return _const(to_number(value))
        raise ExprError(f"unsupported constant {value!r}")
    if isinstance(node, ast.Name):
        if node.id in ("True", "False", "None"):
            return _const({"True": True, "False": False, "None": None}[node.id])
        names.add(node.id)
        key = node.id
        return lambda env: env.get(key)
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _BINOPS:
            raise ExprError(f"operator {type(node.op).__name__} is not allowed")
        op = _BINOPS[type(node.op)][1]
        left, right = _compile(node.left, names, funcs), _compile(node.right, names, funcs)

        def binop(env: Env) -> Any:
            a, b = to_number(left(env)), to_number(right(env))
            if a is None or b is None:
                return None
            return op(a, b)

        return binop
    if isinstance(node, ast.UnaryOp):
        operand = _compile(node.operand, names, funcs)
        if isinstance(node.op, ast.USub):
            return lambda env: None if (n := to_number(operand(env))) is None else -n
        if isinstance(node.op, ast.UAdd):
            return lambda env: to_number(operand(env))
        if isinstance(node.op, ast.Not):
            return lambda env: None if (v := operand(env)) is None else not v
        raise ExprError("unary operator not allowed")
    if isinstance(node, ast.BoolOp):
        parts = [_compile(v, names, funcs) for v in node.values]
        is_and = isinstance(node.op, ast.And)

        def boolop(env: Env) -> Any:
            vals = [p(env) for p in parts]
            if is_and:
                if any(v is False for v in vals):
                    return False
                return None if any(v is None for v in vals) else True
            if any(v is True for v in vals):
                return True
            return None if any(v is None for v in vals) else False

        return boolop
    if isinstance(node, ast.Compare):
        first = _compile(node.left, names, funcs)
        rest = [_compile(c, names, funcs) for c in node.comparators]
        ops = []
        for o in node.ops:
            if type(o) not in _CMPOPS:
                raise ExprError(f"comparison {type(o).__name__} is not allowed")
            ops.append(_CMPOPS[type(o)][2])

        def compare(env: Env) -> Any:
            a = first(env)
            if a is None:
                return None
            a = _comparable(a)
            for op, nxt in zip(ops, rest, strict=False):
                b = nxt(env)
                if b is None:
                    return None
                b = _comparable(b)
                try:
                    if not op(a, b):
                        return False
                except TypeError:
                    return None
                a = b
            return True

        return compare
    if isinstance(node, ast.IfExp):
        test = _compile(node.test, names, funcs)
        body = _compile(node.body, names, funcs)
        orelse = _compile(node.orelse, names, funcs)

        def ifexp(env: Env) -> Any:
            t = test(env)
            if t is None:
                return None
            return body(env) if t else orelse(env)

        return ifexp
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            raise ExprError("only plain function calls such as sum(a, b) are allowed")
        fname = node.func.id
        if fname not in FUNCTIONS:
            known = ", ".join(sorted(FUNCTIONS))
            raise ExprError(f"unknown function {fname!r} (known: {known})")
        if node.keywords:
            raise ExprError(f"{fname}() takes no keyword arguments")
        spec = FUNCTIONS[fname]
        n = len(node.args)
        if n < spec.min_args or (spec.max_args is not None and n > spec.max_args):
            raise ExprError(f"{fname}() called with {n} argument(s)")
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise ExprError("argument unpacking is not allowed")
        funcs.add(fname)
        args = [_compile(a, names, funcs) for a in node.args]
        impl = spec.impl
        return lambda env: impl(*(a(env) for a in args))
    raise ExprError(f"{type(node).__name__} is not allowed in an expression")


def _excel(node: ast.expr, name: Callable[[str], str]) -> str:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool):
            return "TRUE" if node.value else "FALSE"
        if isinstance(node.value, str):
            return '"' + node.value.replace('"', '""') + '"'
        return repr(node.value)
    if isinstance(node, ast.Name):
        if node.id in ("True", "False"):
            return node.id.upper()
        return name(node.id)
    if isinstance(node, ast.BinOp):
        sym = _BINOPS[type(node.op)][0]
        return f"({_excel(node.left, name)}{sym}{_excel(node.right, name)})"
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.Not):
            return f"NOT({_excel(node.operand, name)})"
        sym = "-" if isinstance(node.op, ast.USub) else "+"
        return f"({sym}{_excel(node.operand, name)})"
    if isinstance(node, ast.BoolOp):
        fn = "AND" if isinstance(node.op, ast.And) else "OR"
        return f"{fn}({','.join(_excel(v, name) for v in node.values)})"
    if isinstance(node, ast.Compare):
        parts = []
        left = node.left
        for op, right in zip(node.ops, node.comparators, strict=False):
            sym = _CMPOPS[type(op)][1]
            parts.append(f"{_excel(left, name)}{sym}{_excel(right, name)}")
            left = right
        return parts[0] if len(parts) == 1 else f"AND({','.join(parts)})"
    if isinstance(node, ast.IfExp):
        return (
            f"IF({_excel(node.test, name)},{_excel(node.body, name)},"
            f"{_excel(node.orelse, name)})"
        )
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)
        fname = node.func.id
        args = [_excel(a, name) for a in node.args]
        if fname == "coalesce":
            out = args[-1]
            for a in reversed(args[:-1]):
                out = f'IF(ISBLANK({a}),{out},{a})'
            return out
        if fname == "present":
            return f"NOT(ISBLANK({args[0]}))"
        return f"{FUNCTIONS[fname].excel}({','.join(args)})"
    raise ExprError(f"cannot render {type(node).__name__} as Excel")


# --- rendering for a spreadsheet that keeps carekpi's "unknown" -------------------------------


class NotInSpreadsheet(ExprError):
    """The expression cannot be rendered as a spreadsheet formula that gives exactly carekpi's
    result (the message says why); carekpi validate checks it."""


@dataclass(frozen=True)
class Tri:
    """An expression as spreadsheet formulas that keep carekpi's "unknown" (None).

    ``known`` is a formula that is TRUE where carekpi's value is not None (it never gives an
    error); ``value`` is the value, meaningful (and evaluated) only where ``known`` is TRUE.
    ``kind`` is what the value is: ``number`` (whole numbers, exact in a spreadsheet), ``text``
    (a clean answer: ``choices`` lists the answers an item offers, None for free text),
    ``bool``, or ``other`` (values only :func:`present` may look at: dates, decimals).
    ``literal`` is the text of a written text constant.
    """

    known: str
    value: str
    kind: str
    choices: tuple[str, ...] | None = None
    literal: str | None = None


#: true and false as functions, the form every spreadsheet program keeps when it saves a formula
TRUE, FALSE = "TRUE()", "FALSE()"


def excel_string(text: str) -> str:
    """``text`` as a spreadsheet string literal (quotes doubled; literals longer than Excel's 255
    characters joined with ``&``)."""
    chunks = [text[i:i + 250] for i in range(0, len(text), 250)] or [""]
    return "&".join('"' + c.replace('"', '""') + '"' for c in chunks)


def all_of(*conditions: str) -> str:
    """AND of formulas that never give an error (TRUE dropped, FALSE wins)."""
    parts = [c for c in conditions if c != TRUE]
    if FALSE in parts:
        return FALSE
    if not parts:
        return TRUE
    return parts[0] if len(parts) == 1 else f"AND({','.join(parts)})"


def any_of(*conditions: str) -> str:
    """OR of formulas that never give an error (FALSE dropped, TRUE wins)."""
    parts = [c for c in conditions if c != FALSE]
    if TRUE in parts:
        return TRUE
    if not parts:
        return FALSE
    return parts[0] if len(parts) == 1 else f"OR({','.join(parts)})"


def when(condition: str, then: str, otherwise: str = FALSE) -> str:
    """``IF(condition, then, otherwise)``: ``then`` is evaluated only where ``condition`` holds."""
    if condition == TRUE or then == otherwise:
        return then
    if condition == FALSE:
        return otherwise
    if (then, otherwise) == (TRUE, FALSE):
        return condition
    return f"IF({condition},{then},{otherwise})"


def to_excel_tri(expr: Expression, name: Callable[[str], Tri]) -> Tri:
    """``expr`` as spreadsheet formulas giving exactly carekpi's result, "unknown" included.

    ``name`` gives the :class:`Tri` of a value named in the expression (an item's reading, or a
    derived value's own expression). Raises :class:`NotInSpreadsheet` for what a spreadsheet
    cannot compute as carekpi does: division and fractions (carekpi computes exactly, a
    spreadsheet in floating point), products of two figures, ordering or comparing free text (carekpi
    compares case-folded Unicode), dates and decimal figures in arithmetic or comparisons, and
    ``and`` / ``or`` / ``not`` / ``if`` over values that are not true or false.
    """
    return _tri(expr._tree, name)


def _need(t: Tri, kind: str, what: str) -> None:
    if t.kind != kind:
        raise NotInSpreadsheet(f"{what} needs {'whole numbers' if kind == 'number' else kind} here")


def _tri(node: ast.expr, name: Callable[[str], Tri]) -> Tri:
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool):
            return Tri(TRUE, TRUE if v else FALSE, "bool")
        if v is None:
            return Tri(FALSE, '""', "other")
        if isinstance(v, str):
            return Tri(TRUE, excel_string(v), "text", literal=v)
        n = to_number(v)
        if n is None or n.denominator != 1:
            raise NotInSpreadsheet(f"the constant {v!r} is not a whole number")
        return Tri(TRUE, str(n.numerator), "number")
    if isinstance(node, ast.Name):
        if node.id in ("True", "False"):
            return Tri(TRUE, TRUE if node.id == "True" else FALSE, "bool")
        if node.id == "None":
            return Tri(FALSE, '""', "other")
        return name(node.id)
    if isinstance(node, ast.BinOp):
        a, b = _tri(node.left, name), _tri(node.right, name)
        sym = _BINOPS[type(node.op)][0]
        _need(a, "number", f"'{sym}'")
        _need(b, "number", f"'{sym}'")
        if sym == "/":
            raise NotInSpreadsheet("division is exact in carekpi and in floating point in a spreadsheet")
        if sym == "*" and not (isinstance(node.left, ast.Constant) or isinstance(node.right, ast.Constant)):
            raise NotInSpreadsheet("a product of two figures may exceed the whole numbers a spreadsheet keeps exactly")
        return Tri(all_of(a.known, b.known), f"({a.value}{sym}{b.value})", "number")
    if isinstance(node, ast.UnaryOp):
        t = _tri(node.operand, name)
        if isinstance(node.op, ast.Not):
            _need(t, "bool", "'not'")
            return Tri(t.known, f"NOT({t.value})", "bool")
        _need(t, "number", "a sign")
        return Tri(t.known, f"(-{t.value})" if isinstance(node.op, ast.USub) else t.value, "number")
    if isinstance(node, ast.BoolOp):
        parts = [_tri(v, name) for v in node.values]
        for p in parts:
            _need(p, "bool", "'and' / 'or'")
        if isinstance(node.op, ast.And):
            falses = [when(p.known, f"NOT({p.value})") for p in parts]
            return Tri(any_of(*falses, all_of(*(p.known for p in parts))), f"NOT({any_of(*falses)})", "bool")
        trues = [when(p.known, p.value) for p in parts]
        return Tri(any_of(*trues, all_of(*(p.known for p in parts))), any_of(*trues), "bool")
    if isinstance(node, ast.Compare):
        operands = [_tri(node.left, name), *(_tri(c, name) for c in node.comparators)]
        ops = [_CMPOPS[type(o)][0] for o in node.ops]
        tests = [_compare(operands[i], op, operands[i + 1]) for i, op in enumerate(ops)]
        # carekpi: unknown as soon as an operand is; a comparison that fails ends the chain (False),
        # whatever the operands after it
        known = operands[-1].known
        for i in range(len(ops) - 2, -1, -1):
            known = when(operands[i + 1].known, when(tests[i], known, TRUE))
        known = when(operands[0].known, known)
        value = TRUE
        for test in reversed(tests):
            value = when(test, value)
        return Tri(known, value, "bool")
    if isinstance(node, ast.IfExp):
        cond, body, other = _tri(node.test, name), _tri(node.body, name), _tri(node.orelse, name)
        _need(cond, "bool", "'if'")
        if body.kind != other.kind or body.kind in ("other",):
            raise NotInSpreadsheet("both results of 'if ... else' must be of the same kind")
        known = when(cond.known, f"IF({cond.value},{body.known},{other.known})")
        return Tri(known, f"IF({cond.value},{body.value},{other.value})", body.kind,
                   body.choices if body.choices == other.choices else None)
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)
        fname = node.func.id
        args = [_tri(a, name) for a in node.args]
        if fname == "present":
            return Tri(TRUE, args[0].known, "bool")
        if fname == "coalesce":
            kinds = {a.kind for a in args if a.known != FALSE}
            if len(kinds) > 1 or kinds & {"other"}:
                raise NotInSpreadsheet("coalesce() over values of different kinds")
            value = '""'
            for a in reversed(args):
                value = when(a.known, a.value, value)
            return Tri(any_of(*(a.known for a in args)), value, kinds.pop() if kinds else "other")
        for a in args:
            _need(a, "number", f"{fname}()")
        return Tri(all_of(*(a.known for a in args)), f"{FUNCTIONS[fname].excel}({','.join(a.value for a in args)})",
                   "number")
    raise NotInSpreadsheet(f"{type(node).__name__} cannot be rendered")


def _compare(a: Tri, op: str, b: Tri) -> str:
    """The formula of ``a op b`` for two known values, as carekpi compares them."""
    excel_op = {s: e for s, e, _ in _CMPOPS.values()}[op]
    kinds = {a.kind, b.kind}
    if kinds == {"number"} or kinds == {"bool"}:
        return f"{a.value}{excel_op}{b.value}"
    if "other" in kinds:
        raise NotInSpreadsheet("dates and decimal figures are compared by carekpi validate")
    if kinds == {"bool", "number"}:
        raise NotInSpreadsheet("comparing true or false with a number")  # Python: True == 1
    if kinds == {"number", "text"} or kinds == {"bool", "text"}:
        if op in ("==", "!="):
            return FALSE if op == "==" else TRUE  # different kinds are never equal
        raise NotInSpreadsheet("ordering values of different kinds")  # carekpi: unknown
    # two texts: an item's answers (from its list) compared for (in)equality with written text
    if op not in ("==", "!="):
        raise NotInSpreadsheet("ordering text")
    if a.literal is not None and b.literal is not None:
        same_text = a.literal.strip().casefold() == b.literal.strip().casefold()
        return TRUE if same_text == (op == "==") else FALSE
    answers, constant = (a, b) if b.literal is not None else (b, a)
    if constant.literal is None or answers.choices is None:
        raise NotInSpreadsheet("comparing free text (carekpi compares case-folded Unicode)")
    wanted = constant.literal.strip().casefold()
    same = [c for c in answers.choices if c.strip().casefold() == wanted]
    test = any_of(*(f"EXACT({answers.value},{excel_string(c)})" for c in same))
    return test if op == "==" else f"NOT({test})"
