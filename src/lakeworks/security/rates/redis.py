"""Rate counters in Redis: one count per (workspace, quota, second) for every process.

Each process leases tokens in batches: a Lua script grants up to ``lease`` requests of the
second's remaining allowance (``INCRBY`` on ``<prefix>#rate:<workspace>:<quota>:<second>``,
expiring after ``ttl`` seconds) and the process spends them locally, so a request costs a
lock and a counter decrement, and one Redis round trip per lease. The lease is 5% of the
limit (at least 1): limits up to 39 per second are counted request by request, exactly.

The deployment never admits more than the limit in a second of the clock. It may refuse
early by the tokens other processes leased and have not spent yet: at most ``lease - 1``
per process. A refusal is remembered for the rest of the second, so a client hammering a
full quota costs no round trip. Seconds are the processes' wall clocks (keep them in sync
with NTP). While Redis is unreachable each process counts alone (``LocalRates``) and a
warning is logged once per outage: a rate quota then holds per process, as without Redis.
After a failed round trip Redis is tried again only after ``RETRY_SECONDS``, so requests
do not each wait for a connection timeout during an outage.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from lakeworks.errors import MissingDependencyError
from lakeworks.security.rates.base import RateCapabilities
from lakeworks.security.rates.local import LocalRates

log = logging.getLogger("lakeworks.security")
LEASE_SHARE = 0.05
RETRY_SECONDS = 1.0  # after a failed round trip, requests count locally this long
_MAX = 2**53  # Lua numbers are doubles
_LEASE = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local grant = math.min(tonumber(ARGV[1]), tonumber(ARGV[2]) - used)
if grant > 0 then
  used = redis.call('INCRBY', KEYS[1], grant)
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
  return {grant, used}
end
return {0, used}
"""


class RedisRates:
    """Counts shared through Redis, spent from local leases."""

    capabilities = RateCapabilities(shared=True)

    def __init__(
        self,
        url: str,
        prefix: str = "lw",
        timeout: float = 0.5,
        clock: Callable[[], float] = time.time,
        ttl: int = 2,
    ) -> None:
        try:
            import redis
        except ImportError as exc:
            raise MissingDependencyError("redis") from exc
        self._errors = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
        self.where = urlsplit(url).netloc.rpartition("@")[2] or url  # never a password
        self.prefix = prefix
        self.clock = clock
        self.ttl = ttl  # seconds a second's count is kept in Redis
        self.lease_share = LEASE_SHARE
        self.client = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, retry_on_timeout=False
        )
        self._script = self.client.register_script(_LEASE)
        # (workspace, quota) -> [second, tokens left, shared use seen, refused]
        self._leases: dict[tuple[str, str], list] = {}
        self._lock = threading.Lock()
        self._fallback = LocalRates(clock)
        self._down = False  # in an outage (warned once)
        self._retry_at = 0.0  # monotonic: until then, after a failed round trip, skip Redis

    def take(self, workspace: str, quota: str, limit: float) -> float | None:
        second = int(self.clock())
        with self._lock:
            lease = self._leases.get((workspace, quota))
            if lease is not None and lease[0] == second:
                if lease[1] > 0:
                    lease[1] -= 1
                    return None
                if lease[3]:
                    return lease[2]
            if time.monotonic() < self._retry_at:
                return self._fallback.take(workspace, quota, limit)
            return self._lease(workspace, quota, limit, second)

    def _lease(self, workspace: str, quota: str, limit: float, second: int) -> float | None:
        allowed = min(math.floor(limit), _MAX)
        want = max(1, math.ceil(allowed * self.lease_share))
        try:
            granted, used = self._script(
                keys=[self._key(workspace, quota, second)], args=[want, allowed, self.ttl]
            )
        except self._errors as exc:
            if not self._down:
                log.warning(
                    "rate quotas count per process: Redis at %s is unavailable: %s", self.where, exc
                )
            self._down, self._retry_at = True, time.monotonic() + RETRY_SECONDS
            return self._fallback.take(workspace, quota, limit)
        self._down = False
        self._leases[(workspace, quota)] = [second, granted - 1, used, not granted]
        return None if granted else used

    def used(self, workspace: str, quota: str) -> float:
        key = self._key(workspace, quota, int(self.clock()))
        try:
            return float(self.client.get(key) or 0)
        except self._errors:
            return self._fallback.used(workspace, quota)

    def close(self) -> None:
        self.client.close()

    def _key(self, workspace: str, quota: str, second: int) -> str:
        # "#rate", not ":rate": the online store's keys of a workspace named "rate" are
        # "<prefix>:rate:...", and its usage scans would count these
        return f"{self.prefix}#rate:{workspace}:{quota}:{second}"
