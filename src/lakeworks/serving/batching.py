"""Micro-batching: concurrent predictions for one slot share one model call.

The first request for a key leads a batch: it waits up to ``wait`` seconds (less when the
batch reaches ``max_rows``), then runs the model once on every waiting request's rows and
hands each its own slice. A request never waits longer than ``wait`` plus one model call;
a batch whose call raises gives each request that error. A leader that finds no other
request of its key in flight runs at once: alone, nobody would join its batch, so the
wait would be pure latency (at concurrency 1 batching costs nothing).

Example:
    >>> import pyarrow as pa
    >>> batcher = Batcher(wait=0.001, max_rows=8)
    >>> batcher.submit("m", pa.table({"x": [1, 2]}), lambda t: (t["x"].to_pylist(), [None] * 2))
    ([1, 2], [None, None])
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any

import pyarrow as pa

Outputs = tuple[list[Any], list[Any]]  # per row: the answer, and the error (or None)
Call = Callable[[pa.Table], Outputs]


class _Entry:
    def __init__(self, table: pa.Table) -> None:
        self.table = table
        self.done = threading.Event()
        self.result: Outputs | None = None
        self.error: BaseException | None = None


class _Batch:
    def __init__(self) -> None:
        self.entries: list[_Entry] = []
        self.rows = 0
        self.full = threading.Event()

    def run(self, call: Call) -> None:
        try:
            outputs, errors = call(pa.concat_tables([e.table for e in self.entries]))
            start = 0
            for entry in self.entries:
                end = start + entry.table.num_rows
                entry.result = (outputs[start:end], errors[start:end])
                start = end
        except BaseException as exc:  # every waiter hears of it, none hangs
            for entry in self.entries:
                entry.error = exc
        finally:
            for entry in self.entries:
                entry.done.set()


class Batcher:
    """Batches per key (an endpoint's configuration version and slot: one model)."""

    def __init__(self, wait: float, max_rows: int) -> None:
        self.wait = wait
        self.max_rows = max_rows
        self._open: dict[Hashable, _Batch] = {}
        self._in_flight: dict[Hashable, int] = {}  # submits of each key not yet answered
        self._lock = threading.Lock()

    def submit(
        self, key: Hashable, table: pa.Table, call: Callable[[pa.Table], Outputs]
    ) -> Outputs:
        """``call``'s outputs for ``table``, computed together with concurrent submits of
        the same ``key`` (their tables must share one schema: the signature's)."""
        entry = _Entry(table)
        with self._lock:
            batch = self._open.get(key)
            leader = batch is None
            if batch is None:
                batch = self._open[key] = _Batch()
            batch.entries.append(entry)
            batch.rows += table.num_rows
            others = self._in_flight.get(key, 0)
            self._in_flight[key] = others + 1
            if batch.rows >= self.max_rows:
                self._close(key, batch)
        try:
            if leader:
                if others:  # requests in flight: more will come while this one waits
                    batch.full.wait(self.wait)
                with self._lock:
                    self._close(key, batch)
                batch.run(call)
            entry.done.wait()
        finally:
            with self._lock:
                left = self._in_flight[key] - 1
                if left:
                    self._in_flight[key] = left
                else:
                    del self._in_flight[key]
        if entry.error is not None:
            raise entry.error
        assert entry.result is not None
        return entry.result

    def _close(self, key: Hashable, batch: _Batch) -> None:
        """No more requests join ``batch`` (the caller holds the lock)."""
        if self._open.get(key) is batch:
            del self._open[key]
        batch.full.set()
