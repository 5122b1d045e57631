"""What changed between two versions of a framework, and what it means for providers.

:func:`diff_frameworks` compares two loaded frameworks and returns a
:class:`FrameworkDiff`: a list of :class:`Change` records, each with a
``category`` and a ``breaking`` flag judged *for providers*:

``workbook``
    what a provider fills in and how it is checked (items, record tables, rules).
``deadline``
    when returns are due (cadence, deadline, period boundaries).
``scoring``
    how KPIs are calculated and banded. Never breaking: a provider's workbook
    still fits, but results may move, so the renderers call these out.
``documentation``
    wording only (labels, definitions, notes, descriptions). Never breaking.

Breaking-change policy (a change is breaking when a provider's existing
filled-in workbook, or their submission routine, no longer fits):

* an item is removed, renamed (its id, which is the Excel defined name, changes)
  or retyped, when the provider supplies it;
* a new required provider item, or an existing item becomes required, becomes
  provider-supplied, or applies to more service types;
* tighter validation: choices removed, a higher minimum or lower maximum, a new
  error rule, an error rule whose check, condition or scope changed (or that
  was raised to an error), a new required record table or column, a removed
  or retyped column, fewer rows allowed, a record-table sheet renamed;
* a new or removed return type, a changed cadence or period boundaries, or a
  deadline that falls earlier for any of the next twelve periods;
* a removed service type.

Rename detection: an item id that disappears is paired with an item id that
appears in the same return type when exactly one of each has the same label
(case-insensitive) or the same non-empty definition; that is reported once as
``item_renamed`` (breaking), followed by any property changes of the pair. An
item that keeps its id but gets a new label is ``item_relabelled``
(documentation): the Excel name, which is how workbooks are read, is unchanged.

The renderers (text, markdown for a pull-request comment or a provider notice, and
stable JSON) are in :mod:`carekpi.render.diff`.
:func:`load_framework_ref` loads ``path``, ``id``, ``path@rev`` or ``id@rev``.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from carekpi.base.enums import Severity
from carekpi.base.errors import UsageError
from carekpi.framework.bands.base import DiffContext
from carekpi.framework.discovery import find_framework
from carekpi.framework.loader import load_framework, load_framework_text
from carekpi.framework.model import (
    Column,
    Deadline,
    Framework,
    ItemField,
    Kpi,
    Note,
    RecordTable,
    ReturnType,
    Rule,
    Source,
)
from carekpi.framework.periods import Period, deadline_for, period_for

CATEGORIES: tuple[str, ...] = ("workbook", "deadline", "scoring", "documentation")

_DEADLINE_PERIODS = 12  # periods compared to decide whether a deadline moved earlier
_GIT_TIMEOUT = 60


# --- data -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One difference between two framework versions.

    ``old`` / ``new`` are plain JSON values (``None`` when absent); ``path`` is dotted, by id
    (``returns.monthly.items.calls_total.type``); ``breaking`` is judged for providers.
    """

    kind: str
    path: str
    old: Any
    new: Any
    breaking: bool
    message: str
    category: str = "workbook"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": self.path,
            "old": self.old,
            "new": self.new,
            "breaking": self.breaking,
            "category": self.category,
            "message": self.message,
        }


@dataclass(frozen=True)
class FrameworkInfo:
    """The identifying header of one side of a diff."""

    id: str
    name: str
    version: str
    effective_from: date
    path: str | None = None

    @classmethod
    def of(cls, fw: Framework) -> FrameworkInfo:
        return cls(fw.id, fw.name, fw.version, fw.effective_from, fw.path)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "effective_from": self.effective_from.isoformat(),
        }


@dataclass(frozen=True)
class FrameworkDiff:
    """All changes from ``old`` to ``new``, in framework order."""

    old: FrameworkInfo
    new: FrameworkInfo
    changes: tuple[Change, ...] = field(default_factory=tuple)

    @property
    def breaking(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.breaking)

    @property
    def has_breaking(self) -> bool:
        return any(c.breaking for c in self.changes)

    @property
    def affects_scoring(self) -> bool:
        return any(c.category == "scoring" for c in self.changes)

    @staticmethod
    def categories() -> tuple[str, ...]:
        """The categories of change, in the order they are shown."""
        return CATEGORIES

    def in_category(self, category: str) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.category == category)

    @property
    def warnings(self) -> tuple[str, ...]:
        """What looks wrong about the new version as a version: a new version string whose
        ``effective_from`` is unchanged, or earlier than the old version's."""
        o, n = self.old, self.new
        if o.id != n.id or o.version == n.version:
            return ()
        if n.effective_from == o.effective_from:
            return (f"the version changed ({o.version} -> {n.version}) but effective_from is still "
                    f"{n.effective_from.isoformat()}: returns for every period since then would be validated against "
                    f"version {n.version}; set effective_from to the date version {n.version} applies from (and keep "
                    f"version {o.version} in the versions/ folder)",)
        if n.effective_from < o.effective_from:
            return (f"version {n.version} takes effect on {n.effective_from.isoformat()}, before version {o.version} "
                    f"did ({o.effective_from.isoformat()}): is effective_from right?",)
        return ()

    def __bool__(self) -> bool:
        return bool(self.changes)

    def to_dict(self) -> dict[str, Any]:
        """The diff as plain data, changes sorted by path then kind."""
        changes = sorted(self.changes, key=lambda c: (c.path, c.kind, c.message))
        warnings = {"warnings": list(self.warnings)} if self.warnings else {}
        return {
            **warnings,
            "old": self.old.to_dict(),
            "new": self.new.to_dict(),
            "summary": {
                "changes": len(self.changes),
                "breaking": len(self.breaking),
                "by_category": {cat: len(self.in_category(cat)) for cat in CATEGORIES},
            },
            "changes": [c.to_dict() for c in changes],
        }


# --- helpers --------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A JSON-ready copy of a model value (Decimal as text, enums as their value)."""
    if isinstance(value, Enum):
        return _plain(value.value)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, BaseModel):
        return _plain(value.model_dump(mode="python", by_alias=True, exclude_defaults=True))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    return str(value)


def _show(value: Any) -> str:
    """Short human form of a plain value, for messages."""
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value) or "(none)"
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def _named(label: str, ident: str) -> str:
    return f'"{label}" ({ident})'


def _kpi_name(k: Kpi) -> str:
    """``KPI 1 "% of Successful Calls"``, or ``KPI "label" (id)`` without a ref."""
    if not k.ref:
        return f'KPI "{k.label}" ({k.id})'
    ref = k.ref if k.ref.casefold().startswith("kpi") else f"KPI {k.ref}"
    return f'{ref} "{k.label}"'


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _service_set(applies_to: Sequence[str] | None, all_ids: set[str]) -> set[str]:
    return set(applies_to) if applies_to else set(all_ids)


def _applies_text(applies_to: Sequence[str] | None) -> str:
    return "all providers" if not applies_to else ", ".join(applies_to) + " providers"


def _lo_tighter(old: Decimal | None, new: Decimal | None) -> bool:
    return new is not None and (old is None or new > old)


def _hi_tighter(old: Decimal | None, new: Decimal | None) -> bool:
    return new is not None and (old is None or new < old)


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _renamed_expr(source: str | None, renames: dict[str, str]) -> str | None:
    """``source`` with renamed item ids replaced by their new ids."""
    if not source or not renames:
        return source
    return _NAME.sub(lambda m: renames.get(m.group(0), m.group(0)), source)


# --- the differ -----------------------------------------------------------------------------


class _Differ:
    def __init__(self, old: Framework, new: Framework) -> None:
        self.old = old
        self.new = new
        self.changes: list[Change] = []
        self.old_services = {s.id for s in old.service_types}
        self.new_services = {s.id for s in new.service_types}
        self.all_services = (self.old_services | self.new_services) or {"*"}
        #: per return type, old item id -> new item id for items reported as renamed
        self.renames: dict[str, dict[str, str]] = {}

    def add(self, kind: str, path: str, old: Any, new: Any, breaking: bool, message: str,
            category: str = "workbook") -> None:
        self.changes.append(
            Change(kind, path, _plain(old), _plain(new), breaking, message, category)
        )

    # generic: fields this module does not interpret (e.g. added to the model later)
    def other_fields(self, kind: str, path: str, what: str, old: BaseModel, new: BaseModel,
                     handled: set[str]) -> None:
        for name in sorted(type(new).model_fields):
            if name in handled or name not in type(old).model_fields:
                continue
            a, b = _plain(getattr(old, name)), _plain(getattr(new, name))
            if a != b:
                self.add(kind, f"{path}.{name}", a, b, False,
                         f"{what}: {name} changed from {_show(a)} to {_show(b)}.", "documentation")

    def notes(self, path: str, what: str, old: Sequence[Note], new: Sequence[Note]) -> None:
        before = {n.title: n for n in old}
        after = {n.title: n for n in new}
        for title, n in after.items():
            p = f"{path}.notes[{title}]"
            if title not in before:
                self.add("note_added", p, None, n.text, False,
                         f'{what}: new note "{title}".', "documentation")
            elif before[title] != n:
                self.add("note_changed", p, before[title].text, n.text, False,
                         f'{what}: note "{title}" changed.', "documentation")
        for title, n in before.items():
            if title not in after:
                self.add("note_removed", f"{path}.notes[{title}]", n.text, None, False,
                         f'{what}: note "{title}" removed.', "documentation")

    def text_field(self, kind: str, path: str, what: str, name: str, old: Any, new: Any) -> None:
        if old != new:
            self.add(kind, f"{path}.{name}", old, new, False,
                     f"{what}: {name.replace('_', ' ')} changed from {_show(_plain(old))} "
                     f"to {_show(_plain(new))}.", "documentation")

    # --- framework ----------------------------------------------------------------------

    def run(self) -> list[Change]:
        o, n = self.old, self.new
        for name in ("id", "name", "commissioner", "service", "source_document", "description"):
            a, b = getattr(o, name), getattr(n, name)
            if a != b:
                self.add(f"framework_{name}_changed", name, a, b, False,
                         f"The framework's {name.replace('_', ' ')} changed from {_show(a)} "
                         f"to {_show(b)}.", "documentation")
        if o.precision != n.precision:
            self.add("precision_changed", "precision", o.precision, n.precision, False,
                     f"KPI percentages are now shown and banded to {n.precision} decimal places "
                     f"(was {o.precision}).", "scoring")
        self.service_types()
        self.contract_defaults()
        self.notes("framework", "Framework", o.notes, n.notes)
        self.other_fields("framework_field_changed", "framework", "Framework", o, n, {
            "id", "name", "commissioner", "service", "source_document", "description", "version",
            "effective_from", "precision", "service_types", "contract_defaults", "returns",
            "kpis", "notes",
        })
        self.returns()
        self.kpis()
        return self.changes

    def service_types(self) -> None:
        old = {s.id: s for s in self.old.service_types}
        new = {s.id: s for s in self.new.service_types}
        for sid, s in new.items():
            if sid not in old:
                self.add("service_type_added", f"service_types.{sid}", None, s.label, False,
                         f'New service type {_named(s.label, sid)}.', "workbook")
            elif old[sid].label != s.label:
                self.add("service_type_relabelled", f"service_types.{sid}.label", old[sid].label,
                         s.label, False, f'Service type {sid} is now called "{s.label}".',
                         "documentation")
        for sid, s in old.items():
            if sid not in new:
                self.add("service_type_removed", f"service_types.{sid}", s.label, None, True,
                         f"Service type {_named(s.label, sid)} was removed; providers set up "
                         f"with it must choose another.", "workbook")

    def contract_defaults(self) -> None:
        a, b = self.old.contract_defaults, self.new.contract_defaults
        for key in sorted(set(a) | set(b)):
            if _plain(a.get(key)) != _plain(b.get(key)):
                self.add("contract_default_changed", f"contract_defaults.{key}", a.get(key),
                         b.get(key), False,
                         f"Contract default {key} changed from {_show(_plain(a.get(key)))} to "
                         f"{_show(_plain(b.get(key)))}.", "scoring")

    # --- return types -------------------------------------------------------------------

    def returns(self) -> None:
        old = {r.id: r for r in self.old.returns}
        new = {r.id: r for r in self.new.returns}
        for rid, r in new.items():
            path = f"returns.{rid}"
            if rid not in old:
                self.add("return_added", path, None, r.label, True,
                         f'New return type {_named(r.label, rid)} ({r.cadence.value}, '
                         f'due {describe_deadline(r.deadline)}): providers must submit it.',
                         "workbook")
            else:
                self.return_type(path, old[rid], r)
        for rid, r in old.items():
            if rid not in new:
                self.add("return_removed", f"returns.{rid}", r.label, None, True,
                         f"Return type {_named(r.label, rid)} was removed: providers no longer "
                         f"submit it.", "workbook")

    def return_type(self, path: str, o: ReturnType, n: ReturnType) -> None:
        what = f'Return "{n.label}"'
        if o.label != n.label:
            self.add("return_relabelled", f"{path}.label", o.label, n.label, False,
                     f'Return type {n.id} is now called "{n.label}" (was "{o.label}").',
                     "documentation")
        self.text_field("return_text_changed", path, what, "description", o.description,
                        n.description)
        self.schedule(path, o, n)
        self.items(path, o, n)
        self.sections(path, o, n)
        self.tables(path, o, n)
        self.derived(path, o, n)
        self.rules(path, o, n)
        self.notes(path, what, o.notes, n.notes)
        self.other_fields("return_field_changed", path, what, o, n, {
            "id", "label", "cadence", "deadline", "year_start_month", "anchor", "description",
            "sections", "record_tables", "derived", "rules", "notes",
        })

    def schedule(self, path: str, o: ReturnType, n: ReturnType) -> None:
        what = f'Return "{n.label}"'
        if o.cadence != n.cadence:
            self.add("cadence_changed", f"{path}.cadence", o.cadence, n.cadence, True,
                     f"{what} is now {n.cadence.value} (was {o.cadence.value}).", "deadline")
        uses = {"annual": "year_start_month", "four_weekly": "anchor"}.get(n.cadence.value)
        for name in ("year_start_month", "anchor"):
            a, b = getattr(o, name), getattr(n, name)
            if a != b:
                used = name == uses
                self.add("periods_changed", f"{path}.{name}", a, b, used and o.cadence == n.cadence,
                         f"{what}: {name.replace('_', ' ')} changed from {_show(_plain(a))} to "
                         f"{_show(_plain(b))}" + (", so its periods move." if used else "."),
                         "deadline" if used else "documentation")
        od = o.deadline.model_dump(exclude={"text"})
        nd = n.deadline.model_dump(exclude={"text"})
        if od != nd:
            earlier, example = self.deadline_shift(o, n)
            breaking = earlier or o.cadence != n.cadence
            how = "is earlier" if earlier else "changed"
            msg = (f'The deadline for the "{n.label}" {how}: now {describe_deadline(n.deadline)} '
                   f"(was {describe_deadline(o.deadline)})")
            self.add("deadline_changed", f"{path}.deadline", describe_deadline(o.deadline),
                     describe_deadline(n.deadline), breaking,
                     msg + (f"; {example}." if example else "."), "deadline")
        elif o.deadline.text != n.deadline.text:
            self.add("deadline_text_changed", f"{path}.deadline.text", o.deadline.text,
                     n.deadline.text, False, f"{what}: the deadline's wording changed.",
                     "documentation")

    def deadline_shift(self, o: ReturnType, n: ReturnType) -> tuple[bool, str]:
        """Whether the new deadline falls earlier for any of the next periods, and an example."""
        if o.cadence != n.cadence:
            return False, ""
        start = self.new.effective_from
        po, pn = period_for(o, start), period_for(n, start)
        earlier = False
        example = ""
        for i in range(_DEADLINE_PERIODS):
            do, dn = deadline_for(o, po), deadline_for(n, pn)
            if (dn - pn.end) < (do - po.end):
                earlier = True
            if i == 0 and do != dn:
                example = (f"the {pn.label} return is due {_long_date(dn)} instead of "
                           f"{_long_date(do)}")
            po, pn = _next_period(o, po), _next_period(n, pn)
        return earlier, example

    # --- items --------------------------------------------------------------------------

    def items(self, path: str, o: ReturnType, n: ReturnType) -> None:
        old = o.item_map()
        new = n.item_map()
        renamed = _pair_renames(
            [old[i] for i in old if i not in new], [new[i] for i in new if i not in old]
        )
        renamed_from = {b.id: a for a, b in renamed}
        self.renames[n.id] = {a.id: b.id for a, b in renamed}
        gone = {a.id for a, _ in renamed}
        for iid, item in new.items():
            ipath = f"{path}.items.{iid}"
            if iid in old:
                self.item(ipath, old[iid], item)
            elif iid in renamed_from:
                was = renamed_from[iid]
                provider = Source.provider in (was.source, item.source)
                self.add("item_renamed", ipath, was.id, iid, provider,
                         f"Item {_named(item.label, iid)} was renamed from {was.id} to {iid}; "
                         f"its name in the workbook changes.")
                self.item(ipath, was, item)
            else:
                self.item_added(ipath, item)
        for iid, item in old.items():
            if iid not in new and iid not in gone:
                provider = item.source == Source.provider
                self.add("item_removed", f"{path}.items.{iid}", iid, None, provider,
                         f"Item {_named(item.label, iid)} was removed"
                         + ("; providers no longer report it." if provider
                            else " (supplied by the commissioner)."))

    def item_added(self, path: str, item: ItemField) -> None:
        provider = item.source == Source.provider
        breaking = provider and item.required
        if not provider:
            tail = "supplied by the commissioner, not the provider"
        elif item.required:
            tail = f"required from {_applies_text(item.applies_to)}"
        else:
            tail = f"optional, for {_applies_text(item.applies_to)}"
        self.add("item_added", path, None, item.id, breaking,
                 f"New item {_named(item.label, item.id)} ({item.type.value}), {tail}.")

    def item(self, path: str, o: ItemField, n: ItemField) -> None:
        name = _named(n.label, n.id)
        provider = n.source == Source.provider
        if o.label != n.label:
            self.add("item_relabelled", f"{path}.label", o.label, n.label, False,
                     f'Item {n.id} is now labelled "{n.label}" (was "{o.label}").',
                     "documentation")
        for field_name in ("definition", "ref", "guidance"):
            self.text_field("item_text_changed", path, f"Item {name}", field_name,
                            getattr(o, field_name), getattr(n, field_name))
        if o.source != n.source:
            to_provider = n.source == Source.provider
            self.add("item_source_changed", f"{path}.source", o.source, n.source,
                     to_provider and n.required,
                     f"Item {name} is now supplied by the {n.source.value}"
                     + (", so providers must fill it in." if to_provider
                        else ", not the provider; providers no longer fill it in."))
        if o.type != n.type:
            self.add("item_retyped", f"{path}.type", o.type, n.type,
                     Source.provider in (o.source, n.source),
                     f"Item {name} changed type from {o.type.value} to {n.type.value}.")
        if o.required != n.required:
            self.add("item_required_changed", f"{path}.required", o.required, n.required,
                     provider and n.required,
                     f"Item {name} is now {'required' if n.required else 'optional'}.")
        elif n.required and o.required_when != n.required_when:
            when = f"only when {n.required_when}" if n.required_when else "always"
            self.add("item_required_changed", f"{path}.required_when", o.required_when, n.required_when,
                     provider, f"Item {name} is now required {when} (was "
                               f"{'only when ' + o.required_when if o.required_when else 'always'}).")
        olds = _service_set(o.applies_to, self.all_services)
        news = _service_set(n.applies_to, self.all_services)
        if olds != news:
            wider = bool(news - olds)
            self.add("item_applies_to_changed", f"{path}.applies_to", o.applies_to, n.applies_to,
                     wider and provider and n.required,
                     f"Item {name} now applies to {_applies_text(n.applies_to)} "
                     f"(was {_applies_text(o.applies_to)}).")
        oc, nc = o.allowed_choices(), n.allowed_choices()
        if oc != nc and (oc or nc):
            dropped = [c for c in (oc or []) if c not in (nc or [])]
            self.add("item_choices_changed", f"{path}.choices", oc, nc,
                     provider and bool(dropped) and nc is not None,
                     f"Item {name}: allowed answers changed from {_show(oc)} to {_show(nc)}"
                     + (f" ({', '.join(dropped)} no longer accepted)." if dropped and nc else "."))
        (olo, ohi), (nlo, nhi) = o.bounds(), n.bounds()
        if o.min != n.min or (o.type == n.type and olo != nlo):
            self.add("item_min_changed", f"{path}.min", olo, nlo,
                     provider and _lo_tighter(olo, nlo),
                     f"Item {name}: minimum changed from {_show(_plain(olo))} to "
                     f"{_show(_plain(nlo))}.")
        if o.max != n.max or (o.type == n.type and ohi != nhi):
            self.add("item_max_changed", f"{path}.max", ohi, nhi,
                     provider and _hi_tighter(ohi, nhi),
                     f"Item {name}: maximum changed from {_show(_plain(ohi))} to "
                     f"{_show(_plain(nhi))}.")
        self.notes(path, f"Item {name}", o.notes, n.notes)
        self.other_fields("item_field_changed", path, f"Item {name}", o, n, {
            "id", "label", "definition", "ref", "guidance", "source", "type", "required", "required_when",
            "applies_to", "choices", "min", "max", "notes",
        })

    # --- sections, tables, derived values, rules ----------------------------------------

    def sections(self, path: str, o: ReturnType, n: ReturnType) -> None:
        old = {s.id: s for s in o.sections}
        for s in n.sections:
            if s.id not in old:
                continue  # its items are reported one by one
            was = old[s.id]
            spath = f"{path}.sections.{s.id}"
            what = f'Section "{s.label}"'
            self.text_field("section_text_changed", spath, what, "label", was.label, s.label)
            self.text_field("section_text_changed", spath, what, "sheet", was.sheet, s.sheet)
            self.text_field("section_text_changed", spath, what, "description", was.description,
                            s.description)
            self.notes(spath, what, was.notes, s.notes)
            ob = {b.id: b for b in was.breakdowns}
            for b in s.breakdowns:
                if b.id in ob:
                    self.notes(f"{spath}.breakdowns.{b.id}", f'Breakdown "{b.label}"',
                               ob[b.id].notes, b.notes)
            self.other_fields("section_field_changed", spath, what, was, s, {
                "id", "label", "sheet", "description", "applies_to", "fields", "breakdowns",
                "notes",
            })

    def tables(self, path: str, o: ReturnType, n: ReturnType) -> None:
        old = {t.id: t for t in o.record_tables}
        new = {t.id: t for t in n.record_tables}
        for tid, t in new.items():
            tpath = f"{path}.record_tables.{tid}"
            if tid not in old:
                self.add("table_added", tpath, None, tid, t.required,
                         f'New record table {_named(t.label, tid)} on sheet "{t.sheet}" '
                         f"({'required' if t.required else 'optional'}).")
            else:
                self.table(tpath, old[tid], t)
        for tid, t in old.items():
            if tid not in new:
                self.add("table_removed", f"{path}.record_tables.{tid}", tid, None, True,
                         f"Record table {_named(t.label, tid)} was removed.")

    def table(self, path: str, o: RecordTable, n: RecordTable) -> None:
        name = f"Record table {_named(n.label, n.id)}"
        if o.label != n.label:
            self.add("table_relabelled", f"{path}.label", o.label, n.label, False,
                     f'{name} was called "{o.label}".', "documentation")
        self.text_field("table_text_changed", path, name, "description", o.description,
                        n.description)
        if o.sheet != n.sheet:
            self.add("table_sheet_changed", f"{path}.sheet", o.sheet, n.sheet, True,
                     f'{name} moved from sheet "{o.sheet}" to "{n.sheet}".')
        if o.max_rows != n.max_rows:
            self.add("table_max_rows_changed", f"{path}.max_rows", o.max_rows, n.max_rows,
                     n.max_rows < o.max_rows,
                     f"{name} now allows {n.max_rows} rows (was {o.max_rows}).")
        if o.required != n.required:
            self.add("table_required_changed", f"{path}.required", o.required, n.required,
                     n.required, f"{name} is now {'required' if n.required else 'optional'}.")
        olds = _service_set(o.applies_to, self.all_services)
        news = _service_set(n.applies_to, self.all_services)
        if olds != news:
            self.add("table_applies_to_changed", f"{path}.applies_to", o.applies_to,
                     n.applies_to, bool(news - olds) and n.required,
                     f"{name} now applies to {_applies_text(n.applies_to)} "
                     f"(was {_applies_text(o.applies_to)}).")
        oldc = {c.id: c for c in o.columns}
        newc = {c.id: c for c in n.columns}
        for cid, c in newc.items():
            cpath = f"{path}.columns.{cid}"
            if cid not in oldc:
                self.add("column_added", cpath, None, cid, c.required,
                         f"{name}: new {'required' if c.required else 'optional'} column "
                         f"{_named(c.label, cid)}.")
            else:
                self.column(cpath, name, oldc[cid], c)
        for cid, c in oldc.items():
            if cid not in newc:
                self.add("column_removed", f"{path}.columns.{cid}", cid, None, True,
                         f"{name}: column {_named(c.label, cid)} was removed.")
        self.notes(path, name, o.notes, n.notes)
        self.other_fields("table_field_changed", path, name, o, n, {
            "id", "label", "sheet", "description", "columns", "max_rows", "required",
            "applies_to", "notes",
        })

    def column(self, path: str, table: str, o: Column, n: Column) -> None:
        name = f"{table}: column {_named(n.label, n.id)}"
        if o.label != n.label:
            self.add("column_relabelled", f"{path}.label", o.label, n.label, False,
                     f'{name} was labelled "{o.label}".', "documentation")
        if o.type != n.type:
            self.add("column_retyped", f"{path}.type", o.type, n.type, True,
                     f"{name} changed type from {o.type.value} to {n.type.value}.")
        if o.required != n.required:
            self.add("column_required_changed", f"{path}.required", o.required, n.required,
                     n.required, f"{name} is now {'required' if n.required else 'optional'}.")
        if o.choices != n.choices:
            dropped = [c for c in (o.choices or []) if c not in (n.choices or [])]
            self.add("column_choices_changed", f"{path}.choices", o.choices, n.choices,
                     bool(dropped) and n.choices is not None,
                     f"{name}: allowed answers changed from {_show(o.choices)} to "
                     f"{_show(n.choices)}.")
        self.other_fields("column_field_changed", path, name, o, n,
                          {"id", "label", "type", "required", "choices"})

    def derived(self, path: str, o: ReturnType, n: ReturnType) -> None:
        old = {d.id: d for d in o.derived}
        new = {d.id: d for d in n.derived}
        renames = self.renames.get(n.id, {})
        for did, d in new.items():
            dpath = f"{path}.derived.{did}"
            if did not in old:
                self.add("derived_added", dpath, None, d.expr, False,
                         f"New derived value {_named(d.label, did)} = {d.expr}.", "scoring")
                continue
            was = old[did]
            if _renamed_expr(was.expr, renames) != d.expr:
                self.add("derived_changed", f"{dpath}.expr", was.expr, d.expr, False,
                         f"Derived value {_named(d.label, did)} is now {d.expr} "
                         f"(was {was.expr}).", "scoring")
            if was.label != d.label:
                self.add("derived_relabelled", f"{dpath}.label", was.label, d.label, False,
                         f'Derived value {did} is now labelled "{d.label}".', "documentation")
            self.notes(dpath, f"Derived value {_named(d.label, did)}", was.notes, d.notes)
        for did, d in old.items():
            if did not in new:
                self.add("derived_removed", f"{path}.derived.{did}", d.expr, None, False,
                         f"Derived value {_named(d.label, did)} was removed.", "scoring")

    def rules(self, path: str, o: ReturnType, n: ReturnType) -> None:
        old = _rule_map(o)
        new = _rule_map(n)
        renames = self.renames.get(n.id, {})
        for rid, r in new.items():
            rpath = f"{path}.rules.{rid}"
            error = r.severity == Severity.error
            if rid not in old:
                self.add("rule_added", rpath, None, r.check, error,
                         f"New {r.severity.value} check {rid}: {r.check}"
                         + (f" (when {r.when})" if r.when else "") + ".")
                continue
            was = old[rid]
            wcheck = _renamed_expr(was.check, renames) or ""
            wwhen = _renamed_expr(was.when, renames)
            check_changed, when_changed = wcheck != r.check, wwhen != r.when
            logic_changed = check_changed or when_changed
            wider = bool(_service_set(r.applies_to, self.all_services)
                         - _service_set(was.applies_to, self.all_services))
            raised = was.severity != Severity.error and error
            if logic_changed or was.applies_to != r.applies_to or was.severity != r.severity:
                old_v = {"check": was.check, "when": was.when, "severity": was.severity,
                         "applies_to": was.applies_to}
                new_v = {"check": r.check, "when": r.when, "severity": r.severity,
                         "applies_to": r.applies_to}
                parts = []
                if check_changed:
                    parts.append(f"check is now {r.check} (was {was.check})")
                if when_changed:
                    parts.append(f"condition is now {_show(r.when)} (was {_show(was.when)})")
                if was.severity != r.severity:
                    parts.append(f"severity is now {r.severity.value} "
                                 f"(was {was.severity.value})")
                if was.applies_to != r.applies_to:
                    parts.append(f"applies to {_applies_text(r.applies_to)} "
                                 f"(was {_applies_text(was.applies_to)})")
                self.add("rule_changed", rpath, old_v, new_v,
                         error and (logic_changed or wider or raised),
                         f"Check {rid}: " + "; ".join(parts) + ".")
            if was.message != r.message:
                self.add("rule_message_changed", f"{rpath}.message", was.message, r.message,
                         False, f"Check {rid}: its message changed.", "documentation")
            self.notes(rpath, f"Check {rid}", was.notes, r.notes)
        for rid, r in old.items():
            if rid not in new:
                self.add("rule_removed", f"{path}.rules.{rid}", r.check, None, False,
                         f"Check {rid} ({r.check}) was removed.")

    # --- KPIs ---------------------------------------------------------------------------

    def kpis(self) -> None:
        old = {k.id: k for k in self.old.kpis}
        new = {k.id: k for k in self.new.kpis}
        for kid, k in new.items():
            path = f"kpis.{kid}"
            if kid not in old:
                self.add("kpi_added", path, None, kid, False,
                         f"New {_kpi_name(k)} on the {k.return_type} return"
                         + (", a critical KPI" if k.critical else "") + ".", "scoring")
            else:
                self.kpi(path, old[kid], k)
        for kid, k in old.items():
            if kid not in new:
                self.add("kpi_removed", f"kpis.{kid}", kid, None, False,
                         f"{_kpi_name(k)} was removed.", "scoring")

    def kpi(self, path: str, o: Kpi, n: Kpi) -> None:
        name = _kpi_name(n)
        if o.label != n.label:
            self.add("kpi_relabelled", f"{path}.label", o.label, n.label, False,
                     f'{name} was called "{o.label}".', "documentation")
        self.text_field("kpi_text_changed", path, name, "ref", o.ref, n.ref)
        self.text_field("kpi_text_changed", path, name, "description", o.description,
                        n.description)
        for attr, field_name in (("return_type", "return"), ("kind", "kind"),
                                 ("numerator", "numerator"), ("denominator", "denominator"),
                                 ("value", "value"), ("unit", "unit"), ("precision", "precision")):
            a, b = getattr(o, attr), getattr(n, attr)
            same = a == b
            if attr in ("numerator", "denominator", "value"):
                same = _renamed_expr(a, self.renames.get(n.return_type, {})) == b
            if not same:
                self.add(f"kpi_{field_name}_changed", f"{path}.{field_name}", a, b, False,
                         f"{name}: {field_name} is now {_show(_plain(b))} "
                         f"(was {_show(_plain(a))}).", "scoring")
        olds = _service_set(o.applies_to, self.all_services)
        news = _service_set(n.applies_to, self.all_services)
        if olds != news:
            self.add("kpi_applies_to_changed", f"{path}.applies_to", o.applies_to, n.applies_to,
                     False, f"{name} now applies to {_applies_text(n.applies_to)} "
                     f"(was {_applies_text(o.applies_to)}).", "scoring")
        self.bands(path, name, o, n)
        if o.critical != n.critical:
            self.add("kpi_critical_changed", f"{path}.critical", o.critical, n.critical, False,
                     f"{name} is {'now' if n.critical else 'no longer'} a critical KPI.",
                     "scoring")
        if o.critical_when != n.critical_when:
            self.add("kpi_critical_when_changed", f"{path}.critical_when", o.critical_when,
                     n.critical_when, False,
                     f"{name}: critical-failure answers are now {_show(n.critical_when)} "
                     f"(was {_show(o.critical_when)}).", "scoring")
        for field_name in ("methodology", "consequences"):
            a, b = getattr(o, field_name), getattr(n, field_name)
            if a != b:
                self.add("kpi_text_changed", f"{path}.{field_name}", a, b, False,
                         f"{name}: {field_name} changed.", "documentation")
        self.notes(path, name, o.notes, n.notes)
        self.other_fields("kpi_field_changed", path, name, o, n, {
            "id", "label", "ref", "description", "return_type", "kind", "numerator",
            "denominator", "value", "unit", "precision", "applies_to", "bands", "critical",
            "critical_when", "methodology", "consequences", "notes",
        })

    def bands(self, path: str, name: str, o: Kpi, n: Kpi) -> None:
        ob, nb = o.bands, n.bands
        bpath = f"{path}.bands"
        if ob.scheme != nb.scheme:
            self.add("band_scheme_changed", f"{bpath}.scheme", ob.scheme, nb.scheme, False,
                     f"{name} is now banded by {nb.scheme} (was {ob.scheme})"
                     + (f": {nb.as_printed}" if nb.as_printed else "") + ".", "scoring")
            return
        for change in ob.diff_changes(nb, DiffContext(name, _show, _plain)):
            kind, category = ("band_text_changed", "documentation") if change.documentation else ("band_changed", "scoring")
            self.add(kind, f"{bpath}.{change.key}", change.old, change.new, False, change.message, category)


def _pair_renames(
    removed: list[ItemField], added: list[ItemField]
) -> list[tuple[ItemField, ItemField]]:
    """Pairs (old, new) that are one item under a new id: unique same label or definition."""

    def same(a: ItemField, b: ItemField) -> bool:
        if a.label.strip().casefold() == b.label.strip().casefold():
            return True
        return bool(a.definition) and (a.definition or "").strip() == (b.definition or "").strip()

    pairs = []
    for a in removed:
        matches = [b for b in added if same(a, b)]
        if len(matches) == 1 and [x for x in removed if same(x, matches[0])] == [a]:
            pairs.append((a, matches[0]))
    return pairs


def _rule_map(rt: ReturnType) -> dict[str, Rule]:
    """The return's rules by id, with each breakdown's reconciliation as a rule of its own."""
    out = {r.id: r for r in rt.rules}
    for s in rt.sections:
        for b in s.breakdowns:
            if b.total and b.source == Source.provider:
                op = "==" if b.reconcile == "equal" else "<="
                parts = ", ".join(b.item_id(c) for c in b.categories)
                out.setdefault(f"{b.id}_reconciles", Rule(
                    id=f"{b.id}_reconciles", check=f"sum({parts}) {op} {b.total}",
                    applies_to=b.applies_to,
                ))
    return out


def _next_period(rt: ReturnType, p: Period) -> Period:
    return period_for(rt, p.end + timedelta(days=1))


def _long_date(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


_ORDINAL = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd", 31: "st"}


def _ordinal(n: int) -> str:
    return f"{n}{_ORDINAL.get(n, 'th')}"


def describe_deadline(d: Deadline) -> str:
    """A deadline rule in words: "the 7th of the following month"."""
    if d.rule == "day_of_following_month":
        day = _ordinal(d.day or 1)
        if d.months_after == 1:
            text = f"the {day} of the following month"
        elif d.months_after == 0:
            text = f"the {day} of the period's last month"
        else:
            text = f"the {day} of the month {d.months_after} months after the period"
    elif d.rule == "fixed":
        month = date(2000, d.month or 1, 1).strftime("%B")
        text = f"{d.day} {month} after the period ends"
    else:
        unit = "working day" if d.working_days else "day"
        text = f"{_plural(d.days or 0, unit)} after the period ends"
    if d.not_working_day == "previous":
        text += " (the working day before, if not a working day)"
    elif d.not_working_day == "next":
        text += " (the next working day, if not a working day)"
    return text


def diff_frameworks(old: Framework, new: Framework) -> FrameworkDiff:
    """Every change from ``old`` to ``new``, each classified for providers (see module doc)."""
    changes = _Differ(old, new).run()
    return FrameworkDiff(FrameworkInfo.of(old), FrameworkInfo.of(new), tuple(changes))


# --- renderers ------------------------------------------------------------------------------


# --- loading a framework at a git revision --------------------------------------------------


def _looks_like_path(spec: str) -> bool:
    return "/" in spec or "\\" in spec or spec.endswith((".yaml", ".yml"))


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False,
                              timeout=_GIT_TIMEOUT)
    except FileNotFoundError:
        raise UsageError("git is not installed, so a framework cannot be read at a git "
                         "revision.") from None
    except subprocess.TimeoutExpired:
        raise UsageError(f"git did not answer within {_GIT_TIMEOUT} seconds.") from None
    except OSError as exc:
        raise UsageError(f"git could not be run in {cwd}: {exc}.") from None


def _git_root(cwd: Path) -> Path:
    res = _git(["rev-parse", "--show-toplevel"], cwd)
    if res.returncode != 0:
        raise UsageError(f"{cwd} is not inside a git repository, so a framework cannot be read "
                         f"at a git revision.")
    return Path(res.stdout.decode("utf-8", "replace").strip()).resolve()


def _load_at_rev(spec: str, rev: str, cwd: Path, ref: str) -> Framework:
    if not spec or not rev:
        raise UsageError(f"{ref!r} is not a framework reference: write ID_OR_PATH@REVISION, "
                         f"e.g. surrey@main.")
    if rev.startswith("-") or any(ch.isspace() for ch in rev):
        raise UsageError(f"{rev!r} is not a git revision.")
    root = _git_root(cwd)
    if _looks_like_path(spec):
        target = (cwd / spec).resolve()
        try:
            candidates = [target.relative_to(root).as_posix()]
        except ValueError:
            raise UsageError(f"{spec} is outside the git repository at {root}, so it cannot be "
                             f"read at revision {rev!r}.") from None
    else:
        candidates = [f"frameworks/{spec}.yaml", f"frameworks/{spec}.yml"]
    res = _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], root)
    if res.returncode != 0:
        raise UsageError(f"{rev!r} is not a revision of the git repository at {root}.")
    for rel in candidates:
        shown = _git(["show", f"{rev}:{rel}"], root)
        if shown.returncode == 0:
            try:
                text = shown.stdout.decode("utf-8")
            except UnicodeDecodeError:
                raise UsageError(f"{rel} at revision {rev!r} is not UTF-8 text.") from None
            return load_framework_text(text, f"{rel}@{rev}")
    raise UsageError(f"{candidates[0]} does not exist at revision {rev!r}.")


def load_framework_ref(ref: str, cwd: str | Path | None = None, *, extra: list[Path] | None = None) -> Framework:
    """Load ``path``, ``id``, ``path@rev`` or ``id@rev`` (an id is ``frameworks/<id>.yaml``).

    ``@rev`` reads the file as committed at a git revision (``git show REV:path``); a path is
    relative to ``cwd``; an id not in ``cwd/frameworks`` is looked up in ``extra`` folders, then
    the bundled frameworks. Bad references raise :class:`~carekpi.base.errors.UsageError`; a file
    that does not load raises :class:`~carekpi.base.errors.FrameworkError` naming ``path@rev``.
    """
    base = Path(cwd) if cwd is not None else Path.cwd()
    ref = ref.strip()
    if not ref:
        raise UsageError("An empty framework reference was given: name a framework id or path.")
    spec, sep, rev = ref.partition("@")
    if sep:
        return _load_at_rev(spec, rev, base, ref)
    if _looks_like_path(spec):
        path = base / spec
        if not path.is_file():
            raise UsageError(f"{spec} is not a file.")
        return load_framework(path)
    for suffix in (".yaml", ".yml"):
        local = base / "frameworks" / f"{spec}{suffix}"
        if local.is_file():
            return load_framework(local)
    return find_framework(spec, extra)
