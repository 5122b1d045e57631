""""X% minimum increasing to Y% over agreed time": a target that rises in steps between contract dates."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import ClassVar, Literal

from pydantic import Field

from carekpi.base.enums import Band
from carekpi.base.rounding import round_half_away
from carekpi.framework.bands.base import (
    BandContext,
    BandOutcome,
    BandScheme,
    ContractDates,
    Direction,
    Judge,
    LintContext,
    SchemeProblem,
    excel_number,
    judged,
    pct,
    register,
)
from carekpi.framework.periods import Cadence, Period

#: band cell text where the band needs the contract's dates, which the workbook does not know
TRAJECTORY_PENDING = "Amber or Green: scored against the target in force"


@register
class TrajectoryBands(BandScheme):
    """"X% minimum increasing to Y% over agreed time".

    Red below ``minimum``; Green at or above the target in force for the period;
    Amber in between. The target starts at ``minimum`` at the contract start and rises in
    ``steps`` equal steps to ``final`` at the trajectory end (dates from the contract
    settings, defaults in the framework's ``contract_defaults``).
    """

    scheme: Literal["trajectory"]
    direction: Direction = Direction.higher
    minimum: Decimal
    final: Decimal
    steps: int = Field(4, ge=1)
    judge: Judge = "rounded"
    as_printed: str | None = None

    CODES: ClassVar[dict[str, str]] = {"F014": "trajectory minimum and final target out of order"}
    FIELD_WORDS: ClassVar[dict[str, str]] = {
        "minimum": "the minimum", "final": "the final target", "steps": "the number of trajectory steps",
        "direction": "the better direction", "judge": "the value judged (rounded or exact)",
    }

    def judges_exactly(self) -> bool:
        return self.judge == "exact"

    def better(self) -> Direction:
        return self.direction

    def edges(self, ctx: BandContext) -> list[Decimal]:
        return [self.minimum, self.target_in_force(ctx.period, ctx.contract)[0], self.final]

    def excel_edges(self, cadence: Cadence) -> list[Decimal]:
        return [self.minimum, self.final]

    def step_due(self, contract: ContractDates, k: int) -> date:
        """The last day of the ``k``-th of the ``steps`` equal parts of the agreed time: the day by
        which step ``k`` of the trajectory is due (``trajectory_end`` for the last step)."""
        assert contract.contract_start is not None and contract.trajectory_end is not None
        span = (contract.trajectory_end - contract.contract_start).days + 1
        return contract.contract_start + timedelta(days=-(-k * span // self.steps) - 1)

    def target_in_force(self, period: Period | None, contract: ContractDates) -> tuple[Decimal, str]:
        """The target in force for ``period``: the target due by the period's last day.

        The agreed time runs from ``contract_start`` to ``trajectory_end`` (both days included)
        and is cut into ``steps`` equal parts, counted in whole days. The target is ``minimum``
        until the end of the first part and rises by ``(final - minimum) / steps`` at the end of
        each part, so that ``final`` is due on ``trajectory_end`` and stays in force after it.
        From 1 April 2025 to 31 March 2027 in 4 steps, step 1 is due by 30 September 2025: the
        quarter ending 30 June 2025 is judged against the minimum, the quarter ending 30
        September 2025 against step 1.
        """
        start, end = contract.contract_start, contract.trajectory_end
        if period is None or start is None or end is None:
            return self.final, "the final target (no contract dates set)"
        if end <= start:
            return self.final, f"the final target (the {contract.origin} are out of order)"
        span = (end - start).days + 1
        elapsed = (period.end - start).days + 1
        k = self.steps if elapsed >= span else max(0, elapsed * self.steps // span)
        target = self.minimum + (self.final - self.minimum) * Decimal(k) / Decimal(self.steps)
        where = f"trajectory {start:%d %b %Y} to {end:%d %b %Y}, {contract.origin}"
        if period.end > end:
            how = f"the final target: the {where} has ended"
        elif k == self.steps:
            how = f"the final target, due by {end:%d %b %Y}; {where}"
        elif elapsed <= 0:
            how = f"the minimum: the period ends before the contract start; {where}"
        elif k == 0:
            how = f"the minimum until step 1 of {self.steps}, due by {self.step_due(contract, 1):%d %b %Y}; {where}"
        else:
            how = f"step {k} of {self.steps}, due by {self.step_due(contract, k):%d %b %Y}; {where}"
        return target.normalize(), how

    def band(self, value: Decimal, ctx: BandContext) -> BandOutcome:
        unit = ctx.unit
        shown = pct(value, unit)
        target, how = self.target_in_force(ctx.period, ctx.contract)
        higher = self.direction == Direction.higher
        v = judged(value, ctx, self.judge)
        below_min = v < self.minimum if higher else v > self.minimum
        reached = v >= target if higher else v <= target
        # a target such as 93 1/3 (3 steps) is compared exactly and shown to 2 places
        tt = pct(target if target == round(target, 2) else round_half_away(Fraction(target), 2), unit)
        worse, within, floor = ("below", "at or above", "minimum") if higher else ("above", "at or below", "maximum")
        if below_min:
            return BandOutcome(Band.red, f"{shown} is {worse} the {floor} {pct(self.minimum, unit)} "
                                         f"(target in force {tt}: {how})", tt)
        if reached:
            return BandOutcome(Band.green, f"{shown} meets the target in force {tt} ({how})", tt)
        return BandOutcome(Band.amber, f"{shown} is {within} the {floor} {pct(self.minimum, unit)} but short of the "
                                       f"target in force {tt} ({how})", tt)

    def excel_formula(self, value_name: str, cadence: Cadence) -> str:
        # The target in force depends on the contract's dates, which the workbook does not
        # know; but it is never below the minimum nor beyond the final target, so Red and
        # (at the final target) Green are exact here. In between, carekpi decides when scored.
        v = value_name
        worse, best = ("<", ">=") if self.direction == Direction.higher else (">", "<=")
        return (f'IF(ISNUMBER({v}),IF({v}{worse}{excel_number(self.minimum)},"Red",IF({v}{best}'
                f'{excel_number(self.final)},"Green","{TRAJECTORY_PENDING}")),IF({v}="n/a","n/a",""))')

    def describe(self) -> str:
        return (f"Red beyond the minimum {excel_number(self.minimum)}; the target rises from "
                f"{excel_number(self.minimum)} to {excel_number(self.final)} in {self.steps} steps between the "
                "contract dates: Green at the target in force, otherwise Amber")

    def legend(self, unit: str, places: int) -> str:
        higher = self.direction == Direction.higher
        worse, within = ("below", "at or above") if higher else ("above", "at or below")
        low, high = pct(self.minimum, unit), pct(self.final, unit)
        return (f"Red: {worse} the minimum {low}; Green: {within} the target in force, which rises from {low} to "
                f"{high} in {self.steps} steps over the agreed time; Amber: in between")
    def printed_numbers(self) -> dict[str, Decimal]:
        return {"the minimum": self.minimum, "the final target": self.final}

    def check(self, ctx: LintContext) -> Iterator[SchemeProblem]:
        higher = self.direction == Direction.higher
        if not (self.minimum <= self.final if higher else self.minimum >= self.final):
            yield SchemeProblem("F014", (), f"KPI {ctx.kpi_id!r}: minimum {self.minimum} and final {self.final} are out "
                                            f"of order for '{self.direction.value} is better'")
