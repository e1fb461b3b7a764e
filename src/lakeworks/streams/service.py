"""The streams service: publish, tail, lag, and the exactly-once ingestion of a stream
into a table. Every door (SDK, CLI, REST) calls these methods.

Streams live in a workspace: the event log names them ``<workspace>/<stream>``.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from lakeworks.context import Context, check_name
from lakeworks.errors import InvalidInputError, LakeworksError, NotFoundError
from lakeworks.lake.tables import check_user_table
from lakeworks.streams.consumer import Consumer
from lakeworks.streams.log.base import Event, EventLog, GroupInfo, StreamInfo, missing_stream
from lakeworks.streams.metrics import StreamMetrics
from lakeworks.streams.sink import Batch, DeltaSink, SinkTarget
from lakeworks.streams.sources import Source, open_source
from lakeworks.streams.sources.log import LogSource

if TYPE_CHECKING:
    from lakeworks.config import Settings
    from lakeworks.lake.tables import Tables
    from lakeworks.meta.catalog import Catalog

log = logging.getLogger("lakeworks.streams")
MAX_BATCH = 100_000
CONSUMER = "sink"  # the sink's consumer name: a restarted sink finds its own pending events
RETRY_WAIT = 1.0  # seconds before a transient failure (Redis or storage down) is retried
ONCE_RETRIES = 10  # transient failures in a row a draining (once=True) sink retries


@dataclass
class IngestResult:
    """Totals of one ``ingest`` call: ``events == written + quarantined + skipped``."""

    stream: str
    table: str
    group: str
    batches: int = 0
    events: int = 0
    written: int = 0
    quarantined: int = 0
    skipped: int = 0
    version: int | None = None
    last: Batch | None = field(default=None, repr=False)

    def add(self, batch: Batch) -> None:
        self.batches += 1
        self.events += batch.events
        self.written += batch.written
        self.quarantined += batch.quarantined
        self.skipped += batch.skipped
        self.version = batch.version if batch.version is not None else self.version
        self.last = batch


# the largest length both logs can hold (a signed 64-bit offset in SQLite and Redis)
_MAX_LENGTH = 2**62


class Streams:
    """The streams service; obtain it as ``platform.streams``."""

    def __init__(
        self, catalog: Catalog, tables: Tables, settings: Settings, events: EventLog
    ) -> None:
        self.catalog = catalog
        self.tables = tables
        self.settings = settings
        self.events = events
        self.metrics = StreamMetrics()

    def _key(self, ctx: Context, stream: str) -> str:
        check_name("stream", stream)
        self.catalog.workspace(ctx.workspace)  # NotFoundError for an unknown workspace
        return f"{ctx.workspace}/{stream}"

    def publish(
        self, ctx: Context, stream: str, records: Iterable[Any], maxlen: int | None = None
    ) -> list[str]:
        """Append events: dicts are written as JSON, str and bytes as they are.
        ``maxlen`` keeps about that many newest events. Returns the events' ids."""
        key = self._key(ctx, stream)
        payloads = encode(records)
        _check_length(stream, maxlen)
        ids = self.events.publish(key, payloads, maxlen) if payloads else []
        self.metrics.published.labels(ctx.workspace, stream).inc(len(ids))
        return ids

    def list(self, ctx: Context) -> list[StreamInfo]:
        self.catalog.workspace(ctx.workspace)
        prefix = f"{ctx.workspace}/"
        return [_short(s, prefix) for s in self.events.streams(prefix)]

    def tail(self, ctx: Context, stream: str, count: int = 10) -> list[Event]:
        key = self._key(ctx, stream)
        if count < 1:
            raise InvalidInputError(f"count must be at least 1, not {count}", stream=stream)
        return self.events.tail(key, count)

    def lag(self, ctx: Context, stream: str, group: str) -> GroupInfo:
        """The group's lag (events not delivered yet) and pending (not acknowledged)."""
        key = self._key(ctx, stream)
        check_name("group", group)
        known = self.events.groups(key)
        info = next((g for g in known if g.name == group), None)
        if info is None:
            if not known and all(s.name != key for s in self.events.streams(key)):
                raise missing_stream(stream)
            raise NotFoundError(
                f"consumer group {group!r} of stream {stream!r} does not exist",
                hint=f"the stream's groups are {[g.name for g in known]}"
                if known
                else "it has no groups yet: a sink creates its group when it starts",
                stream=stream,
                group=group,
            )
        self._observe(ctx, stream, info)
        return GroupInfo(
            stream, info.name, info.consumers, info.pending, info.lag, info.last_delivered
        )

    def consumer(
        self,
        ctx: Context,
        stream: str,
        group: str,
        name: str,
        *,
        visibility: float = 30.0,
        start: str = "0",
    ) -> Consumer:
        """A consumer ``name`` in ``group`` (created reading from the stream's start, or
        with ``start="$"`` only events published later); events it leaves unacknowledged
        for ``visibility`` seconds go to another consumer of the group."""
        key = self._key(ctx, stream)
        check_name("group", group)
        check_name("consumer", name)
        if visibility <= 0 or start not in ("0", "$"):
            raise InvalidInputError(
                f"consumer {name!r} of stream {stream!r}: visibility must be > 0 seconds "
                f"and start '0' or '$', not {visibility!r} and {start!r}",
                stream=stream,
            )
        self.events.create_group(key, group, start)
        return Consumer(self.events, stream, key, group, name, timedelta(seconds=visibility))

    def log_source(
        self, ctx: Context, stream: str, group: str, consumer: str, redeliver: bool = True
    ) -> LogSource:
        """The workspace's ``stream`` as a source read through ``group`` (for the
        processors built on streams: stream features, triggers, scoring)."""
        check_name("group", group)
        key = self._key(ctx, stream)
        return LogSource(self.events, stream, key, group, consumer, redeliver)

    def groups(self, ctx: Context, stream: str) -> list[GroupInfo]:
        return self.events.groups(self._key(ctx, stream))

    def trim(
        self, ctx: Context, stream: str, *, maxlen: int | None = None, max_age: float | None = None
    ) -> int:
        """Delete events beyond the newest ``maxlen`` and older than ``max_age`` seconds."""
        key = self._key(ctx, stream)
        _check_length(stream, maxlen)
        age = timedelta(seconds=max_age) if max_age is not None else None
        return self.events.trim(key, maxlen=maxlen, older_than=age)

    def ingest(
        self,
        ctx: Context,
        stream: str | None,
        table: str,
        *,
        source: str | None = None,
        dedupe: str | None = None,
        group: str | None = None,
        every: float | str = 1.0,
        max_batch: int = MAX_BATCH,
        required: Iterable[str] = (),
        once: bool = False,
        stop: threading.Event | None = None,
        on_batch: Callable[[IngestResult], None] | None = None,
        compact_every: int | None = 100,
    ) -> IngestResult:
        """Append a stream's events to ``table`` exactly once, in micro-batches.

        Runs until ``stop`` is set (finishing the batch in hand), or with ``once=True``
        until the stream is drained. Events that are not JSON objects or miss a
        ``required`` field go to ``<table>__quarantine`` with the raw payload and the
        reason. A write that fails for good (a quality gate refusing the batch) raises
        and leaves the batch unacknowledged; a transient failure is retried (with
        ``once=True``, up to ``ONCE_RETRIES`` times in a row, then it raises). Every
        ``compact_every`` batches that wrote rows, the table's small files are compacted
        (None: never).

        ``source`` reads an external system instead of the workspace's ``stream``:
        ``nats://host:4222/subject`` (JetStream, exactly once) or
        ``mqtt://host:1883/topic`` (at least once; ``dedupe="id"`` drops events whose
        ``id`` the table already holds). See docs/streams.md, "External sources".

        Example:
            >>> ws.streams.publish("clicks", [{"id": 1, "page": "/"}])  # doctest: +SKIP
            >>> ws.streams.ingest("clicks", table="clicks", once=True).written  # doctest: +SKIP
            1
        """
        if (stream is None) == (source is None):
            raise InvalidInputError(
                f"ingest into {table!r} needs a stream or a source, exactly one of them",
                hint="ingest('clicks', table=...) or ingest(source='nats://...', table=...)",
                table=table,
            )
        if not table:
            raise InvalidInputError(
                f"ingest of {stream or source!r} needs a table to append to",
                hint="pass table='clicks' (--table clicks)",
            )
        check_user_table(table)
        group = check_name("group", group or f"{table}_sink")
        interval = parse_every(every)
        if max_batch < 1:
            raise InvalidInputError(f"max_batch must be at least 1, not {max_batch}")
        if compact_every is not None and compact_every < 1:
            raise InvalidInputError(
                f"compact_every must be at least 1 batch (or None), not {compact_every}"
            )
        reader = self._source(ctx, stream, source, group)
        key = reader.key if isinstance(reader, LogSource) else ""
        target = SinkTarget(reader.name, key, group, CONSUMER, table, tuple(required), dedupe)
        sink = DeltaSink(reader, self.tables, ctx, target, max_batch, compact_every)
        try:
            sink.start()
            stop = stop or threading.Event()
            # an external source delivers asynchronously: draining waits ``every`` for more
            drain = interval if source is not None else 0.0
            return self._run(ctx, sink, None if once else interval, stop, on_batch, drain)
        finally:
            if source is not None:
                reader.close()

    def _source(self, ctx: Context, stream: str | None, url: str | None, group: str) -> Source:
        """The workspace's ``stream`` read through ``group``, or the external ``url``
        with a durable consumer (session) named after the workspace and group."""
        if url is None:
            assert stream is not None
            return LogSource(self.events, stream, self._key(ctx, stream), group, CONSUMER)
        self.catalog.workspace(ctx.workspace)
        return open_source(url, f"lakeworks_{ctx.workspace}_{group}")

    def _run(
        self,
        ctx: Context,
        sink: DeltaSink,
        interval: float | None,
        stop: threading.Event,
        on_batch: Callable[[IngestResult], None] | None,
        drain: float = 0.0,
    ) -> IngestResult:
        """Batches until ``stop``, or (``interval`` None) until one finds no events in
        ``drain`` seconds."""
        target = sink.target
        result = IngestResult(target.stream, target.table, target.group)
        failures = 0
        while not stop.is_set():
            started = time.monotonic()
            retry = interval is not None or failures < ONCE_RETRIES
            batch = self._step(sink, interval or drain, stop, retry)
            if batch is None:
                failures += 1
                continue
            failures = 0
            self._count(ctx, target, batch)
            if batch.events:
                result.add(batch)
                if on_batch:
                    on_batch(result)
            elif interval is None:
                break
            if interval is not None and batch.events < sink.max_batch:
                stop.wait(max(0.0, interval - (time.monotonic() - started)))
        return result

    def _step(
        self, sink: DeltaSink, wait: float, stop: threading.Event, retry: bool
    ) -> Batch | None:
        """One batch; None after a transient failure (when ``retry``), which it logs."""
        try:
            return sink.step(wait)
        except LakeworksError as exc:
            if not exc.transient or not retry:
                raise
            log.warning("stream sink into %r: %s; retrying", sink.target.table, exc)
            stop.wait(RETRY_WAIT)
            return None

    def _count(self, ctx: Context, target: SinkTarget, batch: Batch) -> None:
        labels = (ctx.workspace, target.stream, target.group)
        self.metrics.ingested.labels(*labels, "written").inc(batch.written)
        self.metrics.ingested.labels(*labels, "quarantined").inc(batch.quarantined)
        if not target.key:  # an external source: its lag is the external system's to report
            return
        try:
            info = self.events.group(target.key, target.group)
        except LakeworksError as exc:  # the log went away after the batch: the next step waits
            if not exc.transient:
                raise
            return
        self._observe(ctx, target.stream, info)

    def _observe(self, ctx: Context, stream: str, info: GroupInfo) -> None:
        self.metrics.lag.labels(ctx.workspace, stream, info.name).set(info.lag)
        self.metrics.pending.labels(ctx.workspace, stream, info.name).set(info.pending)

    def close(self) -> None:
        self.events.close()


def encode(records: Iterable[Any]) -> list[bytes]:
    """Payloads of ``records``: a dict as JSON, str as UTF-8, bytes unchanged."""
    if isinstance(records, dict | str | bytes):
        raise InvalidInputError(
            "publish takes a list of events, not a single one",
            hint="wrap it in a list: publish('clicks', [event])",
        )
    out = []
    for i, record in enumerate(records):
        if isinstance(record, bytes):
            out.append(record)
        elif isinstance(record, str):
            out.append(record.encode())
        elif isinstance(record, dict):
            out.append(_json(record, i))
        else:
            raise InvalidInputError(
                f"event {i} is a {type(record).__name__}: expected a dict, str or bytes",
                index=i,
            )
    return out


def _json(record: dict[str, Any], index: int) -> bytes:
    try:
        return json.dumps(record, separators=(",", ":"), default=_default, allow_nan=False).encode()
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"event {index} cannot be written as JSON: {exc}", index=index
        ) from exc


def _default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_every(every: float | str) -> float:
    """Seconds of ``every``: a number, or text such as ``"500ms"``, ``"1s"``, ``"2m"``."""
    if isinstance(every, int | float) and not isinstance(every, bool):
        seconds = float(every)
    else:
        text = str(every).strip().lower()
        unit = next((u for u in ("ms", "s", "m", "h") if text.endswith(u)), "s")
        try:
            seconds = float(text.removesuffix(unit)) * _UNITS[unit]
        except ValueError:
            seconds = -1.0
    if not 0 < seconds <= 3600:
        raise InvalidInputError(
            f"every={every!r} is not an interval between 1ms and 1h",
            hint="use seconds (1.5) or text such as '500ms', '1s', '2m'",
            every=str(every),
        )
    return seconds


def _short(info: StreamInfo, prefix: str) -> StreamInfo:
    return StreamInfo(
        info.name.removeprefix(prefix), info.length, info.first_id, info.last_id, info.groups
    )


def _check_length(stream: str, maxlen: int | None) -> None:
    """A retention length both logs can hold, or InvalidInputError naming it."""
    if maxlen is not None and not 1 <= maxlen <= _MAX_LENGTH:
        raise InvalidInputError(
            f"maxlen must be between 1 and {_MAX_LENGTH}, not {maxlen}",
            stream=stream,
            expected=f"1..{_MAX_LENGTH}",
            found=str(maxlen),
        )
