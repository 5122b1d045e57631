"""KPI kinds: what a KPI's value is made of (a ratio, a value, an answer, a count against a target).

One module per kind, each registering a :class:`~carekpi.framework.kinds.base.Kind`;
importing this package registers them all, in the order below (the order of the ``kind``
enum in the framework schema). Adding a kind is one new module plus its import here.

May import: ``carekpi.base`` and ``carekpi.framework.expr``.
"""

from __future__ import annotations

from enum import Enum

# registration order is the order of the schema's enum:
# isort: off
from carekpi.framework.kinds import ratio  # noqa: F401
from carekpi.framework.kinds import value  # noqa: F401
from carekpi.framework.kinds import compliance  # noqa: F401
from carekpi.framework.kinds import rating  # noqa: F401
from carekpi.framework.kinds import count_target  # noqa: F401
# isort: on
from carekpi.framework.kinds.base import KINDS, Computed, Kind, KpiExprs

#: the ``kind:`` values a framework may use, as an enum for the model and its JSON schema
KpiKind = Enum("KpiKind", {name: name for name in KINDS}, type=str, module=__name__, qualname="KpiKind")  # type: ignore[misc]

__all__ = ["KINDS", "Computed", "Kind", "KpiExprs", "KpiKind"]
