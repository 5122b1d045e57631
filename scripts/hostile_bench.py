"""Time carekpi.preflight on every hostile file, each in its own subprocess.

Generates the hostile variants from tests/test_preflight.py (HOSTILE and
WARNINGS) plus a few bench-only files sitting just under each cap, runs
``preflight`` on each in a fresh Python process, and prints per-file wall time
and peak RSS, then the worst of each. Usage::

    python3 scripts/hostile_bench.py            # all variants
    python3 scripts/hostile_bench.py -k bomb    # names containing "bomb"

Exit status is 1 if any variant took 5 s or more or peaked at 300 MB or more.
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

t = importlib.import_module("test_preflight")  # the hostile-file builders
pf = importlib.import_module("carekpi.preflight")

TIME_LIMIT_S = 5.0
RSS_LIMIT_MB = 300.0

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[2])
t0 = time.perf_counter()
from carekpi.preflight import preflight
from carekpi.errors import UnreadableWorkbook
t1 = time.perf_counter()
try:
    outcome = "warnings: %d" % len(preflight(sys.argv[1]))
except UnreadableWorkbook as exc:
    outcome = "refused: " + exc.reason
t2 = time.perf_counter()
print(json.dumps({"outcome": outcome, "check_s": t2 - t1, "import_s": t1 - t0,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _compressible_block(rng: random.Random, size: int) -> bytes:
    """Data that deflates at roughly 20-60:1, like spreadsheet XML."""
    words = [b'<c r="A%d" s="1"><v>%d</v></c>' % (i, rng.randrange(1000)) for i in range(2000)]
    out = bytearray()
    while len(out) < size:
        out += rng.choice(words)
    return bytes(out[:size])


def near_cap_total(d: Path) -> Path:
    """~190 MB uncompressed across 1 MB-ish members, each under the ratio cap."""
    rng = random.Random(5)
    block = _compressible_block(rng, 1024 * 1024 - 1)  # below the ratio-check threshold
    out = d / "near_cap_total.xlsx"
    base = t.valid_xlsx_bytes()
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info))
        for i in range(190):
            dst.writestr(f"xl/media/blob{i}.bin", block)
    return out


def near_cap_big_sheet(d: Path) -> Path:
    """One realistic-looking ~180 MB sheet XML (deflates ~15:1, so ~12 MB on disk)."""
    rng = random.Random(6)
    sheet = t.member(t.valid_xlsx_bytes(), t.SHEET)
    head, _, tail = sheet.partition(b"<sheetData>")
    tail = tail.partition(b"</sheetData>")[2]
    out = d / "near_cap_big_sheet.xlsx"
    base = t.valid_xlsx_bytes()
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != t.SHEET:
                dst.writestr(info.filename, src.read(info))
        with dst.open(t.SHEET, "w", force_zip64=True) as fh:
            fh.write(head + b"<sheetData>")
            written, r = 0, 1
            while written < 180 * 1024 * 1024:
                row = b'<row r="%d">%s</row>' % (
                    r,
                    b"".join(
                        b'<c r="%s%d"><v>%d</v></c>' % (col, r, rng.randrange(100000))
                        for col in (b"A", b"B", b"C", b"D", b"E", b"F")
                    ),
                )
                fh.write(row)
                written += len(row)
                r += 1
            fh.write(b"</sheetData>" + tail)
    return out


def near_cap_entries(d: Path) -> Path:
    """The valid workbook plus tiny members up to exactly MAX_ENTRIES."""
    base = t.valid_xlsx_bytes()
    out = d / "near_cap_entries.xlsx"
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        names = src.namelist()
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info))
        for i in range(pf.MAX_ENTRIES - len(names)):
            dst.writestr(f"customXml/item{i}.xml", b"<r/>")
    return out


def near_cap_file_size(d: Path) -> Path:
    """A 49 MB file: the valid workbook plus a stored member of random bytes."""
    base = t.valid_xlsx_bytes()
    out = d / "near_cap_file_size.xlsx"
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info))
        dst.writestr("xl/media/image1.png", os.urandom(49 * 1024 * 1024), zipfile.ZIP_STORED)
    return out


def near_cap_ole2(d: Path) -> Path:
    """A 49 MB OLE2 file with no recognisable stream names (two full scans)."""
    return t.write(d, "near_cap_ole2.xlsx", t.ole2_blob() + b"\x00" * (49 * 1024 * 1024))


def near_cap_200_sheets(d: Path) -> Path:
    """200 sheets, each with a dimension to look up."""
    wb = __import__("openpyxl").Workbook()
    for i in range(199):
        wb.create_sheet(f"S{i}")["A1"] = i
    path = d / "near_cap_200_sheets.xlsx"
    wb.save(path)
    return path


NEAR_CAP: dict[str, Callable[[Path], Path]] = {
    "near_cap_total_190MB": near_cap_total,
    "near_cap_big_sheet_180MB": near_cap_big_sheet,
    "near_cap_10000_entries": near_cap_entries,
    "near_cap_49MB_file": near_cap_file_size,
    "near_cap_49MB_ole2": near_cap_ole2,
    "near_cap_200_sheets": near_cap_200_sheets,
}


def variants() -> dict[str, Callable[[Path], Path]]:
    out: dict[str, Callable[[Path], Path]] = {}
    out["valid"] = lambda d: t.write(d, "valid.xlsx", t.valid_xlsx_bytes())
    out.update({name: build for name, (build, _) in t.HOSTILE.items()})
    out.update({name: build for name, (build, _) in t.WARNINGS.items()})
    out.update(NEAR_CAP)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", default="", help="only variants whose name contains this")
    args = parser.parse_args()
    rows = []
    for name, build in variants().items():
        if args.k not in name:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            sub = Path(tmp) / "case"
            sub.mkdir()
            path = build(sub)
            size = path.stat().st_size if path.is_file() else 0
            start = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-c", CHILD, str(path), str(ROOT / "src")],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            wall = time.perf_counter() - start
        if proc.returncode != 0:
            print(f"{name}: child failed\n{proc.stderr}", file=sys.stderr)
            return 2
        res = json.loads(proc.stdout)
        rows.append((name, size, wall, res))
        print(
            f"{name:32s} {size / 1048576:7.1f} MB  check {res['check_s']:6.3f} s"
            f"  wall {wall:6.3f} s  rss {res['rss_mb']:6.1f} MB  {res['outcome'][:70]}",
            flush=True,
        )
    children_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    worst_check = max(rows, key=lambda r: r[3]["check_s"])
    worst_wall = max(rows, key=lambda r: r[2])
    worst_rss = max(rows, key=lambda r: r[3]["rss_mb"])
    baseline = min(r[3]["rss_mb"] for r in rows)
    print()
    print(f"variants: {len(rows)}")
    print(f"worst preflight time: {worst_check[3]['check_s']:.3f} s ({worst_check[0]})")
    print(f"worst subprocess wall time (incl. interpreter start): {worst_wall[2]:.3f} s ({worst_wall[0]})")
    print(f"worst peak RSS: {worst_rss[3]['rss_mb']:.1f} MB ({worst_rss[0]}); baseline {baseline:.1f} MB")
    print(f"RUSAGE_CHILDREN ru_maxrss: {children_mb:.1f} MB")
    ok = worst_wall[2] < TIME_LIMIT_S and children_mb < RSS_LIMIT_MB
    print("within limits" if ok else "LIMIT EXCEEDED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
