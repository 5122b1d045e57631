#!/usr/bin/env python3
"""Run ``carekpi validate`` on every hostile and real-world variant; report the worst time and memory.

Each variant is validated by the real command line in its own process (``python -m carekpi
validate``), so the numbers include interpreter start-up, preflight, openpyxl's load, label
search, coercion and rendering. Peak RSS is measured per child (``os.wait4``).

Variants:

* real-world and hostile variants of a filled Surrey return, and seeded damaged copies of it
  (tests/workbook_variants.py, as used by tests/test_real_world.py and tests/test_properties.py);
* the refused and warned-about files of tests/test_preflight.py (HOSTILE, WARNINGS), when
  that module can be imported;
* returns sitting just under preflight's caps (cells, merged ranges, sheets), which pass
  preflight and so reach openpyxl's full load: the costliest files carekpi accepts.

Usage::

    python3 scripts/hostile_report.py              # everything (about a minute or two)
    python3 scripts/hostile_report.py -k near-cap  # names containing "near-cap"
    python3 scripts/hostile_report.py --fuzz 300   # more damaged copies

Exit status 0: every variant ended with exit 0, 1 or 2 (a report or one sentence), within
5 s and 300 MB; 1: a limit was exceeded or a variant crashed (exit 3 or a traceback).
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

import workbook_variants as wv  # noqa: E402
from carekpi.framework.discovery import find_framework  # noqa: E402
from carekpi.workbook import preflight as pf  # noqa: E402
from carekpi.workbook.fill import fill_workbook  # noqa: E402
from carekpi.workbook.template import template_bytes  # noqa: E402

TIME_LIMIT_S = 5.0
RSS_LIMIT_MB = 300.0
TODAY = "2026-11-22"
CLEAN = {
    "provider_name": "Hostile Report Care Ltd", "cqc_location_id": "1-000000001", "reporting_period": date(2026, 3, 1),
    "delivers_hbc": "Yes", "delivers_linc": "Yes", "delivers_specialist": "No", "contact_name": "A Manager",
    "contact_email": "manager@test.example", "contact_phone": "01234 567890", "packages_ceased": 3,
    "packages_handed_back": 1, "calls_total": 1100, "calls_late": 40, "calls_missed": 10, "calls_rescheduled": 20,
    "calls_cancelled_provider": 30, "calls_cancelled_recipient": 100, "calls_cancelled_recipient_24h": 25,
    "restarts_offered": 10, "restarts_taken": 9, "staff_total": 100, "staff_new_direct_care": 4,
    "staff_new_back_office": 1, "staff_leavers": 3, "staff_orientation_eligible": 5,
    "staff_orientation_completed": 5, "staff_care_certificate": 96, "complaints_received": 2,
    "complaints_not_upheld": 1, "complaints_upheld": 1, "complaints_open": 0, "complaints_closed": 2,
    "safeguarding_referrals": 2, "safeguarding_s42": 1, "safeguarding_s42_abuse_risk": 0,
    "safeguarding_s42_no_abuse": 1, "safeguarding_s42_open": 0, "linc_packages_ceased": 0,
    "linc_packages_handed_back": 0, "linc_breaks_delivered": 300, "linc_breaks_not_required": 40,
    "linc_active_staff": 12, "linc_staff_supervised": 12,
}
#: variants whose own metadata must decide the framework (no --framework given)
OWN_FRAMEWORK = {"meta-framework-path"}


@dataclass
class Run:
    name: str
    size: int
    code: int
    wall: float
    rss_mb: float
    said: str


# --- variants just under preflight's caps -----------------------------------------------------------


def _with_sheet_rows(data: bytes, title: str, rows: Iterator[bytes], extra: bytes = b"") -> bytes:
    """``rows`` (raw <row> XML) appended to sheet ``title``'s data; ``extra`` after </sheetData>."""
    members = wv.parts(data)
    part = wv.sheet_part(data, title)
    head, _, rest = members[part].partition(b"</sheetData>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in members.items():
            if name != part:
                z.writestr(name, content)
                continue
            with z.open(name, "w", force_zip64=True) as fh:
                fh.write(head)
                for row in rows:
                    fh.write(row)
                fh.write(b"</sheetData>" + extra + rest)
    return buf.getvalue()


def near_cap_cells(clean: bytes) -> bytes:
    """A return whose Notes sheet holds numbers up to just under preflight.MAX_CELLS (cells + rows)."""
    cols = [chr(65 + i).encode() for i in range(16)]
    n_rows = (pf.MAX_CELLS - 5000) // (len(cols) + 1)
    rows = (b'<row r="%d">' % r + b"".join(b'<c r="%s%d"><v>%d</v></c>' % (c, r, r) for c in cols) + b"</row>"
            for r in range(1000, 1000 + n_rows))
    return _with_sheet_rows(clean, "Notes", rows)


def near_cap_merges(clean: bytes) -> bytes:
    """Merged ranges up to just under preflight's caps on ranges and on cells covered."""
    members = wv.parts(clean)
    part = wv.sheet_part(clean, "Notes")
    xml = members[part]
    n = pf.MAX_MERGED_RANGES - 50
    big_rows = (pf.MAX_RANGE_CELLS - 2 * n - 1000) // 10
    merges = [b'<mergeCell ref="A%d:B%d"/>' % (r, r) for r in range(2000, 2000 + n - 1)]
    merges.append(b'<mergeCell ref="D2000:M%d"/>' % (2000 + big_rows - 1))
    block = b'<mergeCells count="%d">' % len(merges) + b"".join(merges) + b"</mergeCells>"
    if b"<mergeCells" in xml:
        start, end = xml.index(b"<mergeCells"), xml.index(b"</mergeCells>") + len(b"</mergeCells>")
        xml = xml[:start] + block + xml[end:]
    else:
        xml = xml.replace(b"</sheetData>", b"</sheetData>" + block, 1)
    members[part] = xml
    return wv.rezip(members)


def near_cap_sheets(clean: bytes) -> bytes:
    """A return plus extra sheets up to preflight.MAX_SHEETS, each with a few labels."""
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(clean))
    for i in range(pf.MAX_SHEETS - len(wb.sheetnames)):
        ws = wb.create_sheet(f"Extra {i}")
        ws["B6"], ws["C6"] = "Total Number of Calls", i
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def near_cap_sheets_no_names(clean: bytes) -> bytes:
    return wv.copied_into_new_workbook(near_cap_sheets(clean))


NEAR_CAP: dict[str, Callable[[bytes], bytes]] = {
    "near-cap-cells": near_cap_cells,
    "near-cap-merges": near_cap_merges,
    "near-cap-sheets": near_cap_sheets,
    "near-cap-sheets-no-names": near_cap_sheets_no_names,
}


# --- all variants -----------------------------------------------------------------------------------


def variants(directory: Path, fuzz: int, only: str) -> Iterator[tuple[str, Path]]:
    surrey = find_framework("surrey")
    clean = fill_workbook(template_bytes(surrey), CLEAN)
    for name, suffix, data in wv.hostile_variants(clean, fuzz=fuzz):
        if only in name:
            path = directory / f"{name}{suffix}"
            path.write_bytes(data)
            yield name, path
    for name, build in NEAR_CAP.items():
        if only in name:
            path = directory / f"{name}.xlsx"
            path.write_bytes(build(clean))
            yield name, path
    try:
        import test_preflight as tp
    except Exception as exc:  # the preflight tests are someone else's, and may be mid-edit
        print(f"(tests/test_preflight.py not importable, its variants skipped: {type(exc).__name__}: {exc})",
              file=sys.stderr)
        return
    for group in (tp.HOSTILE, tp.WARNINGS):
        for name, (build, _) in group.items():
            full = f"preflight-{name}"
            if only in full:
                sub = directory / full
                sub.mkdir()
                yield full, build(sub)


#: Runs its arguments as a child and prints that child's wall time, peak RSS and exit code.
#: Measuring from this small launcher matters: Linux carries the forking process's RSS
#: high-water mark into the child's ru_maxrss, so a child forked straight from this (large)
#: script would report at least this script's size.
LAUNCHER = r"""
import json, os, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.Popen(sys.argv[2:], stdout=open(sys.argv[1] + ".out", "w"), stderr=open(sys.argv[1] + ".err", "w"))
_, status, usage = os.wait4(proc.pid, 0)
wall = time.perf_counter() - start
with open(sys.argv[1], "w") as fh:
    json.dump({"code": os.waitstatus_to_exitcode(status), "wall": wall, "rss_mb": usage.ru_maxrss / 1024}, fh)
"""


def _child_rss(args: list[str], env: dict[str, str]) -> tuple[int, float, float, str, str]:
    """Run ``args``; (exit code, wall seconds, peak RSS MB, stdout, stderr) of that child alone."""
    import json

    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "result.json"
        subprocess.run([sys.executable, "-c", LAUNCHER, str(result), *args], env=env, check=True, timeout=300)
        res = json.loads(result.read_text())
        out = Path(str(result) + ".out").read_text(errors="replace")
        err = Path(str(result) + ".err").read_text(errors="replace")
    return res["code"], res["wall"], res["rss_mb"], out, err


def run_one(name: str, path: Path) -> Run:
    args = [sys.executable, "-m", "carekpi", "validate", "--today", TODAY, str(path)]
    if name not in OWN_FRAMEWORK:
        args[4:4] = ["--framework", "surrey"]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    code, wall, rss, out, err = _child_rss(args, env)
    if "Traceback" in out + err or code not in (0, 1, 2):
        said = "CRASH: " + " | ".join((err or out).strip().splitlines()[-2:])
    elif code == 2:
        # an unreadable file's reason is in the report (standard output); misuse is on standard error
        text = (err.strip() or out.strip())
        said = text.splitlines()[-1] if text else "(nothing said)"
    else:
        said = next((line for line in out.splitlines() if line.startswith("Result:")), out.strip()[:80])
    size = path.stat().st_size if path.is_file() else 0
    return Run(name, size, code, wall, rss, said)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-k", default="", help="only variants whose name contains this")
    parser.add_argument("--fuzz", type=int, default=100, help="how many damaged copies (default 100)")
    args = parser.parse_args(argv)
    runs: list[Run] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in variants(Path(tmp), args.fuzz, args.k):
            r = run_one(name, path)
            runs.append(r)
            flag = "" if r.wall < TIME_LIMIT_S and r.rss_mb < RSS_LIMIT_MB and not r.said.startswith("CRASH") else "  <--"
            print(f"{r.name:44.44s} {r.size / 1048576:6.2f} MB  exit {r.code}  {r.wall:6.2f} s  {r.rss_mb:6.1f} MB  "
                  f"{r.said[:90]}{flag}", flush=True)
    if not runs:
        print("no variants matched")
        return 1
    worst_time = max(runs, key=lambda r: r.wall)
    worst_rss = max(runs, key=lambda r: r.rss_mb)
    crashes = [r for r in runs if r.said.startswith("CRASH")]
    codes = {c: sum(1 for r in runs if r.code == c) for c in sorted({r.code for r in runs})}
    print()
    print(f"variants: {len(runs)}; exit codes: {', '.join(f'{c}: {n}' for c, n in codes.items())}")
    print(f"worst wall time (incl. interpreter start): {worst_time.wall:.2f} s ({worst_time.name})")
    print(f"worst peak RSS: {worst_rss.rss_mb:.1f} MB ({worst_rss.name})")
    over = [r for r in runs if r.wall >= TIME_LIMIT_S or r.rss_mb >= RSS_LIMIT_MB]
    for r in over:
        print(f"over the limits ({TIME_LIMIT_S:g} s, {RSS_LIMIT_MB:g} MB): {r.name} {r.wall:.2f} s {r.rss_mb:.1f} MB")
    for r in crashes:
        print(f"crashed: {r.name}: {r.said}")
    ok = not over and not crashes
    print("within limits, no crashes" if ok else "LIMIT EXCEEDED OR CRASH")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
