"""Load framework YAML into the model, check every reference, compile every expression.

All problems are collected (not just the first) and raised together as one
:class:`~carekpi.base.errors.FrameworkError`, each with the YAML file and line;
``carekpi lint`` reuses this loader and prints them.

Every stage reports in the same run: when the schema refuses part of a file, that part is set
aside (:func:`carekpi.framework.explain.set_aside`) and the rest is still checked for
duplicate ids, references, bands and deadlines; a problem that only repeats the setting aside
("unknown item" for an item set aside) is not reported. Schema and YAML problems are said
in words (:mod:`carekpi.framework.explain`).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from carekpi.base.enums import Severity
from carekpi.base.errors import FrameworkError, FrameworkProblem
from carekpi.framework import expr as ex
from carekpi.framework.bands import LintContext
from carekpi.framework.compiled import CompiledReturn, CompiledRule
from carekpi.framework.cover import COVER_NAMES, RESERVED_SHEETS
from carekpi.framework.explain import schema_problems, set_aside, yaml_message
from carekpi.framework.kinds import KpiExprs
from carekpi.framework.model import (
    Framework,
    ItemField,
    Kpi,
    ReturnType,
    Source,
    excel_name_problem,
)
from carekpi.framework.yamlsrc import LineMap, load_yaml

#: names the template itself defines on every workbook; items may not take them
RESERVED_NAMES = COVER_NAMES
_BAD_SHEET_CHARS = set("[]:*?/\\")

#: the problems loading finds (a framework with any of them does not load); band schemes and
#: ``carekpi lint`` declare theirs beside their checks (see ``carekpi.framework.lint.FRAMEWORK_CODES``)
LOADER_CODES: dict[str, str] = {
    "F001": "YAML syntax error",
    "F002": "does not match the framework schema",
    "F003": "duplicate id",
    "F004": "id is not a valid Excel defined name",
    "F005": "expression names an unknown item",
    "F006": "expression is not in the expression language",
    "F009": "message template names a parameter the rule lacks",
    "F010": "KPI is incompletely defined for its kind",
    "F011": "unknown service type",
    "F012": "invalid or reserved sheet name",
    "F013": "deadline rule is missing a parameter",
    "F016": "KPI names an unknown return type",
    "F017": "file cannot be read",
}


# --- loading ------------------------------------------------------------------------------


class _Problems:
    def __init__(self, file: str, lines: LineMap | None, set_aside: set[str] | None = None):
        self.file = file
        self.lines = lines
        self.items: list[FrameworkProblem] = []
        #: ids of elements the schema refused: a problem about a reference to one is not reported
        self.set_aside = set_aside or set()

    def add(self, code: str, path: tuple[Any, ...] | list[Any], message: str, *, refers_to: str | None = None) -> None:
        """Record a problem; ``refers_to``: the id a reference problem is about."""
        if refers_to is not None and refers_to in self.set_aside:
            return  # the element it names has its own problem already
        line = self.lines.line(tuple(path)) if self.lines else None
        self.items.append(FrameworkProblem(self.file, line, code, message))


@dataclass
class CheckedText:
    """Everything checking a framework's text found: the problems of every stage, and the
    framework (None when the file is not a mapping or cannot stand in; when there are schema
    problems, the framework without the parts set aside, for checks made after loading)."""

    problems: list[FrameworkProblem]
    framework: Framework | None
    lines: LineMap | None


def check_framework_text(text: str, file: str = "<string>") -> CheckedText:
    """Check a framework's text through every stage, collecting every problem."""
    try:
        data, lines = load_yaml(text)
    except yaml.YAMLError as exc:
        line, message = yaml_message(exc)
        return CheckedText([FrameworkProblem(file, line, "F001", message)], None, None)
    probs = _Problems(file, lines)
    if not isinstance(data, dict):
        probs.add("F002", (), "a framework file must be a YAML mapping of keys to values (id: ..., name: ...)")
        return CheckedText(probs.items, None, lines)
    try:
        fw = Framework.model_validate(data)
    except ValidationError as exc:
        for sp in schema_problems(data, exc.errors(), text, lines.line):
            probs.add(sp.code, sp.path, sp.message)
        accepted = _without_refused(data, exc.errors(), probs)
        if accepted is None:
            return CheckedText(probs.items, None, lines)
        fw = accepted
    fw._path = file
    fw._compiled = _check_and_compile(fw, probs)
    return CheckedText(probs.items, fw, lines)


def _without_refused(data: dict[str, Any], errors: list[Any], probs: _Problems) -> Framework | None:
    """The framework without what the schema refused (a few rounds: taking out one element can
    expose nothing new, but a placeholder might), or None."""
    aside = set_aside(data, errors)
    for _ in range(5):
        if aside is None:
            return None
        try:
            fw = Framework.model_validate(aside.data)
        except ValidationError as exc:
            aside = set_aside(aside.data, exc.errors(), aside)
            continue
        probs.set_aside = aside.ids
        return fw
    return None


def load_framework_text(text: str, file: str = "<string>") -> Framework:
    checked = check_framework_text(text, file)
    if checked.problems or checked.framework is None:
        raise FrameworkError(checked.problems)
    return checked.framework


def load_framework(path: str | Path) -> Framework:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FrameworkError([FrameworkProblem(str(p), None, "F017", f"cannot read: {exc}")]) from None
    return load_framework_text(text, str(p))


# --- semantic checks ----------------------------------------------------------------------


def _parse(probs: _Problems, path: tuple[Any, ...], source: str, known: set[str]) -> ex.Expression | None:
    try:
        e = ex.parse(source)
    except ex.ExprError as exc:
        probs.add("F006", path, str(exc))
        return None
    unknown = sorted(e.names - known)
    for name in unknown:
        probs.add("F005", path, f"expression {source!r} names unknown item {name!r}", refers_to=name)
    return None if unknown else e


def _sheet_problem(name: str) -> str | None:
    if not name or len(name) > 31:
        return "must be 1-31 characters"
    if set(name) & _BAD_SHEET_CHARS:
        return "must not contain any of [ ] : * ? / \\"
    if name.startswith("'") or name.endswith("'"):
        return "must not start or end with an apostrophe"
    if name.casefold() in RESERVED_SHEETS:
        return "is a sheet carekpi's template creates itself"
    return None


def _check_and_compile(fw: Framework, probs: _Problems) -> dict[str, CompiledReturn]:
    service_ids = {s.id for s in fw.service_types}
    out: dict[str, CompiledReturn] = {}

    def check_applies(path: tuple[Any, ...], applies: list[str] | None) -> None:
        for sid in applies or []:
            if sid not in service_ids:
                probs.add("F011", path, f"applies_to names unknown service type {sid!r}", refers_to=sid)

    seen_returns: set[str] = set()
    for ri, rt in enumerate(fw.returns):
        rpath: tuple[Any, ...] = ("returns", ri)
        duplicate = rt.id in seen_returns
        if duplicate:
            probs.add("F003", (*rpath, "id"), f"duplicate return type id {rt.id!r}")
        seen_returns.add(rt.id)
        _check_deadline(probs, (*rpath, "deadline"), rt)
        items: dict[str, ItemField] = {}
        sheets: set[str] = set()
        for si, sec in enumerate(rt.sections):
            spath = (*rpath, "sections", si)
            problem = _sheet_problem(sec.sheet)
            if problem:
                probs.add("F012", (*spath, "sheet"), f"sheet name {sec.sheet!r} {problem}")
            sheets.add(sec.sheet.casefold())
            check_applies((*spath, "applies_to"), sec.applies_to)
            for fi, f in enumerate(sec.fields):
                fpath = (*spath, "fields", fi)
                if f.id in items:
                    probs.add("F003", (*fpath, "id"), f"duplicate item id {f.id!r}")
                if f.id in RESERVED_NAMES:
                    probs.add("F003", (*fpath, "id"), f"item id {f.id!r} is reserved for the cover sheet")
                items[f.id] = f
                check_applies((*fpath, "applies_to"), f.applies_to)
                if f.type.value == "choice" and not f.choices:
                    probs.add("F002", (*fpath, "choices"), f"choice item {f.id!r} needs choices")
            for bi, b in enumerate(sec.breakdowns):
                bpath = (*spath, "breakdowns", bi)
                check_applies((*bpath, "applies_to"), b.applies_to)
                for c in b.categories:
                    cid = b.item_id(c)
                    problem = excel_name_problem(cid)
                    if problem:
                        probs.add("F004", bpath, f"breakdown item id {cid!r} {problem}")
                    if cid in items:
                        probs.add("F003", bpath, f"duplicate item id {cid!r}")
                for item in b.items():
                    items[item.id] = item
        for ti, table in enumerate(rt.record_tables):
            tpath = (*rpath, "record_tables", ti)
            problem = _sheet_problem(table.sheet)
            if problem:
                probs.add("F012", (*tpath, "sheet"), f"sheet name {table.sheet!r} {problem}")
            elif table.sheet.casefold() in sheets:
                probs.add("F012", (*tpath, "sheet"), f"sheet {table.sheet!r} is already used by a section")
            if table.id in items:
                probs.add("F003", (*tpath, "id"), f"duplicate id {table.id!r}")
            if table.one_row_per is not None:
                _check_count_item(probs, (*tpath, "one_row_per"), f"record table {table.id!r}: one_row_per",
                                  table.one_row_per, items)
            if table.computes is not None:
                _check_case_log(probs, (*tpath, "computes"), table, items)
        # breakdown totals must name items supplied by whoever supplies the categories
        for si, sec in enumerate(rt.sections):
            for bi, b in enumerate(sec.breakdowns):
                if b.total and b.total not in items:
                    probs.add("F005", (*rpath, "sections", si, "breakdowns", bi, "total"),
                              f"breakdown total names unknown item {b.total!r}", refers_to=b.total)
                elif b.total and items[b.total].source != b.source:
                    probs.add("F002", (*rpath, "sections", si, "breakdowns", bi, "source"),
                              f"breakdown {b.id!r} is supplied by the {b.source.value} but its total {b.total!r} "
                              f"by the {items[b.total].source.value}")

        derived: dict[str, ex.Expression] = {}
        known = set(items)
        for di, d in enumerate(rt.derived):
            dpath = (*rpath, "derived", di)
            if d.id in items or d.id in derived:
                probs.add("F003", (*dpath, "id"), f"duplicate id {d.id!r}")
            e = _parse(probs, (*dpath, "expr"), d.expr, known)
            if e is not None:
                derived[d.id] = e
            known.add(d.id)  # later derived values may use earlier ones

        required_when: dict[str, ex.Expression] = {}
        for si, sec in enumerate(rt.sections):
            for fi, f in enumerate(sec.fields):
                if f.required_when is None:
                    continue
                if not f.required:
                    probs.add("F002", (*rpath, "sections", si, "fields", fi, "required_when"),
                              f"item {f.id!r} is optional, so required_when has no effect: make it required")
                e = _parse(probs, (*rpath, "sections", si, "fields", fi, "required_when"), f.required_when, known)
                if e is not None:
                    required_when[f.id] = e

        rules: list[CompiledRule] = []
        rule_ids: set[str] = set()
        for ui, rule in enumerate(rt.rules):
            upath = (*rpath, "rules", ui)
            if rule.id in rule_ids:
                probs.add("F003", (*upath, "id"), f"duplicate rule id {rule.id!r}")
            rule_ids.add(rule.id)
            check_applies((*upath, "applies_to"), rule.applies_to)
            check = _parse(probs, (*upath, "check"), rule.check, known)
            when = _parse(probs, (*upath, "when"), rule.when, known) if rule.when else None
            if check is None or (rule.when and when is None):
                continue
            if rule.message:
                _check_message(probs, (*upath, "message"), rule.message, check)
            rules.append(CompiledRule(
                id=rule.id, check=check, when=when, severity=rule.severity,
                message=rule.message, applies_to=rule.applies_to,
                fields=_rule_fields(check, items, derived),
            ))
        # breakdowns reconcile with their headline item: one generated rule each (council data is
        # not in the provider's return: scoring checks it when it reads --commissioner-data)
        for sec in rt.sections:
            for b in sec.breakdowns:
                if not b.total or b.total not in items or b.source == Source.commissioner:
                    continue
                parts = ", ".join(b.item_id(c) for c in b.categories)
                op = "==" if b.reconcile == "equal" else "<="
                check = ex.parse(f"sum({parts}) {op} {b.total}")
                rules.append(CompiledRule(
                    id=f"{b.id}_reconciles", check=check, when=None, severity=Severity.error,
                    message=None, applies_to=b.applies_to,
                    # the headline first (the cell a finding points at), then every category:
                    # a KPI built on any of them is not banded while they disagree
                    fields=[b.total, *(b.item_id(c) for c in b.categories)],
                    generated=True,
                ))
        if not duplicate:  # KPIs are checked against the first return of that id, as they are scored
            out[rt.id] = CompiledReturn(rt, items, derived, rules, {}, required_when)

    kpi_ids: set[str] = set()
    for ki, kpi in enumerate(fw.kpis):
        kpath: tuple[Any, ...] = ("kpis", ki)
        if kpi.id in kpi_ids:
            probs.add("F003", (*kpath, "id"), f"duplicate KPI id {kpi.id!r}")
        kpi_ids.add(kpi.id)
        check_applies((*kpath, "applies_to"), kpi.applies_to)
        if kpi.return_type not in out:
            probs.add("F016", (*kpath, "return"), f"KPI {kpi.id!r} names unknown return type {kpi.return_type!r}",
                      refers_to=kpi.return_type)
            continue
        comp = out[kpi.return_type]
        comp.kpis[kpi.id] = _compile_kpi(probs, kpath, kpi, comp)
        _check_bands(probs, (*kpath, "bands"), kpi, comp, fw.kpi_precision(kpi))
    return out


def _rule_fields(check: ex.Expression, items: dict[str, ItemField], derived: dict[str, ex.Expression]) -> list[str]:
    """Items a rule is about, in the order they are written (for the cell a finding points at);
    a derived value stands for the items its own expression names, in the order written there."""
    out: list[str] = []

    def walk(source: str, seen: frozenset[str]) -> None:
        for name in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", source):
            if name in items:
                if name not in out:
                    out.append(name)
            elif name in derived and name not in seen:
                walk(derived[name].source, seen | {name})

    walk(check.source, frozenset())
    return out


def _check_case_log(probs: _Problems, path: tuple[Any, ...], table: Any, items: dict[str, ItemField]) -> None:
    """A case log's ``computes`` names two date columns of its table and numeric items."""
    spec = table.computes
    columns = {c.id: c for c in table.columns}
    for key in ("start", "end"):
        cid = getattr(spec, key)
        col = columns.get(cid)
        if col is None:
            probs.add("F005", (*path, key), f"record table {table.id!r}: {key} names unknown column {cid!r}",
                      refers_to=cid)
        elif col.type.value != "date":
            probs.add("F002", (*path, key), f"record table {table.id!r}: {key} column {cid!r} must be a date column")
    for key in ("declared", "total", "average"):
        iid = getattr(spec, key)
        if iid is None:
            continue
        item = items.get(iid)
        if item is None:
            probs.add("F005", (*path, key), f"record table {table.id!r}: {key} names unknown item {iid!r}",
                      refers_to=iid)
        elif item.type.value not in ("count", "integer", "number"):
            probs.add("F002", (*path, key), f"record table {table.id!r}: {key} item {iid!r} must be a number "
                                            f"(it is {item.type.value})")


def _check_count_item(probs: _Problems, path: tuple[Any, ...], what: str, iid: str,
                      items: dict[str, ItemField]) -> None:
    """``iid`` names an item holding a whole number of cases."""
    item = items.get(iid)
    if item is None:
        probs.add("F005", path, f"{what} names unknown item {iid!r}")
    elif item.type.value not in ("count", "integer"):
        probs.add("F002", path, f"{what} item {iid!r} must be a count (it is {item.type.value})")


def _check_message(probs: _Problems, path: tuple[Any, ...], message: str, check: ex.Expression) -> None:
    allowed = set(check.names) | {f"{n}_label" for n in check.names}
    if check.comparison:
        allowed |= {"left", "right", "left_label", "right_label", "op"}
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(message) if f is not None]
    except ValueError as exc:
        probs.add("F009", path, f"message template is malformed: {exc}")
        return
    for f in fields:
        if f not in allowed:
            probs.add("F009", path, f"message names {{{f}}}, which the rule does not have "
                                    f"(it has: {', '.join(sorted(allowed))})")


def _check_deadline(probs: _Problems, path: tuple[Any, ...], rt: ReturnType) -> None:
    d = rt.deadline
    need = {"day_of_following_month": ["day"], "fixed": ["day", "month"], "days_after_period_end": ["days"]}[d.rule]
    for name in need:
        if getattr(d, name) is None:
            probs.add("F013", path, f"deadline rule {d.rule!r} needs {name!r}")
    if rt.cadence.value == "four_weekly" and rt.anchor is None:
        probs.add("F013", (*path[:-1], "anchor"), "a four_weekly return needs an anchor date (first day of period 1)")


def _compile_kpi(probs: _Problems, path: tuple[Any, ...], kpi: Kpi, comp: CompiledReturn) -> KpiExprs:
    known = comp.names()

    def parse(key: str, source: str) -> ex.Expression | None:
        return _parse(probs, (*path, key), source, known)

    def add(code: str, subpath: tuple[Any, ...], message: str) -> None:
        probs.add(code, (*path, *subpath), message)

    return kpi.kind_def.compile(kpi, parse, add, comp.items)


def _check_bands(probs: _Problems, path: tuple[Any, ...], kpi: Kpi, comp: CompiledReturn, precision: int) -> None:
    item = comp.items.get(kpi.value or "")
    ctx = LintContext(kpi.id, kpi.kind.value, precision, item.allowed_choices() if item else None)
    for problem in kpi.bands.check(ctx):
        probs.add(problem.code, (*path, *problem.path), problem.message)
