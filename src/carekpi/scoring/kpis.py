"""One KPI of one return: its value from the return's figures (by its kind) and its band (by
its band scheme)."""

from __future__ import annotations

from typing import Any

from carekpi.base.enums import Band
from carekpi.base.rounding import display
from carekpi.framework.bands import BandContext
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
    labels = {i.id: i.label for i in data.rtype.items()} | {d.id: d.label for d in data.rtype.derived}
    if not data.applies(kpi.applies_to):
        names = [s.label for s in fw.service_types if s.id in (kpi.applies_to or [])]
        return res.with_band(Band.na, f"not applicable: applies to {' or '.join(names)} only", display="n/a")
    missing = [n for n in comp.kpi_inputs(kpi.id) if env.get(n) is None]
    if missing:
        council = [n for n in missing if comp.items[n].source == Source.commissioner]
        if council and commissioner_missing:
            why = commissioner_missing
        else:
            why = "missing input: " + ", ".join(labels.get(n, n) for n in missing[:3]) + (
                f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        return res.with_band(Band.na, why, display="n/a")
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
    ctx = BandContext(unit, data.rtype.cadence, data.period, contract)
    outcome = kpi.bands.band(value, ctx)
    return res.with_band(outcome.band, outcome.reason, numerator=got.numerator, denominator=got.denominator,
                         value=value, display=display(value, places, unit), target=outcome.target,
                         critical_failure=kpi.critical and outcome.band == Band.red)
