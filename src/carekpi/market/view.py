"""One period of the market: each provider's results for it (a month as returned, or a quarter or
year put together from the periods inside it), and how each KPI moved since the period before.

A period longer than the returns' own (a quarter of monthly returns, a financial year of
quarterly ones) is computed by re-summing the numerators and denominators of the periods inside
it, never by averaging percentages (each KPI kind says how it adds up); count targets are
pro-rated to the months the summed periods cover; bands relative to peers are recomputed for the
period. Returns with errors are left out of the sum, and the result says so; a period with
fewer returns than it should have says how many are in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

from carekpi.base.enums import Band
from carekpi.base.errors import UsageError
from carekpi.framework.bands import BandContext, Direction
from carekpi.framework.kinds import Computed
from carekpi.framework.model import Framework, ReturnType
from carekpi.framework.periods import CADENCES, Cadence, Period, parse_period, period_of
from carekpi.market.providers import Provider
from carekpi.market.submissions import Submission
from carekpi.scoring.inputs import ContractSettings
from carekpi.scoring.kpis import banded
from carekpi.scoring.relative import band_relative
from carekpi.scoring.results import KpiResult, ReturnScore

_ORDER = [Cadence.four_weekly, Cadence.monthly, Cadence.quarterly, Cadence.annual]
_RANK = {Band.green: 3, Band.amber: 2, Band.red: 1}


def view_period(key: str | None, rtype: ReturnType, seen: list[Period]) -> Period:
    """The period to show: the one asked for (``--period``), else the latest in ``seen`` (the
    caller passes the periods returned that have begun)."""
    if key is None:
        if not seen:
            raise UsageError(f"no {rtype.id} return has a reporting period to show")
        return max(seen)
    period = parse_period(key)
    if period is None:
        raise UsageError(f"--period {key!r} is not a period: use a month (2026-03), a quarter (2026-Q1), a calendar "
                         "year (2026) or a financial year (2025/26)")
    native = rtype.cadence
    if _ORDER.index(period.cadence) < _ORDER.index(native) or (
            native == Cadence.four_weekly and period.cadence == Cadence.monthly):
        raise UsageError(f"{rtype.id} returns are {native.value}: --period {key} is shorter than one of their "
                         f"periods; use a {CADENCES[native].plural[:-1]} key (e.g. {CADENCES[native].example_key}), "
                         "a quarter, a calendar year or a financial year")
    if period.cadence == native and native != Cadence.four_weekly:
        return replace(period, cadence=native)
    return period


def is_native(period: Period, rtype: ReturnType) -> bool:
    """Whether ``period`` is one of the return type's own periods (shown as returned)."""
    return period.cadence == rtype.cadence and (rtype.cadence != Cadence.annual
                                                or period.start.month == rtype.year_start_month)


def previous(period: Period, rtype: ReturnType) -> Period:
    """The period of the same length just before ``period``."""
    day = period.start - timedelta(days=1)
    if is_native(period, rtype):
        return period_of(rtype.cadence, day, year_start_month=rtype.year_start_month, anchor=rtype.anchor)
    start_month = period.start.month if period.cadence == Cadence.annual else 4
    return period_of(period.cadence, day, year_start_month=start_month)


@dataclass(frozen=True)
class ProviderPeriod:
    """A provider's results for one period, and the returns they come from."""

    provider: Provider
    period: Period
    score: ReturnScore | None
    #: the counted returns inside the period (one for a native period)
    members: tuple[Submission, ...]
    #: how many returns the period should hold (the expected ones whose deadline has passed)
    expected: int


def aggregate(fw: Framework, rtype: ReturnType, provider: Provider, period: Period, scores: dict[str, ReturnScore],
              members: list[Submission], expected: int, contract: ContractSettings) -> ReturnScore | None:
    """One provider's results for a period put together from the returns inside it."""
    usable = [m for m in members if m.valid and m.file in scores]
    left_out = [m for m in members if not m.valid]
    if not members:
        return None
    months = sum((CADENCES[rtype.cadence].months for _ in usable), Fraction(0))
    whole = replace(period, covered=months or None)
    label = CADENCES[rtype.cadence].plural
    notes = []
    if len(members) < expected:
        notes.append(f"{len(members)} of {expected} {label} in")
    if left_out:
        notes.append(f"left out because the return has errors: {', '.join(m.period.key for m in left_out)}")
    results = []
    for kpi in fw.kpis_for(rtype.id):
        unit, places = kpi.effective_unit(), fw.kpi_precision(kpi)
        base = KpiResult(kpi.id, kpi.ref, kpi.label, unit, Band.na, "", critical=kpi.critical,
                         consequences=tuple(kpi.consequences))
        parts = []
        for m in usable:
            r = next((k for k in scores[m.file].kpis if k.kpi == kpi.id), None)
            if r is not None and isinstance(r.value, Decimal):
                parts.append(Computed(r.numerator, r.denominator, r.value))
        if not parts:
            res = base.with_band(Band.na, "no figures for the period", display="n/a")
        else:
            got = kpi.kind_def.aggregate(parts, places, unit)
            if got.reason is not None or not isinstance(got.value, Decimal):
                res = base.with_band(Band.na, got.reason or "not added up", numerator=got.numerator,
                                     denominator=got.denominator, display=got.display)
            else:
                ctx = BandContext(unit, period.cadence, whole, contract, exact=got.exact)
                outcome, value, shown = banded(kpi, got.value, got.exact, ctx, places)
                res = base.with_band(outcome.band, outcome.reason, numerator=got.numerator, denominator=got.denominator,
                                     value=value, display=shown, target=outcome.target,
                                     critical_failure=kpi.critical and outcome.band == Band.red)
            if len(parts) > 1 or len(usable) > 1:
                res = res.noted(f"over {', '.join(m.period.key for m in usable)}")
        for n in notes:
            res = res.noted(n)
        results.append(res)
    first = usable[0] if usable else members[0]
    return ReturnScore(
        file=", ".join(m.file for m in members), framework=fw.id, framework_version=fw.version, return_type=rtype.id,
        provider=provider.name, cqc_location_id=provider.cqc_location_id, period=period.key, valid=bool(usable),
        errors=sum(m.errors for m in members), warnings=0, kpis=tuple(results),
        excluded=None if usable else "left out: every return in the period has errors",
    ) if first else None


def band_peers(fw: Framework, rows: list[ReturnScore]) -> list[ReturnScore]:
    """Relative bands recomputed among the providers' results for one (put together) period."""
    return band_relative(fw, rows)


def direction(kpi_bands: object, now: KpiResult | None, before: KpiResult | None) -> str | None:
    """better / worse / same since the period before (honouring the KPI's direction), None if
    either period has no figure."""
    if now is None or before is None:
        return None
    if isinstance(now.value, Decimal) and isinstance(before.value, Decimal):
        better_higher = getattr(kpi_bands, "direction", Direction.higher) == Direction.higher
        if now.value == before.value:
            return "same"
        return "better" if (now.value > before.value) == better_higher else "worse"
    if now.band in _RANK and before.band in _RANK:
        a, b = _RANK[now.band], _RANK[before.band]
        return "same" if a == b else ("better" if a > b else "worse")
    return None
