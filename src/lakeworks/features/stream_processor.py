"""The processor of a stream feature view: events in, windowed values online at once and
offline as Delta appends.

Each step reads a micro-batch through the consumer group ``<view>_features``, updates
the window state (``streams.windows.WindowState``) and writes the new value of every key
it touched to the online store. The offline side is written every ``offline_every``
seconds, in this order: ``<view>_features`` (each value stamped ``_lw_ingested_at`` with
the time the online store got it, so a training set "as known at" t sees exactly what
the online store served at t), ``<view>_late``, the quarantine of bad events, and
``<view>_events`` (every decoded event, late ones flagged); then the events are
acknowledged. Each commit records the last offset it holds (Delta transaction id
``lakeworks.features:<view>``), so a processor killed at any point, restarted, rebuilds
its state from ``<view>_events`` and writes no row twice. A failed commit acknowledges
nothing: the state is rebuilt and the batch is processed again.

The offline commit runs on a thread of its own (``offline_writer.py``), so an online
write never waits for Delta: the step hands the pending batch over and goes on; a later
step acknowledges the batch once the writer committed it. One batch is in flight at a
time; while it is, the next one gathers (up to ``MAX_PENDING`` events, then the step
waits for the writer). ``flush`` commits everything in the calling thread and waits.

If the processor dies between an online write and the offline commit, the online store
served values the offline store records only when they are computed again after the
restart (with a later ``_lw_ingested_at``): at most about two ``offline_every`` of
history (the batch in flight and the one gathering).
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from lakeworks import hooks
from lakeworks.features.offline_writer import OfflineWriter
from lakeworks.features.online.base import OnlineStore, encode_key, key_texts
from lakeworks.features.sources import INGESTED_AT
from lakeworks.features.stream_values import (
    LATE,
    OFFSET,
    EventTypes,
    Good,
    StepCounts,
    parse,
    parse_all,
)
from lakeworks.features.stream_views import WINDOW_START, StreamFeatureView
from lakeworks.ingest.base import Reject
from lakeworks.ingest.quarantine import as_arrow
from lakeworks.lake.quarantine import quarantine_table
from lakeworks.lake.versions import arrow_schema
from lakeworks.streams.windows import WindowState

if TYPE_CHECKING:
    from lakeworks.context import Context
    from lakeworks.lake.tables import Tables
    from lakeworks.streams.log.base import Event
    from lakeworks.streams.sources.base import Source


@dataclass
class _Pending:
    """What the offline side has not committed yet."""

    features: list[dict[str, Any]]
    events: list[dict[str, Any]]
    late: list[dict[str, Any]]
    rejects: list[Reject]
    read: list[Event]


def _empty() -> _Pending:
    return _Pending([], [], [], [], [])


MAX_PENDING = 1_000_000  # events gathering while a commit is in flight, before steps wait


class WindowProcessor:
    def __init__(
        self,
        sview: StreamFeatureView,
        join_keys: tuple[str, ...],
        source: Source,
        tables: Tables,
        store: OnlineStore,
        ctx: Context,
        offline_every: float = 1.0,
        compact_every: int | None = 100,
    ) -> None:
        self.sview, self.keys, self.source = sview, join_keys, source
        self.tables, self.store, self.ctx = tables, store, ctx
        self.offline_every, self.compact_every = offline_every, compact_every
        self._flushes = 0  # since the last compaction
        self._events_version: int | None = None  # of the events table, once committed here
        self.app_id = f"lakeworks.features:{sview.name}"
        self.pending = _empty()
        self._flushed = time.monotonic()
        self._stale = True  # state and positions must be (re)built from the tables
        self.writer = OfflineWriter(sview.name)
        self.freeze_gc = False  # gc.freeze() after the first commit (a processor's process)

    # lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        self._rebuild()

    def step(self, wait: float) -> StepCounts:
        """One micro-batch online; the offline side handed to the writer when
        ``offline_every`` has passed (and acknowledged once it is committed)."""
        if self._stale:
            self._rebuild()
        self._collect(block=len(self.pending.read) >= MAX_PENDING)
        try:
            events = self.source.read(100_000, wait)
            counts = self._online(events) if events else StepCounts()
        except BaseException:
            self._stale = True  # state and pending half updated: rebuilt, events read again
            raise
        due = time.monotonic() - self._flushed >= self.offline_every
        if self.pending.read and due and not self.writer.busy:
            p, self.pending = self.pending, _empty()
            self._flushed = time.monotonic()
            self.writer.submit(lambda: self._offline(p), p.read)
        return counts

    def flush(self) -> None:
        """Commit the offline side in this thread (after the batch in flight), then
        acknowledge the events it holds."""
        self._collect(block=True)
        p = self.pending
        if not p.read:
            return
        try:
            self._offline(p)
        except BaseException:
            self._stale = True  # rebuilt from what was committed; the batch comes again
            raise
        self.source.ack(p.read)
        self.pending = _empty()
        self._flushed = time.monotonic()

    def close(self) -> None:
        """Stop the writer thread (call ``flush`` first to keep what is pending)."""
        self.writer.close()

    def _collect(self, block: bool) -> None:
        """Acknowledge the batch the writer committed; its error is raised here, and the
        state is rebuilt from the tables on the next step."""
        try:
            read = self.writer.wait() if block else self.writer.collect()
        except BaseException:
            self._stale = True
            raise
        if read:
            self.source.ack(read)
            if self.freeze_gc:
                _freeze()
                self.freeze_gc = False

    def _offline(self, p: _Pending) -> None:
        """Commit one batch (any thread; the writer runs one at a time), then compact."""
        self._commit(p, max(e.offset for e in p.read))
        self._compact()

    def _compact(self) -> None:
        """Every ``compact_every`` commits, the small files of the features and events
        tables are rewritten into larger ones (the transaction ids stay in the log)."""
        self._flushes += 1
        if self.compact_every is None or self._flushes < self.compact_every:
            return
        self._flushes = 0
        for table in self.sview.tables[:2]:
            if self.tables.exists(self.ctx, table):
                self.tables.compact(self.ctx, table)

    # the online side ------------------------------------------------------------------
    def _online(self, events: Sequence[Event]) -> StepCounts:
        counts, touched = StepCounts(events=len(events)), {}
        stamp = datetime.now(UTC)
        p, (feat_at, late_at, bad_at, events_at) = self.pending, self.positions
        parsed = parse_all(events, self.sview, self.keys, self.types)
        for i, event in enumerate(events):
            if event.offset <= events_at:  # in the events table: in the state already
                counts.skipped += 1
                continue
            if parsed is not None:
                good = parsed[i]
            else:
                good = parse(event, self.sview, self.keys, self.types)
            if not isinstance(good, Good):
                counts.quarantined += 1
                if event.offset > bad_at:
                    p.rejects.append(good)
                continue
            late = not self.state.accept(good.key, good.ts, event.offset, good.values)
            p.events.append(good.row(event.offset, late, stamp))
            if late:
                counts.late += 1
                if event.offset > late_at:
                    p.late.append(good.row(event.offset, True, stamp))
                continue
            counts.accepted += 1
            touched[good.key] = touched.get(good.key, False) or event.offset > feat_at
        p.read.extend(events)
        counts.online = self._publish(touched, stamp)
        self.state.evict()
        return counts

    def _publish(self, touched: dict[Any, bool], stamp: datetime) -> int:
        """Write each touched key's value online; new values also go offline."""
        rows = []
        for key, fresh in touched.items():
            latest, start, values = self.state.values(key)
            text = key_texts(key)[0] if len(key) == 1 else encode_key(list(key))
            rows.append((text, latest, json.dumps(values, separators=(",", ":"))))
            if fresh:
                self.pending.features.append(
                    {
                        **dict(zip(self.keys, key, strict=True)),
                        self.sview.timestamp: latest,
                        WINDOW_START: start,
                        **values,
                        INGESTED_AT: stamp,
                    }
                )
        if rows:
            self.store.write(self.ctx.workspace, self.sview.name, rows)
        return len(rows)

    # the offline side -----------------------------------------------------------------
    def _commit(self, p: _Pending, position: int) -> None:
        features, events, late = self.sview.tables
        transaction = (self.app_id, position)
        source = (f"stream:{self.sview.stream}",)
        inputs = () if self._events_version is None else ((events, self._events_version),)
        with hooks.reading(kind="load", sources=source, source_kind="stream", tables=inputs):
            if p.features:
                self._append(features, self.types.features_table(p.features), transaction)
        with hooks.reading(kind="load", sources=source, source_kind="stream"):
            if p.late:
                self._append(late, self.types.events_table(p.late), transaction)
            if p.rejects:
                rejects = as_arrow(position, p.rejects)
                self._append(quarantine_table(events), rejects, transaction, system=True)
            if p.events:
                written = self._append(events, self.types.events_table(p.events), transaction)
                self._events_version = written.version
        self.positions = tuple(
            position if rows else at
            for rows, at in zip(
                (p.features, p.late, p.rejects, p.events), self.positions, strict=True
            )
        )

    def _append(self, table: str, data: pa.Table, txn: tuple[str, int], system: bool = False):  # noqa: ANN202
        return self.tables.write(self.ctx, table, data, transaction=txn, system=system)

    def _rebuild(self) -> None:
        """Positions and window state from the committed tables; pending work dropped
        and the source started again, so the events not acknowledged come first."""
        self.writer.settle()  # what it committed is in the tables; the rest comes again
        self.source.start(-1)
        features, events, late = self.sview.tables
        names = (features, late, quarantine_table(events), events)
        self.positions = tuple(self._position(t) for t in names)
        self.types = EventTypes.of(self.sview, self.keys, self._schema(events))
        exists = self.tables.exists(self.ctx, events)
        self._events_version = self.tables.current(self.ctx, events).version() if exists else None
        self.state = WindowState(
            self.sview.window, self.sview.features, self.sview.allowed_lateness
        )
        self.pending = _empty()
        if self.positions[3] >= 0:
            self._replay(self.tables.read(self.ctx, events))
        self._stale = False

    def _replay(self, data: pa.Table) -> None:
        """Feed the committed on-time events back into the state, in arrival order;
        events no window can reach any more are left out."""
        data = data.filter(pc.invert(data.column(LATE))).sort_by(OFFSET)
        ts = pc.cast(data.column(self.sview.timestamp), pa.int64())
        if not len(ts):
            return
        floor = pc.max(ts).as_py() - self.state.horizon
        keep = pc.greater(ts, floor)
        data, ts = data.filter(keep), ts.filter(keep)
        keys = list(zip(*(data.column(k).to_pylist() for k in self.keys), strict=True))
        columns = self.sview.columns()
        values = list(zip(*(data.column(c).to_pylist() for c in columns), strict=True))
        index = [columns.index(a.column) if a.column else None for a in self.sview.features]
        offsets = data.column(OFFSET).to_pylist()
        for key, t, off, vals in zip(keys, ts.to_pylist(), offsets, values, strict=True):
            per_agg = tuple(None if i is None else vals[i] for i in index)
            self.state.keep(key, t, off, per_agg)

    def _position(self, table: str) -> int:
        if not self.tables.exists(self.ctx, table):
            return -1
        found = self.tables.open(self.ctx, table).transaction_version(self.app_id)
        return -1 if found is None else found

    def _schema(self, table: str) -> pa.Schema | None:
        if not self.tables.exists(self.ctx, table):
            return None
        return arrow_schema(self.tables.current(self.ctx, table))


def _freeze() -> None:
    """Move every object alive now (modules, the libraries' caches, the warm-up's state)
    to the collector's permanent generation: a full collection then walks only what
    came later. Measured (issue 19): full collections of the ~220,000 objects a warm
    processor holds paused the online path 180-530 ms; after the freeze ~25,000 remain
    tracked. Frozen objects are still freed by reference counting; only cycles among
    them stay, so this is for a process that runs a processor, not a library default."""
    gc.collect()
    gc.freeze()
