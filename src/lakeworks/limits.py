"""Limits and meters: what a service asks before it takes a resource, and tells after.

The services own no quota logic: where a resource is taken (a table created, bytes
written, a pipeline run started, a prediction served, online keys stored) they ask their
``Limits`` and, after using something billable, tell their ``Meter``. The security
package implements both (``security.quotas.Quotas``, ``security.usage.Usage``) and the
platform plugs them in; a service built without them takes everything and meters nothing
(``Unlimited``, ``NoMeter``). Like ``hooks``, this module sits below every service, so
none of them imports security.

Example:
    >>> Unlimited().limit("default", TABLES) is None
    True
    >>> Unlimited().check("default", TABLES, adding=1)  # never refuses
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from lakeworks.context import Context

# the quotas of a workspace, by name (``lakeworks quotas set NAME LIMIT``)
STORAGE_BYTES = "storage_bytes"
TABLES = "tables"
CONCURRENT_RUNS = "concurrent_runs"
TASK_CPU_SECONDS_PER_DAY = "task_cpu_seconds_per_day"
SERVING_REQUESTS_PER_SECOND = "serving_requests_per_second"
ONLINE_KEYS = "online_keys"
QUOTAS = (
    STORAGE_BYTES,
    TABLES,
    CONCURRENT_RUNS,
    TASK_CPU_SECONDS_PER_DAY,
    SERVING_REQUESTS_PER_SECOND,
    ONLINE_KEYS,
)

# what a meter records, by kind
TASK_CPU_SECONDS = "task_cpu_seconds"
TASK_PEAK_MEMORY_BYTES = "task_peak_memory_bytes"
SQL_SCANNED_BYTES = "sql_scanned_bytes"
SERVING_REQUESTS = "serving_requests"
SERVING_CPU_SECONDS = "serving_cpu_seconds"


class Limits(Protocol):
    def limit(self, workspace: str, quota: str) -> float | None:
        """The workspace's limit of ``quota``, None when it has none (cheap: cached)."""

    def check(self, workspace: str, quota: str, adding: float = 0) -> None:
        """Raise ``QuotaExceededError`` when current use plus ``adding`` is over the limit."""

    def taken(self, workspace: str, quota: str, amount: float) -> None:
        """``amount`` of ``quota`` was just taken here (negative: released), so checks
        count it before the use is measured again."""


class Meter(Protocol):
    def record(
        self,
        ctx: Context,
        kind: str,
        amount: float,
        *,
        pipeline: str | None = None,
        obj: str | None = None,
    ) -> None:
        """Count ``amount`` of ``kind`` for the caller (cheap: buffered, written in batches)."""


class Unlimited:
    """The limits of a service built alone: none."""

    def limit(self, workspace: str, quota: str) -> float | None:
        return None

    def check(self, workspace: str, quota: str, adding: float = 0) -> None:
        return None

    def taken(self, workspace: str, quota: str, amount: float) -> None:
        return None


class NoMeter:
    """The meter of a service built alone: counts nothing."""

    def record(
        self,
        ctx: Context,
        kind: str,
        amount: float,
        *,
        pipeline: str | None = None,
        obj: str | None = None,
    ) -> None:
        return None


__all__ = ["QUOTAS", "Limits", "Meter", "NoMeter", "Unlimited"]
