"""Data quality: checks declared in Python, compiled to one DuckDB scan, gates on write,
stored results, alerts and per-version profiles. See ``README.md``.

Example:
    >>> from lakeworks.quality import checks as qc
    >>> qc.accepted_values("status", ["paid", "open"]).kind
    'accepted_values'
"""

from lakeworks.quality import checks
from lakeworks.quality.checks import Check
from lakeworks.quality.reports import QualityReport, ReloadResult
from lakeworks.quality.store import CheckInfo, CheckResult, Profile

__all__ = [
    "Check",
    "CheckInfo",
    "CheckResult",
    "Profile",
    "QualityReport",
    "ReloadResult",
    "checks",
]
