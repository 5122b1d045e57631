"""What every band scheme is: its YAML model and the five things it knows.

A band scheme turns a KPI's value into Green, Amber or Red. Each scheme is one module in
this package defining a subclass of :class:`BandScheme` (a pydantic model: its YAML keys)
registered with :func:`register`. The scheme owns:

* :meth:`BandScheme.band`: how it bands a value already rounded to the KPI's precision
  (or :meth:`BandScheme.band_answer` for an answer such as "Partial");
* :meth:`BandScheme.excel_formula`: the live band formula of the template's band cell;
* :meth:`BandScheme.describe`: the bands in words, for people (template, ``frameworks show``);
* :meth:`BandScheme.check`: its lint checks, with the codes declared in ``CODES``;
* :meth:`BandScheme.diff_changes`: what changed between two versions, for ``carekpi diff``.

The framework loader finds a scheme by its ``scheme:`` name in :data:`SCHEMES`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum
from fractions import Fraction
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

from carekpi.base.enums import Band
from carekpi.base.rounding import round_half_away
from carekpi.framework.periods import Cadence, Period
from carekpi.framework.strict import Strict


class Direction(str, Enum):
    higher = "higher"
    lower = "lower"  # type: ignore[assignment]  # a member named like str.lower


class ContractDates(Protocol):
    """The contract dates a trajectory runs between (see ``carekpi.scoring.inputs``)."""

    @property
    def contract_start(self) -> date | None: ...

    @property
    def trajectory_end(self) -> date | None: ...

    @property
    def origin(self) -> str:
        """Where the dates come from, quoted in reasons ("contract settings acme.yaml")."""


@dataclass(frozen=True)
class BandContext:
    """What banding a value may need besides the value: its unit, period and contract, and the
    value before rounding (for a scheme that judges the exact value, ``judge: exact``)."""

    unit: str
    cadence: Cadence
    period: Period | None
    contract: ContractDates
    exact: Fraction | None = None


@dataclass(frozen=True)
class BandOutcome:
    """A band, the reason for it in words, and the target text shown beside the value."""

    band: Band
    reason: str
    target: str | None = None


@dataclass(frozen=True)
class SchemeProblem:
    """A lint problem a scheme finds in its own parameters (``path`` is below ``bands``)."""

    code: str
    path: tuple[Any, ...]
    message: str


@dataclass(frozen=True)
class LintContext:
    """What a scheme's lint checks may need to know about the KPI it bands."""

    kpi_id: str
    kind: str
    precision: int
    #: the answers the KPI's item offers (compliance and rating KPIs), if any
    answers: list[str] | None = None


@dataclass(frozen=True)
class BandChange:
    """One change to a KPI's bands between two versions (``key`` is below ``bands``)."""

    key: str
    old: Any
    new: Any
    message: str
    documentation: bool = False


@dataclass(frozen=True)
class DiffContext:
    """How ``carekpi diff`` shows values and names the KPI."""

    name: str
    show: Any = field(default=str)
    plain: Any = field(default=lambda v: v)


def pct(d: Decimal | Fraction, unit: str, places: int = 1) -> str:
    """A threshold or value as people read it: ``90%``, ``92.5%``, ``225``."""
    if isinstance(d, Fraction):
        d = round_half_away(d, places)
    s = format(d.normalize(), "f") if isinstance(d, Decimal) else str(d)
    return s + ("%" if unit == "percent" else "")


def step_below(d: Decimal, places: int, direction: Direction) -> Decimal:
    """The value one step (of the KPI's precision) on the worse side of threshold ``d``."""
    step = Decimal(1).scaleb(-places)
    return d - step if direction == Direction.higher else d + step


def excel_number(x: Any) -> str:
    """A number as written in an Excel formula (no exponent, no trailing zeros)."""
    s = format(x, "f") if not isinstance(x, float) else repr(x)
    return s.rstrip("0").rstrip(".") if "." in s else s


def is_better_or_equal(value: Decimal | Fraction, target: Decimal, direction: Direction) -> bool:
    return value >= target if direction == Direction.higher else value <= target


#: how a scheme with numeric thresholds may judge a value: ``rounded`` (to the KPI's precision,
#: the default: a value shown as 90.0% is Green under "Green 90+%") or ``exact`` (before
#: rounding: 99.95% is not 100%, 49.95% is below a 50% minimum)
Judge = Literal["rounded", "exact"]

#: decimal places added to a value judged exactly whose rounding would show it across a band
#: edge it does not reach (99.95% is shown as 99.95%, never as 100.0%)
EXTRA_PLACES = 3


def judged(value: Decimal, ctx: BandContext, judge: str) -> Decimal | Fraction:
    """The value a scheme compares with its thresholds: the rounded one, or the exact one."""
    return ctx.exact if judge == "exact" and ctx.exact is not None else value


def crosses(exact: Fraction, shown: Decimal, edges: list[Decimal], direction: Direction) -> bool:
    """Whether rounding moved a value across one of ``edges`` (so the rounded figure would be
    read as meeting, or missing, a threshold the exact value does not)."""
    return any(is_better_or_equal(exact, e, direction) != is_better_or_equal(shown, e, direction) for e in edges)


class BandScheme(Strict):
    """Base of every band scheme (not itself a scheme)."""

    if TYPE_CHECKING:  # declared by each scheme, in the order its YAML keys are documented
        scheme: str
        as_printed: str | None

    #: lint codes this scheme's checks may give: {code: what it means}
    CODES: ClassVar[dict[str, str]] = {}
    #: words for its parameters in ``carekpi diff`` ("the Green threshold")
    FIELD_WORDS: ClassVar[dict[str, str]] = {}
    #: whether the template's band cell shows a live band (False: shown as text, see ``static_band_text``)
    banded: ClassVar[bool] = True

    # -- banding ------------------------------------------------------------------------
    def band(self, value: Decimal, ctx: BandContext) -> BandOutcome:
        """The band of a numeric value, already rounded to the KPI's precision."""
        return BandOutcome(Band.na, "not banded")

    def judges_exactly(self) -> bool:
        """Whether the scheme judges the value before rounding (``judge: exact``)."""
        return False

    def edges(self, ctx: BandContext) -> list[Decimal]:
        """The values where the band changes, for a value judged exactly (see :func:`crosses`)."""
        return []

    def better(self) -> Direction:
        """Which way is better at the edges (higher, unless the scheme says lower)."""
        return Direction.higher

    def excel_edges(self, cadence: Cadence) -> list[Decimal]:
        """The band edges the template's live band knows (the workbook has no contract dates)."""
        return []

    def band_answer(self, answer: str) -> BandOutcome | None:
        """The band of an answer (compliance and rating KPIs); None: the scheme bands numbers."""
        return None

    def target_text(self) -> str | None:
        """The target shown beside an answer's band."""
        return None

    # -- the template -------------------------------------------------------------------
    def excel_formula(self, value_name: str, cadence: Cadence) -> str | None:
        """The Excel formula of the band cell, given the defined name of the value cell
        (None: the scheme cannot band in the workbook, see :meth:`static_band_text`)."""
        return None

    def static_band_text(self) -> str:
        """What the band cell says when there is no formula."""
        return "Banded when scored"

    # -- people -------------------------------------------------------------------------
    def describe(self) -> str:
        """The bands in words."""
        raise NotImplementedError

    def legend(self, unit: str, places: int) -> str:
        """The bands exactly as carekpi applies them, for a KPI in ``unit`` shown to ``places``
        decimal places (the template's legend: ``Green: 95% or more; Amber: 75% to 94.9%...``)."""
        return self.describe()

    def shown(self) -> str:
        """The bands as printed in the source when it says, else in words (saying when the value
        is judged before rounding)."""
        text = self.as_printed or self.describe()
        if self.judges_exactly():
            text += " (judged on the exact value, before rounding)"
        return text

    # -- lint ---------------------------------------------------------------------------
    def printed_numbers(self) -> dict[str, Decimal]:
        """The parameters ``as_printed`` must mention when it gives numbers at all, by what they
        are ("the Green threshold": 90): lint checks the printed text still says them."""
        return {}

    def check(self, ctx: LintContext) -> Iterator[SchemeProblem]:
        """Problems with the scheme's parameters (codes from ``CODES``)."""
        return iter(())

    # -- diff ---------------------------------------------------------------------------
    def diff_changes(self, new: BandScheme, ctx: DiffContext) -> list[BandChange]:
        """Every parameter that differs in ``new`` (a scheme of the same kind)."""
        a = self.model_dump(mode="python")
        b = new.model_dump(mode="python")
        out: list[BandChange] = []
        for key in sorted(set(a) | set(b)):
            va, vb = ctx.plain(a.get(key)), ctx.plain(b.get(key))
            if va == vb:
                continue
            if key == "as_printed":
                out.append(BandChange(key, va, vb, f"{ctx.name}: bands as printed are now {ctx.show(vb)} "
                                                   f"(was {ctx.show(va)}).", documentation=True))
            else:
                out.extend(self.diff_parameter(key, va, vb, ctx))
        return out

    def diff_parameter(self, key: str, old: Any, new: Any, ctx: DiffContext) -> list[BandChange]:
        what = self.FIELD_WORDS.get(key, key.replace("_", " "))
        return [BandChange(key, old, new, f"{ctx.name}: {what} is now {ctx.show(new)} (was {ctx.show(old)}).")]


#: every band scheme, by the name written after ``scheme:`` in YAML, in registration order
SCHEMES: dict[str, type[BandScheme]] = {}


def register(cls: type[BandScheme]) -> type[BandScheme]:
    """Class decorator: make a scheme known by its ``scheme`` literal."""
    name = cls.model_fields["scheme"].annotation.__args__[0]  # type: ignore[union-attr]
    if name in SCHEMES:
        raise ValueError(f"band scheme {name!r} registered twice")
    SCHEMES[name] = cls
    return cls
