"""Count target: a count judged against a target (met bands, pro-rated with ``per_months``)."""

from __future__ import annotations

from carekpi.framework.kinds.base import register
from carekpi.framework.kinds.value import Value


@register
class CountTarget(Value):
    name = "count_target"
