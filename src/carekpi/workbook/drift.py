"""Template drift: how a committed or circulated workbook differs from the template the
framework generates now (``carekpi template --check FILE``).

The workbook is compared structurally with :func:`carekpi.workbook.template.build_template` (never
byte for byte, so a template Excel has opened and saved unchanged is clean). Compared:

* sheets: missing, extra, order, hidden or shown (``sheet_*``);
* defined names: missing, extra, renamed (an extra name pointing where a missing one
  should), moved to another cell (``name_*``);
* cell contents outside the input cells: labels and other text (``label_changed``), KPI
  and summary formulas (``formula_changed``), other values (``value_changed``), and the
  hidden ``_carekpi`` metadata sheet (``metadata_changed``; the generator's version is
  ignored);
* data validation of every cell (``validation_missing`` / ``_unexpected`` / ``_changed``),
  including input messages and error alerts;
* protection: each sheet's protection settings and each cell's locked flag
  (``protection_changed``);
* the number formats of input cells, which say how typed values are read (``format_changed``);
* conditional formatting, which colours the bands (``formatting_changed``).

Values typed into input cells are data, not template, and are not compared. Cells with the
same change next to each other in a column are reported once, as a range.
"""

from __future__ import annotations

import io
import re
import shlex
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from carekpi.framework.cover import META_SHEET
from carekpi.framework.model import Framework
from carekpi.workbook.layout import Layout
from carekpi.workbook.openpyxl_load import load_workbook
from carekpi.workbook.template import build_template

#: metadata rows that legitimately differ between two generations of the same template
IGNORED_META_KEYS = {"generator"}
_PROTECTION_FLAGS = (
    "sheet", "objects", "scenarios", "formatCells", "formatColumns", "formatRows", "insertColumns", "insertRows",
    "insertHyperlinks", "deleteColumns", "deleteRows", "selectLockedCells", "selectUnlockedCells", "sort",
    "autoFilter", "pivotTables",
)
_DV_FIELDS = ("type", "operator", "formula1", "formula2", "allow_blank", "showErrorMessage", "showInputMessage",
              "errorStyle", "promptTitle", "prompt", "errorTitle", "error")
_SHOWN = 80


@dataclass(frozen=True)
class Drift:
    """One difference between a workbook and the template generated now."""

    kind: str
    location: str  # "Sheet!C12", "Sheet!C5:C9", a sheet name or a defined name
    expected: str | None
    found: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.kind}: {self.message}"


def _short(value: Any) -> str:
    text = str(value).replace("\n", " ")
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def _quoted(value: Any) -> str:
    return "nothing" if value is None else repr(_short(value))


def _load(data: bytes) -> Workbook:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(io.BytesIO(data), keep_vba=False, keep_links=False, rich_text=False)


def expected_workbook(fw: Framework, return_id: str | None = None) -> tuple[Workbook, Layout]:
    """The template as generated now, saved and read back exactly as a file would be."""
    wb, layout = build_template(fw, return_id)
    buf = io.BytesIO()
    wb.save(buf)
    return _load(buf.getvalue()), layout


def check_template(fw: Framework, path: str | Path, return_id: str | None = None) -> list[Drift]:
    """Every difference between the workbook at ``path`` and ``fw``'s template for ``return_id``.

    Raises :class:`~carekpi.base.errors.UnreadableWorkbook` when the file cannot be read.
    """
    found = load_workbook(path)
    rid = return_id or fw.returns[0].id
    expected, layout = expected_workbook(fw, rid)
    return _Comparer(expected, found, layout).run()


class _Comparer:
    def __init__(self, expected: Workbook, found: Workbook, layout: Layout):
        self.exp = expected
        self.got = found
        self.layout = layout
        self.drifts: list[Drift] = []
        self.names_at = {(s.sheet, s.coordinate): s.name for s in layout.slots.values()}
        self.input_cells = {(s.sheet, s.coordinate) for s in layout.slots.values() if s.kind == "input"}

    def add(self, kind: str, location: str, expected: Any, found: Any, message: str) -> None:
        self.drifts.append(Drift(kind, location, None if expected is None else str(expected),
                                 None if found is None else str(found), message))

    def run(self) -> list[Drift]:
        self.sheets()
        self.defined_names()
        for title in self.exp.sheetnames:
            if title not in self.got.sheetnames:
                continue
            ws_e, ws_g = self.exp[title], self.got[title]
            if not isinstance(ws_e, Worksheet) or not isinstance(ws_g, Worksheet):
                continue
            self.sheet_protection(ws_e, ws_g)
            self.cells(ws_e, ws_g)
            self.validations(ws_e, ws_g)
            self.formatting(ws_e, ws_g)
        return self.drifts

    # -- sheets and names ----------------------------------------------------------------------
    def sheets(self) -> None:
        exp, got = self.exp.sheetnames, self.got.sheetnames
        for title in exp:
            if title not in got:
                self.add("sheet_missing", title, title, None, f"sheet {title!r} is missing")
        for title in got:
            if title not in exp:
                self.add("sheet_unexpected", title, None, title, f"sheet {title!r} is not in the template")
        common_e = [t for t in exp if t in got]
        common_g = [t for t in got if t in exp]
        if common_e != common_g:
            self.add("sheet_order", "workbook", ", ".join(common_e), ", ".join(common_g),
                     f"sheets are in a different order: expected {', '.join(common_e)}")
        for title in common_e:
            s_e, s_g = self.exp[title].sheet_state, self.got[title].sheet_state
            if s_e != s_g:
                self.add("sheet_state_changed", title, s_e, s_g, f"sheet {title!r} is {s_g}, expected {s_e}")

    def _names(self, wb: Workbook) -> dict[str, str]:
        out = {name: str(dn.attr_text) for name, dn in wb.defined_names.items()}
        for ws in wb.worksheets:
            for name, dn in ws.defined_names.items():
                out.setdefault(name, str(dn.attr_text))
        return out

    def defined_names(self) -> None:
        exp, got = self._names(self.exp), self._names(self.got)
        missing = [n for n in exp if n not in got]
        extra = {n: ref for n, ref in got.items() if n not in exp}
        by_ref: dict[str, list[str]] = {}
        for n, ref in extra.items():
            by_ref.setdefault(_norm_ref(ref), []).append(n)
        for name in missing:
            candidates = by_ref.get(_norm_ref(exp[name]), [])
            if len(candidates) == 1:
                new = candidates[0]
                extra.pop(new, None)
                self.add("name_renamed", name, name, new,
                         f"defined name renamed from {new!r} (in this workbook) to {name!r} (in the template "
                         f"generated now), at {exp[name]}: carekpi reads cells by their names, so this item would "
                         "be found by its label or not at all")
            else:
                self.add("name_missing", name, exp[name], None, f"defined name {name!r} ({exp[name]}) is missing")
        for name, ref in extra.items():
            self.add("name_unexpected", name, None, ref, f"defined name {name!r} ({ref}) is not in the template")
        for name, ref in exp.items():
            if name in got and _norm_ref(got[name]) != _norm_ref(ref):
                self.add("name_moved", name, ref, got[name], f"defined name {name!r} points at {got[name]}, "
                                                             f"expected {ref}")

    # -- cells ---------------------------------------------------------------------------------
    def sheet_protection(self, ws_e: Worksheet, ws_g: Worksheet) -> None:
        pe, pg = ws_e.protection, ws_g.protection
        if bool(pe.sheet) and not bool(pg.sheet):
            self.add("protection_changed", ws_e.title, "protected", "unprotected",
                     f"sheet {ws_e.title!r} is not protected: providers can overwrite labels and formulas")
            return
        diffs = [f for f in _PROTECTION_FLAGS if bool(getattr(pe, f)) != bool(getattr(pg, f))]
        if diffs:
            self.add("protection_changed", ws_e.title, _flags(pe, diffs), _flags(pg, diffs),
                     f"sheet {ws_e.title!r} protection settings differ: {', '.join(diffs)}")

    def cells(self, ws_e: Worksheet, ws_g: Worksheet) -> None:
        title = ws_e.title
        meta = title == META_SHEET
        ignored_rows: set[int] = set()
        if meta:
            for ws in (ws_e, ws_g):
                for (key_cell,) in ws.iter_rows(min_col=1, max_col=1):
                    if key_cell.value in IGNORED_META_KEYS and key_cell.row is not None:
                        ignored_rows.add(key_cell.row)
        coords = sorted(set(_filled(ws_e)) | set(_filled(ws_g)) | set(_unlocked(ws_e)) | set(_unlocked(ws_g)))
        content: dict[tuple[str, Any, Any], list[tuple[int, int]]] = {}
        locks: dict[tuple[bool, bool], list[tuple[int, int]]] = {}
        for row, col in coords:
            c_e, c_g = ws_e.cell(row=row, column=col), ws_g.cell(row=row, column=col)
            locked_e, locked_g = bool(c_e.protection.locked), bool(c_g.protection.locked)
            if locked_e != locked_g:
                locks.setdefault((locked_e, locked_g), []).append((row, col))
            if not locked_e:
                coord = f"{get_column_letter(col)}{row}"
                if (title, coord) in self.input_cells and \
                        _number_format(c_e.number_format) != _number_format(c_g.number_format):
                    self.add("format_changed", f"{title}!{coord}", c_e.number_format, c_g.number_format,
                             f"{self._what(title, coord)} has number format {c_g.number_format!r}, expected "
                             f"{c_e.number_format!r} (the format says how a typed value is read)")
                continue  # what is typed into an input cell is data, not template
            v_e, v_g = c_e.value, c_g.value
            if v_e == v_g or (meta and row in ignored_rows):
                continue
            if meta:
                kind = "metadata_changed"
            elif _is_formula(v_e) or _is_formula(v_g):
                kind = "formula_changed"
            elif isinstance(v_e, str) or isinstance(v_g, str):
                kind = "label_changed"
            else:
                kind = "value_changed"
            content.setdefault((kind, v_e, v_g), []).append((row, col))
        for (kind, v_e, v_g), cells in content.items():
            for span in _spans(cells):
                coord = span.split(":")[0]
                what = self._what(title, coord)
                if meta:
                    key = ws_e[f"A{coord[1:]}"].value if coord.startswith("B") else None
                    what = f"metadata {key}" if key else what
                self.add(kind, f"{title}!{span}", v_e, v_g, f"{what}: {_difference(v_e, v_g)}")
        for (locked_e, _), cells in locks.items():
            for span in _spans(cells):
                if locked_e:
                    msg = "unlocked, but the template locks it: providers could overwrite it"
                else:
                    msg = "locked, but the template leaves it open for providers to fill in"
                self.add("protection_changed", f"{title}!{span}", "locked" if locked_e else "unlocked",
                         "unlocked" if locked_e else "locked", f"cell {span} is {msg}")

    def _what(self, sheet: str, coord: str) -> str:
        name = self.names_at.get((sheet, coord))
        return f"cell {coord} ({name})" if name else f"cell {coord}"

    # -- validation and formatting -------------------------------------------------------------
    def validations(self, ws_e: Worksheet, ws_g: Worksheet) -> None:
        exp, got = _validation_map(ws_e), _validation_map(ws_g)
        groups: dict[tuple[str, Any, Any], list[tuple[int, int]]] = {}
        for cell in sorted(set(exp) | set(got)):
            a, b = exp.get(cell), got.get(cell)
            if a == b:
                continue
            kind = "validation_missing" if b is None else "validation_unexpected" if a is None else "validation_changed"
            groups.setdefault((kind, a, b), []).append(cell)
        for (kind, a, b), cells in groups.items():
            for span in _spans(cells):
                where = self._what(ws_e.title, span.split(":")[0]) if ":" not in span else f"cells {span}"
                shown_a, shown_b = _describe_dv(a), _describe_dv(b)
                if kind == "validation_missing":
                    msg = f"{where} has lost its data validation ({shown_a}): anything can be typed in it"
                elif kind == "validation_unexpected":
                    msg = f"{where} has data validation the template does not have ({shown_b})"
                else:
                    msg = f"{where} data validation changed: {_dv_changes(a, b)}"
                self.add(kind, f"{ws_e.title}!{span}", shown_a if a else None, shown_b if b else None, msg)

    def formatting(self, ws_e: Worksheet, ws_g: Worksheet) -> None:
        exp, got = _formatting(ws_e), _formatting(ws_g)
        for key in sorted(exp - got):
            self.add("formatting_changed", f"{ws_e.title}!{key[0]}", _describe_cf(key), None,
                     f"conditional formatting of {key[0]} is missing ({_describe_cf(key)}): bands are not coloured")
        for key in sorted(got - exp):
            self.add("formatting_changed", f"{ws_e.title}!{key[0]}", None, _describe_cf(key),
                     f"conditional formatting of {key[0]} is not in the template ({_describe_cf(key)})")


# --- helpers ----------------------------------------------------------------------------------


def _difference(expected: Any, found: Any) -> str:
    """``expected X, found Y``, showing where two long texts first differ."""
    if not (isinstance(expected, str) and isinstance(found, str)) or max(len(expected), len(found)) <= _SHOWN:
        return f"expected {_quoted(expected)}, found {_quoted(found)}"
    i = 0
    while i < min(len(expected), len(found)) and expected[i] == found[i]:
        i += 1
    start = max(0, i - 20)
    lead = "..." if start else ""

    def part(text: str) -> str:
        piece = text[start:start + 50]
        return repr(lead + piece + ("..." if start + 50 < len(text) else ""))

    return f"differs from character {i + 1}: expected {part(expected)}, found {part(found)}"


def _norm_ref(ref: str) -> str:
    return ref.replace("$", "").replace("'", "").casefold()


def _is_formula(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("=")


def _flags(protection: Any, names: Iterable[str]) -> str:
    return ", ".join(f"{n}={'on' if getattr(protection, n) else 'off'}" for n in names)


def _filled(ws: Worksheet) -> Iterable[tuple[int, int]]:
    return (key for key, cell in ws._cells.items() if cell.value is not None)


def _unlocked(ws: Worksheet) -> Iterable[tuple[int, int]]:
    return (key for key, cell in ws._cells.items() if cell.has_style and not cell.protection.locked)


def _validation_map(ws: Worksheet) -> dict[tuple[int, int], tuple[Any, ...]]:
    out: dict[tuple[int, int], tuple[Any, ...]] = {}
    for dv in ws.data_validations.dataValidation:
        sig = _dv_signature(dv)
        for rng in dv.sqref.ranges:
            for row, col in rng.cells:
                out[(row, col)] = sig
    return out


def _dv_signature(dv: Any) -> tuple[Any, ...]:
    """A validation's settings, with what the file format leaves implicit made explicit (an
    absent operator is ``between``; a list has no operator; ``formula2`` only matters for
    ``between``), so that a template re-saved by Excel or LibreOffice compares equal."""
    d = {f: _dv_value(getattr(dv, f, None)) for f in _DV_FIELDS}
    if d["type"] in (None, "list", "custom"):
        d["operator"] = d["formula2"] = None
    else:
        d["operator"] = d["operator"] or "between"
        if d["operator"] not in ("between", "notBetween"):
            d["formula2"] = None
    for flag in ("allow_blank", "showErrorMessage", "showInputMessage"):
        d[flag] = bool(d[flag])
    d["errorStyle"] = d["errorStyle"] or "stop"
    return tuple(d[f] for f in _DV_FIELDS)


def _number_format(fmt: str | None) -> str:
    """A number format with escapes that change nothing removed (``mmmm\\ yyyy`` is ``mmmm yyyy``)."""
    return re.sub(r"\\([ ()+:\-£$€])", r"\1", fmt or "General")


def _dv_value(value: Any) -> Any:
    if value is None or isinstance(value, (str, bool)):
        return value
    return str(value)


def _describe_dv(sig: tuple[Any, ...] | None) -> str:
    """The rule of a validation, e.g. ``whole between 0 and 100`` or ``list "Yes,No"``."""
    if sig is None:
        return "none"
    d = dict(zip(_DV_FIELDS, sig, strict=True))
    text = str(d["type"] or "any value")
    if d["operator"]:
        text += f" {d['operator']}"
    if d["formula1"] is not None:
        text += f" {d['formula1']}"
    if d["formula2"] is not None:
        text += f" and {d['formula2']}"
    return text


def _dv_changes(a: tuple[Any, ...], b: tuple[Any, ...]) -> str:
    """What differs between two validations, setting by setting."""
    changes = [f"{name} {_quoted(x)} is now {_quoted(y)}" for name, x, y in zip(_DV_FIELDS, a, b, strict=True)
               if x != y]
    return "; ".join(changes)


def _formatting(ws: Worksheet) -> set[tuple[str, str, str, str]]:
    out: set[tuple[str, str, str, str]] = set()
    for cf in ws.conditional_formatting:
        for rule in cf.rules:
            out.add((str(cf.sqref), str(rule.type), str(rule.operator), ",".join(str(f) for f in rule.formula or [])))
    return out


def _describe_cf(key: tuple[str, str, str, str]) -> str:
    _, kind, op, formula = key
    return f"{kind} {op} {formula}".strip()


def _spans(cells: list[tuple[int, int]]) -> list[str]:
    """Cells (row, column) as coordinates, runs down a column joined into ranges (C5:C9)."""
    out: list[str] = []
    by_col: dict[int, list[int]] = {}
    for row, col in cells:
        by_col.setdefault(col, []).append(row)
    for col in sorted(by_col):
        rows = sorted(by_col[col])
        letter = get_column_letter(col)
        start = prev = rows[0]
        for r in [*rows[1:], None]:
            if r is not None and r == prev + 1:
                prev = r
                continue
            out.append(f"{letter}{start}" if start == prev else f"{letter}{start}:{letter}{prev}")
            if r is not None:
                start = prev = r
    return out


@dataclass(frozen=True)
class TemplateCheck:
    """``template --check`` of one workbook: its drifts, or why it could not be checked, and
    the command that regenerates it (:func:`regenerate_command`)."""

    file: str
    drifts: tuple[Drift, ...] = ()
    error: str | None = None
    regenerate: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.file}
        if self.error is not None:
            out["error"] = self.error
        else:
            out["drift"] = bool(self.drifts)
            if self.regenerate and self.drifts:
                out["regenerate"] = self.regenerate
            out["drifts"] = [{"kind": d.kind, "location": d.location, "expected": d.expected, "found": d.found,
                              "message": d.message} for d in self.drifts]
        return out


def regenerate_command(fw: Framework, framework_ref: str, return_id: str, file: str | Path,
                       frameworks_dirs: list[Path] | None = None) -> str:
    """The exact command that writes the template ``file`` should be: the framework as it was
    named (an id, or the path of its YAML file), the return type where the framework has
    several, the folders named with ``--frameworks-dir``, and the file itself."""
    args = ["carekpi", "template", "--framework", framework_ref]
    if len(fw.returns) > 1:
        args += ["--return", return_id]
    for d in frameworks_dirs or []:
        args += ["--frameworks-dir", str(d)]
    args += ["-o", str(file)]
    return " ".join(shlex.quote(a) for a in args)
