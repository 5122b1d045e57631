"""The smallest useful framework, for tests of versions, hooks and other framework-level tooling."""

from __future__ import annotations

MINI_BODY = """\
id: mini
name: Mini framework
commissioner: Test Council
service: Home care
source_document: test.pdf
version: "{version}"
effective_from: {effective_from}
returns:
  - id: monthly
    label: Monthly return
    cadence: monthly
    deadline: {{rule: day_of_following_month, day: 7}}
    sections:
      - id: calls
        label: Calls
        sheet: Calls
        fields:
          - id: calls_total
            label: Total calls
            type: count
          - id: calls_late
            label: Late calls
            type: count
kpis:
  - id: on_time
    label: Calls on time
    return: monthly
    kind: ratio
    numerator: calls_total - calls_late
    denominator: calls_total
    bands: {{scheme: thresholds, green: 95, amber: 75}}
"""


def mini_framework(*, version: str = "1", effective_from: str = "2024-04-01", modeline: str = "") -> str:
    """The mini framework's YAML text, with an optional first-line modeline."""
    body = MINI_BODY.format(version=version, effective_from=effective_from)
    return f"{modeline}\n{body}" if modeline else body
