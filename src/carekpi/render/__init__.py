"""Renderers: one interface, one class per output format, chosen by name.

Each renderer knows how to show the three kinds of result carekpi produces:
validation reports, score reports and framework problems (lint). A format that
makes no sense for a kind (``github`` annotations of a score) says so.
"""

from __future__ import annotations

from carekpi.render.base import Renderer, Unsupported
from carekpi.render.csv import CsvRenderer
from carekpi.render.github import GithubRenderer
from carekpi.render.json import JsonRenderer
from carekpi.render.sarif import SarifRenderer
from carekpi.render.text import TextRenderer
from carekpi.render.xlsx import XlsxRenderer

RENDERERS: dict[str, type[Renderer]] = {
    r.name: r for r in (TextRenderer, JsonRenderer, CsvRenderer, GithubRenderer, SarifRenderer, XlsxRenderer)
}


def get_renderer(name: str) -> Renderer:
    return RENDERERS[name]()


__all__ = ["RENDERERS", "Renderer", "Unsupported", "get_renderer"]
