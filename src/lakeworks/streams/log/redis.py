"""The production event log: Redis Streams (``LAKEWORKS_EVENTS_URL=redis://host:6379/0``).

One Redis stream per lakeworks stream, key ``<prefix>:<name>``; events carry their
payload in the field ``d``. Consumer groups are Redis consumer groups (``XGROUP CREATE
... MKSTREAM``, ``XREADGROUP``, ``XACK``, ``XAUTOCLAIM``); retention is ``XADD MAXLEN ~``
and ``XTRIM MAXLEN`` / ``MINID``. An event's offset packs its id ``<ms>-<seq>`` as
``ms << 20 | seq`` (a sequence number stays far below 2**20 within one millisecond).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from lakeworks.errors import InvalidInputError, MissingDependencyError, UnavailableError
from lakeworks.streams.log.base import (
    Event,
    EventLog,
    GroupInfo,
    LogCapabilities,
    StreamInfo,
    missing_group,
)

FIELD = b"d"
SEQ_BITS = 20
_PIPELINE = 10_000  # XADDs per round trip


def offset(event_id: bytes | str) -> int:
    """The integer that orders ``event_id`` (``"1700000000000-3"``) within its stream."""
    raw = event_id.encode() if isinstance(event_id, str) else event_id
    ms, _, seq = raw.partition(b"-")
    number = int(seq or 0)
    if number >> SEQ_BITS:
        raise InvalidInputError(
            f"event id {raw.decode()!r} has a sequence number beyond {1 << SEQ_BITS}",
            hint="let Redis choose event ids (XADD with '*')",
        )
    return int(ms) << SEQ_BITS | number


def _payload(fields: list[bytes] | None) -> bytes | None:
    """The payload of an entry's raw field list ``[b"d", payload, ...]`` (None: deleted)."""
    if not fields:
        return None
    if fields[0] == FIELD:
        return fields[1]
    pairs = dict(zip(fields[::2], fields[1::2], strict=True))
    return pairs.get(FIELD, b"")


def _events(entries: list[Any]) -> list[Event]:
    """New entries as Events delivered once: the sink's hot loop (100,000 a batch), so
    the common shape (one field, ``d``) is unpacked inline rather than per call."""
    out = []
    for event_id, fields in entries:
        ms, _, seq = event_id.partition(b"-")
        number = int(seq)
        if number >> SEQ_BITS or not fields or len(fields) != 2 or fields[0] != FIELD:
            out.append(Event(event_id.decode(), offset(event_id), _payload(fields), 1))
            continue
        out.append(Event(event_id.decode(), int(ms) << SEQ_BITS | number, fields[1], 1))
    return out


def _raw(response: Any, **options: Any) -> Any:
    return response


class RedisEventLog(EventLog):
    capabilities = LogCapabilities(shared=True)

    def __init__(self, url: str, prefix: str = "lw:events", timeout: float = 5.0) -> None:
        try:
            import redis
        except ImportError as exc:
            raise MissingDependencyError("redis") from exc
        self._redis = redis
        self.url = url
        self.prefix = prefix
        self.client = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        # entries as Redis sends them ([id, [field, value]]): no dict per entry
        for command in ("XREADGROUP", "XAUTOCLAIM"):
            self.client.set_response_callback(command, _raw)

    def _key(self, stream: str) -> str:
        return f"{self.prefix}:{stream}"

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """One Redis command; connection failures become UnavailableError."""
        try:
            return getattr(self.client, method)(*args, **kwargs)
        except (self._redis.ConnectionError, self._redis.TimeoutError) as exc:
            raise UnavailableError(
                f"the event log at {self.url} cannot be reached: {exc}",
                hint="check that Redis is running (LAKEWORKS_EVENTS_URL)",
            ) from exc

    def publish(
        self, stream: str, payloads: Sequence[bytes], maxlen: int | None = None
    ) -> list[str]:
        key, ids = self._key(stream), []
        for start in range(0, len(payloads), _PIPELINE):
            pipe = self.client.pipeline(transaction=False)
            for payload in payloads[start : start + _PIPELINE]:
                pipe.xadd(key, {FIELD: payload}, maxlen=maxlen, approximate=True)
            ids += [i.decode() for i in self._call_pipe(pipe)]
        return ids

    def _call_pipe(self, pipe: Any) -> list[Any]:
        try:
            return pipe.execute()
        except (self._redis.ConnectionError, self._redis.TimeoutError) as exc:
            raise UnavailableError(f"the event log at {self.url} cannot be reached: {exc}") from exc

    def create_group(self, stream: str, group: str, start: str = "0") -> bool:
        try:
            self._call("xgroup_create", self._key(stream), group, id=start, mkstream=True)
        except self._redis.ResponseError as exc:
            if "BUSYGROUP" in str(exc):
                return False
            raise
        return True

    def read(
        self,
        stream: str,
        group: str,
        consumer: str,
        count: int,
        *,
        block: timedelta | None = None,
        pending: bool = False,
    ) -> list[Event]:
        key = self._key(stream)
        wait = None if pending or not block else max(1, int(block.total_seconds() * 1000))
        try:
            reply = self._call(
                "xreadgroup", group, consumer, {key: "0" if pending else ">"}, count, wait
            )
        except self._redis.ResponseError as exc:
            if "NOGROUP" in str(exc):
                raise missing_group(stream, group) from exc
            raise
        entries = _entries(reply)
        if not pending:
            return _events(entries)
        return self._counted(stream, group, key, entries)

    def _counted(self, stream: str, group: str, key: str, entries: list[Any]) -> list[Event]:
        """Pending entries with their delivery counts (XPENDING); entries trimmed away
        (no fields) are acknowledged, as they can no longer be delivered."""
        gone = [i for i, f in entries if not f]
        if gone:
            self._call("xack", key, group, *gone)
        live = [(i, _payload(f)) for i, f in entries if f]
        if not live:
            return []
        first, last = live[0][0], live[-1][0]
        info = self._call("xpending_range", key, group, first, last, len(live) + len(gone))
        counts = {row["message_id"]: row["times_delivered"] for row in info}
        return [Event(i.decode(), offset(i), data, counts.get(i, 1)) for i, data in live]

    def ack(self, stream: str, group: str, ids: Sequence[str]) -> int:
        if not ids:
            return 0
        return int(self._call("xack", self._key(stream), group, *ids))

    def claim(
        self, stream: str, group: str, consumer: str, min_idle: timedelta, count: int
    ) -> list[Event]:
        key, start, out = self._key(stream), "0-0", []
        idle = int(min_idle.total_seconds() * 1000)
        while len(out) < count:
            try:
                reply = self._call(
                    "xautoclaim", key, group, consumer, idle, start, count=count - len(out)
                )
            except self._redis.ResponseError as exc:
                if "NOGROUP" in str(exc):
                    raise missing_group(stream, group) from exc
                raise
            start, entries = reply[0], reply[1]  # raw: [cursor, entries, deleted ids]
            out += [(i, f) for i, f in entries if f]
            if start in (b"0-0", "0-0"):
                break
        return self._counted(stream, group, key, out) if out else []

    def groups(self, stream: str) -> list[GroupInfo]:
        key = self._key(stream)
        try:
            rows = self._call("xinfo_groups", key)
        except self._redis.ResponseError:  # no such key
            return []
        return sorted((self._info(stream, key, row) for row in rows), key=lambda g: g.name)

    def _info(self, stream: str, key: str, row: dict[str, Any]) -> GroupInfo:
        last = row["last-delivered-id"]
        last = last.decode() if isinstance(last, bytes) else last
        lag = row.get("lag")
        if lag is None:  # Redis cannot tell after deletions: count what is after the last
            lag = len(self._call("xrange", key, f"({last}", "+"))
        name = row["name"].decode() if isinstance(row["name"], bytes) else row["name"]
        return GroupInfo(
            stream,
            name,
            int(row["consumers"]),
            int(row["pending"]),
            int(lag),
            None if last == "0-0" else last,
        )

    def tail(self, stream: str, count: int) -> list[Event]:
        rows = self._call("xrevrange", self._key(stream), "+", "-", count)
        return [Event(i.decode(), offset(i), f.get(FIELD, b"")) for i, f in reversed(rows)]

    def trim(
        self, stream: str, *, maxlen: int | None = None, older_than: timedelta | None = None
    ) -> int:
        key, deleted = self._key(stream), 0
        if maxlen is not None:
            deleted += int(self._call("xtrim", key, maxlen=maxlen, approximate=False))
        if older_than is not None:
            cutoff = time.time_ns() // 1_000_000 - int(older_than.total_seconds() * 1000)
            deleted += int(self._call("xtrim", key, minid=f"{cutoff}-0", approximate=False))
        return deleted

    def streams(self, prefix: str = "") -> list[StreamInfo]:
        pattern = f"{self.prefix}:{_glob_escape(prefix)}*"
        keys = sorted(self._call("scan_iter", match=pattern, count=1000, _type="STREAM"))
        return [self._stream(k.decode()) for k in keys]

    def _stream(self, key: str) -> StreamInfo:
        info = self._call("xinfo_stream", key)
        first, last = info.get("first-entry"), info.get("last-entry")
        return StreamInfo(
            key.removeprefix(f"{self.prefix}:"),
            int(info["length"]),
            first[0].decode() if first else None,
            last[0].decode() if last else None,
            int(info["groups"]),
        )

    def delete(self, stream: str) -> bool:
        return bool(self._call("delete", self._key(stream)))

    def close(self) -> None:
        self.client.close()


def _entries(reply: Any) -> list[Any]:
    """The entries of a raw XREADGROUP reply for one stream (RESP2 list or RESP3 map)."""
    if not reply:
        return []
    if isinstance(reply, dict):  # RESP3: {key: entries}
        return next(iter(reply.values()))
    return reply[0][1]  # RESP2: [[key, entries]]


def _glob_escape(text: str) -> str:
    return "".join(f"\\{c}" if c in "*?[]\\" else c for c in text)
