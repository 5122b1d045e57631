"""carekpi: performance-monitoring returns for UK adult social care contracts.

Frameworks are data (YAML under ``frameworks/``); the library turns them into provider
workbooks, validates filled-in returns and scores KPIs. The public API (see
:mod:`carekpi.api`)::

    import carekpi
    fw = carekpi.load_framework("surrey")
    report = carekpi.validate_file("return.xlsx")
    scores = carekpi.score_files(["returns/"], framework=fw)

The pipeline, one subpackage per stage (each says what it may import):
``base`` -> ``framework`` -> ``workbook`` -> ``validation`` -> ``scoring`` -> ``market`` ->
``render`` -> ``cli``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from carekpi.base.version import __version__

if TYPE_CHECKING:
    from carekpi.api import (
        Finding,
        Framework,
        FrameworkError,
        KpiResult,
        MarketReport,
        ReturnScore,
        ScoreReport,
        UnreadableWorkbook,
        UsageError,
        ValidationReport,
        load_framework,
        score_files,
        validate_file,
    )

__all__ = [
    "Finding", "Framework", "FrameworkError", "KpiResult", "MarketReport", "ReturnScore", "ScoreReport",
    "UnreadableWorkbook",
    "UsageError", "ValidationReport", "__version__", "load_framework", "score_files", "validate_file",
]
_API = set(__all__) - {"__version__"}


def __getattr__(name: str) -> Any:
    # The API is loaded on first use, so `import carekpi` (and `carekpi --version`) stay fast.
    if name in _API:
        from carekpi import api

        return getattr(api, name)
    raise AttributeError(f"module 'carekpi' has no attribute {name!r}")

