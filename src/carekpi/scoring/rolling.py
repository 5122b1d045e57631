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
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

from carekpi.base.enums import Band
from carekpi.base.rounding import display, round_half_away
from carekpi.framework.bands import MetBands
from carekpi.framework.model import Framework, Kpi
from carekpi.framework.periods import CADENCES, Cadence, Period
from carekpi.scoring.results import KpiResult, ReturnScore
from carekpi.validation.findings import ValidationReport


def periods_needed(cadence: Cadence, per_months: int) -> int | None:
    """How many consecutive periods cover ``per_months`` months (None: not a whole number, or one)."""
    n = Fraction(per_months) / CADENCES[cadence].months
    return int(n) if n.denominator == 1 and n > 1 else None


def rolling_kpi_id(kpi: Kpi) -> str:
    assert isinstance(kpi.bands, MetBands)
    return f"{kpi.id}_{kpi.bands.per_months}_months"


def _consecutive(window: list[Period]) -> bool:
    return all(b.start == a.end + timedelta(days=1) for a, b in itertools.pairwise(window))


def add_rolling_results(fw: Framework, reports: list[ValidationReport], scores: list[ReturnScore],
                        providers: dict[str, str] | None = None) -> list[ReturnScore]:
    """New scores with a ``<kpi>_<n>_months`` result on the latest return of every run of
    consecutive periods of one provider that covers a count target's ``per_months``.

    ``reports`` (validation reports) and ``scores`` (their ReturnScores) are in step; ``providers``
    says which provider each file is (default: the cover's CQC location ID, else its name). A
    return that does not count (it has errors, or is superseded) is excluded from the sum, and
    the judgement says it cannot be made.
    """
    added: dict[int, list[tuple[str, KpiResult]]] = defaultdict(list)  # score index -> (after kpi, result)
    for kpi in fw.kpis:
        b = kpi.bands
        if kpi.kind.value != "count_target" or not isinstance(b, MetBands) or not b.per_months:
            continue
        rtype = fw.return_type(kpi.return_type)
        n = periods_needed(rtype.cadence, b.per_months)
        if n is None:
            continue
        groups: dict[str, dict[Period, tuple[int, KpiResult]]] = defaultdict(dict)
        for i, (rep, sc) in enumerate(zip(reports, scores, strict=True)):
            data = rep.data
            if data is None or data.rtype.id != rtype.id or data.period is None:
                continue
            res = next((k for k in sc.kpis if k.kpi == kpi.id), None)
            if res is not None and sc.excluded is None:  # a superseded return is not part of the run
                who = (providers or {}).get(rep.file) or data.provider_key.strip().casefold()
                groups[who][data.period] = (i, res)
        for by_period in groups.values():
            periods = sorted(by_period)
            for start in range(len(periods) - n + 1):
                window = periods[start:start + n]
                if not _consecutive(window):
                    continue
                latest, _ = by_period[window[-1]]
                bad = [p.key for p in window if not scores[by_period[p][0]].valid]
                judged = _judge(fw, kpi, b, rtype.cadence, [(p, by_period[p][1]) for p in window], bad)
                added[latest].append((kpi.id, judged))
    out = []
    for i, sc in enumerate(scores):
        if i not in added:
            out.append(sc)
            continue
        kpis = list(sc.kpis)
        for after, result in added[i]:
            at = next(j for j, k in enumerate(kpis) if k.kpi == after)
            kpis.insert(at + 1, result)
        out.append(replace(sc, kpis=tuple(kpis)))
    return out


def _judge(fw: Framework, kpi: Kpi, b: MetBands, cadence: Cadence, window: list[tuple[Period, KpiResult]],
           with_errors: list[str]) -> KpiResult:
    unit = kpi.effective_unit()
    places = fw.kpi_precision(kpi)
    plural = CADENCES[cadence].plural
    first, last = window[0][0], window[-1][0]
    span = f"{first.start:%b %Y} to {last.end:%b %Y}"
    keys = ", ".join(p.key for p, _ in window)
    label = f"{kpi.label}: {len(window)} consecutive {plural} ({span})"
    target = format(b.target.normalize(), "f")
    res = KpiResult(rolling_kpi_id(kpi), kpi.ref, label, unit, Band.na, "", critical=kpi.critical,
                    consequences=tuple(kpi.consequences), target=f"{target} per {b.per_months} months")
    if with_errors:
        return res.with_band(Band.na, f"the {b.per_months}-month total over {keys} cannot be judged: "
                                      f"{', '.join(with_errors)} {'is' if len(with_errors) == 1 else 'are'} excluded "
                                      "because the return has errors", display="n/a")
    missing = [p.key for p, r in window if not isinstance(r.value, Decimal) or r.numerator is None]
    if missing:
        return res.with_band(Band.na, f"the {b.per_months}-month total over {keys} cannot be judged: "
                                      f"no figure for {', '.join(missing)}", display="n/a")
    total = sum((Fraction(r.numerator) for _, r in window if r.numerator is not None), Fraction(0))
    value = round_half_away(total, places)
    shown = display(value, places, unit)
    parts = " + ".join(f"{display(round_half_away(Fraction(r.numerator), places), places, unit)} ({p.key})"
                       for p, r in window if r.numerator is not None)
    ok = b.judge_total(value)
    band = Band.green if ok else Band.red
    return res.with_band(band, f"{parts} = {shown} over {len(window)} consecutive {plural}, {span}: "
                               f"{'meets' if ok else 'does not meet'} the target {target} per {b.per_months} months "
                               "(not pro-rated)",
                         numerator=total, value=value, display=shown, critical_failure=kpi.critical and band == Band.red)
