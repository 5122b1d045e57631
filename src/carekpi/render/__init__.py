"""Renderers: every result carekpi gives, in every format, found through one registry.

:mod:`carekpi.render.registry` maps (format, result type) to a function. The modules below
register them: by format for findings, scores and lint problems (``text``, ``json``, ``csv``,
``github``, ``sarif``, ``xlsx``), by result for framework diffs (``diff``: text, markdown,
JSON), template drift (``drift``: text, JSON, GitHub) and framework descriptions
(``framework``: ``frameworks`` and ``frameworks show``). Adding a format is one module plus
its import here.

May import: every layer below it, but at module level only the standard library and
``carekpi.base``: what a renderer needs (rich, openpyxl, the framework model) is imported when
it runs, so the CLI lists formats at start-up for nothing.
"""

from __future__ import annotations

# registration order is the order --format lists the choices:
# isort: off
from carekpi.render import text  # noqa: F401
from carekpi.render import json  # noqa: F401
from carekpi.render import csv  # noqa: F401
from carekpi.render import github  # noqa: F401
from carekpi.render import sarif  # noqa: F401
from carekpi.render import xlsx  # noqa: F401
from carekpi.render import market  # noqa: F401
from carekpi.render import report  # noqa: F401
from carekpi.render import diff  # noqa: F401
from carekpi.render import drift  # noqa: F401
from carekpi.render import framework  # noqa: F401
# isort: on
from carekpi.render.registry import RENDERERS, RenderOptions, formats_for, is_binary, render

__all__ = ["RENDERERS", "RenderOptions", "formats_for", "is_binary", "render"]
