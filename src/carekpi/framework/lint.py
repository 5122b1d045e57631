"""Lint framework files for CI: everything the loader checks, plus checks only lint makes.

Every problem carries the file, the YAML line and a stable code (:data:`FRAMEWORK_CODES`:
the loader's codes, each band scheme's and lint's own, each declared beside its check).

The loader's checks make a framework fail to load: schema (F002), duplicate ids (F003),
ids Excel would reject as defined names (F004), expressions naming unknown items (F005) or
outside the expression language (F006), thresholds out of order for their direction (F007),
explicit band ranges that overlap or leave values at the KPI's precision in no band (F008),
message templates naming parameters the rule lacks (F009), incomplete KPIs (F010), unknown
service types (F011), bad sheet names (F012), deadlines (F013), trajectories (F014), band
mappings (F015), KPIs naming unknown return types (F016).

The checks here find what the loader accepts but a CI run should stop:

* F004: a service type id whose cover-sheet name ``delivers_<id>`` Excel would reject;
* F018: ``contract_defaults`` with an unknown setting, a date that is not a date, or a
  ``contract_start`` on or after the ``trajectory_end`` (trajectories would run backwards);
* F019: two files of one framework (a folder and its ``versions/``) with the same version or
  the same ``effective_from``, so the version in force on a date is ambiguous;
* F020: a name the template defines twice (an item called ``kpi_<id>_value``, or
  ``delivers_<service type>``, or ``check_<rule id>``; two rules whose Checks sheet cells would
  share a name), which would break the workbook's defined names;

* F021: a KPI's ``as_printed`` that gives numbers but not its scheme's own (Green changed from
  95 to 97 while the text still says "Green 95+%"): people read the text, carekpi the numbers;
* F022: a deadline ``text`` naming a day ("by the 10th", "30 April", "10 working days") that
  is not the rule's day, month or number of days.

Deliberately not problems: items that no KPI or rule uses (councils collect management
information), and KPIs whose every input is supplied by the commissioner (scored from
``--commissioner-data``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from carekpi.base.errors import FrameworkProblem, UsageError
from carekpi.framework.bands import SCHEMES
from carekpi.framework.cover import (
    EXPLANATIONS_TABLE,
    OPEN_CHECKS_NAME,
    SERVICES_CHECK_NAME,
    fixed_cover_items,
    required_check_name,
    rule_check_name,
    service_item_id,
)
from carekpi.framework.diff import describe_deadline
from carekpi.framework.discovery import bundled_dir, search_dirs
from carekpi.framework.loader import LOADER_CODES, check_framework_text
from carekpi.framework.model import Framework, excel_name_problem
from carekpi.framework.versions import VERSIONS_DIR, folder_files
from carekpi.framework.yamlsrc import LineMap

#: the settings ``contract_defaults`` (and a ``--contract`` file) may hold
CONTRACT_SETTINGS = ("provider_name", "contract_start", "trajectory_end")

#: the problems only lint finds (the framework still loads)
LINT_CODES: dict[str, str] = {
    "F018": "contract dates invalid or out of order (contract_start must be before trajectory_end)",
    "F019": "two files of one framework share a version or an effective date",
    "F020": "a name the template defines collides with another",
    "F021": "bands as printed give numbers that are not the band parameters",
    "F022": "deadline text gives a day that is not the deadline rule's",
}

#: every framework problem code with what it means (documented in the README)
FRAMEWORK_CODES: dict[str, str] = dict(sorted(
    {**LOADER_CODES, **{c: d for s in SCHEMES.values() for c, d in s.CODES.items()}, **LINT_CODES}.items()
))

_Add = Callable[[str, tuple[Any, ...], str], None]


def framework_paths(paths: list[Path], extra_dirs: list[Path] | None = None) -> list[Path]:
    """Files named, and the framework files of folders named (with their ``versions/``). With
    none named: the local folders every command searches (``--frameworks-dir``,
    ``CAREKPI_FRAMEWORKS_DIR``, ``./frameworks``), else the bundled frameworks."""
    if not paths:
        local = [d.path for d in search_dirs(extra_dirs) if d.origin == "local" and d.path.is_dir()]
        paths = local or [bundled_dir()]
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += list(folder_files(p))
        elif p.is_file():
            out.append(p)
        else:
            raise UsageError(f"{p}: no such file or folder")
    return out


@dataclass
class LintedFile:
    file: str
    problems: list[FrameworkProblem]
    framework: Framework | None = None
    lines: LineMap | None = None


def _line(lines: LineMap | None, path: tuple[Any, ...]) -> int | None:
    return lines.line(path) if lines else None


def lint_text(text: str, file: str = "<string>") -> LintedFile:
    """Lint one framework's text: the loader's problems of every stage, then the lint-only
    checks (on what the schema accepted, when it refused part of the file)."""
    checked = check_framework_text(text, file)
    problems = list(checked.problems)
    fw, lines = checked.framework, checked.lines
    if fw is None or lines is None:
        return LintedFile(file, problems)  # the loader has said why
    problems += _lint_checks(fw, lines, file)
    return LintedFile(file, sorted(problems, key=lambda p: p.line or 0), fw, lines)


def _lint_path(path: Path) -> LintedFile:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return LintedFile(str(path), [FrameworkProblem(str(path), None, "F017", f"cannot read: {exc}")])
    return lint_text(text, str(path))


@dataclass(frozen=True)
class LintResult:
    """What ``carekpi lint`` found: the files checked and every problem."""

    files: list[str]
    problems: list[FrameworkProblem]

    @property
    def valid(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "valid": self.valid,
            "problems": [{"file": p.file, "line": p.line, "code": p.code, "message": p.message,
                          "description": FRAMEWORK_CODES.get(p.code, "")} for p in self.problems],
        }


def lint_paths(paths: list[Path], extra_dirs: list[Path] | None = None) -> LintResult:
    """Lint framework files, and the framework files of folders (with their ``versions/``)."""
    files = framework_paths(paths, extra_dirs)
    linted = [_lint_path(f) for f in files]
    problems = [p for lf in linted for p in lf.problems]
    problems += _version_clashes(linted)
    return LintResult([str(f) for f in files], problems)


# --- lint-only checks ----------------------------------------------------------------------


def _lint_checks(fw: Framework, lines: LineMap, file: str) -> list[FrameworkProblem]:
    out: list[FrameworkProblem] = []

    def add(code: str, path: tuple[Any, ...], message: str) -> None:
        out.append(FrameworkProblem(file, _line(lines, path), code, message))

    for i, st in enumerate(fw.service_types):
        problem = excel_name_problem(service_item_id(st.id))
        if problem:
            add("F004", ("service_types", i, "id"), f"service type id {st.id!r} gives the cover-sheet name "
                                                    f"{service_item_id(st.id)!r}, which {problem}")
    _check_contract(fw, add)
    _check_names(fw, add)
    _check_printed_bands(fw, add)
    _check_deadline_texts(fw, add)
    return out


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _check_contract(fw: Framework, add: _Add) -> None:
    cd = fw.contract_defaults
    for key in cd:
        if key not in CONTRACT_SETTINGS:
            add("F018", ("contract_defaults", key), f"contract_defaults has unknown setting {key!r} "
                                                    f"(known: {', '.join(CONTRACT_SETTINGS)})")
    dates: dict[str, date] = {}
    for key in ("contract_start", "trajectory_end"):
        if key in cd and cd[key] is not None:
            d = _as_date(cd[key])
            if d is None:
                add("F018", ("contract_defaults", key), f"contract_defaults.{key} {cd[key]!r} is not a date "
                                                        "(write YYYY-MM-DD)")
            else:
                dates[key] = d
    start, end = dates.get("contract_start"), dates.get("trajectory_end")
    if start and end and start >= end:
        add("F018", ("contract_defaults", "trajectory_end"),
            f"trajectory_end {end.isoformat()} is not after contract_start {start.isoformat()}: "
            "trajectory targets would never rise from the minimum")


def _check_names(fw: Framework, add: _Add) -> None:
    """Names the template defines (items, tables, cover answers, KPI cells) must be distinct.

    Clashes between two items are the loader's (F003); here, clashes with generated names.
    """
    kpi_index = {k.id: i for i, k in enumerate(fw.kpis)}
    for ri, rt in enumerate(fw.returns):
        generated: dict[str, tuple[tuple[Any, ...], str]] = {}
        for si, st in enumerate(fw.service_types):
            generated[service_item_id(st.id)] = (("service_types", si, "id"), f"the cover answer for service type "
                                                                              f"{st.id!r}")
        for k in fw.kpis_for(rt.id):
            path = ("kpis", kpi_index[k.id], "id")
            generated.setdefault(k.value_name, (path, f"the value cell of KPI {k.id!r}"))
            generated.setdefault(k.band_name, (path, f"the band cell of KPI {k.id!r}"))
        rpath: tuple[Any, ...] = ("returns", ri)
        generated.setdefault(EXPLANATIONS_TABLE, (rpath, "the Explanations sheet's table"))
        generated.setdefault(OPEN_CHECKS_NAME, (rpath, "the Checks sheet's count of open problems"))
        if fw.service_types:
            generated.setdefault(SERVICES_CHECK_NAME, (rpath, "the Checks sheet's check of the service types"))
        for item in [*fixed_cover_items(fw, rt), *rt.items()]:
            if item.required and item.source.value == "provider":
                generated.setdefault(required_check_name(item.id), (rpath, f"the Checks sheet's check of item {item.id!r}"))
        for ui, rule in enumerate(rt.rules):
            name = rule_check_name(rule.id)
            upath = (*rpath, "rules", ui, "id")
            if name in generated:
                add("F020", upath, f"rule {rule.id!r}: its Checks sheet cell {name!r} has the same Excel name as "
                                   f"{generated[name][1]}: rename the rule")
            generated.setdefault(name, (upath, f"the Checks sheet's check of rule {rule.id!r}"))
        for name, path, what in _declared_names(fw, ri):
            if name in generated:
                _, other = generated[name]
                add("F020", path, f"{what} {name!r} has the same Excel name as {other}: rename it")


def _declared_names(fw: Framework, ri: int) -> Iterable[tuple[str, tuple[Any, ...], str]]:
    rt = fw.returns[ri]
    rpath: tuple[Any, ...] = ("returns", ri)
    for si, sec in enumerate(rt.sections):
        for fi, f in enumerate(sec.fields):
            yield f.id, (*rpath, "sections", si, "fields", fi, "id"), "item"
        for bi, b in enumerate(sec.breakdowns):
            for c in b.categories:
                yield b.item_id(c), (*rpath, "sections", si, "breakdowns", bi, "id"), "breakdown item"
    for ti, t in enumerate(rt.record_tables):
        yield t.id, (*rpath, "record_tables", ti, "id"), "record table"


_PRINTED_NUMBER = re.compile(r"(?<![\d.,])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?")


def _numbers(text: str) -> set[Decimal]:
    return {Decimal(m.group(1).replace(",", "") + (m.group(2) or "")) for m in _PRINTED_NUMBER.finditer(text)}


def _check_printed_bands(fw: Framework, add: _Add) -> None:
    """F021: bands as printed that give numbers must give the scheme's own (lint only: the
    framework still loads, since the numbers, not the words, are what carekpi bands by)."""
    for ki, kpi in enumerate(fw.kpis):
        printed = kpi.bands.as_printed
        said = _numbers(printed) if printed else set()
        if not said:
            continue  # "Full compliance", "Good or Excellent": words, not numbers
        for what, value in kpi.bands.printed_numbers().items():
            if value not in said:
                add("F021", ("kpis", ki, "bands", "as_printed"),
                    f"KPI {kpi.id!r}: the bands as printed ({printed!r}) do not give {what}, "
                    f"{format(value.normalize(), 'f')}: correct the text or the number")


_MONTH_NAMES = [date(2000, m, 1).strftime("%B") for m in range(1, 13)]
_ORDINAL_DAY = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)\b")
_DAY_MONTH = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(" + "|".join(_MONTH_NAMES) + r")\b", re.IGNORECASE)
_DAYS = re.compile(r"\b(\d+)\s+(?:working\s+|calendar\s+)?days?\b", re.IGNORECASE)


def _check_deadline_texts(fw: Framework, add: _Add) -> None:
    """F022: a deadline's own wording must not name another day than its rule (lint only)."""
    for ri, rt in enumerate(fw.returns):
        d = rt.deadline
        if not d.text:
            continue
        path = ("returns", ri, "deadline", "text")
        found: list[str] = []
        if d.rule in ("day_of_following_month", "fixed") and d.day is not None:
            days = {int(m.group(1)) for m in _ORDINAL_DAY.finditer(d.text)}
            days |= {int(m.group(1)) for m in _DAY_MONTH.finditer(d.text)}
            found += [f"day {n}" for n in sorted(days - {d.day})]
        if d.rule == "fixed" and d.month is not None:
            months = {m.group(2).capitalize() for m in _DAY_MONTH.finditer(d.text)}
            found += sorted(months - {_MONTH_NAMES[d.month - 1]})
        if d.rule == "days_after_period_end" and d.days is not None:
            counts = {int(m.group(1)) for m in _DAYS.finditer(d.text)}
            found += [f"{n} days" for n in sorted(counts - {d.days})]
        if found:
            add("F022", path, f"return {rt.id!r}: the deadline text ({d.text!r}) names {', '.join(found)}, but the "
                              f"rule is {describe_deadline(d)}: correct the text or the rule")


def _home_folder(path: Path) -> str:
    """The frameworks folder a file belongs to (a file in ``versions/`` belongs to its parent)."""
    parent = path.resolve().parent
    return str(parent.parent if parent.name == VERSIONS_DIR else parent)


def _version_clashes(linted: list[LintedFile]) -> list[FrameworkProblem]:
    """F019: two files of one framework, in one folder and its ``versions/``, with the same
    version or the same effective date (a local folder shadowing the bundled one is fine)."""
    out: list[FrameworkProblem] = []
    seen_version: dict[tuple[str, str, str], str] = {}
    seen_date: dict[tuple[str, str, date], str] = {}
    for lf in linted:
        fw = lf.framework
        if fw is None:
            continue
        home = _home_folder(Path(lf.file))
        key_v = (home, fw.id, fw.version)
        if key_v in seen_version:
            out.append(FrameworkProblem(lf.file, _line(lf.lines, ("version",)), "F019",
                                        f"framework {fw.id} version {fw.version!r} is also in {seen_version[key_v]}: "
                                        "each version needs its own version string"))
        else:
            seen_version[key_v] = lf.file
        key_d = (home, fw.id, fw.effective_from)
        if key_d in seen_date:
            out.append(FrameworkProblem(lf.file, _line(lf.lines, ("effective_from",)), "F019",
                                        f"framework {fw.id} has two versions in force from "
                                        f"{fw.effective_from.isoformat()} (this file and {seen_date[key_d]}): "
                                        "which applies on that date is ambiguous"))
        else:
            seen_date[key_d] = lf.file
    return out
