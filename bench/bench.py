"""carekpi's performance, measured beside baselines in the same run.

Usage:
    python bench/bench.py [--framework surrey] [--returns 1000] [--growth 100,1000,5000]
                          [--runs 5] [--workdir DIR] [--fields-framework cheshire-east-awc:quarterly]

Generates realistic returns by filling carekpi's own template for a framework (distinct
providers and periods, figures varied around the bundled samples', about 5% with a mistake),
then prints, as medians over ``--runs`` runs:

* ``carekpi --version``, whole process, beside ``python -c pass``;
* ``carekpi validate R.xlsx``, whole process, beside ``frictionless validate R.xlsx`` (run in
  turn, the ratio taken pair by pair), with the framework cache warm (every run after the first)
  and off (the first run after installing carekpi or changing the framework);
* validate + score in one process, per return, beside a python-calamine read and an openpyxl
  read-only load of the same files;
* ``carekpi score DIR`` over the returns: wall time and peak memory (largest process);
* the same score over each size in ``--growth`` (cost should grow linearly), and validate +
  score per return for a framework with many more fields.

frictionless and python-calamine are optional: rows that need them say so when absent.
Generated returns are kept in ``--workdir`` (default: a folder under the system temp dir) and
reused by later runs.
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
TODAY = "2026-11-22"
#: every provider sends PERIODS consecutive returns, the last for the period ending before
#: LAST_END (a year of monthly returns: April 2025 to March 2026, all past their deadlines)
PERIODS = 12
LAST_END = date(2026, 4, 1)
#: bump when the returns generated change, so folders kept from an earlier run are made again
GENERATION = "2"


# --- returns ------------------------------------------------------------------------------------


@functools.cache  # the samples' spec is read once per process, not once per return
def _seed_entries(fw_id: str, return_id: str | None) -> list[dict[str, Any]]:
    from carekpi.framework.discovery import find_framework
    from carekpi.workbook.samples import load_spec

    fw = find_framework(fw_id)
    rid = return_id or fw.returns[0].id
    entries = [e for e in load_spec(fw)["returns"] if (e.get("return") or fw.returns[0].id) == rid
               and "/" not in e["file"] and not e.get("errors")]
    if not entries:
        raise SystemExit(f"no bundled sample of {fw_id} {rid} to start from")
    return entries


def _vary(value: Any, rng: random.Random) -> Any:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return value
    return max(0, round(value * rng.uniform(0.8, 1.2)))


def _add_months(d: date, months: int) -> date:
    m = d.month - 1 + months
    return date(d.year + m // 12, m % 12 + 1, 1)


def _make(job: tuple[str, str | None, int, int, int, str]) -> None:
    """Fill the template for provider ``p`` and period number ``k``."""
    fw_id, rid, p, k, step, target = job
    from carekpi.framework.discovery import find_framework
    from carekpi.workbook.fill import fill_workbook
    from carekpi.workbook.template import template_bytes

    fw = find_framework(fw_id)
    rng = random.Random(p * 1000 + k)
    seed = _seed_entries(fw_id, rid)[p % len(_seed_entries(fw_id, rid))]
    values = {name: _vary(v, rng) for name, v in (seed.get("values") or {}).items()}
    values["provider_name"] = f"Provider {p:04d} Care Ltd"
    values["cqc_location_id"] = f"1-{100000000 + p}"
    start = values.get("reporting_period")
    if isinstance(start, date):
        values["reporting_period"] = _add_months(LAST_END, (k - PERIODS) * step) if start.day == 1 else start
    if rng.random() < 0.05:  # some returns with a mistake, as people send them
        figures = [n for n, v in values.items() if isinstance(v, int) and not isinstance(v, bool)]
        if figures:
            values[rng.choice(figures)] = rng.choice(["n/a", "12 calls", -5, 1.5])
    Path(target).write_bytes(fill_workbook(_template(fw, rid, template_bytes), values, tables=seed.get("tables")))


_TEMPLATES: dict[tuple[str, str | None], bytes] = {}


def _template(fw: Any, rid: str | None, make: Any) -> bytes:
    key = (fw.id, rid)
    if key not in _TEMPLATES:
        _TEMPLATES[key] = make(fw, rid)
    return _TEMPLATES[key]


def returns(workdir: Path, fw_id: str, rid: str | None, n: int, step: int) -> Path:
    """A folder of ``n`` returns (:data:`PERIODS` consecutive periods per provider), generated
    once and kept (the stamp file is written last, so an interrupted generation is redone)."""
    d = workdir / f"{fw_id}-{rid or 'default'}-{n}"
    stamp = d / ".generated"
    if stamp.is_file() and stamp.read_text() == GENERATION and len(list(d.glob("*.xlsx"))) == n:
        return d
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    jobs = [(fw_id, rid, i // PERIODS, i % PERIODS, step, str(d / f"p{i // PERIODS:04d}-{i % PERIODS:02d}.xlsx"))
            for i in range(n)]
    print(f"generating {n} {fw_id} returns in {d} ...", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    with ProcessPoolExecutor() as ex:
        list(ex.map(_make, jobs, chunksize=16))
    stamp.write_text(GENERATION)
    print(f"generated in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    return d


# --- timing ---------------------------------------------------------------------------------------


#: environment of every timed carekpi run: its own framework cache (see carekpi.framework.cache)
ENV: dict[str, str] = {"CI": "1"}


def run(cmd: list[str], extra: dict[str, str] | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (KB, largest process of the command) of one run."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         env={**os.environ, **ENV, **(extra or {})})
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - t0, usage.ru_maxrss


def median_run(cmd: list[str], runs: int, extra: dict[str, str] | None = None) -> tuple[float, int]:
    run(cmd, extra)  # warm the file cache
    got = [run(cmd, extra) for _ in range(runs)]
    return statistics.median(t for t, _ in got), max(m for _, m in got)


def paired(cmd: list[str], base: list[str], runs: int,
           extra: dict[str, str] | None = None) -> tuple[float, float, float]:
    """Medians of ``cmd`` and ``base`` run in turn (A B A B ...), and the median of the ratios
    taken pair by pair: the machine's speed drifts, and pairing keeps the ratio honest."""
    run(cmd, extra), run(base)  # warm the file cache
    a: list[float] = []
    b: list[float] = []
    for _ in range(runs):
        a.append(run(cmd, extra)[0])
        b.append(run(base)[0])
    return statistics.median(a), statistics.median(b), statistics.median(x / y for x, y in zip(a, b, strict=True))


def in_process(files: list[Path], fw_id: str, runs: int) -> float:
    """Median seconds per return of validate + score in this process (after one warm-up)."""
    from datetime import date as _date

    from carekpi.framework.discovery import find_framework
    from carekpi.scoring.passes import score_reports
    from carekpi.validation.validate import validate_file

    fw = find_framework(fw_id)
    today = _date.fromisoformat(TODAY)
    out = []
    for r in range(runs + 1):
        t0 = time.perf_counter()
        score_reports(fw, [validate_file(f, framework=fw, today=today) for f in files])
        if r:
            out.append((time.perf_counter() - t0) / len(files))
    return statistics.median(out)


def per_file(files: list[Path], read: Any, runs: int) -> float:
    out = []
    for r in range(runs + 1):
        t0 = time.perf_counter()
        for f in files:
            read(f)
        if r:
            out.append((time.perf_counter() - t0) / len(files))
    return statistics.median(out)


def calamine_read(path: Path) -> None:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    for name in wb.sheet_names:
        wb.get_sheet_by_name(name).to_python()


def openpyxl_ro_read(path: Path) -> None:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    for ws in wb.worksheets:
        for _ in ws.iter_rows(values_only=True):
            pass
    wb.close()


def has(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


# --- report ---------------------------------------------------------------------------------------


def ms(s: float) -> str:
    return f"{s * 1000:.1f} ms" if s < 1 else f"{s:.2f} s"


def byte_compile() -> None:
    """Byte-compile carekpi, as pip does when it installs a package: an editable install run
    with PYTHONDONTWRITEBYTECODE set would otherwise compile every module from source in every
    process, which no installed copy does (and the baselines' packages are compiled)."""
    import compileall

    import carekpi

    compileall.compile_dir(str(Path(carekpi.__file__).parent), quiet=1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--framework", default="surrey")
    ap.add_argument("--returns", type=int, default=1000)
    ap.add_argument("--growth", default="100,1000,5000")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--in-process-sample", type=int, default=200, help="returns timed in one process")
    ap.add_argument("--fields-framework", default="cheshire-east-awc:quarterly")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "carekpi-bench")
    a = ap.parse_args()
    byte_compile()
    ENV["CAREKPI_CACHE_DIR"] = str(a.workdir / "framework-cache")
    carekpi = str(BIN / "carekpi")
    market = returns(a.workdir, a.framework, None, a.returns, 1)
    files = sorted(market.glob("*.xlsx"))
    one = files[0]
    sample = files[: a.in_process_sample]
    rows: list[tuple[str, str, str, str]] = []

    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at start; medians of {a.runs} runs\n")

    v, base, r = paired([carekpi, "--version"], [sys.executable, "-c", "pass"], a.runs)
    rows.append(("carekpi --version, whole process", ms(v), f"python -c pass {ms(base)}", f"{r:.1f}x"))

    validate = [carekpi, "validate", "--today", TODAY, str(one)]
    fl = BIN / "frictionless"
    for label, extra in (("carekpi validate R.xlsx, whole process", None),
                         ("the same, first run (framework not cached)", {"CAREKPI_NO_CACHE": "1"})):
        if fl.exists():
            val, f_t, r = paired(validate, [str(fl), "validate", str(one)], a.runs, extra)
            rows.append((label, ms(val), f"frictionless validate {ms(f_t)}", f"{r:.2f}x"))
        else:
            val, _ = median_run(validate, a.runs, extra)
            rows.append((label, ms(val), "frictionless not installed", "-"))

    per = in_process(sample, a.framework, a.runs)
    base_txt, ratio = [], "-"
    if has("python_calamine"):
        cal = per_file(sample, calamine_read, a.runs)
        base_txt.append(f"python-calamine read {ms(cal)}")
        ratio = f"{per / cal:.1f}x calamine"
    else:
        base_txt.append("python-calamine not installed")
    ro = per_file(sample, openpyxl_ro_read, a.runs)
    base_txt.append(f"openpyxl read-only {ms(ro)}")
    rows.append(("validate + score in one process, per return", ms(per), "; ".join(base_txt), ratio))

    wall, peak = median_run([carekpi, "score", "-f", a.framework, "--today", TODAY, "--format", "json",
                             str(market)], a.runs)
    rows.append((f"carekpi score DIR over {a.returns} returns", f"{wall:.2f} s wall, {peak / 1024:.0f} MB peak",
                 f"{os.cpu_count()} cores", f"{wall / a.returns * 1000:.2f} ms/return"))

    width = [max(len(r[i]) for r in rows) for i in range(4)]
    head = ("measure", "carekpi", "baseline in the same run", "ratio")
    width = [max(w, len(h)) for w, h in zip(width, head, strict=True)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(head, width, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in width) + "|")
    for r in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, width, strict=True)) + " |")

    print("\nGrowth in returns (carekpi score DIR, whole process):")
    print("| returns | wall | per return | peak memory |\n|---|---|---|---|")
    for n in [int(x) for x in a.growth.split(",") if x]:
        d = returns(a.workdir, a.framework, None, n, 1)
        w, pk = median_run([carekpi, "score", "-f", a.framework, "--today", TODAY, "--format", "json", str(d)],
                           max(1, a.runs // 2) if n > 1000 else a.runs)
        print(f"| {n} | {w:.2f} s | {w / n * 1000:.2f} ms | {pk / 1024:.0f} MB |")

    fw_id, _, rid = a.fields_framework.partition(":")
    from carekpi.framework.discovery import find_framework

    many = sorted(returns(a.workdir, fw_id, rid or None, 100, 3).glob("*.xlsx"))
    from carekpi.workbook.layout import template_layout

    n_fields = len(template_layout(find_framework(fw_id), rid or None).slots)  # named cells the reader reads
    n_base = len(template_layout(find_framework(a.framework)).slots)
    per_many = in_process(many, fw_id, a.runs)
    print("\nGrowth in fields (validate + score in one process, per return; 100 returns):")
    print("| framework | named cells | per return |\n|---|---|---|")
    print(f"| {a.framework} | {n_base} | {ms(per)} |")
    print(f"| {a.fields_framework} | {n_fields} | {ms(per_many)} |")
    load = os.getloadavg()
    print(f"\nload average at end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
