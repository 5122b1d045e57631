"""One KPI of one return: its value from the return's figures (by its kind) and its band (by
its band scheme)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from carekpi.base.enums import Band
from carekpi.base.rounding import display, round_half_away
from carekpi.framework.bands import BandContext, BandOutcome
from carekpi.framework.bands.base import EXTRA_PLACES, crosses
from carekpi.framework.model import Framework, Kpi, Source
from carekpi.scoring.inputs import ContractSettings
from carekpi.scoring.results import KpiResult
from carekpi.validation.context import ReturnData


def score_kpi(fw: Framework, data: ReturnData, kpi: Kpi, env: dict[str, Any], *,
              contract: ContractSettings, commissioner_missing: str | None) -> KpiResult:
    """The result of ``kpi`` for one return, whose figures (derived values included) are ``env``."""
    comp = data.compiled
    exprs = comp.kpis[kpi.id]
    unit = kpi.effective_unit()
    places = fw.kpi_precision(kpi)
    res = KpiResult(kpi.id, kpi.ref, kpi.label, unit, Band.na, "", critical=kpi.critical,
                    consequences=tuple(kpi.consequences))
    labels = comp.labels
    if not data.applies(kpi.applies_to):
        names = [s.label for s in fw.service_types if s.id in (kpi.applies_to or [])]
        return res.with_band(Band.na, f"not applicable: applies to {' or '.join(names)} only", display="n/a")
    missing = [n for n in comp.kpi_inputs(kpi.id) if env.get(n) is None]
    if missing:
        invalid = [n for n in missing if n in data.invalid]
        blank = [n for n in missing if n not in data.invalid]
        council = [n for n in blank if comp.items[n].source == Source.commissioner]
        parts = []
        if invalid:
            parts.append("invalid input: " + "; ".join(f"{labels.get(n, n)} ({data.invalid[n]})" for n in invalid[:3])
                         + (f" and {len(invalid) - 3} more" if len(invalid) > 3 else "")
                         + ": correct the return and score it again")
        if council and commissioner_missing and not invalid:
            parts.append(commissioner_missing)
        elif blank:
            parts.append("missing input: " + ", ".join(labels.get(n, n) for n in blank[:3]) + (
                f" and {len(blank) - 3} more" if len(blank) > 3 else ""))
        return res.with_band(Band.na, "; ".join(parts), display="n/a")
    kind = kpi.kind_def
    got = kind.compute(exprs, env, places, labels)
    if got.reason is not None:
        return res.with_band(Band.na, got.reason, numerator=got.numerator, denominator=got.denominator,
                             display=got.display)
    if kind.answer:
        answer = str(got.value)
        outcome = kpi.bands.band_answer(answer)
        band, why = (outcome.band, outcome.reason) if outcome else (Band.na, "not banded")
        critical = any(answer.casefold() == c.casefold() for c in kpi.critical_when)
        if critical:
            why += f"; {answer} is a critical performance failure"
        return res.with_band(band, why, value=answer, display=answer, target=kpi.bands.target_text() if outcome else None,
                             critical_failure=critical)
    value = got.value
    assert value is not None and not isinstance(value, str)
    ctx = BandContext(unit, data.rtype.cadence, data.period, contract, exact=got.exact)
    outcome, value, shown = banded(kpi, value, got.exact, ctx, places)
    return res.with_band(outcome.band, outcome.reason, numerator=got.numerator, denominator=got.denominator,
                         value=value, display=shown, target=outcome.target,
                         critical_failure=kpi.critical and outcome.band == Band.red)


def banded(kpi: Kpi, value: Decimal, exact: Fraction | None, ctx: BandContext,
           places: int) -> tuple[BandOutcome, Decimal, str]:
    """The band of a numeric value (rounded to ``places``; ``exact`` before rounding), the value to
    report and how it is shown. A scheme that judges the exact value bands ``exact``; where
    rounding would show it across a band edge it does not reach (99.95% as 100.0%), it is
    reported with more places."""
    bands = kpi.bands
    shown = display(value, places, ctx.unit)
    if bands.judges_exactly() and exact is not None and crosses(exact, value, bands.edges(ctx), bands.better()):
        value = round_half_away(exact, places + EXTRA_PLACES)
        shown = _trimmed(value, places, ctx.unit)
    return bands.band(value, ctx), value, shown


def _trimmed(value: Decimal, places: int, unit: str) -> str:
    """``value`` shown without trailing zeros beyond ``places`` (99.950 as 99.95%)."""
    digits = -value.normalize().as_tuple().exponent  # type: ignore[operator]
    return display(value, max(places, int(digits)), unit)
