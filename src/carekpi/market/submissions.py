"""Who sent what and when: each return matched to its provider, resubmissions resolved, and the
returns expected set against those received, on time, late or missing.

A return *counts* (towards peers, rolling totals and the market's judgements) unless it is:

* ``superseded``: the provider sent another return for the same period and return type that the
  register records as received later;
* ``conflict``: two returns for one provider, period and return type with no register dates to
  tell which is the resubmission: the officer must resolve it, and neither counts;
* ``withdrawn``: the register says so;
* ``outside contract``: for a period before the provider's contract started or after it ended;
* ``unmatched``: its cover names no provider of the providers file.

Expected returns come from the providers (their return types and contract dates) and each
return type's cadence, over the periods seen (or the period selected); a return whose deadline
has not passed is "not yet due", never missing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from carekpi.base.enums import Severity
from carekpi.framework.model import Framework, ReturnType
from carekpi.framework.periods import Period, deadline_for
from carekpi.market.codes import M101, M102, M103, M104, M105, M106, MarketFinding
from carekpi.market.periodnames import periods_named
from carekpi.market.providers import Provider, ProviderDirectory
from carekpi.market.register import Register, RegisterEntry
from carekpi.validation.findings import ValidationReport

COUNTED = "counted"


@dataclass(frozen=True)
class Submission:
    """One return received: whose it is, for which period, when it arrived and whether it counts."""

    file: str
    provider: Provider | None
    return_type: str
    period: Period
    due: date
    received: date | None
    status: str
    valid: bool
    errors: int

    @property
    def counts(self) -> bool:
        return self.status == COUNTED

    @property
    def on_time(self) -> bool | None:
        """True or False from the register's received date; None when the register does not say."""
        return None if self.received is None else self.received <= self.due

    @property
    def timeliness(self) -> str:
        return {None: "unknown", True: "on time", False: "late"}[self.on_time]


@dataclass(frozen=True)
class Expectation:
    """A return a provider must send for a period, and what became of it."""

    provider: Provider
    return_type: str
    period: Period
    due: date
    #: the counted return, if any
    submission: Submission | None
    #: ``received`` (on time, late or unknown), ``conflict`` (two returns, neither counted yet),
    #: ``missing``, or ``not yet due``
    state: str
    #: on time / late / unknown from the register (received returns only)
    timeliness: str | None = None
    #: the register's received date when no workbook was given (counted as received)
    register_only: bool = False

    @property
    def late_or_missing(self) -> bool:
        return self.state == "missing" or self.timeliness == "late"


@dataclass
class Submissions:
    """Every return received and every return expected, with the findings about them."""

    received: list[Submission] = field(default_factory=list)
    expected: list[Expectation] = field(default_factory=list)
    findings: list[MarketFinding] = field(default_factory=list)

    def excluded(self) -> dict[str, str]:
        """Files that do not count, with why (for scoring: not peers, not in rolling totals)."""
        return {s.file: s.status for s in self.received if not s.counts}

    def for_provider(self, provider_id: str) -> list[Submission]:
        return [s for s in self.received if s.provider is not None and s.provider.id == provider_id]


def _file_key(path: str) -> str:
    return Path(path).name.casefold()


def _register_rows(register: Register | None, directory: ProviderDirectory) -> dict[tuple[str, str, str], list[RegisterEntry]]:
    """Register rows by (provider id, return type, period key); rows naming no provider are skipped."""
    out: dict[tuple[str, str, str], list[RegisterEntry]] = defaultdict(list)
    for e in register.entries if register else ():
        match = directory.match(e.provider, e.provider)
        if match.provider is not None:
            out[(match.provider.id, e.return_type, e.period.key)].append(e)
    return out


def classify(fw: Framework, reports: list[ValidationReport], directory: ProviderDirectory, register: Register | None,
             *, today: date) -> Submissions:
    """Match every readable return to its provider and decide whether it counts."""
    out = Submissions()
    rows = _register_rows(register, directory)
    used_rows: set[int] = set()
    groups: dict[tuple[str, str, str], list[tuple[ValidationReport, Provider]]] = defaultdict(list)
    pending: list[Submission] = []
    for rep in sorted(reports, key=lambda r: r.file):
        data = rep.data
        if data is None or data.period is None:
            continue  # no period (V301): nothing to place in the market; its findings say why
        rtype = data.rtype
        due = deadline_for(rtype, data.period)
        match = directory.match(data.provider_name, data.cqc_location_id)
        _check_file_name(out, rep, rtype, data.period)
        if match.problem:
            out.findings.append(MarketFinding(M101 if match.code == "M101" else M102, match.problem,
                                              provider=match.provider.id if match.provider else None, file=rep.file,
                                              period=data.period.key))
        if match.provider is None:
            pending.append(Submission(rep.file, None, rtype.id, data.period, due, None, "unmatched", rep.valid,
                                      rep.counts["error"]))
            continue
        groups[(match.provider.id, rtype.id, data.period.key)].append((rep, match.provider))
    for key, members in sorted(groups.items()):
        entries = rows.get(key, [])
        for sub in _resolve(out, members, entries, used_rows):
            pending.append(sub)
    out.received = sorted(pending, key=lambda s: (s.provider.id if s.provider else "~", s.return_type, s.period.start,
                                                  s.file))
    for sub in out.received:
        prov = sub.provider
        if prov is not None and sub.counts and not (prov.under_contract(sub.period.end)
                                                    or prov.under_contract(sub.period.start)):
            out.findings.append(MarketFinding(M104, f"{prov.name}'s return for {sub.period.label} falls outside its "
                                                    f"contract ({_contract(prov)}); it is not counted",
                                              provider=prov.id, file=sub.file, period=sub.period.key))
    out.received = [s if not (s.provider and s.counts and not (s.provider.under_contract(s.period.end)
                                                                or s.provider.under_contract(s.period.start)))
                    else _with_status(s, "outside contract") for s in out.received]
    out.expected = _expectations(fw, directory, out.received, rows, register, today)
    if register is not None:
        _unused_register_rows(out, register, rows)
    return out


def _contract(prov: Provider) -> str:
    start = f"from {prov.contract_start:%d %B %Y}" if prov.contract_start else ""
    end = f"to {prov.contract_end:%d %B %Y}" if prov.contract_end else ""
    return " ".join(x for x in (start, end) if x) or "no dates"


def _with_status(s: Submission, status: str) -> Submission:
    return Submission(s.file, s.provider, s.return_type, s.period, s.due, s.received, status, s.valid, s.errors)


def _resolve(out: Submissions, members: list[tuple[ValidationReport, Provider]], entries: list[RegisterEntry],
             used: set[int]) -> list[Submission]:
    """The returns of one provider for one period and return type: which one counts."""
    by_file = {_file_key(e.file): e for e in entries if e.file}
    plain = [e for e in entries if not e.file]
    subs: list[Submission] = []
    for rep, prov in members:
        data = rep.data
        entry = by_file.get(_file_key(rep.file))
        if entry is None and len(members) == 1 and plain:
            entry = max(plain, key=lambda e: (e.received or date.min, e.line))
        if entry is not None:
            used.add(entry.line)
        status = "withdrawn" if entry is not None and entry.withdrawn else COUNTED
        subs.append(Submission(rep.file, prov, data.rtype.id, data.period, deadline_for(data.rtype, data.period),
                               entry.received if entry else None, status, rep.valid, rep.counts["error"]))
    live = [s for s in subs if s.status == COUNTED]
    if len(live) <= 1:
        return subs
    owner = members[0][1]
    period = live[0].period
    names = ", ".join(Path(s.file).name for s in live)
    if all(s.received is not None for s in live) and len({s.received for s in live}) == len(live):
        latest = max(live, key=lambda s: s.received or date.min)
        for s in live:
            if s is not latest:
                out.findings.append(MarketFinding(
                    M103, f"{Path(s.file).name} (received {s.received:%d %B %Y}) is superseded by "
                          f"{Path(latest.file).name} (received {latest.received:%d %B %Y}), a resubmission for "
                          f"{period.label}", severity=Severity.info, provider=owner.id, file=s.file, period=period.key))
        return [s if s is latest or s.status != COUNTED else _with_status(s, "superseded") for s in subs]
    out.findings.append(MarketFinding(
        M105, f"{owner.name} sent {len(live)} returns for {period.label} ({names}) and the register does not say which "
              "arrived last: resolve it (add each file's received date to the register, or withdraw one); until then "
              "neither counts", provider=owner.id, period=period.key))
    return [_with_status(s, "conflict") if s.status == COUNTED else s for s in subs]


def _check_file_name(out: Submissions, rep: ValidationReport, rtype: ReturnType, period: Period) -> None:
    """M106: a file name that names another period than the cover (a June file whose cover says May)."""
    named = periods_named(Path(rep.file).stem, rtype)
    if named and period.key not in {p.key for p in named}:
        shown = ", ".join(p.label for p in named)
        out.findings.append(MarketFinding(
            M106, f"the file name {Path(rep.file).name!r} names {shown}, but the cover's reporting period is "
                  f"{period.label}: check which period the return is for", severity=Severity.warning,
            provider=None, file=rep.file, period=period.key))


def begun(periods: Iterable[Period], today: date) -> list[Period]:
    """The periods that have begun by ``today``, in order: what the market shows and expects by
    default. A return dated in the future (a typing slip, which validation refuses) must neither
    move the market to its period nor make every provider owe a return for every period up to it."""
    return sorted(p for p in periods if p.start <= today)


def _periods_between(rtype: ReturnType, first: Period, last: Period) -> list[Period]:
    out = [first]
    while out[-1].end < last.end:
        out.append(out[-1].next(year_start_month=rtype.year_start_month, anchor=rtype.anchor))
    return out


def _expectations(fw: Framework, directory: ProviderDirectory, received: list[Submission],
                  rows: dict[tuple[str, str, str], list[RegisterEntry]], register: Register | None,
                  today: date) -> list[Expectation]:
    """Every (provider, return type, period) expected over the periods seen (in the returns or
    in the register) that have begun by ``today``, and its state."""
    out: list[Expectation] = []
    recorded = list(register.entries) if register else []
    seen_types = {s.return_type for s in received} | {e.return_type for e in recorded}
    # each provider's returns by return type (in the order received), looked up, not searched
    theirs: dict[tuple[int, str], list[Submission]] = defaultdict(list)
    for s in received:
        if s.provider is not None:
            theirs[(id(s.provider), s.return_type)].append(s)
    for rtype in fw.returns:
        periods = begun({s.period for s in received if s.return_type == rtype.id}
                        | {e.period for e in recorded if e.return_type == rtype.id}, today)
        if not periods:
            continue
        span = _periods_between(rtype, periods[0], periods[-1])
        for prov in directory.providers:
            if prov.returns and rtype.id not in prov.returns:
                continue
            if not prov.returns and rtype.id not in seen_types:
                continue
            sent = theirs.get((id(prov), rtype.id), [])
            mine = {s.period.key: s for s in sent if s.counts}
            disputed = {s.period.key for s in sent if s.status == "conflict"}
            for period in span:
                if not (prov.under_contract(period.end) or prov.under_contract(period.start)):
                    continue
                due = deadline_for(rtype, period)
                sub = mine.get(period.key)
                if sub is not None:
                    out.append(Expectation(prov, rtype.id, period, due, sub, "received", sub.timeliness))
                    continue
                if period.key in disputed:  # received, but which return counts is for the officer to say
                    out.append(Expectation(prov, rtype.id, period, due, None, "conflict", "unknown"))
                    continue
                entries = [e for e in rows.get((prov.id, rtype.id, period.key), []) if not e.withdrawn]
                if entries:  # recorded in the register, though no workbook was given
                    got = max(entries, key=lambda e: (e.received or date.min, e.line)).received
                    timeliness = "unknown" if got is None else ("on time" if got <= due else "late")
                    out.append(Expectation(prov, rtype.id, period, due, None, "received", timeliness, register_only=True))
                elif due >= today:
                    out.append(Expectation(prov, rtype.id, period, due, None, "not yet due"))
                else:
                    out.append(Expectation(prov, rtype.id, period, due, None, "missing"))
    return out


def _unused_register_rows(out: Submissions, register: Register,
                          rows: dict[tuple[str, str, str], list[RegisterEntry]]) -> None:
    known = {e.line for entries in rows.values() for e in entries}
    for e in register.entries:
        if e.line not in known:
            out.findings.append(MarketFinding(
                M101, f"the register ({register.path}, line {e.line}) names {e.provider!r}, which is no provider of "
                      "the market", period=e.period.key))
