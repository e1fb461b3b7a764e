"""The exactly-once sink of a stream into a Delta table.

Each micro-batch is read through a consumer group, decoded (bad events go to the table's
quarantine with the raw payload and the reason), written through the table store (so the
quality gate applies) and only then acknowledged. Each commit carries the sink's position
as a Delta transaction identifier: app id ``lakeworks.stream:<stream>:<group>``, version
the offset of the batch's last event. On start the sink reads that version back from the
table (and from its quarantine table) and skips events at or before it: a sink killed
between a commit and its acknowledgement redelivers the batch, which is then skipped and
acknowledged, never written twice. A failed commit acknowledges nothing; the batch is
delivered again by the next step.

The sink reads a ``Source`` (``streams/sources``): the workspace's own log through one
consumer group (it takes over the group's unacknowledged events when it starts, then
reads in offset order, so "at or before the committed offset" is exactly what was
written), or an external system. A positioned source (NATS JetStream) resumes after the
committed offset handed to its ``start``; an unpositioned one (MQTT) gets no transaction
identifier and delivers at least once, and with a ``dedupe`` key the sink drops rows
whose key the table already holds. Sinks into different tables use different groups.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from lakeworks import hooks
from lakeworks.ingest.base import Reject
from lakeworks.ingest.quarantine import as_arrow
from lakeworks.lake.quarantine import quarantine_table
from lakeworks.lake.tables import GATED
from lakeworks.lake.versions import arrow_schema
from lakeworks.streams.decode import Rejected, decode

if TYPE_CHECKING:
    from lakeworks.context import Context
    from lakeworks.lake.tables import Tables
    from lakeworks.streams.log.base import Event
    from lakeworks.streams.sources.base import Source

# Called with the committed version after each commit and before the acknowledgement;
# tests pause a sink here to kill it between the two.
AFTER_COMMIT: list[Callable[[int], None]] = []


@dataclass(frozen=True)
class Batch:
    """One micro-batch: events read, rows written, events quarantined (bad events and
    rows the quality gate held), events skipped as already committed."""

    events: int
    written: int
    quarantined: int
    skipped: int
    version: int | None  # the table version this batch committed, if it wrote rows
    position: int | None  # the offset of the batch's last event


@dataclass(frozen=True)
class SinkTarget:
    """Where a sink reads and writes: ``stream`` names the source (the stream, or
    ``nats:<subject>``), ``key`` is the stream's name in the event log ("" for an
    external source)."""

    stream: str
    key: str
    group: str
    consumer: str
    table: str
    required: tuple[str, ...] = ()
    dedupe: str | None = None  # a field naming each event: rows the table holds are dropped

    @property
    def app_id(self) -> str:
        return f"lakeworks.stream:{self.stream}:{self.group}"


class DeltaSink:
    def __init__(
        self,
        source: Source,
        tables: Tables,
        ctx: Context,
        target: SinkTarget,
        max_batch: int,
        compact_every: int | None = None,
    ) -> None:
        self.source, self.tables, self.ctx = source, tables, ctx
        self.target, self.max_batch = target, max_batch
        self.compact_every = compact_every
        self._committed: tuple[int, int] | None = None  # (table, quarantine) positions
        self._appends = 0  # batches that wrote rows since the last compaction
        self._keys: set | None = None  # the dedupe key values the table holds

    def start(self) -> None:
        """Start the source after the committed position; its unacknowledged events
        come first, so they are written before anything newer."""
        self.source.start(min(self._positions()))

    def step(self, wait: float = 0.0) -> Batch:
        """Read, write and acknowledge one micro-batch, collecting events for up to
        ``wait`` seconds (or until ``max_batch``)."""
        events = self.source.read(self.max_batch, wait)
        if not events:
            return Batch(0, 0, 0, 0, None, None)
        try:
            batch = self._write(events)
        except BaseException:
            self._committed = None  # read the positions from the log again
            raise
        for hook in AFTER_COMMIT:
            hook(batch.position)
        self.source.ack(events)
        self._compact(batch)
        return batch

    def _compact(self, batch: Batch) -> None:
        """Every ``compact_every`` batches that wrote rows, rewrite the table's small
        files into larger ones (the transaction identifiers stay in the log)."""
        self._appends += batch.version is not None
        if self.compact_every is None or self._appends < self.compact_every:
            return
        self._appends = 0
        self.tables.compact(self.ctx, self.target.table)

    def _positions(self) -> tuple[int, int]:
        if not self.source.capabilities.positioned:
            return (-1, -1)  # offsets of an earlier run mean nothing: nothing to skip
        if self._committed is None:
            t = self.target
            self._committed = (self._version(t.table), self._version(quarantine_table(t.table)))
        return self._committed

    def _version(self, table: str) -> int:
        if not self.tables.exists(self.ctx, table):
            return -1
        found = self.tables.open(self.ctx, table).transaction_version(self.target.app_id)
        return -1 if found is None else found

    def _write(self, events: Sequence[Event]) -> Batch:
        table_at, quarantine_at = self._positions()
        position = max(e.offset for e in events)
        fresh = [e for e in events if e.offset > min(table_at, quarantine_at)]
        decoded = decode(fresh, self.target.required, self._schema())
        bad = [r for r in decoded.rejected if r.event.offset > quarantine_at]
        rows = decoded.rows.filter(pc.greater(decoded.offsets, table_at))
        if self.target.dedupe and rows.num_rows:
            rows = self._unseen(rows)
        with hooks.reading(
            kind="load", sources=(f"stream:{self.target.stream}",), source_kind="stream"
        ):
            if bad:
                self._quarantine(bad, position)
            version, held = self._append(rows, position) if rows.num_rows else (None, 0)
        skipped = len(events) - rows.num_rows - len(bad)
        return Batch(len(events), rows.num_rows - held, len(bad) + held, skipped, version, position)

    def _schema(self) -> pa.Schema | None:
        table = self.target.table
        if not self.tables.exists(self.ctx, table):
            return None
        return arrow_schema(self.tables.current(self.ctx, table))

    def _transaction(self, position: int) -> tuple[str, int] | None:
        return (self.target.app_id, position) if self.source.capabilities.positioned else None

    def _unseen(self, rows: pa.Table) -> pa.Table:
        """``rows`` less those whose dedupe key the table (or an earlier row) holds."""
        name, table = self.target.dedupe, self.target.table
        if name not in rows.column_names:
            return rows  # events without the key cannot be told apart: all are kept
        if self._keys is None:
            held = self.tables.exists(self.ctx, table) and name in self._schema().names
            found = (
                self.tables.read(self.ctx, table, columns=[name], unmasked=True) if held else None
            )
            self._keys = set(found.column(0).to_pylist()) if found is not None else set()
        keep, batch = [], set()
        for value in rows.column(name).to_pylist():
            keep.append(value is None or (value not in self._keys and value not in batch))
            batch.add(value)
        return rows.filter(pa.array(keep))

    def _append(self, rows: pa.Table, position: int) -> tuple[int, int]:
        transaction = self._transaction(position)
        result = self.tables.write(self.ctx, self.target.table, rows, transaction=transaction)
        if self._keys is not None:
            self._keys.update(rows.column(self.target.dedupe).to_pylist())
        if self.source.capabilities.positioned:
            self._committed = (position, self._positions()[1])
        return result.version, result.metrics.get(GATED, 0)

    def _quarantine(self, bad: list[Rejected], position: int) -> None:
        source = f"stream:{self.target.stream}"
        rejects = [
            Reject(source, r.event.offset, r.text, r.reason, r.columns, r.event.data) for r in bad
        ]
        name = quarantine_table(self.target.table)
        data = as_arrow(position, rejects)
        self.tables.write(
            self.ctx, name, data, system=True, transaction=self._transaction(position)
        )
        if self.source.capabilities.positioned:
            self._committed = (self._positions()[0], position)
