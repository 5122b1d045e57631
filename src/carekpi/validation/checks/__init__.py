"""The checks a return goes through, in order, and the table of every validation code.

Each check is a unit in its own module with the codes it gives declared beside it
(:class:`~carekpi.validation.checks.base.Check`). :data:`CHECKS` is the registry: adding a
check is one new module plus one line here, at the point in the order where what it needs
has been read. :data:`CODES` is built from the checks.
"""

from __future__ import annotations

from carekpi.validation.checks.base import Check
from carekpi.validation.checks.cover import CoverCheck
from carekpi.validation.checks.explanations import ExplanationsCheck
from carekpi.validation.checks.items import ItemsCheck
from carekpi.validation.checks.rules import RulesCheck
from carekpi.validation.checks.tables import TablesCheck
from carekpi.validation.checks.values import ValuesCheck
from carekpi.validation.checks.workbook import WorkbookCheck
from carekpi.validation.context import Code

#: every check, in the order they run
CHECKS: list[Check] = [
    WorkbookCheck(),  # metadata, template version and layout, macros, links
    ValuesCheck(),    # find each item's cell, type what was typed
    CoverCheck(),     # services delivered, provider, reporting period, deadline
    ItemsCheck(),     # required items, items that do not apply, items not found
    TablesCheck(),    # case logs: rows, references, computed figures
    RulesCheck(),     # cross-field rules and breakdowns
    ExplanationsCheck(),  # the provider's explanations of warnings (after every finding)
]

#: every validation code, from the checks that give them, in code order
CODE_TABLE: dict[str, Code] = dict(sorted({c.code: c for check in CHECKS for c in check.codes}.items()))
#: code -> title (what SARIF and the README show)
CODES: dict[str, str] = {code: c.title for code, c in CODE_TABLE.items()}

__all__ = ["CHECKS", "CODES", "CODE_TABLE", "Check"]
