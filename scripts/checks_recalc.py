#!/usr/bin/env python3
"""Check that every cell of every template's Checks sheet says what ``carekpi validate`` says,
recalculated by a real spreadsheet program.

For every return type of every bundled framework this script starts from a clean sample return
(``sample_returns/<id>/samples.yaml``) and builds returns:

* one in which each rule fails (carekpi's own expression evaluation finds the figures: rules
  whose figures do not overlap share a return), and one in which each rule holds;
* an empty return and one with every required answer typed as a word meaning "nothing" (``n/a``,
  ``-``): every required item's check fails;
* returns typed the way people type: figures as text (``'12 '``), ``Y`` for Yes, answers with
  spaces around them, fractions in counts, negative figures, TRUE in a figure, and service types
  answered No, or only one of them Yes.

LibreOffice recalculates and saves them (``soffice --headless --calc --convert-to xlsx``, all in
one call); each check cell is then compared with carekpi validate on the original file:

* a rule's or required item's finding (V201, V202, V101, V301, V304) is in the cell word for word;
* otherwise the cell shows OK, "waiting for figures", "does not apply" or "not a valid answer"
  exactly when carekpi's own evaluation of the return says so;
* a cell showing "checked by carekpi validate" is allowed only in returns typed the way people
  type (never in the clean ones), and never hides a finding: no cell shows OK where carekpi
  reports a problem.

Usage: python scripts/checks_recalc.py [--keep DIR] [--framework ID]
(exit 0: every cell agrees, 1: differences, 2: LibreOffice is not installed)
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import yaml

from carekpi.base.enums import Severity
from carekpi.framework.compiled import CompiledRule, compiled
from carekpi.framework.cover import EXPLANATIONS_TABLE, OPEN_CHECKS_NAME, cover_items
from carekpi.framework.discovery import bundled_dir, find_framework
from carekpi.framework.model import NUMERIC_TYPES, FieldType, Framework, ItemField, Source
from carekpi.scoring.passes import score_reports
from carekpi.validation.findings import Finding, ValidationReport
from carekpi.validation.validate import validate_file
from carekpi.workbook import checks as ck
from carekpi.workbook.fill import fill_workbook
from carekpi.workbook.layout import CHECK_COL_STATUS, template_layout
from carekpi.workbook.template import template_bytes

sys.path.insert(0, str(Path(__file__).resolve().parent))
from recalc_check import recalculate, soffice

TODAY = date(2026, 11, 22)
FRAMEWORKS = ["surrey", "bcp", "dorset", "cheshire-east-awc", "cheshire-east-dpss"]
#: the findings the Checks sheet shows, by the kind of check
CHECK_CODES = {"V101", "V201", "V202", "V301", "V304"}
#: the findings of an answer carekpi refuses
REFUSED_CODES = {"V102", "V104", "V105", "V106", "V107", "V108"}


@dataclass
class Case:
    framework: str
    return_id: str
    name: str
    values: dict[str, Any]
    tables: dict[str, list[list[Any]]] | None = None
    #: typed the way people type: "checked by carekpi validate" may be shown
    typed: bool = False
    #: the rules built to fail, and to hold, in this return
    failing: list[str] = field(default_factory=list)
    holding: list[str] = field(default_factory=list)
    #: rows of the Explanations sheet (item, code, explanation)
    explanations: list[list[Any]] = field(default_factory=list)

    @property
    def file(self) -> str:
        return f"{self.framework}--{self.return_id}--{self.name}.xlsx"


@dataclass
class Cell:
    """One check cell of one return: what the spreadsheet shows and what carekpi says."""

    case: str
    name: str
    kind: str  # rule | required | services
    rule: str | None
    shown: Any
    status: Any
    expected: str
    expected_status: str
    finding: str | None
    typed: bool

    @property
    def equal(self) -> bool:
        if self.shown == self.expected:
            return self.status == self.expected_status
        # an answer only carekpi reads: allowed in returns typed the way people type
        return self.typed and self.shown == ck.DOUBT and self.status == ck.STATUS_VALIDATE


@dataclass
class Result:
    cells: list[Cell] = field(default_factory=list)
    #: rule -> (cases in which it failed as carekpi said, cases in which it held)
    coverage: dict[str, tuple[set[str], set[str]]] = field(default_factory=dict)
    rules: dict[str, list[str]] = field(default_factory=dict)  # "framework/return" -> rule ids with a formula
    #: (return, the Checks sheet's count of open problems, carekpi's errors and unexplained warnings among the checks)
    counts: list[tuple[str, Any, int]] = field(default_factory=list)
    #: (return, KPI, the value cell as recalculated, whether carekpi withholds the KPI for an error)
    kpis: list[tuple[str, str, Any, bool]] = field(default_factory=list)

    @property
    def kpi_diffs(self) -> list[tuple[str, str, Any, bool]]:
        """KPI value cells that show a figure where carekpi withholds it for an error in its
        inputs (they show "n/a", or nothing while a figure is blank), or "n/a" where carekpi
        gives a figure."""
        return [k for k in self.kpis
                if (k[3] and isinstance(k[2], (int, float))) or (not k[3] and k[2] == "n/a")]

    @property
    def wrong_counts(self) -> list[tuple[str, Any, int]]:
        return [c for c in self.counts if c[1] != c[2]]

    @property
    def different(self) -> list[Cell]:
        return [c for c in self.cells if not c.equal]

    @property
    def false_ok(self) -> list[Cell]:
        return [c for c in self.cells if c.finding is not None and c.shown == ck.OK]

    def uncovered(self) -> list[str]:
        out = []
        for key, ids in self.rules.items():
            for rid in ids:
                failed, held = self.coverage.get(f"{key}/{rid}", (set(), set()))
                if not failed or not held:
                    out.append(f"{key}/{rid}: {'never failed' if not failed else 'never held'}")
        return out

    @property
    def ok(self) -> bool:
        return (not self.different and not self.false_ok and not self.uncovered() and not self.wrong_counts
                and not self.kpi_diffs)


# --- the returns -------------------------------------------------------------------------------


def clean_sample(fw: Framework, return_id: str) -> tuple[dict[str, Any], dict[str, list[list[Any]]] | None]:
    """The values and case logs of the first clean top-level sample of a return type."""
    spec = yaml.safe_load((bundled_dir("sample_returns") / fw.id / "samples.yaml").read_text(encoding="utf-8"))
    for entry in spec["returns"]:
        if "/" in entry["file"] or (entry.get("return") or fw.returns[0].id) != return_id:
            continue
        if (entry.get("expect") or {"valid": True}).get("valid", True):
            return dict(entry.get("values") or {}), entry.get("tables")
    raise LookupError(f"{fw.id} has no clean sample of its {return_id} return")


def _candidates(item: ItemField, current: Any) -> list[Any]:
    if item.type in (FieldType.count, FieldType.integer):
        base = current if isinstance(current, int) else 1
        return sorted({0, 1, 2, 3, 5, 10, 40, 100, base, base + 1, base + 5, base * 2 + 1} - {current})
    if item.allowed_choices():
        return [c for c in item.allowed_choices() or [] if c != current]
    if item.type == FieldType.text:
        return [v for v in (None, "Given in full") if v != current]
    return []


def _default(item: ItemField) -> Any:
    if item.type in NUMERIC_TYPES:
        return 1
    if item.allowed_choices():
        return (item.allowed_choices() or [None])[0]
    if item.type == FieldType.text:
        return "Given in full"
    return None


def delivered(fw: Framework, values: dict[str, Any]) -> set[str] | None:
    """The service types ``values`` say are delivered, as carekpi reads them (None: every one)."""
    said = {s.id for s in fw.service_types if values.get(f"delivers_{s.id}") == "Yes"}
    return said or None


def outcome(fw: Framework, return_id: str, rule: CompiledRule, values: dict[str, Any]) -> bool | None:
    """carekpi's verdict on ``rule`` for ``values``: True (holds), False (fails), None (not judged)."""
    comp = compiled(fw, return_id)
    services = delivered(fw, values)
    if services is not None and rule.applies_to and not services & set(rule.applies_to):
        return None
    items = fw.return_type(return_id).item_map()  # with their sections' service types
    read = {k: (None if k in items and items[k].applies_to and services is not None
                and not services & set(items[k].applies_to or []) else v) for k, v in values.items()}
    env = comp.evaluation_env(read)
    if rule.when is not None and rule.when.evaluate(env) is not True:
        return None
    result = rule.check.evaluate(env)
    return result if isinstance(result, bool) else None


def find_values(fw: Framework, return_id: str, rule: CompiledRule, base: dict[str, Any], want: bool) -> dict[str, Any] | None:
    """Changes to ``base`` (as few items as possible) after which ``rule`` fails (``want`` False) or
    holds (True), by carekpi's own evaluation."""
    comp = compiled(fw, return_id)
    names = set(rule.check.names) | (set(rule.when.names) if rule.when is not None else set())
    known = fw.return_type(return_id).item_map()
    items = [known[n] for n in comp.inputs(names) if n in known and known[n].source == Source.provider]
    start = {i.id: base.get(i.id) if base.get(i.id) is not None else _default(i) for i in items}
    for i in items:  # the provider delivers the service types the rule's items are for
        start.update({f"delivers_{s}": "Yes" for s in i.applies_to or []})
    if outcome(fw, return_id, rule, {**base, **start}) is want:
        return start
    for size in (1, 2, 3):
        for chosen in itertools.combinations(items, size):
            for combo in itertools.product(*(_candidates(i, start[i.id]) for i in chosen)):
                trial = {**start, **{i.id: v for i, v in zip(chosen, combo, strict=True)}}
                if outcome(fw, return_id, rule, {**base, **trial}) is want:
                    return trial
    return None


def rule_cases(fw: Framework, return_id: str, base: dict[str, Any], tables: Any) -> list[Case]:
    """Returns in which rules fail (and hold), rules sharing a return where their figures do not overlap."""
    comp = compiled(fw, return_id)
    cases: list[Case] = []
    for want in (False, True):
        pending = []
        for rule in comp.rules:
            change = find_values(fw, return_id, rule, base, want)
            if change is not None:
                pending.append((rule, change))
        groups: list[tuple[dict[str, Any], list[str]]] = []
        for rule, change in pending:
            for values, ids in groups:
                if set(change) & set(values):
                    continue
                merged = {**values, **change}
                if all(outcome(fw, return_id, r, {**base, **merged}) is want
                       for r in [rule, *(x for x in comp.rules if x.id in ids)]):
                    values.update(change)
                    ids.append(rule.id)
                    break
            else:
                groups.append((dict(change), [rule.id]))
        for n, (values, ids) in enumerate(groups, start=1):
            name = f"{'failing' if not want else 'holding'}-{n:02d}"
            # the provider explains every failing rule: warnings show as Explained, errors stay errors
            explain = [[r.fields[0], "V202" if r.generated else "V201", "The figures are right: see our notes."]
                       for r in comp.rules if r.id in ids and r.fields and not want and n % 2 == 1]
            cases.append(Case(fw.id, return_id, name, {**base, **values}, tables,
                              failing=ids if not want else [], holding=ids if want else [], explanations=explain))
    return cases


def typed_cases(fw: Framework, return_id: str, base: dict[str, Any], tables: Any) -> list[Case]:
    rtype = fw.return_type(return_id)
    required = [i for i in [*cover_items(fw, rtype), *rtype.items()] if i.required and i.source == Source.provider]
    counts = [i for i in rtype.items() if i.type in (FieldType.count, FieldType.integer) and i.source == Source.provider]
    texts = [i for i in required if i.type == FieldType.text]
    choices = [i for i in rtype.items() if i.allowed_choices() and i.source == Source.provider]
    words = ["n/a", "-", "N/A", "not applicable", "na", "—"]
    nothing = {i.id: words[n % len(words)] for n, i in enumerate(required) if i.id != "reporting_period"}
    services = [s.id for s in fw.service_types]
    out = [
        Case(fw.id, return_id, "clean", dict(base), tables),
        Case(fw.id, return_id, "empty", {}, None),
        Case(fw.id, return_id, "nothing-words", {**base, **nothing}, tables),
        Case(fw.id, return_id, "figures-as-text", {**base, **{i.id: f"{base.get(i.id, 1)} " for i in counts[::3]}},
             tables, typed=True),
        Case(fw.id, return_id, "odd-answers", {
            **base,
            # (not TRUE: LibreOffice holds TRUE in a figure's cell as the number 1, so it can only be
            # compared in Excel, where ISLOGICAL() sees it and the check says it is not valid)
            **{i.id: v for i, v in zip(counts[1::4], [12.5, -1, "1,234", "twelve"] * 40, strict=False)},
            **{i.id: f" {base.get(i.id) or 'Given'} " for i in texts[::2]},
            **{i.id: "\u00a0n/a" for i in texts[1::4]},
            **{i.id: (i.allowed_choices() or ["x"])[0].lower() for i in choices[::2]},
        }, tables, typed=True),
    ]
    if services:
        out.append(Case(fw.id, return_id, "no-service-delivered",
                        {**base, **{f"delivers_{s}": "No" for s in services}}, tables))
        out.append(Case(fw.id, return_id, "one-service-only",
                        {**base, **{f"delivers_{s}": "Yes" if s == services[-1] else "No" for s in services}}, tables))
        out.append(Case(fw.id, return_id, "services-typed-y", {**base, f"delivers_{services[0]}": "Y"}, tables,
                        typed=True))
    return out


def cases_for(fw: Framework, return_id: str) -> list[Case]:
    base, tables = clean_sample(fw, return_id)
    return [*typed_cases(fw, return_id, base, tables), *rule_cases(fw, return_id, base, tables)]


# --- comparing ---------------------------------------------------------------------------------


def _named(wb: Any, name: str) -> tuple[Any, Any]:
    title, ref = next(iter(wb.defined_names[name].destinations))
    ws = wb[title]
    cell = ws[ref.replace("$", "")]
    return cell.value, ws.cell(row=cell.row, column=CHECK_COL_STATUS).value


@dataclass(frozen=True)
class Expected:
    """What carekpi says a check cell shows, and its Status."""

    kind: str  # rule | required | services
    shown: str
    status: str
    rule: str | None = None
    finding: str | None = None
    #: carekpi found the rule to hold (not merely not judged)
    holds: bool = False


def _status(shown: str, finding: Finding | None) -> str:
    if finding is not None:
        if finding.explained:
            return ck.STATUS_EXPLAINED
        return ck.STATUS_WARNING if finding.severity == Severity.warning else ck.STATUS_ERROR
    return {ck.OK: ck.STATUS_OK, ck.WAITING: ck.STATUS_WAITING, ck.NOT_APPLICABLE: ck.STATUS_NA,
            ck.INVALID: ck.STATUS_ERROR}[shown]


def expected_cells(fw: Framework, return_id: str, report: ValidationReport) -> dict[str, Expected]:
    """For each named check cell: what carekpi says it shows (from its findings, and its own
    evaluation of the return's rules)."""
    comp = compiled(fw, return_id)
    data = report.data
    env = comp.evaluation_env(data.values)
    by_rule = {f.rule: f for f in report.findings if f.rule}
    by_item: dict[str, list[Finding]] = {}
    for f in report.findings:
        if f.field:
            by_item.setdefault(f.field, []).append(f)
    out: dict[str, Expected] = {}
    layout = template_layout(fw, return_id)
    items = {i.id: i for i in [*cover_items(fw, data.rtype), *data.rtype.items()]}
    for row in layout.checks.rows:
        if row.name is None or row.formula is None:
            continue
        if row.code in ("V201", "V202"):
            rule = next(r for r in comp.rules if ck.rule_check_name(r.id) == row.name)
            finding = by_rule.get(rule.id)
            if finding is not None:
                out[row.name] = Expected("rule", finding.message, _status("", finding), rule.id, finding.message)
                continue
            if not data.applies(rule.applies_to):
                shown = ck.NOT_APPLICABLE
            elif rule.when is not None and rule.when.evaluate(env) is None:
                shown = ck.WAITING
            elif rule.when is not None and rule.when.evaluate(env) is False:
                shown = ck.OK
            else:
                shown = ck.WAITING if rule.check.evaluate(env) is None else ck.OK
            holds = data.applies(rule.applies_to) and (rule.when is None or rule.when.evaluate(env) is True) and \
                rule.check.evaluate(env) is True
            out[row.name] = Expected("rule", shown, _status(shown, None), rule.id, holds=holds)
        elif row.code == "V304":
            finding = next((f for f in report.findings if f.code == "V304"), None)
            shown = finding.message if finding else ck.OK
            out[row.name] = Expected("services", shown, _status(shown, finding), finding=finding.message if finding else None)
        else:
            item = row.item or ""
            findings = by_item.get(item, [])
            missing = next((f for f in findings if f.code in ("V101", "V301")), None)
            refused = any(f.code in REFUSED_CODES for f in findings)
            if missing is not None:
                shown = missing.message
            elif row.group == "required" and not data.applies(items[item].applies_to):
                shown = ck.NOT_APPLICABLE
            elif refused:
                shown = ck.INVALID
            else:
                shown = ck.OK
            out[row.name] = Expected("required", shown, _status(shown, missing),
                                     finding=missing.message if missing else None)
    return out


def run_check(workdir: Path, frameworks: list[str] | None = None) -> Result:
    result = Result()
    cases: list[Case] = []
    for fid in frameworks or FRAMEWORKS:
        fw = find_framework(fid)
        for rt in fw.returns:
            layout = template_layout(fw, rt.id)
            result.rules[f"{fid}/{rt.id}"] = [r.id for r in compiled(fw, rt.id).rules
                                              if ck.rule_check_name(r.id) in layout.formulas]
            cases += cases_for(fw, rt.id)
    src, out = workdir / "filled", workdir / "recalculated"
    src.mkdir(parents=True, exist_ok=True)
    templates: dict[tuple[str, str], bytes] = {}
    files = []
    for case in cases:
        fw = find_framework(case.framework)
        key = (case.framework, case.return_id)
        if key not in templates:
            templates[key] = template_bytes(fw, case.return_id)
        tables = dict(case.tables or {})
        if case.explanations:
            tables[EXPLANATIONS_TABLE] = case.explanations
        path = src / case.file
        path.write_bytes(fill_workbook(templates[key], case.values, tables=tables))
        files.append(path)
    recalculate(files, out)
    for case, path in zip(cases, files, strict=True):
        fw = find_framework(case.framework)
        report = validate_file(path, today=TODAY)
        wb = openpyxl.load_workbook(out / path.name, data_only=True)
        open_problems = 0
        for name, exp in expected_cells(fw, case.return_id, report).items():
            value, status = _named(wb, name)
            cell = Cell(case.file, name, exp.kind, exp.rule, value, status, exp.shown, exp.status, exp.finding,
                        case.typed)
            result.cells.append(cell)
            open_problems += exp.status in (ck.STATUS_ERROR, ck.STATUS_WARNING)
            if exp.rule is not None and value == exp.shown:
                failed, held = result.coverage.setdefault(f"{case.framework}/{case.return_id}/{exp.rule}", (set(), set()))
                if exp.finding is not None:
                    failed.add(case.name)
                elif exp.holds:
                    held.add(case.name)
        if not case.typed:
            result.counts.append((case.file, _named(wb, OPEN_CHECKS_NAME)[0], open_problems))
            kpis_checked(result, fw, case, report, wb)
    return result


def kpis_checked(result: Result, fw: Framework, case: Case, report: ValidationReport, wb: Any) -> None:
    """Each live KPI value cell of the return against carekpi's score: no figure where carekpi
    withholds the KPI because a figure it uses has an error, and "n/a" nowhere else."""
    if report.data is None or any(f.code == "V304" for f in report.findings):
        return  # no service type delivered: carekpi treats every item as applying, the template shows n/a
    layout = template_layout(fw, case.return_id)
    kpis = {k.id: k for k in fw.kpis}
    for k in score_reports(fw, [report]).returns[0].kpis:
        kpi = kpis.get(k.kpi)
        if kpi is None or kpi.value_name not in layout.formulas:
            continue
        withheld = "has an error" in k.reason and k.reason.startswith(("not banded:", "not computed:"))
        if not withheld and k.value is None:
            continue  # not computed for another reason (a blank figure, a service not delivered)
        result.kpis.append((case.file, k.kpi, _named(wb, kpi.value_name)[0], withheld))


def report(result: Result) -> str:
    lines = []
    for c in result.different:
        lines.append(f"DIFF {c.case} {c.name}:\n  spreadsheet: {c.shown!r} [{c.status}]\n"
                     f"  carekpi:     {c.expected!r} [{c.expected_status}]")
    for file, shown, expected in result.wrong_counts:
        lines.append(f"COUNT {file}: the Checks sheet counts {shown!r} open problems, carekpi {expected}")
    for c in result.false_ok:
        lines.append(f"FALSE OK {c.case} {c.name}: carekpi says {c.finding!r}")
    for u in result.uncovered():
        lines.append(f"NOT COVERED {u}")
    for file, kpi, shown, withheld in result.kpi_diffs:
        lines.append(f"KPI {file} {kpi}: the value cell shows {shown!r}, carekpi "
                     + ("withholds it (an error in its inputs)" if withheld else "gives a figure"))
    cases = len({c.case for c in result.cells})
    rules = sum(len(v) for v in result.rules.values())
    doubt = sum(1 for c in result.cells if c.shown == ck.DOUBT)
    explained = sum(1 for c in result.cells if c.status == ck.STATUS_EXPLAINED and c.equal)
    lines.append(f"{cases} returns, {len(result.cells)} check cells compared (result and status): "
                 f"{len(result.cells) - len(result.different)} agree with carekpi validate, {len(result.different)} "
                 f"differ, {len(result.false_ok)} false OK, {explained} explained warnings; open problems counted "
                 f"right in {len(result.counts) - len(result.wrong_counts)} of {len(result.counts)} returns; "
                 f"{doubt} left to carekpi validate (answers typed as only carekpi reads them); "
                 f"{rules} rules with a live check, {len(result.uncovered())} not both failed and held; "
                 f"{len(result.kpis)} KPI value cells compared, {sum(k[3] for k in result.kpis)} withheld for an "
                 f"error, {len(result.kpi_diffs)} differ")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="keep the filled and recalculated workbooks in this folder")
    parser.add_argument("--framework", action="append", help="check only this framework (repeatable)")
    args = parser.parse_args(argv)
    if soffice() is None:
        print("checks_recalc: LibreOffice (soffice) is not on PATH; nothing checked", file=sys.stderr)
        return 2
    if args.keep:
        result = run_check(args.keep, args.framework)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            result = run_check(Path(tmp), args.framework)
    sys.stdout.write(report(result))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
