"""Score returns: KPI numerators, denominators, values and Green / Amber / Red bands.

Scoring works on a batch, because some band schemes need more than one return:
bands relative to peers compare returns of the same period, and count targets
judge consecutive periods together. Every result carries the reason for its band.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from carekpi.base.errors import UsageError
from carekpi.base.rounding import display, round_half_away
from carekpi.framework.expr import to_number
from carekpi.framework.loader import compiled
from carekpi.framework.model import (
    Direction,
    Framework,
    Kpi,
    KpiKind,
    MappingBands,
    MetBands,
    NoBands,
    RangeBands,
    RelativeBands,
    ReturnType,
    Source,
    ThresholdBands,
    TrajectoryBands,
)
from carekpi.framework.periods import Period, parse_period_key
from carekpi.scoring import rolling
from carekpi.validation import caselogs
from carekpi.validation.findings import ValidationReport
from carekpi.validation.validate import ReturnData, describe, evaluation_env, fmt_value
from carekpi.workbook.coerce import coerce


@dataclass
class KpiResult:
    kpi: str
    ref: str | None
    label: str
    unit: str
    band: str
    reason: str
    numerator: Fraction | None = None
    denominator: Fraction | None = None
    value: Decimal | str | None = None
    display: str = ""
    target: str | None = None
    critical: bool = False
    critical_failure: bool = False
    consequences: list[str] = field(default_factory=list)
    peers: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        def num(x: Any) -> Any:
            if x is None:
                return None
            if isinstance(x, Fraction):
                return int(x) if x.denominator == 1 else float(x)
            if isinstance(x, Decimal):
                return int(x) if x == x.to_integral_value() and x.as_tuple().exponent == 0 else float(x)
            return x

        out: dict[str, Any] = {
            "kpi": self.kpi, "ref": self.ref, "label": self.label, "unit": self.unit,
            "numerator": num(self.numerator), "denominator": num(self.denominator),
            "value": num(self.value), "display": self.display, "target": self.target,
            "band": self.band, "reason": self.reason, "critical": self.critical,
            "critical_failure": self.critical_failure,
        }
        if self.consequences and self.band not in ("green", "na"):
            out["consequences"] = self.consequences
        if self.peers:
            out["peers"] = self.peers
        return out


@dataclass
class ReturnScore:
    file: str
    framework: str | None
    framework_version: str | None
    return_type: str | None
    provider: str | None
    cqc_location_id: str | None
    period: str | None
    valid: bool
    errors: int
    warnings: int
    kpis: list[KpiResult] = field(default_factory=list)
    unreadable: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "file": self.file, "framework": self.framework, "framework_version": self.framework_version,
            "return_type": self.return_type, "provider": self.provider, "cqc_location_id": self.cqc_location_id,
            "period": self.period, "valid": self.valid, "errors": self.errors, "warnings": self.warnings,
            "kpis": [k.to_dict() for k in self.kpis],
        }
        if self.unreadable:
            out["unreadable"] = self.unreadable
        return out


@dataclass
class ScoreReport:
    framework: str
    returns: list[ReturnScore]
    source_note: str | None = None

    @property
    def unreadable(self) -> int:
        return sum(1 for r in self.returns if r.unreadable)

    def band_counts(self) -> dict[str, int]:
        c = {"green": 0, "amber": 0, "red": 0, "na": 0}
        for r in self.returns:
            for k in r.kpis:
                c[k.band] += 1
        return c

    def to_dict(self) -> dict[str, Any]:
        return {
            "framework": self.framework,
            "returns": [r.to_dict() for r in self.returns],
            "summary": {"returns": len(self.returns), "unreadable": self.unreadable, "bands": self.band_counts()},
        }


# --- commissioner data and contract settings -----------------------------------------------------


@dataclass
class CommissionerData:
    """Council-supplied items, keyed by provider (CQC location ID or name) and period key.

    CSV columns: ``provider`` (the CQC location ID, or the provider name as on the
    return's cover), ``period`` (``2026-03`` for a month, ``2026-Q1`` for a quarter),
    then one column per council-supplied item id.
    """

    path: str
    rows: dict[tuple[str, str], dict[str, Any]]
    #: the return type whose council-supplied items the rows hold
    return_type: str | None = None

    def lookup(self, data: ReturnData) -> dict[str, Any] | None:
        if data.period is None or (self.return_type and data.rtype.id != self.return_type):
            return None
        for key in (data.cqc_location_id, data.provider_name):
            if key:
                row = self.rows.get((key.strip().casefold(), data.period.key))
                if row is not None:
                    return row
        return None


def _council_return(fw: Framework, return_id: str | None, path: Path) -> ReturnType:
    """The return type a commissioner-data CSV is for: ``return_id`` when that type has
    council-supplied items, else the return type whose council items the CSV's columns name
    (so a folder mixing return types scores with one CSV)."""
    with_items = [r for r in fw.returns if any(i.source == Source.commissioner for i in r.items())]
    if return_id is not None and (fw.return_type(return_id) in with_items or not with_items):
        return fw.return_type(return_id)
    if len(with_items) <= 1:
        return with_items[0] if with_items else fw.return_type(return_id)
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            header = set(next(csv.reader(fh), []))
    except (OSError, UnicodeDecodeError, csv.Error):
        return with_items[0]
    for r in with_items:
        if header & {i.id for i in r.items() if i.source == Source.commissioner}:
            return r
    return with_items[0]


def load_commissioner_data(path: str | Path, fw: Framework, return_id: str | None = None) -> CommissionerData:
    rtype = _council_return(fw, return_id, Path(path))
    items = {i.id: i for i in rtype.items() if i.source == Source.commissioner}
    p = Path(path)
    try:
        with p.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            missing = {"provider", "period"} - set(header)
            if missing:
                raise UsageError(f"{p}: commissioner data needs columns provider and period "
                                 f"(missing: {', '.join(sorted(missing))})")
            unknown = [h for h in header if h not in items and h not in ("provider", "period", "provider_name", "notes")]
            if unknown:
                raise UsageError(f"{p}: unknown column(s) {', '.join(unknown)}; council-supplied items of "
                                 f"{fw.id} are: {', '.join(items) or 'none'}")
            rows: dict[tuple[str, str], dict[str, Any]] = {}
            for n, row in enumerate(reader, start=2):
                period = parse_period_key(rtype, row.get("period") or "")
                if period is None:
                    raise UsageError(f"{p}, line {n}: period {row.get('period')!r} is not a {rtype.cadence.value} period key")
                values: dict[str, Any] = {}
                for col, item in items.items():
                    if col not in row:
                        continue
                    c = coerce(item, row[col])
                    if any(x.severity == "error" for x in c.notes):
                        raise UsageError(f"{p}, line {n}, column {col}: {c.notes[0].message}")
                    values[col] = c.value
                rows[((row.get("provider") or "").strip().casefold(), period.key)] = values
    except OSError as exc:
        raise UsageError(f"cannot read commissioner data {p}: {exc.strerror}") from None
    except (csv.Error, UnicodeDecodeError) as exc:
        raise UsageError(f"{p} is not a readable CSV file: {exc}") from None
    return CommissionerData(str(p), rows, rtype.id)


@dataclass
class ContractSettings:
    """Per-contract settings (``--contract FILE.yaml``): dates that trajectories run between.

    Missing settings fall back to the framework's ``contract_defaults``. With a
    ``provider_name`` the settings are that provider's contract: they apply to the returns
    whose cover names the provider (provider name or CQC location ID, ignoring case), and
    other returns in the batch keep the defaults. ``origin`` says where the dates came from
    (it is quoted in trajectory reasons).
    """

    provider_name: str | None = None
    contract_start: date | None = None
    trajectory_end: date | None = None
    origin: str = "contract defaults"

    @classmethod
    def from_defaults(cls, fw: Framework) -> ContractSettings:
        d = fw.contract_defaults
        return cls((d.get("provider_name") or "").strip() or None, _as_date(d.get("contract_start")),
                   _as_date(d.get("trajectory_end")), f"{fw.id} contract defaults")

    @classmethod
    def load(cls, path: str | Path, fw: Framework) -> ContractSettings:
        import yaml

        base = cls.from_defaults(fw)
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise UsageError(f"cannot read contract settings {path}: {exc}") from None
        if not isinstance(data, dict):
            raise UsageError(f"{path}: contract settings must be a mapping")
        unknown = set(data) - {"provider_name", "contract_start", "trajectory_end"}
        if unknown:
            raise UsageError(f"{path}: unknown setting(s) {', '.join(sorted(unknown))} "
                             "(known: provider_name, contract_start, trajectory_end)")
        try:
            start = _as_date(data.get("contract_start")) or base.contract_start
            end = _as_date(data.get("trajectory_end")) or base.trajectory_end
        except UsageError as exc:
            raise UsageError(f"{path}: {exc}") from None
        if start and end and end <= start:
            raise UsageError(f"{path}: trajectory_end {end} must be after contract_start {start}")
        name = str(data.get("provider_name") or base.provider_name or "").strip()
        return cls(name or None, start, end, f"contract settings {Path(path).name}")

    def applies_to(self, data: ReturnData) -> bool:
        """Whether these settings are the contract of the provider of ``data``."""
        if not self.provider_name:
            return True
        want = self.provider_name.casefold()
        return any((v or "").strip().casefold() == want for v in (data.provider_name, data.cqc_location_id))


def _as_date(v: Any) -> date | None:
    if isinstance(v, datetime):  # YAML reads "2025-04-01 09:00" as a datetime
        return v.date()
    if v is None or isinstance(v, date):
        return v
    try:
        return date.fromisoformat(str(v).strip())
    except ValueError:
        raise UsageError(f"{v!r} is not a date (use YYYY-MM-DD)") from None


# --- banding -----------------------------------------------------------------------------------------


def _pct(d: Decimal | Fraction, unit: str, places: int = 1) -> str:
    if isinstance(d, Fraction):
        d = round_half_away(d, places)
    s = format(d.normalize(), "f") if isinstance(d, Decimal) else str(d)
    return s + ("%" if unit == "percent" else "")


def trajectory_step_due(b: TrajectoryBands, contract: ContractSettings, k: int) -> date:
    """The last day of the ``k``-th of the ``steps`` equal parts of the agreed time: the day by
    which step ``k`` of the trajectory is due (``trajectory_end`` for the last step)."""
    assert contract.contract_start is not None and contract.trajectory_end is not None
    span = (contract.trajectory_end - contract.contract_start).days + 1
    return contract.contract_start + timedelta(days=-(-k * span // b.steps) - 1)


def trajectory_target(b: TrajectoryBands, period: Period | None, contract: ContractSettings) -> tuple[Decimal, str]:
    """The target in force for ``period``: the target due by the period's last day.

    The agreed time runs from ``contract_start`` to ``trajectory_end`` (both days included)
    and is cut into ``steps`` equal parts, counted in whole days. The target is ``minimum``
    until the end of the first part and rises by ``(final - minimum) / steps`` at the end of
    each part, so that ``final`` is due on ``trajectory_end`` and stays in force after it.
    From 1 April 2025 to 31 March 2027 in 4 steps, step 1 is due by 30 September 2025: the
    quarter ending 30 June 2025 is judged against the minimum, the quarter ending 30
    September 2025 against step 1.
    """
    start, end = contract.contract_start, contract.trajectory_end
    if period is None or start is None or end is None:
        return b.final, "the final target (no contract dates set)"
    if end <= start:
        return b.final, f"the final target (the {contract.origin} are out of order)"
    span = (end - start).days + 1
    elapsed = (period.end - start).days + 1
    k = b.steps if elapsed >= span else max(0, elapsed * b.steps // span)
    target = b.minimum + (b.final - b.minimum) * Decimal(k) / Decimal(b.steps)
    where = f"trajectory {start:%d %b %Y} to {end:%d %b %Y}, {contract.origin}"
    if period.end > end:
        how = f"the final target: the {where} has ended"
    elif k == b.steps:
        how = f"the final target, due by {end:%d %b %Y}; {where}"
    elif elapsed <= 0:
        how = f"the minimum: the period ends before the contract start; {where}"
    elif k == 0:
        how = f"the minimum until step 1 of {b.steps}, due by {trajectory_step_due(b, contract, 1):%d %b %Y}; {where}"
    else:
        how = f"step {k} of {b.steps}, due by {trajectory_step_due(b, contract, k):%d %b %Y}; {where}"
    return target.normalize(), how


def band_value(kpi: Kpi, value: Decimal, unit: str, *, rtype: ReturnType, period: Period | None,
               contract: ContractSettings) -> tuple[str, str, str | None]:
    """(band, reason, target text) for a numeric value already rounded for display."""
    b = kpi.bands
    shown = _pct(value, unit)
    if isinstance(b, ThresholdBands):
        higher = b.direction == Direction.higher

        def meets(t: Decimal) -> bool:
            return value >= t if higher else value <= t

        word, other = ("at or above", "below") if higher else ("at or below", "above")
        green, target = _pct(b.green, unit), _pct(b.green, unit) + ("" if higher else " or lower")
        if meets(b.green):
            return "green", f"{word} Green {green}", target
        if b.amber is not None and meets(b.amber):
            return "amber", f"{other} Green {green}, {word} Amber {_pct(b.amber, unit)}", target
        if b.amber is not None:
            return "red", f"{other} Amber {_pct(b.amber, unit)}", target
        return "red", f"{other} Green {green} (no Amber band)", target
    if isinstance(b, RangeBands):
        for r in b.ranges:
            if r.min <= value <= r.max:
                return r.band, f"{shown} is in the {r.band.capitalize()} range {_pct(r.min, unit)}-{_pct(r.max, unit)}", None
        return "na", f"{shown} is in none of the printed ranges", None
    if isinstance(b, MetBands):
        target_v = b.target
        note = ""
        if b.per_months and period is not None:
            months = Decimal(period.months()) if rtype.cadence.value != "four_weekly" else Decimal(12) / Decimal(13)
            target_v = round_half_away(Fraction(b.target) * Fraction(months) / b.per_months, 1).normalize()
            note = f" ({_pct(b.target, unit)} per {b.per_months} months, pro-rated)"
        ok = value >= target_v if b.direction == Direction.higher else value <= target_v
        tt = _pct(target_v, unit)
        if ok:
            return "green", f"{shown} meets the target {tt}{note}", tt
        return "red", f"{shown} does not meet the target {tt}{note}", tt
    if isinstance(b, TrajectoryBands):
        target_v, how = trajectory_target(b, period, contract)
        higher = b.direction == Direction.higher
        below_min = value < b.minimum if higher else value > b.minimum
        reached = value >= target_v if higher else value <= target_v
        # a target such as 93 1/3 (3 steps) is compared exactly and shown to 2 places
        tt = _pct(target_v if target_v == round(target_v, 2) else round_half_away(Fraction(target_v), 2), unit)
        worse, within, floor = ("below", "at or above", "minimum") if higher else ("above", "at or below", "maximum")
        if below_min:
            return "red", f"{shown} is {worse} the {floor} {_pct(b.minimum, unit)} (target in force {tt}: {how})", tt
        if reached:
            return "green", f"{shown} meets the target in force {tt} ({how})", tt
        return "amber", (f"{shown} is {within} the {floor} {_pct(b.minimum, unit)} but short of the target in force "
                         f"{tt} ({how})"), tt
    return "na", "not banded", None


def _answer_band(kpi: Kpi, answer: str) -> tuple[str, str]:
    assert isinstance(kpi.bands, MappingBands)
    for key, band in kpi.bands.map.items():
        if key.casefold() == answer.casefold():
            return band, f"answer {answer!r} is {band.capitalize() if band != 'na' else 'not banded'}"
    return "na", f"answer {answer!r} has no band"


# --- scoring -----------------------------------------------------------------------------------------


def score_kpi(fw: Framework, data: ReturnData, kpi: Kpi, env: dict[str, Any], *,
              contract: ContractSettings, commissioner_missing: str | None) -> KpiResult:
    comp = compiled(fw, data.rtype.id)
    exprs = comp.kpis[kpi.id]
    unit = kpi.effective_unit()
    places = fw.kpi_precision(kpi)
    res = KpiResult(kpi.id, kpi.ref, kpi.label, unit, "na", "", critical=kpi.critical,
                    consequences=list(kpi.consequences))
    labels = {i.id: i.label for i in data.rtype.items()} | {d.id: d.label for d in data.rtype.derived}
    if not data.applies(kpi.applies_to):
        names = [s.label for s in fw.service_types if s.id in (kpi.applies_to or [])]
        res.reason = f"not applicable: applies to {' or '.join(names)} only"
        res.display = "n/a"
        return res
    used: set[str] = set()
    for e in (exprs.numerator, exprs.denominator, exprs.value):
        if e is not None:
            used |= e.names
    needed = _inputs_of(comp, used)
    missing = [n for n in needed if env.get(n) is None]
    if missing:
        council = [n for n in missing if comp.items[n].source == Source.commissioner]
        if council and commissioner_missing:
            res.reason = commissioner_missing
        else:
            res.reason = "missing input: " + ", ".join(labels.get(n, n) for n in missing[:3]) + (
                f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        res.display = "n/a"
        return res
    if kpi.kind == KpiKind.ratio:
        assert exprs.numerator and exprs.denominator
        num, den = to_number(exprs.numerator.evaluate(env)), to_number(exprs.denominator.evaluate(env))
        res.numerator, res.denominator = num, den
        if num is None or den is None:
            res.reason = "could not be computed"
            return res
        if den == 0:
            res.reason = f"not applicable: {describe(exprs.denominator, labels)} is 0"
            res.display = "n/a"
            return res
        if den < 0:
            res.reason = f"{describe(exprs.denominator, labels)} is negative ({fmt_value(den)}): check the figures"
            res.display = "n/a"
            return res
        raw = num / den * 100
        value = round_half_away(raw, places)
    elif kpi.kind in (KpiKind.value, KpiKind.count_target):
        assert exprs.value
        v = to_number(exprs.value.evaluate(env))
        if v is None:
            res.reason = "could not be computed"
            return res
        res.numerator = v
        value = round_half_away(v, places)
    else:
        assert exprs.value
        answer = env.get(exprs.value.source)
        res.value = str(answer)
        res.display = str(answer)
        if isinstance(kpi.bands, MappingBands):
            res.band, res.reason = _answer_band(kpi, str(answer))
            res.target = kpi.bands.as_printed
        else:
            res.reason = "not banded"
        if any(str(answer).casefold() == c.casefold() for c in kpi.critical_when):
            res.critical_failure = True
            res.reason += f"; {answer} is a critical performance failure"
        return res
    res.value = value
    res.display = display(value, places, unit)
    if isinstance(kpi.bands, NoBands):
        res.reason = "management information: not banded"
        return res
    if isinstance(kpi.bands, RelativeBands):
        res.reason = "pending peer comparison"
        return res
    res.band, res.reason, res.target = band_value(kpi, value, unit, rtype=data.rtype, period=data.period, contract=contract)
    if kpi.critical and res.band == "red":
        res.critical_failure = True
    return res


def _inputs_of(comp: Any, names: set[str]) -> list[str]:
    out: list[str] = []

    def walk(ns: Any) -> None:
        for n in sorted(ns):
            if n in comp.derived:
                walk(comp.derived[n].names)
            elif n not in out:
                out.append(n)

    walk(names)
    return out


def score_reports(fw: Framework, reports: list[ValidationReport], *, commissioner: CommissionerData | None = None,
                  contract: ContractSettings | None = None, unreadable: list[tuple[str, str]] | None = None) -> ScoreReport:
    """Score validated returns of one framework together (peers are judged within the batch)."""
    defaults = ContractSettings.from_defaults(fw)
    contract = contract or defaults
    if contract.provider_name and reports and not any(contract.applies_to(rep.data) for rep in reports):
        named = sorted({rep.data.provider_name or rep.data.cqc_location_id or rep.file for rep in reports})
        raise UsageError(f"the {contract.origin} are for {contract.provider_name!r}, which names none of the "
                         f"returns scored (providers: {', '.join(named)})")
    scores: list[ReturnScore] = []
    for rep in reports:
        data: ReturnData = rep.data
        counts = rep.counts
        sc = ReturnScore(rep.file, fw.id, fw.version, data.rtype.id, data.provider_name, data.cqc_location_id,
                         data.period.key if data.period else None, rep.valid, counts["error"], counts["warning"])
        values = dict(data.values)
        council_note = None
        council_items = [i.id for i in data.rtype.items() if i.source == Source.commissioner]
        if council_items:
            row = commissioner.lookup(data) if commissioner else None
            if row is None:
                who = data.cqc_location_id or data.provider_name or "this provider"
                when = data.period.key if data.period else "this period"
                council_note = ("council data not supplied (use --commissioner-data)" if commissioner is None
                                else f"no council data for {who} in {when} in {commissioner.path}")
            else:
                values.update(row)
        env = evaluation_env(compiled(fw, data.rtype.id), values)
        env = caselogs.computed_env(fw, data, values) or env  # figures computed from case logs win
        for kpi in fw.kpis_for(data.rtype.id):
            sc.kpis.append(score_kpi(fw, data, kpi, env, contract=contract if contract.applies_to(data) else defaults,
                                     commissioner_missing=council_note))
            caselogs.explain(fw, data, kpi, sc.kpis[-1])
        scores.append(sc)
    peer_note = _band_relative(fw, scores)
    rolling.add_rolling_results(fw, reports, scores)
    _withhold_bands_on_bad_inputs(fw, reports, scores)
    for path, reason in unreadable or []:
        scores.append(ReturnScore(path, fw.id, None, None, None, None, None, False, 0, 0, unreadable=reason))
    return ScoreReport(fw.id, scores, source_note=peer_note)


def _withhold_bands_on_bad_inputs(fw: Framework, reports: list[ValidationReport], scores: list[ReturnScore]) -> None:
    """A KPI whose inputs carry an error in this return is not banded: a figure that breaks a
    rule (11 restarts taken of 10 offered) would otherwise show as 110% Green."""
    for rep, sc in zip(reports, scores, strict=False):
        comp = compiled(fw, rep.data.rtype.id)
        rule_fields = {r.id: r.fields for r in comp.rules}
        bad: dict[str, str] = {}
        for f in rep.findings:
            # V402: the case log disagrees with a declared figure, and scoring uses the log's own
            if f.severity != "error" or f.code == "V402":
                continue
            for name in ([f.field] if f.field else []) + list(rule_fields.get(f.rule or "", [])):
                bad.setdefault(name, f.code)
        if not bad:
            continue
        labels = {i.id: i.label for i in rep.data.rtype.items()}
        for k in sc.kpis:
            exprs = comp.kpis.get(k.kpi)
            if exprs is None or k.band == "na":
                continue
            names: set[str] = set()
            for e in (exprs.numerator, exprs.denominator, exprs.value):
                if e is not None:
                    names |= e.names
            inputs = set(_inputs_of(comp, names))
            hit = [n for n in bad if n in inputs]  # the finding's own item first
            if hit:
                first = hit[0]
                k.band = "na"
                k.critical_failure = False
                k.reason = (f"not banded: {labels.get(first, first)} has an error ({bad[first]}) in this return; "
                            "correct the return and score it again")


def peer_name(sc: ReturnScore) -> str:
    """How a return is named in a peer list: the provider, else its CQC location ID, else the file."""
    return sc.provider or sc.cqc_location_id or Path(sc.file).name


def quartiles(values: list[Fraction]) -> tuple[Fraction, Fraction]:
    """Lower and upper quartiles by the inclusive method (Excel's QUARTILE.INC), exactly."""
    xs = sorted(values)

    def at(p: Fraction) -> Fraction:
        pos = p * (len(xs) - 1)
        i = int(pos)
        return xs[i] if pos == i else xs[i] + (xs[i + 1] - xs[i]) * (pos - i)

    return at(Fraction(1, 4)), at(Fraction(3, 4))


def _band_relative(fw: Framework, scores: list[ReturnScore]) -> str | None:
    """Band each relative KPI against the valid returns for the same period (its peers).

    Top quartile Green, bottom quartile Red, otherwise Amber, in the KPI's direction; a value
    that is both (every peer tied) is Amber. A return with errors is banded against its
    valid peers but is not one of them. Returns a note naming the peers of each period.
    """
    groups: dict[tuple[str, str | None], list[tuple[ReturnScore, KpiResult]]] = defaultdict(list)
    for sc in scores:
        for k in sc.kpis:
            groups[(k.kpi, sc.period)].append((sc, k))
    kpis = {k.id: k for k in fw.kpis}
    periods: dict[str | None, list[str]] = {}
    for (kid, period), members in groups.items():
        kpi = kpis.get(kid)
        if kpi is None or not isinstance(kpi.bands, RelativeBands):
            continue
        b = kpi.bands
        banded = [(sc, k) for sc, k in members if isinstance(k.value, Decimal)]
        peers = [(sc, k) for sc, k in banded if sc.valid]
        names = [peer_name(sc) for sc, _ in peers]
        periods.setdefault(period, [])
        periods[period] += [n for n in (peer_name(sc) for sc, _ in members if sc.valid) if n not in periods[period]]
        when = period or "an unknown period"
        where = f"{len(peers)} return{'s' if len(peers) != 1 else ''} for {when}"
        if len(peers) < b.min_peers:
            for _, k in banded:
                k.peers = names
                k.band = "na"
                k.reason = f"comparison only: {where} (relative bands need at least {b.min_peers})"
            continue
        places = fw.kpi_precision(kpi)
        q1, q3 = quartiles([Fraction(k.value) for _, k in peers if isinstance(k.value, Decimal)])
        unit = kpi.effective_unit()
        lo, hi = _pct(round_half_away(q1, places + 2), unit), _pct(round_half_away(q3, places + 2), unit)
        higher = b.direction == Direction.higher
        for sc, k in banded:
            assert isinstance(k.value, Decimal)
            v = Fraction(k.value)
            k.peers = names
            k.target = f"Green >= {hi}, Red <= {lo}" if higher else f"Green <= {lo}, Red >= {hi}"
            top, bottom = (v >= q3, v <= q1) if higher else (v <= q1, v >= q3)
            outside = "" if sc.valid else " (this return has errors, so it is not one of them)"
            upper, lower = f"the upper quartile {hi}", f"the lower quartile {lo}"
            if top and not bottom:
                edge = f"at or above {upper}" if higher else f"at or below {lower} (lower is better)"
                k.band, k.reason = "green", f"top quartile of {where}{outside}: {k.display} is {edge}"
            elif bottom and not top:
                edge = f"at or below {lower}" if higher else f"at or above {upper} (lower is better)"
                k.band, k.reason = "red", f"bottom quartile of {where}{outside}: {k.display} is {edge}"
            elif top and bottom:
                k.band, k.reason = "amber", f"middle of {where}{outside}: {k.display} is both quartiles (tied values)"
            else:
                k.band, k.reason = "amber", (f"middle half of {where}{outside}: {k.display} is between "
                                             f"the quartiles {lo} and {hi}")
            k.critical_failure = kpi.critical and k.band == "red"
    if not periods:
        return None
    lines = [f"Relative bands compare the valid returns for the same period ({fw.id}):"]
    for period, names in sorted(periods.items(), key=lambda x: str(x[0])):
        lines.append(f"  {period or 'unknown period'}: {len(names)} return{'s' if len(names) != 1 else ''}: "
                     f"{', '.join(names) or 'none'}")
    return "\n".join(lines)
