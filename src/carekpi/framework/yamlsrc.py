"""YAML loading that remembers where every value came from.

``load_yaml`` returns plain Python data plus a :class:`LineMap` from a path of
keys/indexes (``("kpis", 0, "numerator")``) to the 1-based line it was written
on, so that schema and expression errors can name the YAML line.
"""

from __future__ import annotations

from typing import Any

import yaml


class LineMap:
    def __init__(self) -> None:
        self._lines: dict[tuple[Any, ...], int] = {}

    def set(self, path: tuple[Any, ...], line: int) -> None:
        self._lines[path] = line

    def line(self, path: tuple[Any, ...] | list[Any]) -> int | None:
        """Line of ``path`` or of its nearest recorded ancestor."""
        p = tuple(path)
        while p:
            if p in self._lines:
                return self._lines[p]
            p = p[:-1]
        return self._lines.get((), None)


class _Loader(yaml.SafeLoader):
    pass


# libyaml (PyYAML's C parser) reads a framework about twenty times faster and gives the same
# nodes and line marks; a file it refuses is parsed again by the Python parser, whose error
# messages are the ones carekpi explains in words.
_CLoader: type | None = getattr(yaml, "CSafeLoader", None)
_FastLoader: type | None = type("_FastLoader", (_CLoader,), {}) if _CLoader is not None else None


def _convert(loader: _Loader, node: yaml.Node, path: tuple[Any, ...], lines: LineMap) -> Any:
    lines.set(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if key in out:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            out[key] = _convert(loader, value_node, (*path, key), lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(loader, item, (*path, i), lines) for i, item in enumerate(node.value)]
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, OverflowError):  # 2024-13-01 looks like a date to YAML, but is not one
        raise yaml.constructor.ConstructorError(
            None, None, f"{node.value!r} is not a date: write it as YYYY-MM-DD, or in quotes if it is text",
            node.start_mark,
        ) from None


def load_yaml(text: str) -> tuple[Any, LineMap]:
    """Parse one YAML document; raise ``yaml.YAMLError`` (with a mark) on bad syntax."""
    if _FastLoader is not None:
        try:
            return _load(_FastLoader(text))
        except yaml.YAMLError:
            pass  # said again, in the Python parser's words, below
    return _load(_Loader(text))


def _load(loader: Any) -> tuple[Any, LineMap]:
    try:
        node = loader.get_single_node()
        lines = LineMap()
        data = None if node is None else _convert(loader, node, (), lines)
        return data, lines
    finally:
        loader.dispose()
