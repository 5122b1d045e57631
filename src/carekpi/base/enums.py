"""The small vocabularies every layer shares: a KPI's band and a finding's severity.

Both are ``str`` enums, so they compare equal to their values, serialise to JSON as their
values and format as their values (``f"{Band.green}"`` is ``green``).
"""

from __future__ import annotations

from enum import Enum


class _Str(str, Enum):
    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class Band(_Str):
    green = "green"
    amber = "amber"
    red = "red"
    na = "na"

    @property
    def label(self) -> str:
        """The band as people write it: Green, Amber, Red, n/a."""
        return {"green": "Green", "amber": "Amber", "red": "Red", "na": "n/a"}[self.value]


class Severity(_Str):
    error = "error"
    warning = "warning"
    info = "info"


#: errors first, then warnings, then information (how findings are sorted)
SEVERITY_ORDER = {Severity.error: 0, Severity.warning: 1, Severity.info: 2}
