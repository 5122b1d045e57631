"""Build a framework's synthetic sample returns from ``sample_returns/<id>/samples.yaml``.

The spec is data: for each return, the file name, the values typed into each named cell
(and case-log rows), and what carekpi must make of it (``expect``: validity, findings,
bands), which the test suite checks. Council-supplied data is written to a CSV beside them,
and so are the market's providers (``providers.csv``) and submissions register
(``register.csv``) when the spec has them.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from carekpi.base.atomic import atomic_write_bytes, atomic_write_text
from carekpi.base.errors import UsageError
from carekpi.framework.discovery import bundled_dir
from carekpi.framework.model import Framework
from carekpi.workbook.fill import fill_workbook
from carekpi.workbook.template import _normalise_zip, template_bytes

#: the columns of the market's CSVs (documented in the README; read by carekpi.market)
PROVIDER_COLUMNS = ["provider_id", "name", "cqc_location_id", "aliases", "service_types", "contract_start",
                    "contract_end", "returns"]
REGISTER_COLUMNS = ["provider", "period", "return", "received", "file", "status"]


def spec_path(fw: Framework) -> Path:
    return bundled_dir("sample_returns") / fw.id / "samples.yaml"


def load_spec(fw: Framework, path: Path | None = None) -> dict[str, Any]:
    p = path or spec_path(fw)
    if not p.exists():
        raise UsageError(f"framework {fw.id} has no sample specification ({p})")
    spec = yaml.safe_load(p.read_text(encoding="utf-8"))
    if not isinstance(spec, dict) or spec.get("framework") != fw.id:
        raise UsageError(f"{p} is not a sample specification for {fw.id}")
    return spec


def build_sample(fw: Framework, entry: dict[str, Any], templates: dict[str, bytes]) -> bytes:
    rid = entry.get("return") or fw.returns[0].id
    if rid not in templates:
        templates[rid] = template_bytes(fw, rid)
    values = dict(entry.get("values") or {})
    data = fill_workbook(templates[rid], values, tables=entry.get("tables"))
    for name, value in (entry.get("errors") or {}).items():
        data = _set_error(data, name, value)
    stamp = datetime(fw.effective_from.year, fw.effective_from.month, fw.effective_from.day)
    return _normalise_zip(data, stamp)


def _set_error(data: bytes, name: str, value: str) -> bytes:
    """Put an Excel error value (#DIV/0!...) into a named cell, as Excel would store it."""
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data))
    title, ref = next(iter(wb.defined_names[name].destinations))
    cell = wb[title][ref.replace("$", "")]
    cell.value = value
    cell.data_type = "e"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_samples(fw: Framework, out: Path, spec: dict[str, Any] | None = None) -> list[Path]:
    spec = spec or load_spec(fw)
    templates: dict[str, bytes] = {}
    written: list[Path] = []
    for entry in spec.get("returns", []):
        target = out / entry["file"]
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(target, build_sample(fw, entry, templates))
        written.append(target)
    council = spec.get("council")
    if council:
        columns = ["provider", "period", *sorted({k for row in council for k in row} - {"provider", "period"})]
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
        w.writeheader()
        for row in council:
            w.writerow({k: _csv(v) for k, v in row.items()})
        target = out / spec.get("commissioner_data", "commissioner-data.csv")
        atomic_write_text(target, buf.getvalue())
        written.append(target)
    for key, name, columns in (("providers", "providers.csv", PROVIDER_COLUMNS),
                               ("register", "register.csv", REGISTER_COLUMNS)):
        rows = spec.get(key)
        if rows:
            buf = io.StringIO()
            w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
            w.writeheader()
            for row in rows:
                w.writerow({k: ";".join(v) if isinstance(v, list) else _csv(v) for k, v in row.items()})
            target = out / name
            atomic_write_text(target, buf.getvalue())
            written.append(target)
    return written


def _csv(v: Any) -> Any:
    return v.isoformat() if isinstance(v, date) else v
