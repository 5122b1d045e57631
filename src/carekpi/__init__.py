"""carekpi: performance-monitoring returns for UK adult social care contracts.

Frameworks are data (YAML under ``frameworks/``); the library turns them into
provider workbooks, validates filled-in returns and scores KPIs.
"""

__version__ = "0.1.0"
