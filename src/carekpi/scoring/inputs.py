"""What scoring needs besides the returns: the council's own data and the contract's dates.

* :class:`CommissionerData` (``--commissioner-data FILE.csv``): items the council supplies
  (Surrey's e-brokerage figures), by provider and period;
* :class:`ContractSettings` (``--contract FILE.yaml``): the dates a trajectory runs between,
  defaulting to the framework's ``contract_defaults``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from carekpi.base.enums import Severity
from carekpi.base.errors import UsageError
from carekpi.framework.model import Framework, ReturnType, Source
from carekpi.framework.periods import parse_period_key
from carekpi.validation.context import ReturnData
from carekpi.workbook.coerce import coerce


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
                    if any(x.severity == Severity.error for x in c.notes):
                        raise UsageError(f"{p}, line {n}, column {col}: {c.notes[0].message}")
                    values[col] = c.value
                _reconcile(rtype, values, f"{p}, line {n}")
                rows[((row.get("provider") or "").strip().casefold(), period.key)] = values
    except OSError as exc:
        raise UsageError(f"cannot read commissioner data {p}: {exc.strerror}") from None
    except (csv.Error, UnicodeDecodeError) as exc:
        raise UsageError(f"{p} is not a readable CSV file: {exc}") from None
    return CommissionerData(str(p), rows, rtype.id)


def _reconcile(rtype: ReturnType, values: dict[str, Any], where: str) -> None:
    """Council-supplied breakdowns add up to their council-supplied total (where all are given)."""
    for sec in rtype.sections:
        for b in sec.breakdowns:
            if b.source != Source.commissioner or not b.total:
                continue
            parts: list[Any] = [values.get(b.item_id(c)) for c in b.categories]
            total = values.get(b.total)
            if total is None or any(v is None for v in parts):
                continue
            added = sum(parts, 0)
            ok = added == total if b.reconcile == "equal" else added <= total
            if not ok:
                relation = "add up to" if b.reconcile == "equal" else "add up to no more than"
                raise UsageError(f"{where}: {b.label} add up to {added}, but they must {relation} "
                                 f"{b.total} ({total})")


@dataclass(frozen=True)
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
