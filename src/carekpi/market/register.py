"""The submissions register the council keeps: which return arrived when.

``--register FILE.csv`` has the columns ``provider,period,return,received,file,status``:

* ``provider``: the provider's CQC location ID or a name (matched like a return's cover);
* ``period``: carekpi's period key for the return type (``2026-03``, ``2026-Q1``, ``2025/26``, the
  start date ``2026-04-06`` of a four-weekly period);
* ``return``: the return type id (may be blank when the framework has one return type);
* ``received``: the ISO date the council received it;
* ``file`` (optional): the workbook's file name, which ties the row to one workbook when a
  provider sent two for one period (a resubmission);
* ``status`` (optional): ``withdrawn`` takes the return out of the count; other words are kept
  and shown.

Received dates come only from the register, never from file timestamps: without it, whether a
return was on time is "unknown".
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from carekpi.base.errors import UsageError
from carekpi.framework.model import Framework
from carekpi.framework.periods import CADENCES, Cadence, Period, parse_period_key

REGISTER_COLUMNS = ("provider", "period", "return", "received", "file", "status")


@dataclass(frozen=True)
class RegisterEntry:
    line: int
    provider: str
    return_type: str
    period: Period
    received: date | None
    file: str | None
    status: str | None

    @property
    def withdrawn(self) -> bool:
        return (self.status or "").casefold() == "withdrawn"


@dataclass(frozen=True)
class Register:
    path: str
    entries: tuple[RegisterEntry, ...]


def load_register(path: str | Path, fw: Framework) -> Register:
    """Read a submissions register; UsageError naming the line for a row carekpi cannot read."""
    p = Path(path)
    ids = [r.id for r in fw.returns]
    try:
        with p.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in reader.fieldnames or []]
            missing = [c for c in ("provider", "period", "received") if c not in header]
            if missing:
                raise UsageError(f"{p}: a submissions register needs the columns {', '.join(REGISTER_COLUMNS)} "
                                 f"(missing: {', '.join(missing)})")
            unknown = [h for h in header if h not in REGISTER_COLUMNS]
            if unknown:
                raise UsageError(f"{p}: unknown column(s) {', '.join(unknown)} (known: {', '.join(REGISTER_COLUMNS)})")
            entries = []
            for n, row in enumerate(reader, start=2):
                row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
                if not any(row.values()):
                    continue
                where = f"{p}, line {n}"
                rid = row.get("return") or (ids[0] if len(ids) == 1 else "")
                if rid not in ids:
                    raise UsageError(f"{where}: return {rid!r} is not a return type of {fw.id} "
                                     f"(it has: {', '.join(ids)})")
                rtype = fw.return_type(rid)
                period = parse_period_key(rtype, row.get("period", ""))
                if period is None:
                    raise UsageError(f"{where}: period {row.get('period')!r} is not a {rtype.cadence.value} period key "
                                     f"(e.g. {_example(rtype.cadence.value)})")
                received = None
                if row.get("received"):
                    try:
                        received = date.fromisoformat(row["received"])
                    except ValueError:
                        raise UsageError(f"{where}: received {row['received']!r} is not a date (use YYYY-MM-DD)") from None
                if not row.get("provider"):
                    raise UsageError(f"{where}: the provider is blank")
                entries.append(RegisterEntry(n, row["provider"], rid, period, received, row.get("file") or None,
                                             row.get("status") or None))
    except OSError as exc:
        raise UsageError(f"cannot read submissions register {p}: {exc.strerror}") from None
    except (csv.Error, UnicodeDecodeError) as exc:
        raise UsageError(f"{p} is not a readable CSV file: {exc}") from None
    return Register(str(p), tuple(entries))


def _example(cadence: str) -> str:
    return CADENCES[Cadence(cadence)].example_key
