"""Quotas per workspace: limits kept in the catalog, enforced where a resource is taken.

The services ask through ``lakeworks.limits.Limits`` (this class implements it): the
table store before it creates a table and for every batch it writes, the pipelines
before a run starts, serving for every prediction, the feature store before it stores
new online keys. Over a limit they get ``QuotaExceededError`` (429 over REST) naming the
quota, its limit and the current use.

The checks are on hot paths, so what they read is cached (``BoundedCache``), keyed by
value and dying by these rules (``tests/security/test_quotas.py`` proves each):

- **limits** per (workspace, generation, time slot): ``set`` in this process makes a
  new generation, so its change applies at once here; a change made by another process
  is seen within ``quota_cache_seconds`` (the slot is ``monotonic() // seconds``).
- **current use** of storage bytes, tables and online keys per (workspace, quota, time
  slot): measured once per slot (with the clock when the measure started), plus what
  this process took after that start (``taken``: the bytes a committed write streamed,
  a table created or dropped, new online keys), so its own writes count at once without
  measuring again; a write or a drop by another process is seen within
  ``quota_cache_seconds``. Pipeline quotas (concurrent runs, CPU-seconds today) are
  measured afresh at every run start, which is not a hot path.
- ``show`` (the admin page, ``lakeworks quotas show``) reads those same cached figures
  for storage bytes, tables and online keys, so opening the page does not walk the table
  storage again within a slot; each such ``QuotaStatus`` carries ``age``, the seconds
  since its measure started (at most one slot), and the page says "measured N s ago".
- **requests per second** are counted by ``rates`` per workspace and second of the wall
  clock: in Redis, shared by every process of the deployment, when ``quota_url`` (or the
  online store's or event log's URL) names one (``security/rates/redis.py``: local leases
  keep a request's cost to microseconds); else in this process, so each replica enforces
  the limit on its own share of the traffic.

A check is not a reservation: two writers racing may both pass the last check before a
limit and together go over it by one table, or one batch each.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lakeworks import limits
from lakeworks.cache import BoundedCache
from lakeworks.errors import InvalidInputError, QuotaExceededError
from lakeworks.security.rates import LocalRates, Rates

if TYPE_CHECKING:
    from lakeworks.config import Settings
    from lakeworks.context import Context
    from lakeworks.security.ledger import Ledger
    from lakeworks.security.measures import Measures

UNITS = {
    limits.STORAGE_BYTES: "bytes",
    limits.TABLES: "tables",
    limits.CONCURRENT_RUNS: "runs",
    limits.TASK_CPU_SECONDS_PER_DAY: "CPU-seconds",
    limits.SERVING_REQUESTS_PER_SECOND: "requests",
    limits.ONLINE_KEYS: "keys",
}
HINTS = {
    limits.STORAGE_BYTES: "drop or vacuum tables, or ask an owner to raise the quota",
    limits.TABLES: "drop tables you no longer need, or ask an owner to raise the quota",
    limits.CONCURRENT_RUNS: "wait for a running pipeline run to finish, then start again",
    limits.TASK_CPU_SECONDS_PER_DAY: "wait for the next day (UTC) or ask an owner to raise it",
    limits.SERVING_REQUESTS_PER_SECOND: "retry after a second; slow down the client",
    limits.ONLINE_KEYS: "delete unused feature views' online values or raise the quota",
}
_CACHED = (limits.STORAGE_BYTES, limits.TABLES, limits.ONLINE_KEYS)  # hot paths
_RATES = (limits.SERVING_REQUESTS_PER_SECOND,)  # counted per second by ``rates``


@dataclass(frozen=True)
class QuotaStatus:
    """One quota of a workspace: its limit (None: unlimited) and the current use.

    ``age``: seconds since ``used`` was measured (a cached figure, plus what this process
    took since), or None when it was measured for this answer."""

    name: str
    limit: float | None
    used: float
    unit: str
    age: float | None = None


class Quotas:
    """Set and show quotas; the ``Limits`` the services ask."""

    def __init__(
        self,
        ledger: Ledger,
        measures: Measures,
        settings: Settings,
        rates: Rates | None = None,
    ) -> None:
        self.ledger = ledger
        self.measures = measures
        self.rates: Rates = rates or LocalRates()
        self.seconds = settings.quota_cache_seconds
        self._limits: BoundedCache[dict[str, float]] = BoundedCache(1024)
        self._use: BoundedCache[tuple[float, float]] = BoundedCache(4096)
        self._recent: dict[tuple[str, str], deque[tuple[float, float]]] = {}  # see taken
        self._generation: dict[str, int] = {}
        self._lock = threading.Lock()
        self._clock: Callable[[], float] = time.monotonic

    # doors -----------------------------------------------------------------------------
    def set(self, ctx: Context, name: str, limit: float | None) -> QuotaStatus:
        """Set the workspace's ``name`` quota to ``limit`` (None removes it).

        Example: ``quotas.set(ctx, "tables", 100)``.
        """
        _check_quota(name)
        if limit is not None and (math.isnan(limit) or limit < 0):
            raise InvalidInputError(
                f"the limit of quota {name!r} must be a number >= 0, not {limit}",
                quota=name,
                expected=">= 0",
                found=limit,
            )
        self.ledger.set_limit(ctx.workspace, name, limit, ctx.user)
        self.forget(ctx.workspace)
        return self._status(ctx.workspace, name, limit)

    def show(self, ctx: Context) -> list[QuotaStatus]:
        """Every quota of the workspace with its limit and current use: measured now, or
        for storage bytes, tables and online keys the figure checks use (see ``age``)."""
        self.ledger.catalog.workspace(ctx.workspace)  # NotFoundError for a typo
        found = self.ledger.limits(ctx.workspace)
        return [self._status(ctx.workspace, q, found.get(q)) for q in limits.QUOTAS]

    # Limits ----------------------------------------------------------------------------
    def limit(self, workspace: str, quota: str) -> float | None:
        key = (workspace, self._generation.get(workspace, 0), self._slot())
        found = self._limits.get_or_make(key, lambda: self.ledger.limits(workspace))
        return found.get(quota)

    def check(self, workspace: str, quota: str, adding: float = 0) -> None:
        limit = self.limit(workspace, quota)
        if limit is None:
            return
        if quota in _RATES:
            if (used := self.rates.take(workspace, quota, limit)) is not None:
                raise exceeded(workspace, quota, limit, used, 1)
            return None
        used = self._used(workspace, quota)
        if used + adding > limit:
            raise exceeded(workspace, quota, limit, used, adding)

    def taken(self, workspace: str, quota: str, amount: float) -> None:
        if quota not in _CACHED:
            return
        now = self._clock()
        with self._lock:  # kept for two slots: a cached measure is at most one slot old
            recent = self._recent.setdefault((workspace, quota), deque())
            recent.append((now, amount))
            while recent[0][0] < now - 2 * self.seconds:
                recent.popleft()

    def forget(self, workspace: str) -> None:
        """Read the workspace's limits again at the next check (they changed here)."""
        with self._lock:
            self._generation[workspace] = self._generation.get(workspace, 0) + 1

    # internals -------------------------------------------------------------------------
    def _slot(self) -> int:
        return int(self._clock() // self.seconds)

    def _used(self, workspace: str, quota: str) -> float:
        if quota not in _CACHED:
            return self.measures.use(workspace, quota)
        return self._cached_use(workspace, quota)[0]

    def _cached_use(self, workspace: str, quota: str) -> tuple[float, float]:
        """The slot's measure plus what was taken here since it started, and its age."""
        key = (workspace, quota, self._slot())
        at, measured = self._use.get_or_make(key, lambda: self._measure(workspace, quota))
        recent = tuple(self._recent.get((workspace, quota), ()))
        taken = sum(amount for when, amount in recent if when >= at)
        return measured + taken, max(self._clock() - at, 0.0)

    def _measure(self, workspace: str, quota: str) -> tuple[float, float]:
        """The use now, and the clock when measuring started: what is taken later counts
        on top of it."""
        at = self._clock()
        return at, self.measures.use(workspace, quota)

    def _status(self, workspace: str, name: str, limit: float | None) -> QuotaStatus:
        if name in _CACHED:
            used, age = self._cached_use(workspace, name)
            return QuotaStatus(name, limit, used, UNITS[name], age)
        if name in _RATES:
            used = self.rates.used(workspace, name)
        else:
            used = self.measures.use(workspace, name)
        return QuotaStatus(name, limit, used, UNITS[name])


def exceeded(
    workspace: str, quota: str, limit: float, used: float, adding: float
) -> QuotaExceededError:
    """The error of a refused take: the quota, its limit, the use, and what was asked."""
    unit = UNITS[quota]
    asked = f" and this needs {_num(adding)} more" if adding else ""
    return QuotaExceededError(
        f"workspace {workspace!r} is over its {quota} quota: limit {_num(limit)} {unit}, "
        f"in use {_num(used)}{asked}",
        hint=HINTS[quota],
        workspace=workspace,
        quota=quota,
        limit=limit,
        used=used,
        requested=adding,
        unit=unit,
    )


def _num(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _check_quota(name: str) -> None:
    if name not in limits.QUOTAS:
        raise InvalidInputError(
            f"unknown quota {name!r}",
            hint=f"the quotas are {', '.join(limits.QUOTAS)}",
            quota=name,
            expected=list(limits.QUOTAS),
            found=name,
        )


__all__ = ["QuotaStatus", "Quotas", "exceeded"]
