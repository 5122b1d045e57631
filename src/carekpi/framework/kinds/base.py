"""What every KPI kind is: how its expressions are compiled, computed and written for Excel.

A KPI kind says what a KPI's value is made of. Each kind is one module in this package
defining a subclass of :class:`Kind` registered with :func:`register`. The kind owns:

* :meth:`Kind.compile`: which of ``numerator``, ``denominator`` and ``value`` it needs, and
  their compiled expressions (problems F005 / F006 / F010 for the loader);
* :meth:`Kind.compute`: its value from a return's figures (scoring);
* :meth:`Kind.excel_core`: its value as an Excel formula (the template's live KPI cell), given how
  the exact value is rounded for showing;
* :meth:`Kind.formula_text`: its formula in words (``frameworks show``);
* ``unit``: the unit of its value unless the KPI says otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, ClassVar

from carekpi.framework.expr import Expression

if TYPE_CHECKING:
    from carekpi.framework.model import Kpi


@dataclass(frozen=True)
class KpiExprs:
    """A KPI's compiled expressions (those its kind uses)."""

    numerator: Expression | None = None
    denominator: Expression | None = None
    value: Expression | None = None

    def all(self) -> list[Expression]:
        return [e for e in (self.numerator, self.denominator, self.value) if e is not None]

    def names(self) -> set[str]:
        out: set[str] = set()
        for e in self.all():
            out |= e.names
        return out


@dataclass(frozen=True)
class Computed:
    """What a kind makes of a return's figures.

    ``reason`` set: the KPI has no value to band (``display`` says what to show instead).
    """

    numerator: Fraction | None = None
    denominator: Fraction | None = None
    value: Decimal | str | None = None
    reason: str | None = None
    display: str = ""
    #: the value before rounding (numeric kinds), for schemes that judge it exactly
    exact: Fraction | None = None


#: how a kind's compile step reports a problem: (code, path below the KPI, message)
AddProblem = Callable[[str, tuple[Any, ...], str], None]
#: how a kind's compile step parses one of the KPI's expressions (None: a problem was reported)
ParseField = Callable[[str, str], "Expression | None"]


class Kind:
    """Base of every KPI kind (not itself a kind)."""

    #: the name written after ``kind:`` in YAML
    name: ClassVar[str] = ""
    #: the unit of the value unless the KPI names one
    unit: ClassVar[str] = "count"
    #: the value is an answer (banded by a mapping), not a number
    answer: ClassVar[bool] = False

    def compile(self, kpi: Kpi, parse: ParseField, add: AddProblem, items: Mapping[str, Any]) -> KpiExprs:
        raise NotImplementedError

    def compute(self, exprs: KpiExprs, env: Mapping[str, Any], places: int,
                labels: Mapping[str, str]) -> Computed:
        raise NotImplementedError

    def excel_core(self, exprs: KpiExprs, name: Callable[[str], str], shown: Callable[[str], str]) -> str:
        """The value as an Excel formula; ``shown`` turns the exact value into the value shown
        (``ROUND(x,1)``)."""
        raise NotImplementedError

    def formula_text(self, kpi: Kpi) -> str:
        raise NotImplementedError

    def aggregate(self, parts: list[Computed], places: int, unit: str) -> Computed:
        """The value over several periods from each period's own (a quarter from its months):
        re-summed, never an average of percentages. By default a kind does not aggregate."""
        return Computed(reason=f"a {self.name} KPI is not added up over periods: see each period", display="n/a")

    def codes(self) -> Iterator[str]:
        """Lint codes its compile step may give."""
        yield from ("F005", "F006", "F010")


#: every KPI kind, by the name written after ``kind:`` in YAML, in registration order
KINDS: dict[str, Kind] = {}


def register(cls: type[Kind]) -> type[Kind]:
    """Class decorator: make a kind known by its ``name``."""
    if not cls.name or cls.name in KINDS:
        raise ValueError(f"KPI kind {cls.name!r} has no name or is registered twice")
    KINDS[cls.name] = cls()
    return cls
