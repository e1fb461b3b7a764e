"""Rate counters in this process: each replica enforces the limit on its own traffic.

The embedded default, and the fallback of the Redis counter while Redis is unreachable.
Cost per request: a lock and a dict update (well under a microsecond of work).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from lakeworks.security.rates.base import RateCapabilities


class LocalRates:
    """Counts per (workspace, quota) and second of ``clock``, in this process."""

    capabilities = RateCapabilities(shared=False)

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._counts: dict[tuple[str, str], tuple[int, int]] = {}  # -> (second, requests)
        self._lock = threading.Lock()

    def take(self, workspace: str, quota: str, limit: float) -> float | None:
        second = int(self.clock())
        with self._lock:
            at, count = self._counts.get((workspace, quota), (second, 0))
            count = count if at == second else 0
            if count + 1 > limit:
                return count
            self._counts[(workspace, quota)] = (second, count + 1)
        return None

    def used(self, workspace: str, quota: str) -> float:
        at, count = self._counts.get((workspace, quota), (0, 0))
        return float(count if at == int(self.clock()) else 0)

    def close(self) -> None:
        return None
