"""Plausibility queries: figures worth a question, never errors.

* Q201: a figure of a return that moved by more than the framework's share
  (``plausibility.max_change``) from the same provider's previous period (and by at least
  ``min_change``), with both figures;
* Q202: a KPI value more than ``deviations`` standard deviations (the sample standard deviation,
  as Excel's STDEV.S) from the mean of the period's peers, with at least ``min_peers`` peers.

A query can be answered with an explanation; it is a warning, and does not make a return invalid.
"""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from carekpi.framework.expr import show_value, to_number
from carekpi.framework.model import FieldType, Framework
from carekpi.market.codes import Q201, Q202, MarketFinding
from carekpi.market.submissions import Submission
from carekpi.scoring.results import ReturnScore
from carekpi.validation.findings import ValidationReport, explanation_key

_FIGURES = (FieldType.count, FieldType.integer, FieldType.number, FieldType.money)


def moved_figures(fw: Framework, received: list[Submission], reports: dict[str, ValidationReport]) -> list[MarketFinding]:
    """Q201 for every figure that moved by more than the framework's share since the provider's
    previous period (the period just before; a gap is not compared)."""
    rule = fw.plausibility
    if rule.max_change is None:
        return []
    share = Fraction(rule.max_change)
    series: dict[tuple[str, str], list[Submission]] = defaultdict(list)
    for s in received:
        if s.counts and s.provider is not None and s.file in reports:
            series[(s.provider.id, s.return_type)].append(s)
    out = []
    figures = {rid: [i for i in fw.return_type(rid).items() if i.type in _FIGURES] for _, rid in series}
    numbers: dict[str, list[int | Fraction | None]] = {}  # each return's figures as numbers, worked out once

    def exact(value: Any) -> int | Fraction | None:
        # a whole number stays an int (exact, and far quicker to compare than a Fraction)
        return value if type(value) is int else to_number(value)

    def numbers_of(s: Submission) -> list[int | Fraction | None]:
        got = numbers.get(s.file)
        if got is None:
            values = reports[s.file].data.values
            got = numbers[s.file] = [exact(values.get(i.id)) for i in figures[s.return_type]]
        return got

    for (_pid, rid), subs in sorted(series.items()):
        subs.sort(key=lambda s: s.period.start)
        items = figures[rid]
        for before, now in itertools.pairwise(subs):
            if before.period.end + timedelta(days=1) != now.period.start:
                continue
            for item, old, new in zip(items, numbers_of(before), numbers_of(now), strict=True):
                if old is None or new is None or old == new:
                    continue
                change = new - old if new > old else old - new
                size = old if old > 0 else -old
                if change < rule.min_change or (old != 0 and change <= share * size):
                    continue
                old, new = Fraction(old), Fraction(new)  # shown exactly as before
                how = f"{float((new - old) / abs(old) * 100):+.0f}%" if old != 0 else "from 0"
                who = now.provider.name if now.provider else Path(now.file).name
                out.append(MarketFinding(
                    Q201, f"{who}: {item.label.rstrip('.')} moved from {show_value(old)} in {before.period.key} to "
                          f"{show_value(new)} in {now.period.key} ({how}; queried above {float(share * 100):.0f}%): "
                          "please confirm or explain",
                    provider=now.provider.id if now.provider else None, file=now.file, period=now.period.key,
                    field=item.id))
    return out


def far_from_peers(fw: Framework, scores: list[ReturnScore], providers: dict[str, str]) -> list[MarketFinding]:
    """Q202 for every KPI value far from the mean of the period's peers (returns that count)."""
    rule = fw.plausibility
    groups: dict[tuple[str, str], list[tuple[ReturnScore, Decimal]]] = defaultdict(list)
    known = {x.id for x in fw.kpis}
    for sc in scores:
        if not sc.counts or sc.period is None:
            continue
        for k in sc.kpis:
            if isinstance(k.value, Decimal) and k.kpi in known:
                groups[(k.kpi, sc.period)].append((sc, k.value))
    labels = {k.id: k for k in fw.kpis}
    out = []
    for (kid, period), members in sorted(groups.items()):
        if len(members) < rule.min_peers:
            continue
        values = [float(v) for _, v in members]
        mean, sd = statistics.fmean(values), statistics.stdev(values)
        if sd == 0:
            continue
        for sc, v in members:
            z = (float(v) - mean) / sd
            if abs(z) > float(rule.deviations):
                kpi = labels[kid]
                out.append(MarketFinding(
                    Q202, f"{kpi.ref + ' ' if kpi.ref else ''}{kpi.label}: {sc.provider or sc.file}'s "
                          f"{next(k.display for k in sc.kpis if k.kpi == kid)} is {abs(z):.1f} standard deviations "
                          f"{'above' if z > 0 else 'below'} the mean of the {len(members)} returns for {period} "
                          f"({mean:.1f}): please confirm or explain",
                    provider=providers.get(sc.file), file=sc.file, period=period, field=kid))
    return out


def explained(queries: list[MarketFinding], reports: dict[str, ValidationReport]) -> list[MarketFinding]:
    """Each query with the provider's explanation of it, if the return explains that item (or
    KPI) and code on its Explanations sheet: it stays a warning, shown as explained."""
    out = []
    for q in queries:
        rep = reports.get(q.file or "")
        hit = rep.explanations.get(explanation_key(q.field, q.code.code)) if rep is not None and q.field else None
        out.append(q if hit is None else replace(q, explanation=hit.text))
    return out
