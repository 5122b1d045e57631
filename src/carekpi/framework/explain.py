"""Framework problems in words, for the person editing the YAML file, and the parts of a file
set aside so that the rest can still be checked.

The schema is pydantic's, but its messages are not for people: ``returns.0.sections.0.fields.2.
defintion: Extra inputs are not permitted``. :func:`schema_message` says the same thing about
the YAML as written, naming the element by its id:

* an unknown key: ``unknown key 'defintion' in item 'calls_total' - did you mean 'definition'?``
  (the keys allowed there otherwise);
* a missing key: ``missing key 'label' in item 'calls_total'``;
* YAML's own readings: an unquoted ``Yes``, ``No``, ``On``, ``Off`` is read as true or false,
  ``2021.10`` as the number 2021.1, ``2021-10-01`` as a date: the message says so and how to
  quote it;
* a value not among those allowed, with the closest allowed value;
* a band scheme that does not exist, or a ``bands`` without ``scheme``.

:func:`yaml_message` says where a YAML syntax error is (line and column) and what it is, in
words ("a tab character: YAML indents with spaces only").

:func:`set_aside` removes what the schema refused (an unknown key; else the element holding
the bad value: the item, KPI, rule...) and returns the ids it removed, so the loader can check
everything else in the same run and drop the problems that only repeat the removal ("unknown
item" for an item set aside).
"""

from __future__ import annotations

import copy
import difflib
import re
import types
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel

from carekpi.framework.bands import SCHEMES
from carekpi.framework.model import EXCEL_NAME_ERROR, Framework

#: what the elements of each list in a framework file are called in messages
ELEMENT_NAMES = {
    "returns": "return type", "sections": "section", "fields": "item", "breakdowns": "breakdown",
    "categories": "category", "record_tables": "record table", "columns": "column", "derived": "derived value",
    "rules": "rule", "kpis": "KPI", "service_types": "service type", "notes": "note",
}
_TRUE_WORDS = r"yes|on|true|y"
_FALSE_WORDS = r"no|off|false|n"


# --- where an error is -----------------------------------------------------------------------


def data_path(data: Any, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """The path of ``loc`` in the YAML data: what pydantic adds (a band scheme's tag, a union
    member such as ``str`` or ``list[str]``, ``[key]``) is left out."""
    out: list[Any] = []
    node = data
    for part in loc:
        if _has(node, part):
            node = node[part]
            out.append(part)
        # anything else is pydantic's own label: skipped
    return tuple(out)


def _has(node: Any, key: Any) -> bool:
    """Whether ``node[key]`` is in the data (a mapping's key, or a list's index)."""
    if isinstance(node, list):
        return isinstance(key, int) and 0 <= key < len(node)
    if not isinstance(node, dict):
        return False
    try:
        return key in node
    except TypeError:
        return False


def where(data: Any, path: tuple[Any, ...]) -> str:
    """`` in item 'calls_total'``: the element holding ``path``, by its id (or its number)."""
    node = data
    found = ""
    for i, part in enumerate(path[:-1]):
        node = node[part]
        if isinstance(part, int) and i > 0 and isinstance(node, dict):
            kind = ELEMENT_NAMES.get(str(path[i - 1]), str(path[i - 1]))
            ident = node.get("id") if isinstance(node.get("id"), str) else None
            found = f" in {kind} {ident!r}" if ident else f" in {kind} {part + 1}"
    return found


def _models_at(loc: tuple[Any, ...]) -> list[type[BaseModel]]:
    """The model classes that hold the last key of ``loc`` (several where a union allows)."""
    current: list[Any] = [Framework]
    for part in loc[:-1]:
        nxt: list[Any] = []
        matched = False
        for tp in current:
            for alt in _alternatives(tp):
                if isinstance(alt, type) and issubclass(alt, BaseModel):
                    field = _field(alt, part) if isinstance(part, str) else None
                    if field is not None:
                        nxt.append(field)
                        matched = True
                    elif isinstance(part, str) and SCHEMES.get(part) is alt:
                        nxt.append(alt)  # a band scheme's tag: the same level, one model
                        matched = True
                elif get_origin(alt) is list and isinstance(part, int):
                    nxt.append(get_args(alt)[0])
                    matched = True
                elif get_origin(alt) is dict:
                    nxt.append(get_args(alt)[1])
                    matched = True
        if matched:
            current = nxt
    return [a for tp in current for a in _alternatives(tp) if isinstance(a, type) and issubclass(a, BaseModel)]


def _alternatives(tp: Any) -> list[Any]:
    origin = get_origin(tp)
    if origin is Annotated:
        return _alternatives(get_args(tp)[0])
    if origin in (Union, types.UnionType):
        return [a for arg in get_args(tp) if arg is not type(None) for a in _alternatives(arg)]
    return [tp]


def _field(model: type[BaseModel], key: str) -> Any | None:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info.annotation
    return None


def _keys(models: list[type[BaseModel]]) -> list[str]:
    return sorted({info.alias or name for m in models for name, info in m.model_fields.items()})


def _required(models: list[type[BaseModel]], key: str) -> bool:
    for m in models:
        for name, info in m.model_fields.items():
            if key in (name, info.alias):
                return info.is_required()
    return True


# --- schema errors in words ------------------------------------------------------------------


@dataclass(frozen=True)
class SchemaProblem:
    path: tuple[Any, ...]
    code: str
    message: str


def schema_problems(data: Any, errors: list[Any], text: str, lines_of: Any) -> list[SchemaProblem]:
    """Each pydantic error as one problem in words (the two errors pydantic gives for a value
    that is neither of a union's members are one problem)."""
    out: list[SchemaProblem] = []
    seen: set[tuple[Any, ...]] = set()
    source = text.splitlines()
    for err in errors:
        loc = tuple(err["loc"])
        path = data_path(data, loc)
        key = (*path, "[key]") if loc and loc[-1] == "[key]" else path
        if key in seen:
            continue
        seen.add(key)
        line = lines_of(path)
        line_text = source[line - 1] if line and 0 < line <= len(source) else ""
        code = "F004" if err["type"] == EXCEL_NAME_ERROR else "F002"
        out.append(SchemaProblem(path, code, schema_message(err, data, path, line_text)))
    return out


def schema_message(err: Any, data: Any, path: tuple[Any, ...], line_text: str = "") -> str:
    """One pydantic error, said about the YAML as written."""
    loc = tuple(err["loc"])
    kind, msg, value, ctx = err["type"], err["msg"], err.get("input"), err.get("ctx") or {}
    name = _key_name(loc, path)
    if kind == "missing":
        return f"missing key {loc[-1]!r}{where(data, (*path, loc[-1])) or ' at the top level'}"
    at = where(data, path) if path else ""
    if kind == EXCEL_NAME_ERROR and len(path) > 2 and path[-1] == "id" and isinstance(path[-2], int):
        return f"{ELEMENT_NAMES.get(str(path[-3]), str(path[-3]))} {msg.removeprefix('Value error, ')}"
    if kind == "extra_forbidden":
        allowed = _keys(_models_at(loc))
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
        hint = f" - did you mean {close[0]!r}?" if close else f" (allowed here: {', '.join(allowed)})"
        return f"unknown key {loc[-1]!r}{at}{hint}"
    if isinstance(value, bool):
        return _bool_message(value, loc, at, line_text)
    if kind == "string_type" and isinstance(value, (int, float, date)):
        typed = _typed(line_text, loc) or str(value)
        what = "a date" if isinstance(value, date) else "a number"
        read = "" if isinstance(value, date) or typed == str(value) else f" ({value})"
        return f"{name}{at}: YAML reads {typed} as {what}{read}, not text: write it in quotes, \"{typed}\""
    if kind in ("enum", "literal_error"):
        options = re.findall(r"'([^']*)'", ctx.get("expected", ""))
        close = difflib.get_close_matches(str(value), options, n=1, cutoff=0.6)
        hint = f" - did you mean {close[0]!r}?" if close else ""
        return f"{name} {value!r}{at} is not one of: {', '.join(options)}{hint}"
    if kind == "union_tag_invalid":
        options = re.findall(r"'([^']*)'", ctx.get("expected_tags", ""))
        close = difflib.get_close_matches(str(ctx.get("tag")), options, n=1, cutoff=0.6)
        hint = f" - did you mean {close[0]!r}?" if close else ""
        return f"band scheme {ctx.get('tag')!r}{at} is not one carekpi knows{hint} (schemes: {', '.join(options)})"
    if kind == "union_tag_not_found":
        return f"bands{at} needs a 'scheme' (one of: {', '.join(SCHEMES)})"
    if kind.startswith("date") or kind.startswith("datetime"):
        return f"{name} {_typed(line_text, loc) or value}{at} is not a date: write it as YYYY-MM-DD"
    if kind in ("list_type",):
        return f"{name}{at} must be a list: write each entry on its own line, starting '- '"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"{name}{at} must be a mapping (key: value lines), not {value!r}"
    if kind == "string_pattern_mismatch" and loc == ("id",):
        return f"framework id {value!r} must be lower-case letters, digits and hyphens, starting with a letter"
    if kind == EXCEL_NAME_ERROR or kind == "value_error":
        return f"{msg.removeprefix('Value error, ')}{at}"
    must = _MUST.get(kind)
    if must is None:
        limit = next((ctx[k] for k in ("ge", "gt", "le", "lt") if k in ctx), None)
        words = {"ge": "at least", "gt": "more than", "le": "at most", "lt": "less than"}
        must = next((f"must be {words[k]} {limit}" for k in ("ge", "gt", "le", "lt") if k in ctx),
                    msg.replace("Input should be", "must be"))
    return f"{name}{at} {must} (it is {_typed(line_text, loc) or repr(value)})"


_MUST = {
    "decimal_parsing": "must be a number", "decimal_type": "must be a number", "float_parsing": "must be a number",
    "float_type": "must be a number", "int_parsing": "must be a whole number", "int_type": "must be a whole number",
    "int_from_float": "must be a whole number", "bool_parsing": "must be true or false",
    "bool_type": "must be true or false", "string_type": "must be text",
}


def _key_name(loc: tuple[Any, ...], path: tuple[Any, ...]) -> str:
    for part in reversed(path):
        if isinstance(part, str):
            return part
    return str(loc[-1]) if loc else "(top level)"


def _typed(line_text: str, loc: tuple[Any, ...]) -> str | None:
    """What was written after ``key:`` on the line (before a comment)."""
    key = next((p for p in reversed(loc) if isinstance(p, str) and p != "[key]"), None)
    if key is None:
        return None
    m = re.search(rf"(?:^|[\s{{,]){re.escape(key)}\s*:\s*([^#,}}]+?)\s*(?:#.*)?[,}}]?\s*$", line_text)
    return m.group(1) if m else None


def _bool_message(value: bool, loc: tuple[Any, ...], at: str, line_text: str) -> str:
    words = _TRUE_WORDS if value else _FALSE_WORDS
    m = re.search(rf"(?<![\w'\"])({words})(?![\w'\"])", line_text, re.IGNORECASE)
    typed = m.group(1) if m else ("Yes" if value else "No")
    what = "the answer" if loc and loc[-1] == "[key]" else f"{_key_name(loc, ())}"
    return (f"{what} {typed}{at} is read by YAML as {str(value).lower()}, not as text: YAML reads unquoted Yes, No, "
            f"On, Off, True and False as true or false; write it in quotes, \"{typed}\"")


# --- YAML syntax errors in words -------------------------------------------------------------

_SYNTAX_WORDS: list[tuple[str, str]] = [
    (r"mapping values are not allowed here",
     "a ':' followed by a space inside a value: put the value in quotes, or check this line's indentation"),
    (r"could not find expected ':'",
     "this is not a 'key: value' line: is a ':' missing, or has a long value run onto the next line without quotes?"),
    (r"found character '\\t' that cannot start any token", "a tab character: YAML indents with spaces only"),
    (r"found a tab character", "a tab character: YAML indents with spaces only"),
    (r"expected <block end>, but found", "this line's indentation does not match the lines above it: keys at one "
                                         "level must line up exactly"),
    (r"did not find expected key", "this line's indentation does not match the lines above it: keys at one level "
                                   "must line up exactly"),
    (r"did not find expected '-' indicator", "a list entry ('- ') is not lined up with the entries above it"),
    (r"sequence entries are not allowed here",
     "a '- ' list entry where a value was expected: put a value that starts with '-' in quotes, or check the "
     "indentation"),
    (r"found unexpected end of stream", "a quoted value is never closed: its closing quote is missing"),
    (r"while scanning a quoted scalar", "a quoted value is never closed: its closing quote is missing"),
    (r"found unknown escape character", "a backslash in a double-quoted value: use single quotes, or write \\\\"),
    (r"found undefined alias", "a '*name' refers to an anchor '&name' that is not defined"),
    (r"duplicate key (.*)", "the key {0} is written twice in the same mapping: keep one"),
    (r"expected a single document", "the file holds more than one YAML document ('---'): a framework file is one"),
    (r"expected ',' or '\}'", "a { ... } mapping is not closed, or a comma is missing between its entries"),
    (r"expected ',' or '\]'", "a [ ... ] list is not closed, or a comma is missing between its entries"),
    (r"found character '(.)' that cannot start any token", "a value cannot start with {0}: put it in quotes"),
]


def yaml_message(exc: yaml.YAMLError) -> tuple[int | None, str]:
    """The line of a YAML syntax error and what it is, in words (the parser's own text where
    there are no better words)."""
    problem = str(getattr(exc, "problem", None) or exc)
    context = str(getattr(exc, "context", None) or "")
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if "quoted scalar" in context and getattr(exc, "context_mark", None) is not None:
        mark = getattr(exc, "context_mark", None)  # where the quote opened, not the end of the file
    line = mark.line + 1 if mark is not None else None
    column = f"column {mark.column + 1}: " if mark is not None else ""
    for pattern, words in _SYNTAX_WORDS:
        m = re.search(pattern, problem) or re.search(pattern, context)
        if m:
            return line, f"YAML syntax: {column}{words.format(*m.groups())}"
    return line, f"YAML syntax: {column}{problem}" + (f" ({context})" if context else "")


# --- setting aside what the schema refused ---------------------------------------------------

_REMOVED = object()


@dataclass
class SetAside:
    """The data with what the schema refused taken out, and the ids of the elements taken out."""

    data: Any
    ids: set[str]


def set_aside(data: Any, errors: list[Any], aside: SetAside | None = None) -> SetAside | None:
    """``data`` without what ``errors`` are about: an unknown key or a bad optional value is
    dropped (its default applies); otherwise the list element holding the bad value (an item,
    a KPI, a rule...) is taken out and its ids recorded. None when a required top-level value
    is bad in a way no placeholder can stand in for."""
    out = aside or SetAside(copy.deepcopy(data), set())
    root = out.data
    for err in errors:
        loc = tuple(err["loc"])
        path = data_path(root, loc)
        if _inside_removed(root, path):
            continue
        if err["type"] == "extra_forbidden" or (loc and loc[-1] == "[key]"):
            _delete(root, path)
            continue
        missing = err["type"] == "missing"  # then path is the mapping that lacks the key
        if not missing and path:
            parent = _node(root, path[:-1])
            key = path[-1]
            if isinstance(parent, list):
                _remove_element(root, path, out.ids)
                continue
            owners = _models_at(_loc_upto(loc, key))
            if isinstance(parent, dict) and (not owners or not _required(owners, str(key))):
                _delete(root, path)  # a bad optional value (its default applies), or one entry of a mapping
                continue
        key = loc[-1] if missing else (path[-1] if path else None)
        element = max((i for i, p in enumerate(path) if isinstance(p, int)), default=None)
        if element is not None:
            _remove_element(root, path[: element + 1], out.ids)
            continue
        if not (isinstance(key, str) and _placeholder(root, key)):
            return None
    out.data = _without_removed(root)
    return out


def _loc_upto(loc: tuple[Any, ...], key: Any) -> tuple[Any, ...]:
    """``loc`` up to and including its last ``key`` (pydantic's union labels after it cut off)."""
    for i in range(len(loc) - 1, -1, -1):
        if loc[i] == key:
            return loc[: i + 1]
    return loc


def _node(root: Any, path: tuple[Any, ...]) -> Any:
    node = root
    for part in path:
        node = node[part]
    return node


def _inside_removed(root: Any, path: tuple[Any, ...]) -> bool:
    node = root
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return True
        if node is _REMOVED:
            return True
    return False


def _delete(root: Any, path: tuple[Any, ...]) -> None:
    if not path:
        return
    parent = _node(root, path[:-1])
    if isinstance(parent, dict):
        parent.pop(path[-1], None)
    elif isinstance(parent, list):
        parent[path[-1]] = _REMOVED


def _remove_element(root: Any, path: tuple[Any, ...], ids: set[str]) -> None:
    element = _node(root, path)
    ids.update(_ids(element))
    _node(root, path[:-1])[path[-1]] = _REMOVED


def _ids(node: Any) -> set[str]:
    """Every id inside ``node``, and the item ids its breakdowns generate (``<id>_<category>``)."""
    out: set[str] = set()
    if isinstance(node, dict):
        if isinstance(node.get("id"), str):
            out.add(node["id"])
            for c in node.get("categories") or []:
                if isinstance(c, dict) and isinstance(c.get("id"), str):
                    out.add(f"{node['id']}_{c['id']}")
        for v in node.values():
            out |= _ids(v)
    elif isinstance(node, list):
        for v in node:
            out |= _ids(v)
    return out


def _placeholder(root: Any, key: str) -> bool:
    """Stand in for a bad required top-level text or date (the name, the version...), so the
    rest can be checked; a list (``returns``) has no stand-in: what refers to it would fail."""
    annotation = _field(Framework, key)
    value: Any = {str: "placeholder", date: date(2000, 1, 1)}.get(annotation) if isinstance(annotation, type) else None
    if value is None or not isinstance(root, dict):
        return False
    root[key] = value
    return True


def _without_removed(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_removed(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_without_removed(v) for v in node if v is not _REMOVED]
    return node
