"""Redis Streams that another system writes (``XADD``) as a source, read through a
consumer group: exactly once.

Offsets are the entries' ids packed as integers (``ms << 20 | seq``, as for the built-in
Redis log), so the sink records the batch's last one in its Delta commit. The Delta table
is the truth about what was written: on start, and after a lost connection (Redis
restarted), the source creates its consumer group anew at the last committed id, so
Redis delivers exactly what follows it, in order; what it held in memory is dropped.

An entry's payload is the value of one field (``?field=data`` in the URL: ``XADD orders *
data '{"id": 1}'``), or, without ``field``, its field/value pairs as one JSON object of
strings (``XADD orders * id 1 amount 9.5`` becomes ``{"id": "1", "amount": "9.5"}``). An
entry without the field has an empty payload and is quarantined as not JSON.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lakeworks.errors import MissingDependencyError, NotFoundError, UnavailableError
from lakeworks.streams.log.base import Event
from lakeworks.streams.log.redis import SEQ_BITS, offset
from lakeworks.streams.sources.base import Source

BLOCK_MS = 50  # longest wait of one XREADGROUP: a read's ``wait`` is spent in such steps


@dataclass(frozen=True)
class RedisAddress:
    url: str  # redis://host:port/db
    key: str
    group: str
    field: str | None = None  # the field holding the payload; None: all fields as JSON


def entry_id(position: int) -> str:
    """The entry id ``<ms>-<seq>`` an offset packs (``"0"`` before the first entry)."""
    if position < 0:
        return "0"
    return f"{position >> SEQ_BITS}-{position & ((1 << SEQ_BITS) - 1)}"


class RedisSource(Source):
    """Reads the stream ``address.key`` through the consumer group ``address.group``,
    which this source owns: it is created again at the committed position on start."""

    def __init__(self, address: RedisAddress) -> None:
        try:
            import redis
        except ImportError as exc:
            raise MissingDependencyError("redis", "streams") from exc
        self._redis = redis
        self.address = address
        self.name = f"redis:{address.key}"
        self.client = redis.Redis.from_url(address.url, socket_timeout=10, socket_connect_timeout=5)
        self.client.set_response_callback("XREADGROUP", lambda response, **_: response)
        self._position = -1  # the last committed (acknowledged) offset
        self._held: list[Event] = []  # read, not acknowledged
        self._broken = True  # the group must be created again before the next read

    def start(self, position: int) -> None:
        self._position = position
        self._reset()

    def read(self, count: int, wait: float) -> list[Event]:
        if self._broken:
            self._reset()
        if self._held:
            return self._held[:count]
        steps = max(1, int(wait * 1000) // BLOCK_MS)
        for _ in range(steps):
            got = self._fetch(count - len(self._held), BLOCK_MS if wait > 0 else None)
            self._held += got
            if len(self._held) >= count or (self._held and not got):
                break
        return list(self._held)

    def ack(self, events: Sequence[Event]) -> None:
        done = {e.offset for e in events}
        if not done:
            return
        self._position = max(self._position, *done)
        self._held = [e for e in self._held if e.offset not in done]
        try:
            self._call("xack", self.address.key, self.address.group, *(e.id for e in events))
        except UnavailableError:
            self._broken = True  # the position is committed; the group restarts after it

    def close(self) -> None:
        self.client.close()

    def _reset(self) -> None:
        """The group, created anew just after the committed position."""
        a = self.address
        self._held = []
        if not self._call("exists", a.key):
            raise NotFoundError(
                f"Redis at {a.url} holds no stream {a.key!r}",
                hint=f"the system writing it creates it with XADD {a.key} * ...",
                stream=a.key,
            )
        try:
            self._call("xgroup_destroy", a.key, a.group)
            self._call("xgroup_create", a.key, a.group, id=entry_id(self._position))
        except self._redis.ResponseError as exc:  # WRONGTYPE: the key is not a stream
            raise NotFoundError(
                f"Redis key {a.key!r} at {a.url} is not a stream: {exc}", stream=a.key
            ) from exc
        self._broken = False

    def _fetch(self, count: int, block: int | None) -> list[Event]:
        a = self.address
        try:
            reply = self._call("xreadgroup", a.group, "sink", {a.key: ">"}, count, block)
        except UnavailableError:
            self._broken = True
            raise
        if not reply:
            return []
        entries = next(iter(reply.values())) if isinstance(reply, dict) else reply[0][1]
        return [Event(i.decode(), offset(i), self._payload(f), 1) for i, f in entries]

    def _payload(self, fields: list[bytes]) -> bytes:
        if self.address.field is None:
            pairs = zip(fields[::2], fields[1::2], strict=True)
            try:
                return json.dumps({k.decode(): v.decode() for k, v in pairs}).encode()
            except UnicodeDecodeError:  # not text: quarantined with the raw fields
                return b" ".join(fields)
        name = self.address.field.encode()
        for k, v in zip(fields[::2], fields[1::2], strict=True):
            if k == name:
                return v
        return b""

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(self.client, method)(*args, **kwargs)
        except (self._redis.ConnectionError, self._redis.TimeoutError) as exc:
            self._broken = True
            raise UnavailableError(
                f"Redis at {self.address.url} ({self.address.key}): {exc}",
                hint="check that Redis is running",
                source=self.name,
            ) from exc
