"""The officer's view of a market: every provider for one period, who sent what and when, how each
KPI moved, and the judgements and queries that span periods.

:func:`build_market` puts it together from validated returns: providers (the council's list or
inferred), the submissions register, resubmissions resolved, returns expected against received,
the scores (only returns that count are peers or in rolling totals), the period shown (native or
put together), directions of travel, consistent failures, service failures and plausibility
queries. Nothing depends on the order the files were given.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from carekpi.base.enums import Band
from carekpi.framework.model import Framework, ReturnType
from carekpi.framework.periods import Period
from carekpi.market.codes import M107, M108, MarketFinding
from carekpi.market.judgements import consistent_failures, service_failures
from carekpi.market.providers import Provider, ProviderDirectory, infer_providers
from carekpi.market.queries import explained, far_from_peers, moved_figures
from carekpi.market.register import Register
from carekpi.market.submissions import Expectation, Submission, Submissions, begun, classify
from carekpi.market.view import ProviderPeriod, aggregate, band_peers, direction, is_native, previous, view_period
from carekpi.scoring.inputs import CommissionerData, ContractSettings
from carekpi.scoring.passes import score_reports
from carekpi.scoring.results import KpiResult, ReturnScore, ScoreReport
from carekpi.validation.findings import ValidationReport


@dataclass
class ProviderRow:
    """One provider in the period shown: its results, each KPI's direction of travel, its returns."""

    provider: Provider
    now: ProviderPeriod
    before: ProviderPeriod
    directions: dict[str, str | None] = field(default_factory=dict)

    def result(self, kpi: str) -> KpiResult | None:
        sc = self.now.score
        return next((k for k in sc.kpis if k.kpi == kpi), None) if sc else None

    def band_counts(self) -> tuple[int, int, int, int]:
        bands = [k.band for k in self.now.score.kpis] if self.now.score else []
        return (sum(b == Band.red for b in bands), sum(b == Band.amber for b in bands),
                sum(b == Band.na for b in bands), sum(b == Band.green for b in bands))


@dataclass
class MarketReport:
    """Everything ``carekpi score`` says about a market."""

    framework: Framework
    return_type: ReturnType
    period: Period
    native: bool
    directory: ProviderDirectory
    submissions: Submissions
    scores: ScoreReport
    rows: list[ProviderRow]
    findings: list[MarketFinding]
    unreadable: list[tuple[str, str]]
    today: date
    register: str | None = None
    #: each counted return's direction of travel per KPI, against the provider's period just before
    trends: dict[str, dict[str, str | None]] = field(default_factory=dict)
    #: every return's validation (its findings), by file
    validations: dict[str, ValidationReport] = field(default_factory=dict)

    # -- counts: one definition each, used by every format ----------------------------------
    def expected_now(self) -> list[Expectation]:
        return [x for x in self.submissions.expected if x.return_type == self.return_type.id
                and self.period.contains(x.period)]

    def received_now(self) -> list[Submission]:
        return [s for s in self.submissions.received if s.return_type == self.return_type.id
                and self.period.contains(s.period)]

    def period_keys(self) -> set[str]:
        """The keys of the period shown and of every period inside it (what findings are filed under)."""
        inside = {s.period.key for s in self.submissions.received if self.period.contains(s.period)}
        inside |= {x.period.key for x in self.submissions.expected if self.period.contains(x.period)}
        return inside | {self.period.key}

    def summary(self) -> dict[str, Any]:
        exp = self.expected_now()
        rec = self.received_now()
        due = [x for x in exp if x.state != "not yet due"]
        kpis = self.framework.kpis_for(self.return_type.id)
        bands = {k.id: {b.value: 0 for b in Band} for k in kpis}
        for row in self.rows:
            for k in row.now.score.kpis if row.now.score else ():
                if k.kpi in bands:
                    bands[k.kpi][k.band.value] += 1
        return {
            "period": self.period.key,
            "return_type": self.return_type.id,
            "providers": len(self.directory.providers),
            "returns": {
                "expected": len(due),
                "received": sum(1 for x in due if x.state in ("received", "conflict")),
                "on_time": sum(1 for x in due if x.timeliness == "on time"),
                "late": sum(1 for x in due if x.timeliness == "late"),
                "timeliness_unknown": sum(1 for x in due if x.timeliness == "unknown"),
                "missing": sum(1 for x in due if x.state == "missing"),
                "not_yet_due": sum(1 for x in exp if x.state == "not yet due"),
                "superseded": sum(1 for s in rec if s.status == "superseded"),
                "conflicts": sum(1 for s in rec if s.status == "conflict"),
                "invalid": sum(1 for s in rec if s.counts and not s.valid),
                "unreadable": len(self.unreadable),
            },
            "bands": bands,
            "critical_failures": [self._critical(row, k) for row in self.rows
                                  for k in (row.now.score.kpis if row.now.score else ()) if k.critical_failure],
            "consistent_failures": [f.message for f in self.findings if f.code.code == "J301"],
            "service_failures": [f.message for f in self.findings if f.code.code == "J302"],
        }

    @staticmethod
    def _critical(row: ProviderRow, k: KpiResult) -> str:
        return f"{row.provider.name}: {k.ref + ' ' if k.ref else ''}{k.label}: {k.reason}"

    def sorted_rows(self, by: str = "worst") -> list[ProviderRow]:
        if by == "provider":
            return sorted(self.rows, key=lambda r: (r.provider.name.casefold(), r.provider.id))
        return sorted(self.rows, key=lambda r: (tuple(-n for n in r.band_counts()[:3]), r.provider.name.casefold()))


def _contract_for(defaults: ContractSettings, contract: ContractSettings, provider: Provider) -> ContractSettings:
    if contract.provider_name is None:
        return contract
    names = provider.names() | {(provider.cqc_location_id or "").casefold()}
    return contract if contract.provider_name.casefold() in names else defaults


def _register_values(fw: Framework, rtype: ReturnType, expected: list[Expectation],
                     subs: Submissions) -> dict[str, dict[str, Any]]:
    """Council-supplied counts computed from the register (items with ``from_register``), by file:
    the provider's returns due in the period (deadline inside it) and those received by then."""
    items = {i.id: i.from_register for i in rtype.items() if i.from_register}
    if not items:
        return {}
    out: dict[str, dict[str, Any]] = {}
    by_provider: dict[str, list[Expectation]] = defaultdict(list)
    for x in expected:
        by_provider[x.provider.id].append(x)
    for s in subs.received:
        if s.return_type != rtype.id or s.provider is None:
            continue
        due = [x for x in by_provider.get(s.provider.id, ()) if s.period.start <= x.due <= s.period.end
               and x.state != "not yet due"]
        counts = {"due": len(due), "on_time": sum(1 for x in due if x.timeliness == "on time")}
        if any(x.timeliness == "unknown" for x in due):
            continue  # the register does not say for every return: leave the figure to the council's data
        out[s.file] = {item: counts[kind] for item, kind in items.items()}
    return out


def build_market(fw: Framework, reports: list[ValidationReport], *, unreadable: list[tuple[str, str]],
                 directory: ProviderDirectory | None, register: Register | None, period: str | None,
                 return_id: str | None, commissioner: CommissionerData | None, contract: ContractSettings,
                 today: date) -> MarketReport:
    reports = sorted(reports, key=lambda r: r.file)
    if directory is None:
        directory = infer_providers([(r.data.provider_name, r.data.cqc_location_id) for r in reports if r.data])
    subs = classify(fw, reports, directory, register, today=today)
    provider_of = {s.file: s.provider.id for s in subs.received if s.provider is not None}
    council: dict[str, dict[str, Any]] = {}
    for rt in fw.returns:
        council.update(_register_values(fw, rt, subs.expected, subs))
    scores = score_reports(fw, reports, commissioner=commissioner, contract=contract, unreadable=unreadable,
                           excluded=subs.excluded(), providers=provider_of, council=council)
    by_file = {s.file: s for s in scores.returns if not s.unreadable}
    types_seen = [rt for rt in fw.returns if any(s.return_type == rt.id for s in subs.received)]
    rtype = fw.return_type(return_id) if return_id else (types_seen[0] if types_seen else fw.returns[0])
    seen = {s.period for s in subs.received if s.return_type == rtype.id}
    shown = view_period(period, rtype, begun(seen, today) or sorted(seen))
    native = is_native(shown, rtype)
    defaults = ContractSettings.from_defaults(fw)

    # each provider's counted returns and expected returns of the type shown, in order, by provider
    counted: dict[int, list[Submission]] = defaultdict(list)
    for s in subs.received:
        if s.provider is not None and s.return_type == rtype.id and s.counts:
            counted[id(s.provider)].append(s)
    due: dict[int, list[Expectation]] = defaultdict(list)
    for x in subs.expected:
        if x.return_type == rtype.id and x.state != "not yet due":
            due[id(x.provider)].append(x)

    def provider_period(prov: Provider, p: Period) -> ProviderPeriod:
        members = tuple(s for s in counted.get(id(prov), ()) if p.contains(s.period))
        expected = sum(1 for x in due.get(id(prov), ()) if p.contains(x.period))
        if is_native(p, rtype):
            return ProviderPeriod(prov, p, by_file.get(members[0].file) if members else None, members, expected)
        sc = aggregate(fw, rtype, prov, p, by_file, list(members), expected,
                       _contract_for(defaults, contract, prov))
        return ProviderPeriod(prov, p, sc, members, expected)

    providers = [p for p in directory.providers if not p.returns or rtype.id in p.returns]
    before_period = previous(shown, rtype)
    now = [provider_period(p, shown) for p in providers]
    before = [provider_period(p, before_period) for p in providers]
    if not native:
        now = _rebanded(fw, now)
        before = _rebanded(fw, before)
    rows = []
    for n, b in zip(now, before, strict=True):
        row = ProviderRow(n.provider, n, b)
        for kpi in fw.kpis_for(rtype.id):
            row.directions[kpi.id] = direction(kpi.bands, row.result(kpi.id),
                                               next((k for k in b.score.kpis if k.kpi == kpi.id), None)
                                               if b.score else None)
        rows.append(row)
    findings = list(subs.findings)
    for x in subs.expected:
        if x.state == "missing":
            findings.append(MarketFinding(M107, f"{x.provider.name}: the {x.return_type} return for {x.period.label} is "
                                                f"missing (due {x.due:%d %B %Y})"
                                                + (f"; {fw.submissions.consequence}" if fw.submissions.consequence else ""),
                                          provider=x.provider.id, period=x.period.key))
        elif x.timeliness == "late":
            got = x.submission.received if x.submission else None
            findings.append(MarketFinding(M108, f"{x.provider.name}: the {x.return_type} return for {x.period.label} was "
                                                f"received {'on ' + format(got, '%d %B %Y') if got else 'late'}, after its "
                                                f"deadline {x.due:%d %B %Y}", provider=x.provider.id,
                                          file=x.submission.file if x.submission else None, period=x.period.key))
    findings += consistent_failures(fw, subs.received, by_file, shown)
    findings += service_failures(fw, subs.expected, shown)
    rep_by_file = {r.file: r for r in reports}
    queries = moved_figures(fw, subs.received, rep_by_file)
    queries += far_from_peers(fw, [s for s in scores.returns if not s.unreadable], provider_of)
    findings += explained(queries, rep_by_file)
    return MarketReport(fw, rtype, shown, native, directory, subs, scores, rows, findings, unreadable, today,
                        register.path if register else None, _trends(fw, subs, by_file), {r.file: r for r in reports})


def _trends(fw: Framework, subs: Submissions, scores: dict[str, ReturnScore]) -> dict[str, dict[str, str | None]]:
    """Each counted return's direction of travel per KPI against the same provider's return for
    the period just before (none across a gap)."""
    out: dict[str, dict[str, str | None]] = {}
    series: dict[tuple[str, str], list[Submission]] = {}
    for s in subs.received:
        if s.counts and s.provider is not None and s.file in scores:
            series.setdefault((s.provider.id, s.return_type), []).append(s)
    kpis = {k.id: k for k in fw.kpis}
    for items in series.values():
        items.sort(key=lambda s: s.period.start)
        for before, now in zip([None, *items], items, strict=False):
            follows = before is not None and before.period.end.toordinal() + 1 == now.period.start.toordinal()
            prev = {k.kpi: k for k in scores[before.file].kpis} if before is not None and follows else {}
            out[now.file] = {k.kpi: direction(kpis[k.kpi].bands, k, prev.get(k.kpi)) if k.kpi in kpis else None
                             for k in scores[now.file].kpis}
    return out


def _rebanded(fw: Framework, periods: list[ProviderPeriod]) -> list[ProviderPeriod]:
    """Relative bands of a put-together period, recomputed among its providers."""
    present = [p.score for p in periods if p.score is not None]
    if not present:
        return periods
    banded = iter(band_peers(fw, present))
    return [ProviderPeriod(p.provider, p.period, next(banded), p.members, p.expected) if p.score is not None else p
            for p in periods]
