"""Scoring as explicit passes, in order, each taking results and returning new ones.

1. :func:`per_return_kpis`: every KPI of every return, from its own figures (case-log
   figures replace the declared ones they disagree with), and where the figures came from;
2. :func:`relative_bands`: KPIs banded against their peers for the same period;
3. :func:`rolling_judgements`: count targets judged over consecutive periods;
4. :func:`withhold_bands`: no band for a KPI whose inputs carry an error in the return.

A pass never overwrites what an earlier one explained: a result's reason is its basis plus
notes (:class:`~carekpi.scoring.results.KpiResult`), and a later pass changes the basis
while the notes stay. :func:`score_reports` runs the passes over validated returns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from carekpi.base.enums import Band, Severity
from carekpi.base.errors import UsageError
from carekpi.framework.expr import to_number
from carekpi.framework.model import Framework, Source
from carekpi.scoring.inputs import CommissionerData, ContractSettings
from carekpi.scoring.kpis import score_kpi
from carekpi.scoring.relative import band_relative, peer_note
from carekpi.scoring.results import KpiResult, ReturnScore, ScoreReport
from carekpi.scoring.rolling import add_rolling_results
from carekpi.validation.context import ComputedFigure, ReturnData
from carekpi.validation.findings import ValidationReport


@dataclass(frozen=True)
class ScoringRun:
    """What every pass may read: the framework, the validated returns and the scoring inputs."""

    fw: Framework
    reports: list[ValidationReport]
    commissioner: CommissionerData | None
    contract: ContractSettings
    defaults: ContractSettings
    #: files that do not count (superseded, conflict...), with why: not peers, not in rolling totals
    excluded: dict[str, str]
    #: which provider each file is (from the market's providers), for judgements over periods
    providers: dict[str, str]
    #: council-supplied values worked out for a file (from the submissions register); the
    #: council's data file wins where it has the item too
    council: dict[str, dict[str, Any]]


Pass = Callable[[ScoringRun, list[ReturnScore]], list[ReturnScore]]

#: why a KPI built on items the council supplies has no result when no council data was given:
#: said to the officer who runs carekpi (a provider's feedback copy words it for the provider)
NO_COUNCIL_DATA = "council data not supplied (use --commissioner-data)"


# --- 1. per return -----------------------------------------------------------------------------


def _council_values(run: ScoringRun, data: ReturnData) -> tuple[dict[str, Any], str | None]:
    """The council-supplied items for this return, or why there are none."""
    if not any(i.source == Source.commissioner for i in data.rtype.items()):
        return {}, None
    worked_out = run.council.get(data.file, {})
    row = run.commissioner.lookup(data) if run.commissioner else None
    if row is not None:
        return {**worked_out, **row}, None
    who = data.cqc_location_id or data.provider_name or "this provider"
    when = data.period.key if data.period else "this period"
    if run.commissioner is None:
        return worked_out, NO_COUNCIL_DATA
    return worked_out, f"no council data for {who} in {when} in {run.commissioner.path}"


def _shown(v: Any) -> str:
    n = to_number(v)
    if n is None:
        return "blank" if v is None else str(v)
    return str(n.numerator) if n.denominator == 1 else format(float(n), "g")


def case_log_note(computed: dict[str, ComputedFigure], inputs: list[str]) -> str | None:
    """Where a KPI's figures came from, when some of them are computed from case logs."""
    used = [computed[i] for i in sorted(inputs) if i in computed]
    if not used:
        return None
    differing = [f for f in used if f.differs]
    sheets = sorted({f.sheet for f in used})
    names = f"{' and '.join(sheets)} sheet{'s' if len(sheets) > 1 else ''}"
    if differing:
        parts = [f"{f.label} {f.shown()} (the return declares {_shown(f.declared)})" for f in differing]
        return f"computed by carekpi from the {names}, not the declared figures: " + "; ".join(parts)
    return f"the declared figures agree with the {names}"


def per_return_kpis(run: ScoringRun, scores: list[ReturnScore]) -> list[ReturnScore]:
    out = list(scores)
    for rep in run.reports:
        data: ReturnData = rep.data
        council, council_note = _council_values(run, data)
        values = {**data.values, **council}
        differing = {item: f.value for item, f in data.computed.items() if f.differs}
        # figures computed from case logs win over the declared ones they disagree with
        env = data.compiled.evaluation_env({**values, **differing})
        contract = run.contract if run.contract.applies_to(data) else run.defaults
        results = []
        for kpi in run.fw.kpis_for(data.rtype.id):
            res = score_kpi(run.fw, data, kpi, env, contract=contract, commissioner_missing=council_note)
            note = case_log_note(data.computed, data.compiled.kpi_inputs(kpi.id))
            results.append(res.noted(note) if note else res)
        counts = rep.counts
        errors = tuple(f for f in rep.sorted_findings() if f.severity == Severity.error)
        out.append(ReturnScore(rep.file, run.fw.id, run.fw.version, data.rtype.id, data.provider_name,
                               data.cqc_location_id, data.period.key if data.period else None, rep.valid,
                               counts["error"], counts["warning"], tuple(results), excluded=run.excluded.get(rep.file),
                               error_findings=errors))
    return out


# --- 2, 3 ---------------------------------------------------------------------------------------


def relative_bands(run: ScoringRun, scores: list[ReturnScore]) -> list[ReturnScore]:
    return band_relative(run.fw, scores)


def rolling_judgements(run: ScoringRun, scores: list[ReturnScore]) -> list[ReturnScore]:
    return add_rolling_results(run.fw, run.reports, scores, run.providers)


# --- 4. bands withheld ------------------------------------------------------------------------


def withhold_bands(run: ScoringRun, scores: list[ReturnScore]) -> list[ReturnScore]:
    """A KPI whose inputs carry an error in this return is not banded: a figure that breaks a
    rule (11 restarts taken of 10 offered) would otherwise show as 110% Green."""
    out = []
    for rep, sc in zip(run.reports, scores, strict=True):
        comp = rep.data.compiled
        rule_fields = {r.id: r.fields for r in comp.rules}
        bad: dict[str, str] = {}
        for f in rep.findings:
            # V402: the case log disagrees with a declared figure, and scoring uses the log's own
            if f.severity != Severity.error or f.code == "V402":
                continue
            for name in ([f.field] if f.field else []) + list(rule_fields.get(f.rule or "", [])):
                bad.setdefault(name, f.code)
        if not bad:
            out.append(sc)
            continue
        labels = {i.id: i.label for i in rep.data.rtype.items()}
        results: list[KpiResult] = []
        for k in sc.kpis:
            figures = (k.value, k.numerator, k.denominator)
            if k.kpi in comp.kpis and (k.band != Band.na or any(x is not None for x in figures)):
                inputs = set(comp.kpi_inputs(k.kpi))
                hit = [n for n in bad if n in inputs]  # the finding's own item first
                if hit:
                    first = hit[0]
                    # a figure computed from figures with an error is not shown: -50% or 110%
                    # would be read as a result
                    what = "not banded" if k.band != Band.na else "not computed"
                    k = k.with_band(Band.na, f"{what}: {labels.get(first, first)} has an error ({bad[first]}) "
                                             "in this return; correct the return and score it again",
                                    critical_failure=False, numerator=None, denominator=None, value=None,
                                    display="n/a")
            results.append(k)
        out.append(replace(sc, kpis=tuple(results)))
    return out


#: the passes, in the order they run
PASSES: list[Pass] = [per_return_kpis, relative_bands, rolling_judgements, withhold_bands]


def score_reports(fw: Framework, reports: list[ValidationReport], *, commissioner: CommissionerData | None = None,
                  contract: ContractSettings | None = None, unreadable: list[tuple[str, str]] | None = None,
                  excluded: dict[str, str] | None = None, providers: dict[str, str] | None = None,
                  council: dict[str, dict[str, Any]] | None = None) -> ScoreReport:
    """Score validated returns of one framework together (peers are judged within the batch).

    ``excluded`` names returns that do not count (a superseded return, a conflict), with why:
    they are scored, but are not peers for relative bands nor part of rolling totals. ``providers``
    maps each file to its provider (the market's identity), for judgements over periods.
    """
    defaults = ContractSettings.from_defaults(fw)
    contract = contract or defaults
    if contract.provider_name and reports and not any(contract.applies_to(rep.data) for rep in reports):
        named = sorted({rep.data.provider_name or rep.data.cqc_location_id or rep.file for rep in reports})
        raise UsageError(f"the {contract.origin} are for {contract.provider_name!r}, which names none of the "
                         f"returns scored (providers: {', '.join(named)})")
    run = ScoringRun(fw, reports, commissioner, contract, defaults, dict(excluded or {}), dict(providers or {}),
                     dict(council or {}))
    scores: list[ReturnScore] = []
    for step in PASSES:
        scores = step(run, scores)
    unread = [ReturnScore(path, fw.id, None, None, None, None, None, False, 0, 0, unreadable=reason)
              for path, reason in unreadable or []]
    return ScoreReport(fw.id, (*scores, *unread), source_note=peer_note(fw, scores))
