"""What a check is: a unit of validation with the codes it may give, declared beside it.

A check is a subclass of :class:`Check` with a ``name``, its ``codes`` (each a
:class:`~carekpi.validation.context.Code`: code, title, default severity) and a
:meth:`Check.run` that reads the :class:`~carekpi.validation.context.CheckContext` and adds
findings to it. Checks are registered, in the order they run, in
:data:`carekpi.validation.checks.CHECKS`: a later check may use what an earlier one read (the
service types, the cells found, the typed values).
"""

from __future__ import annotations

from typing import ClassVar

from carekpi.validation.context import CheckContext, Code


class Check:
    """Base of every check."""

    #: a short name, for people and for tests
    name: ClassVar[str] = ""
    #: the codes this check gives
    codes: ClassVar[tuple[Code, ...]] = ()

    def run(self, ctx: CheckContext) -> None:
        raise NotImplementedError
