"""Count targets over several months, judged on consecutive returns scored together.

A ``count_target`` KPI with met bands and ``per_months`` ("minimum 900 referrals in a
12 month period") is pro-rated when one return is scored (225 for a quarter). When a
batch holds, for one provider, a run of consecutive periods that together cover
``per_months`` months (four quarters, twelve months, thirteen four-week periods), the sum
over the run is also judged against the full target. The judgement is an extra result on
the latest return of the run, with id ``<kpi>_<per_months>_months`` and a reason naming
every period and its figure, so it appears in every output format (text, JSON, CSV, Excel)
beside the return's own results. Every run is judged: five consecutive quarters give two
results, on the fourth and the fifth return.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from carekpi.base.rounding import display, round_half_away
from carekpi.framework.model import Cadence, Direction, Framework, Kpi, KpiKind, MetBands
from carekpi.framework.periods import Period

#: months in one period of each cadence (13 four-week periods make a year)
PERIOD_MONTHS: dict[Cadence, Fraction] = {
    Cadence.monthly: Fraction(1), Cadence.quarterly: Fraction(3), Cadence.annual: Fraction(12),
    Cadence.four_weekly: Fraction(12, 13),
}
_PLURAL = {Cadence.monthly: "months", Cadence.quarterly: "quarters", Cadence.annual: "years",
           Cadence.four_weekly: "four-week periods"}


def periods_needed(cadence: Cadence, per_months: int) -> int | None:
    """How many consecutive periods cover ``per_months`` months (None: not a whole number, or one)."""
    n = Fraction(per_months) / PERIOD_MONTHS[cadence]
    return int(n) if n.denominator == 1 and n > 1 else None


def rolling_kpi_id(kpi: Kpi) -> str:
    assert isinstance(kpi.bands, MetBands)
    return f"{kpi.id}_{kpi.bands.per_months}_months"


def _consecutive(window: list[Period]) -> bool:
    return all(b.start == a.end + timedelta(days=1) for a, b in itertools.pairwise(window))


def add_rolling_results(fw: Framework, reports: list[Any], scores: list[Any]) -> None:
    """Add a ``<kpi>_<n>_months`` result to the latest return of every run of consecutive
    periods of one provider that covers a count target's ``per_months``.

    ``reports`` (validation reports) and ``scores`` (their ReturnScores) are in step.
    """
    for kpi in fw.kpis:
        b = kpi.bands
        if kpi.kind != KpiKind.count_target or not isinstance(b, MetBands) or not b.per_months:
            continue
        rtype = fw.return_type(kpi.return_type)
        n = periods_needed(rtype.cadence, b.per_months)
        if n is None:
            continue
        groups: dict[str, dict[Period, tuple[Any, Any]]] = defaultdict(dict)
        for rep, sc in zip(reports, scores, strict=False):
            data = rep.data
            if data is None or data.rtype.id != rtype.id or data.period is None:
                continue
            res = next((k for k in sc.kpis if k.kpi == kpi.id), None)
            if res is not None:
                groups[data.provider_key.strip().casefold()][data.period] = (sc, res)
        for by_period in groups.values():
            periods = sorted(by_period)
            for i in range(len(periods) - n + 1):
                window = periods[i:i + n]
                if not _consecutive(window):
                    continue
                latest, own = by_period[window[-1]]
                result = _judge(fw, kpi, b, rtype.cadence, [(p, by_period[p][1]) for p in window])
                latest.kpis.insert(latest.kpis.index(own) + 1, result)


def _judge(fw: Framework, kpi: Kpi, b: MetBands, cadence: Cadence, window: list[tuple[Period, Any]]) -> Any:
    from carekpi.scoring.engine import KpiResult

    unit = kpi.effective_unit()
    places = fw.kpi_precision(kpi)
    first, last = window[0][0], window[-1][0]
    span = f"{first.start:%b %Y} to {last.end:%b %Y}"
    keys = ", ".join(p.key for p, _ in window)
    label = f"{kpi.label}: {len(window)} consecutive {_PLURAL[cadence]} ({span})"
    target = format(b.target.normalize(), "f")
    res = KpiResult(rolling_kpi_id(kpi), kpi.ref, label, unit, "na", "", critical=kpi.critical,
                    consequences=list(kpi.consequences), target=f"{target} per {b.per_months} months")
    missing = [p.key for p, r in window if not isinstance(r.value, Decimal) or r.numerator is None]
    if missing:
        res.display = "n/a"
        res.reason = (f"the {b.per_months}-month total over {keys} cannot be judged: "
                      f"no figure for {', '.join(missing)}")
        return res
    total = sum((Fraction(r.numerator) for _, r in window), Fraction(0))
    value = round_half_away(total, places)
    res.numerator = total
    res.value = value
    res.display = display(value, places, unit)
    parts = " + ".join(f"{display(round_half_away(Fraction(r.numerator), places), places, unit)} ({p.key})"
                       for p, r in window)
    ok = value >= b.target if b.direction == Direction.higher else value <= b.target
    verdict = "meets" if ok else "does not meet"
    res.band = "green" if ok else "red"
    res.reason = (f"{parts} = {res.display} over {len(window)} consecutive {_PLURAL[cadence]}, {span}: "
                  f"{verdict} the target {target} per {b.per_months} months (not pro-rated)")
    if kpi.critical and res.band == "red":
        res.critical_failure = True
    return res
