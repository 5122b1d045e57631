"""In-process timing of validate + score per return, over the bundled Surrey samples.

Usage: python scripts/bench_inprocess.py [ROUNDS]
Prints the median seconds per return (validate_file + score_reports) over ROUNDS rounds,
after one warm-up round (imports, framework load and template layout are paid once).
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import date
from pathlib import Path

from carekpi.framework.discovery import find_framework
from carekpi.scoring.passes import score_reports
from carekpi.validation.validate import validate_file

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    fw = find_framework("surrey")
    files = sorted((ROOT / "sample_returns" / "surrey").glob("*.xlsx"))
    per_return: list[float] = []
    for r in range(rounds + 1):
        t0 = time.perf_counter()
        reports = [validate_file(f, framework=fw, today=date(2026, 11, 22)) for f in files]
        score_reports(fw, reports)
        elapsed = (time.perf_counter() - t0) / len(files)
        if r:  # the first round is the warm-up
            per_return.append(elapsed)
    print(f"{len(files)} returns x {rounds} rounds: median {statistics.median(per_return) * 1000:.1f} ms per return "
          f"(min {min(per_return) * 1000:.1f}, max {max(per_return) * 1000:.1f})")


if __name__ == "__main__":
    main()
