"""Judgements over consecutive periods that a framework declares: the same KPI Red period after
period (a consistent failure), returns late or missing period after period (a service failure).

Consecutive means the periods follow one another with no gap; the run that counts is the one
reaching the latest period judged, and it is reported when it is at least the framework's
number of periods long (so 2 Reds in a row is not yet "3 consecutive", 3 is).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from carekpi.base.enums import Band
from carekpi.framework.model import ConsecutiveRule, Framework
from carekpi.framework.periods import Period
from carekpi.market.codes import J301, J302, MarketFinding
from carekpi.market.submissions import Expectation, Submission
from carekpi.scoring.results import ReturnScore


def _runs_to_end(periods: list[tuple[Period, bool]]) -> list[Period]:
    """The run of consecutive flagged periods that ends at the last period (empty if it is not flagged)."""
    run: list[Period] = []
    for p, flagged in periods:
        if flagged and (not run or run[-1].end + timedelta(days=1) == p.start):
            run.append(p)
        elif flagged:
            run = [p]
        else:
            run = []
    return run if periods and periods[-1][1] else []


def consistent_failures(fw: Framework, received: list[Submission], scores: dict[str, ReturnScore],
                        upto: Period) -> list[MarketFinding]:
    """J301 for each provider and KPI Red in the framework's number of consecutive periods up to ``upto``."""
    rule: ConsecutiveRule | None = fw.consistent_failure
    if rule is None:
        return []
    series: dict[tuple[str, str, str], list[tuple[Period, bool]]] = defaultdict(list)
    names: dict[str, str] = {}
    for sub in sorted(received, key=lambda s: s.period.start):
        if not sub.counts or sub.provider is None or sub.file not in scores or sub.period.end > upto.end:
            continue
        names[sub.provider.id] = sub.provider.name
        for k in scores[sub.file].kpis:
            series[(sub.provider.id, sub.return_type, k.kpi)].append((sub.period, k.band == Band.red))
    out = []
    labels = {k.id: f"{k.ref + ' ' if k.ref else ''}{k.label}" for k in fw.kpis}
    for (pid, _rid, kid), points in sorted(series.items()):
        run = _runs_to_end(points)
        if len(run) >= rule.periods:
            out.append(MarketFinding(J301, f"{names[pid]}: {labels.get(kid, kid)} Red in {len(run)} consecutive periods "
                                           f"({', '.join(p.key for p in run)}): {rule.label}"
                                           + (f" ({rule.text})" if rule.text else ""),
                                     provider=pid, period=run[-1].key, field=kid))
    return out


def service_failures(fw: Framework, expected: list[Expectation], upto: Period) -> list[MarketFinding]:
    """J302 for each provider and return type late or missing in the framework's number of
    consecutive periods up to ``upto`` (late only where the register says so)."""
    rule = fw.submissions.late_or_missing
    if rule is None:
        return []
    series: dict[tuple[str, str], list[tuple[Period, bool, str]]] = defaultdict(list)
    names: dict[str, str] = {}
    for x in sorted(expected, key=lambda x: x.period.start):
        if x.state == "not yet due" or x.period.end > upto.end:
            continue
        names[x.provider.id] = x.provider.name
        series[(x.provider.id, x.return_type)].append((x.period, x.late_or_missing,
                                                       "missing" if x.state == "missing" else "late"))
    out = []
    for (pid, rid), points in sorted(series.items()):
        run = _runs_to_end([(p, f) for p, f, _ in points])
        if len(run) >= rule.periods:
            what = {p.key: w for p, _, w in points}
            listed = ", ".join(f"{p.key} {what[p.key]}" for p in run)
            out.append(MarketFinding(J302, f"{names[pid]}: {rid} returns late or missing in {len(run)} consecutive "
                                           f"periods ({listed}): {rule.label}" + (f" ({rule.text})" if rule.text else ""),
                                     provider=pid, period=run[-1].key))
    return out
