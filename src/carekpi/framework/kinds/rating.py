"""Rating: the answer to one rating item (a CQC rating), banded by a mapping."""

from __future__ import annotations

from carekpi.framework.kinds.base import register
from carekpi.framework.kinds.compliance import Compliance


@register
class Rating(Compliance):
    name = "rating"
