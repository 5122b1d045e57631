"""Validate one return: every problem with its code, sheet and cell, and whether to accept it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any

from carekpi.base.errors import UsageError
from carekpi.framework.expr import Expression, to_number
from carekpi.framework.loader import CompiledReturn, CompiledRule, compiled, find_framework
from carekpi.framework.model import Framework, ItemField, ReturnType, Source
from carekpi.framework.periods import Period, deadline_for, period_for
from carekpi.validation.findings import Finding, ValidationReport
from carekpi.workbook.coerce import Coerced, Note, coerce
from carekpi.workbook.cover import cover_items, service_item_id
from carekpi.workbook.reader import LabelIndex, RawCell, WorkbookContent, cached_values, open_workbook, read_table

CQC_LOCATION_ID = re.compile(r"^1-\d{6,12}$")
_OP_WORDS = {"<=": "at most", "<": "less than", ">=": "at least", ">": "more than", "==": "equal to", "!=": "different from"}


@dataclass
class ReturnData:
    """A return as read and typed: what scoring works from."""

    framework: Framework
    rtype: ReturnType
    file: str
    values: dict[str, Any] = field(default_factory=dict)
    cells: dict[str, RawCell] = field(default_factory=dict)
    services: frozenset[str] | None = None
    period: Period | None = None
    provider_name: str | None = None
    cqc_location_id: str | None = None
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: declared items as computed from case logs (carekpi.validation.caselogs.ComputedFigure by item id)
    computed: dict[str, Any] = field(default_factory=dict)

    def applies(self, applies_to: list[str] | None) -> bool:
        if not applies_to or self.services is None:
            return True
        return bool(self.services & set(applies_to))

    @property
    def provider_key(self) -> str:
        return self.cqc_location_id or self.provider_name or Path(self.file).stem


def evaluation_env(comp: CompiledReturn, values: dict[str, Any]) -> dict[str, Any]:
    """Items plus derived values, ready for expressions."""
    env = dict(values)
    for name, e in comp.derived.items():
        env[name] = e.evaluate(env)
    return env


def fmt_value(v: Any) -> str:
    if v is None:
        return "blank"
    if isinstance(v, Fraction):
        if v.denominator == 1:
            return str(v.numerator)
        return format(float(v), ".4g")
    if isinstance(v, date):
        return v.strftime("%d/%m/%Y")
    return str(v)


def describe(e: Expression, labels: dict[str, str]) -> str:
    """An expression in words: item ids replaced by their labels."""
    if e.source in labels:
        return labels[e.source]
    return re.sub(r"[A-Za-z_][A-Za-z0-9_]*", lambda m: labels.get(m.group(0), m.group(0)), e.source)


def rule_message(rule: CompiledRule, env: dict[str, Any], labels: dict[str, str]) -> str:
    params: dict[str, str] = {}
    for n in rule.check.names:
        params[n] = fmt_value(env.get(n))
        params[f"{n}_label"] = labels.get(n, n)
    if rule.check.comparison:
        left, right = rule.check.side("left"), rule.check.side("right")
        params.update(
            left=fmt_value(left.evaluate(env)), right=fmt_value(right.evaluate(env)),
            left_label=describe(left, labels), right_label=describe(right, labels),
            op=rule.check.comparison[1],
        )
    if rule.message:
        return rule.message.format(**params)
    if rule.check.comparison:
        words = _OP_WORDS[params["op"]]
        return f"{params['left_label']} ({params['left']}) must be {words} {params['right_label']} ({params['right']})"
    return f"rule {rule.id} is not met: {describe(rule.check, labels)}"


class ReturnTypeMismatch(UsageError):
    """The workbook's template was made for another return type than the one asked for."""


class _Checker:
    def __init__(self, content: WorkbookContent, fw: Framework, rtype: ReturnType, today: date):
        self.content = content
        self.fw = fw
        self.rtype = rtype
        self.comp = compiled(fw, rtype.id)
        self.today = today
        self.findings: list[Finding] = []
        self.data = ReturnData(fw, rtype, content.path)
        self.labels: dict[str, str] = {}
        #: why this version of the framework was chosen (for V002)
        self.version_basis = "the version in force now"
        #: items found neither by name nor by label (V005)
        self.not_found: list[ItemField] = []

    def add(self, code: str, severity: str, message: str, *, item: str | None = None,
            raw: RawCell | None = None, rule: str | None = None) -> None:
        if raw is None and item is not None:
            raw = self.data.cells.get(item)
        self.findings.append(Finding(
            code=code, severity=severity, message=message, field=item,
            sheet=raw.sheet if raw else None, cell=raw.coordinate if raw else None, rule=rule,
            order=raw.order if raw else (-1, 0, 0),
        ))

    def run(self) -> ReturnData:
        self.check_metadata()
        cover = cover_items(self.fw, self.rtype)
        body = [i for i in self.rtype.items() if i.source == Source.provider]
        self.labels = {i.id: i.label for i in cover + self.rtype.items()}
        self.labels.update({d.id: d.label for d in self.rtype.derived})
        raws = self.locate(cover + body)
        coerced = self.read_values(cover + body, raws)
        self.check_cover(cover, coerced)
        self.report_not_found()
        self.check_items(body, coerced)
        self.check_tables()
        self.check_rules()
        return self.data

    # -- metadata ------------------------------------------------------------------------
    def check_metadata(self) -> None:
        meta = self.content.meta
        for note in self.content.warnings:  # from preflight: macros, huge used ranges, links
            code = "V006" if "macro" in note else "V007"
            self.add(code, "warning", note)
        if not meta:
            self.add("V001", "warning", f"the workbook has no carekpi metadata; validated as framework "
                                        f"{self.fw.id} version {self.fw.version} by item names and labels")
            return
        version = meta.get("framework_version")
        if version and version != self.fw.version:
            self.add("V002", "warning", f"the workbook was made from the {self.fw.id} template version {version}; "
                                        f"it is validated against version {self.fw.version} (in force from "
                                        f"{self.fw.effective_from:%d %B %Y}), {self.version_basis}: use the "
                                        f"version {self.fw.version} template")
        elif meta.get("fingerprint"):
            from carekpi.workbook.template import template_layout

            expected = template_layout(self.fw, self.rtype.id).fingerprint()
            if meta["fingerprint"] != expected:
                self.add("V003", "warning", "the workbook's layout differs from the current template "
                                            f"(fingerprint {meta['fingerprint']}, expected {expected}); "
                                            "use a freshly generated template next time")

    # -- locating and reading -----------------------------------------------------------
    def locate(self, items: list[ItemField]) -> dict[str, RawCell]:
        from carekpi.workbook.reader import find_named_cell

        section_sheet = {i.id: s.sheet for s in self.rtype.sections for i in s.all_items()}
        found: dict[str, RawCell] = {}
        missing: list[ItemField] = []
        for item in items:
            raw = find_named_cell(self.content, item.id)
            if raw is None:
                missing.append(item)
            else:
                found[item.id] = raw
        if missing:
            index = LabelIndex(self.content)
            used = {(r.sheet, r.coordinate) for r in found.values()}
            for item in missing:
                raw = index.find(item.label, section_sheet.get(item.id, "Cover"), used)
                if raw is None:
                    self.not_found.append(item)  # reported once the service types are known
                    continue
                used.add((raw.sheet, raw.coordinate))
                found[item.id] = raw
                self.add("V004", "warning", f"{item.label!r} found by its label because the cell named "
                                            f"{item.id} is missing (was the sheet copied into another workbook?)",
                         item=item.id, raw=raw)
        formulas = [r for r in found.values() if r.formula]
        if formulas:
            cached = cached_values(self.content.path, formulas)
            for r in formulas:
                r.value = cached.get((r.sheet, r.coordinate))
                if r.value is None:
                    r.data_type = "formula-uncached"
                elif isinstance(r.value, str) and r.value.startswith("#"):
                    r.data_type = "e"
        self.data.cells = found
        return found

    def read_values(self, items: list[ItemField], raws: dict[str, RawCell]) -> dict[str, Coerced]:
        out: dict[str, Coerced] = {}
        for item in items:
            raw = raws.get(item.id)
            if raw is None:
                continue
            if raw.data_type == "formula-uncached":
                why = (f"the formula {raw.formula} has no calculated value "
                       "(open the workbook in Excel, let it calculate, and save)")
                self.add("V108", "error", f"{item.label}: {why}", item=item.id)
                # carry the error, so the cell is not also reported as missing (V101 / V301)
                out[item.id] = Coerced(None, (Note("V108", "error", why),))
                continue
            c = coerce(item, raw.value, number_format=raw.number_format, data_type=raw.data_type)
            for note in c.notes:
                self.add(note.code, note.severity, f"{item.label}: {note.message}", item=item.id)
            out[item.id] = c
        return out

    def report_not_found(self) -> None:
        """V005 for each item not in the workbook: an error only where the item is required and
        applies to the services the provider delivers (a live-in care sheet left out by a provider
        of home-based care only is not an error)."""
        for item in self.not_found:
            severity = "error" if item.required and self.data.applies(item.applies_to) else "warning"
            self.add("V005", severity, f"{item.label!r} ({item.id}) is not in the workbook: "
                                       "no cell has that name and no cell has that label", item=item.id)

    # -- cover ------------------------------------------------------------------------------
    def check_cover(self, cover: list[ItemField], values: dict[str, Coerced]) -> None:
        d = self.data
        answers = {s.id: values.get(service_item_id(s.id)) for s in self.fw.service_types}
        if self.fw.service_types:
            said = {sid for sid, c in answers.items() if c is not None and c.value == "Yes"}
            answered = [c for c in answers.values() if c is not None and c.value is not None]
            if not answered:
                self.add("V304", "error", "say which service types you deliver (Yes or No for each) on the Cover "
                                          "sheet; until then every item is treated as applying to you",
                         item=service_item_id(self.fw.service_types[0].id))
            elif not said:
                self.add("V304", "error", "the Cover sheet says you deliver none of the service types",
                         item=service_item_id(self.fw.service_types[0].id))
            else:
                d.services = frozenset(said)
        for item in cover:
            c = values.get(item.id)
            v = c.value if c else None
            d.values[item.id] = v
            if item.id == "reporting_period":
                self.check_period(c)
                continue
            if v is None and item.required and c is not None and not any(n.severity == "error" for n in c.notes):
                self.add("V101", "error", f"{item.label} is required", item=item.id)
        d.provider_name = d.values.get("provider_name")
        d.cqc_location_id = d.values.get("cqc_location_id")
        if d.cqc_location_id and not CQC_LOCATION_ID.match(d.cqc_location_id):
            self.add("V305", "warning", f"CQC location ID {d.cqc_location_id!r} is not in the usual form "
                                        "1-123456789", item="cqc_location_id")

    def check_period(self, c: Coerced | None) -> None:
        if c is None:
            return
        if c.value is None:
            if not any(n.severity == "error" for n in c.notes):
                self.add("V301", "error", "the reporting period is missing: type a date in it", item="reporting_period")
            return
        period = period_for(self.rtype, c.value)
        self.data.period = period
        if period.start > self.today:
            self.add("V302", "error", f"the reporting period {period.label} is in the future", item="reporting_period")
        elif period.end >= self.today:
            self.add("V303", "warning", f"the reporting period {period.label} has not ended yet",
                     item="reporting_period")
        due = deadline_for(self.rtype, period)
        self.add("V306", "info", f"the return for {period.label} is due by {due:%A} {due.day} {due:%B %Y}",
                 item="reporting_period")

    # -- items ------------------------------------------------------------------------------
    def check_items(self, items: list[ItemField], values: dict[str, Coerced]) -> None:
        d = self.data
        for item in items:
            c = values.get(item.id)
            applies = d.applies(item.applies_to)
            if c is None:
                d.values[item.id] = None
                continue
            if not applies:
                if c.value is not None:
                    self.add("V109", "info", f"{item.label}: ignored, because it applies only to "
                                             f"{self._services(item.applies_to)}", item=item.id)
                d.values[item.id] = None
                continue
            d.values[item.id] = c.value
            if c.value is None and item.required and not any(n.severity == "error" for n in c.notes):
                if c.shown:
                    numeric = item.type.value in ("count", "integer", "number", "money", "percentage")
                    hint = " (enter 0 if there were none)" if numeric else ""
                    self.add("V101", "error", f"{item.label}: {c.shown!r} is not an answer; a value is required{hint}",
                             item=item.id)
                else:
                    self.add("V101", "error", f"{item.label} is required", item=item.id)

    def _services(self, ids: list[str] | None) -> str:
        labels = [s.label for s in self.fw.service_types if s.id in (ids or [])]
        return " or ".join(labels) or "other services"

    def check_tables(self) -> None:
        for table in self.rtype.record_tables:
            rows = read_table(self.content, table.id, len(table.columns))
            parsed: list[dict[str, Any]] = []
            for rownum, cells in rows:
                rec: dict[str, Any] = {"_row": rownum, "_cells": cells}
                for col, raw in zip(table.columns, cells, strict=False):
                    item = ItemField(id=col.id, label=col.label, type=col.type, choices=col.choices, required=col.required)
                    c = coerce(item, raw.value, number_format=raw.number_format, data_type=raw.data_type)
                    for note in c.notes:
                        self.add("V401" if note.severity == "error" else note.code, note.severity,
                                 f"{table.label}, row {rownum}, {col.label}: {note.message}", raw=raw)
                    if c.value is None and col.required and not c.notes:
                        self.add("V401", "error", f"{table.label}, row {rownum}: {col.label} is required", raw=raw)
                    rec[col.id] = c.value
                parsed.append(rec)
            self.data.tables[table.id] = parsed
            from carekpi.validation.caselogs import check_case_log

            check_case_log(self, table, parsed)

    # -- rules ------------------------------------------------------------------------------
    def check_rules(self) -> None:
        env = evaluation_env(self.comp, self.data.values)
        for rule in self.comp.rules:
            if not self.data.applies(rule.applies_to):
                continue
            if rule.when is not None and rule.when.evaluate(env) is not True:
                continue
            if rule.check.evaluate(env) is not False:
                continue
            item = rule.fields[0] if rule.fields else None
            if rule.generated:
                self.add_breakdown_finding(rule, env)
                continue
            self.add("V201", rule.severity, rule_message(rule, env, self.labels), item=item, rule=rule.id)

    def add_breakdown_finding(self, rule: CompiledRule, env: dict[str, Any]) -> None:
        bd = next(b for s in self.rtype.sections for b in s.breakdowns if f"{b.id}_reconciles" == rule.id)
        total = bd.total or ""
        cells = [self.data.cells[b] for b in (bd.item_id(c) for c in bd.categories) if b in self.data.cells]
        span = f"{cells[0].coordinate}:{cells[-1].coordinate}" if cells else "?"
        head = self.data.cells.get(total)
        parts = sum((to_number(env.get(bd.item_id(c))) or Fraction(0)) for c in bd.categories)
        relation = "add up to" if bd.reconcile == "equal" else "add up to no more than"
        self.add("V202", "error",
                 f"{bd.label}: the categories in {span} add up to {fmt_value(parts)}, but they must {relation} "
                 f"{self.labels.get(total, total)} in {head.coordinate if head else '?'} ({fmt_value(env.get(total))})",
                 item=total, rule=rule.id)


def validate_file(path: str | Path, *, framework: Framework | str | None = None, return_id: str | None = None,
                  frameworks_dirs: list[Path] | None = None, today: date | None = None) -> ValidationReport:
    """Validate one workbook. Raises UnreadableWorkbook (file) or UsageError (wrong framework...)."""
    content = open_workbook(path)
    fw = _resolve_framework(content, framework, frameworks_dirs)
    made_for = content.meta.get("return_type")
    if return_id and made_for and made_for != return_id:
        raise ReturnTypeMismatch(f"{path} is a {made_for} return (so its template says), not {return_id}: "
                                 f"validate it without --return, or with --return {made_for}")
    rid = return_id or made_for or fw.returns[0].id
    try:
        rtype = fw.return_type(rid)
    except KeyError:
        known = ", ".join(r.id for r in fw.returns)
        raise UsageError(f"framework {fw.id} has no return type {rid!r} (it has: {known})") from None
    fw, rtype, basis = _version_for_period(content, fw, rtype, framework, frameworks_dirs)
    checker = _Checker(content, fw, rtype, today or date.today())
    checker.version_basis = basis
    data = checker.run()
    return ValidationReport(
        file=str(path), framework=fw.id, framework_version=fw.version, return_type=rtype.id,
        provider=data.provider_name, cqc_location_id=data.cqc_location_id,
        period=data.period.key if data.period else None, findings=checker.findings, data=data,
    )


def _version_for_period(content: WorkbookContent, fw: Framework, rtype: ReturnType, framework: Framework | str | None,
                        dirs: list[Path] | None) -> tuple[Framework, ReturnType, str]:
    """The version of ``fw`` in force on the first day of the return's reporting period.

    A framework given as a loaded object or as a path to a YAML file is used as it is. The
    period is read from the cover sheet before the return is checked; when it cannot be read
    (or no version was in force then) the current version is kept.
    """
    if isinstance(framework, Framework) or (isinstance(framework, str) and framework.endswith((".yaml", ".yml"))):
        return fw, rtype, "the version asked for"
    from carekpi.workbook.reader import find_named_cell

    item = next((i for i in cover_items(fw, rtype) if i.id == "reporting_period"), None)
    raw = find_named_cell(content, "reporting_period")
    if item is None or raw is None or raw.formula:
        return fw, rtype, "the version in force now"
    day = coerce(item, raw.value, number_format=raw.number_format, data_type=raw.data_type).value
    if not isinstance(day, date):
        return fw, rtype, "the version in force now"
    period = period_for(rtype, day)
    try:
        chosen = find_framework(fw.id, dirs, at=period.start)
        chosen_rtype = chosen.return_type(rtype.id)
    except (UsageError, KeyError):
        return fw, rtype, "the version in force now"
    return chosen, chosen_rtype, f"the version in force for {period.label}"


def _resolve_framework(content: WorkbookContent, framework: Framework | str | None,
                       dirs: list[Path] | None) -> Framework:
    fid = content.meta.get("framework")
    if framework is not None:
        fw = framework if isinstance(framework, Framework) else find_framework(framework, dirs)
        if fid and fid != fw.id:
            raise UsageError(f"{content.path} is a return for framework {fid}, not {fw.id}")
        return fw
    if not fid:
        raise UsageError(f"{content.path} has no carekpi metadata, so its framework is unknown: "
                         "name it with --framework")
    if not re.fullmatch(r"[a-z][a-z0-9-]{0,63}", fid):
        # never a path: a workbook must not make carekpi load a file of its choosing
        raise UsageError(f"{content.path} names the framework {fid[:80]!r}, which is not a framework id: "
                         "name it with --framework")
    return find_framework(fid, dirs)
