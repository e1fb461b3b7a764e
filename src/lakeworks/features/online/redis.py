"""The production online store: Redis (``LAKEWORKS_ONLINE_URL=redis://host:6379/0``).

One string per (workspace, view, key) holding ``<event_us> <values JSON>``; a Lua script
keeps the newer of the stored and incoming values, so writers never go back in time.
Reads of many keys are one MGET. Connections time out after a short while so an outage
is reported as UnavailableError instead of hanging a request.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from lakeworks.errors import MissingDependencyError, UnavailableError
from lakeworks.features.online.base import OnlineCapabilities, OnlineStore, Record

_KEEP_NEWER = """
for i, key in ipairs(KEYS) do
  local incoming = ARGV[i]
  local current = redis.call('GET', key)
  if not current then
    redis.call('SET', key, incoming)
  else
    local old = tonumber(string.match(current, '^(-?%d+)'))
    local new = tonumber(string.match(incoming, '^(-?%d+)'))
    if new >= old then redis.call('SET', key, incoming) end
  end
end
return #KEYS
"""
_BATCH = 1000


class RedisOnlineStore(OnlineStore):
    capabilities = OnlineCapabilities(shared=True)

    def __init__(self, url: str, prefix: str = "lw", timeout: float = 2.0) -> None:
        try:
            import redis
        except ImportError as exc:
            raise MissingDependencyError("redis") from exc
        self._errors = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
        self.url = url
        self.prefix = prefix
        self.client = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, retry_on_timeout=False
        )
        self._script = self.client.register_script(_KEEP_NEWER)

    def _key(self, workspace: str, view: str, key: str) -> str:
        return f"{self.prefix}:{workspace}:{view}:{key}"

    def write(self, workspace: str, view: str, rows: Sequence[tuple[str, int, str]]) -> int:
        try:
            for start in range(0, len(rows), _BATCH):
                chunk = rows[start : start + _BATCH]
                self._script(
                    keys=[self._key(workspace, view, k) for k, _, _ in chunk],
                    args=[f"{t} {v}" for _, t, v in chunk],
                )
        except self._errors as exc:
            raise self._unavailable(exc) from exc
        return len(rows)

    def read(self, workspace: str, view: str, keys: Sequence[str]) -> list[Record | None]:
        try:
            found = self.client.mget([self._key(workspace, view, k) for k in keys])
        except self._errors as exc:
            raise self._unavailable(exc) from exc
        out: list[Record | None] = []
        for raw in found:
            if raw is None:
                out.append(None)
            else:
                stamp, _, values = raw.partition(b" ")
                out.append(Record(int(stamp), values.decode()))
        return out

    def delete_view(self, workspace: str, view: str) -> None:
        try:
            pattern = self._key(workspace, view, "*")
            batch = []
            for key in self.client.scan_iter(match=pattern, count=1000):
                batch.append(key)
                if len(batch) >= _BATCH:
                    self.client.delete(*batch)
                    batch = []
            if batch:
                self.client.delete(*batch)
        except self._errors as exc:
            raise self._unavailable(exc) from exc

    def usage(self, workspace: str) -> tuple[int, int]:
        """One SCAN of the workspace's keys and their STRLEN, pipelined per batch."""
        keys = size = 0
        try:
            batch = []
            for key in self.client.scan_iter(match=f"{self.prefix}:{workspace}:*", count=1000):
                batch.append(key)
                if len(batch) >= _BATCH:
                    size += self._sizes(batch)
                    keys, batch = keys + len(batch), []
            size, keys = size + self._sizes(batch), keys + len(batch)
        except self._errors as exc:
            raise self._unavailable(exc) from exc
        return keys, size

    def _sizes(self, keys: list[bytes]) -> int:
        if not keys:
            return 0
        pipe = self.client.pipeline(transaction=False)
        for key in keys:
            pipe.strlen(key)
        return sum(pipe.execute()) + sum(len(k) for k in keys)

    def check(self) -> None:
        try:
            self.client.ping()
        except self._errors as exc:
            raise self._unavailable(exc) from exc

    def close(self) -> None:
        self.client.close()

    def _unavailable(self, exc: Exception) -> UnavailableError:
        where = urlsplit(self.url).netloc.rpartition("@")[2] or self.url  # never a password
        return UnavailableError(
            f"the Redis online store at {where} is unavailable: {exc}",
            hint="check LAKEWORKS_ONLINE_URL and that Redis is running",
        )
