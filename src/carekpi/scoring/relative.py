"""Bands relative to peers: each relative KPI against the valid returns for the same period.

Top quartile Green, bottom quartile Red, otherwise Amber, in the KPI's direction; a value
that is both (every peer tied) is Amber. A return with errors is banded against its valid
peers but is not one of them. Quartiles are Excel's QUARTILE.INC, computed exactly.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction

from carekpi.base.enums import Band
from carekpi.base.rounding import round_half_away
from carekpi.framework.bands import Direction, RelativeBands
from carekpi.framework.bands.base import pct
from carekpi.framework.model import Framework
from carekpi.scoring.results import KpiResult, ReturnScore


def quartiles(values: list[Fraction]) -> tuple[Fraction, Fraction]:
    """Lower and upper quartiles by the inclusive method (Excel's QUARTILE.INC), exactly."""
    xs = sorted(values)

    def at(p: Fraction) -> Fraction:
        pos = p * (len(xs) - 1)
        i = int(pos)
        return xs[i] if pos == i else xs[i] + (xs[i + 1] - xs[i]) * (pos - i)

    return at(Fraction(1, 4)), at(Fraction(3, 4))


def band_relative(fw: Framework, scores: list[ReturnScore]) -> list[ReturnScore]:
    """New scores with every relative KPI banded against its peers."""
    groups: dict[tuple[str, str | None], list[tuple[int, int]]] = defaultdict(list)  # -> (score, kpi) indexes
    for si, sc in enumerate(scores):
        for ki, k in enumerate(sc.kpis):
            groups[(k.kpi, sc.period)].append((si, ki))
    by_id = {k.id: k for k in fw.kpis}
    banded: dict[tuple[int, int], KpiResult] = {}
    for (kid, period), members in groups.items():
        kpi = by_id.get(kid)
        if kpi is None or not isinstance(kpi.bands, RelativeBands):
            continue
        b = kpi.bands
        numeric = [(si, ki) for si, ki in members if isinstance(scores[si].kpis[ki].value, Decimal)]
        peers = [(si, ki) for si, ki in numeric if scores[si].counts]
        names = tuple(scores[si].peer_name for si, _ in peers)
        where = f"{len(peers)} return{'s' if len(peers) != 1 else ''} for {period or 'an unknown period'}"
        if len(peers) < b.min_peers:
            for si, ki in numeric:
                banded[(si, ki)] = scores[si].kpis[ki].with_band(
                    Band.na, f"comparison only: {where} (relative bands need at least {b.min_peers})", peers=names)
            continue
        places = fw.kpi_precision(kpi)
        values = [Fraction(x) for si, ki in peers if isinstance(x := scores[si].kpis[ki].value, Decimal)]
        q1, q3 = quartiles(values)
        unit = kpi.effective_unit()
        lo, hi = pct(round_half_away(q1, places + 2), unit), pct(round_half_away(q3, places + 2), unit)
        higher = b.direction == Direction.higher
        target = f"Green >= {hi}, Red <= {lo}" if higher else f"Green <= {lo}, Red >= {hi}"
        for si, ki in numeric:
            k = scores[si].kpis[ki]
            assert isinstance(k.value, Decimal)
            v = Fraction(k.value)
            top, bottom = (v >= q3, v <= q1) if higher else (v <= q1, v >= q3)
            outside = "" if scores[si].counts else f" (this return {_why_not(scores[si])}, so it is not one of them)"
            upper, lower = f"the upper quartile {hi}", f"the lower quartile {lo}"
            if top and not bottom:
                edge = f"at or above {upper}" if higher else f"at or below {lower} (lower is better)"
                band, why = Band.green, f"top quartile of {where}{outside}: {k.display} is {edge}"
            elif bottom and not top:
                edge = f"at or below {lower}" if higher else f"at or above {upper} (lower is better)"
                band, why = Band.red, f"bottom quartile of {where}{outside}: {k.display} is {edge}"
            elif top and bottom:
                band, why = Band.amber, f"middle of {where}{outside}: {k.display} is both quartiles (tied values)"
            else:
                band, why = Band.amber, (f"middle half of {where}{outside}: {k.display} is between the quartiles "
                                         f"{lo} and {hi}")
            banded[(si, ki)] = k.with_band(band, why, peers=names, target=target,
                                           critical_failure=kpi.critical and band == Band.red)
    if not banded:
        return scores
    out = []
    for si, sc in enumerate(scores):
        kpis = tuple(banded.get((si, ki), k) for ki, k in enumerate(sc.kpis))
        out.append(sc if kpis == sc.kpis else replace(sc, kpis=kpis))
    return out


def _why_not(sc: ReturnScore) -> str:
    if sc.excluded:
        return f"is {sc.excluded}"
    return "has errors"


def peer_note(fw: Framework, scores: list[ReturnScore]) -> str | None:
    """Which valid returns were compared with each other, period by period (None: no relative KPI).

    Each period lists the returns of its first relative KPI, then any other return a later
    relative KPI compared: one name per return compared, so the count is the peers' count.
    """
    relative = {k.id for k in fw.kpis if isinstance(k.bands, RelativeBands)}
    groups: dict[tuple[str, str | None], list[ReturnScore]] = defaultdict(list)
    for sc in scores:
        for k in sc.kpis:
            if k.kpi in relative:
                groups[(k.kpi, sc.period)].append(sc)
    periods: dict[str | None, list[str]] = {}
    for (_, period), members in groups.items():
        known = periods.setdefault(period, [])
        known += [n for n in (sc.peer_name for sc in members if sc.counts) if n not in known]
    if not periods:
        return None
    lines = [f"Relative bands compare the valid returns for the same period ({fw.id}):"]
    for period, names in sorted(periods.items(), key=lambda x: str(x[0])):
        lines.append(f"  {period or 'unknown period'}: {len(names)} return{'s' if len(names) != 1 else ''}: "
                     f"{', '.join(names) or 'none'}")
    return "\n".join(lines)
