"""Answer mappings: a band for each answer (Yes / Partial / No; a CQC rating)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar, Literal

from carekpi.base.enums import Band
from carekpi.framework.bands.base import (
    BandChange,
    BandOutcome,
    BandScheme,
    DiffContext,
    LintContext,
    SchemeProblem,
    register,
)
from carekpi.framework.periods import Cadence


@register
class MappingBands(BandScheme):
    """Bands read from an answer: compliance (Yes/Partial/No) or a rating."""

    scheme: Literal["mapping"]
    map: dict[str, Literal["green", "amber", "red", "na"]]
    as_printed: str | None = None

    CODES: ClassVar[dict[str, str]] = {"F015": "band mapping names an answer the item does not offer"}

    def band_answer(self, answer: str) -> BandOutcome:
        for key, band in self.map.items():
            if key.casefold() == answer.casefold():
                b = Band(band)
                return BandOutcome(b, f"answer {answer!r} is {b.label if b != Band.na else 'not banded'}")
        return BandOutcome(Band.na, f"answer {answer!r} has no band")

    def target_text(self) -> str | None:
        return self.as_printed

    def excel_formula(self, value_name: str, cadence: Cadence) -> str:
        out = '""'
        for answer, band in reversed(list(self.map.items())):
            out = f'IF({value_name}="{answer}","{Band(band).label}",{out})'
        return f'IF({value_name}="","",{out})'

    def describe(self) -> str:
        return ", ".join(f"{k}: {v.capitalize()}" for k, v in self.map.items())

    def legend(self, unit: str, places: int) -> str:
        return "; ".join(f"{k}: {Band(v).label if v != 'na' else 'not banded'}" for k, v in self.map.items())

    def check(self, ctx: LintContext) -> Iterator[SchemeProblem]:
        if not ctx.answers:
            return
        folded = {c.casefold() for c in ctx.answers}
        for answer in self.map:
            if answer.casefold() not in folded:
                yield SchemeProblem("F015", ("map", answer), f"KPI {ctx.kpi_id!r}: answer {answer!r} is not one of "
                                                             f"{ctx.answers}")

    def diff_parameter(self, key: str, old: Any, new: Any, ctx: DiffContext) -> list[BandChange]:
        if key != "map" or not isinstance(old, dict) or not isinstance(new, dict):
            return super().diff_parameter(key, old, new, ctx)
        return [BandChange(f"map.{answer}", old.get(answer), new.get(answer),
                           f'{ctx.name}: the answer "{answer}" now bands {ctx.show(new.get(answer))} '
                           f"(was {ctx.show(old.get(answer))}).")
                for answer in sorted(set(old) | set(new)) if old.get(answer) != new.get(answer)]
