"""Natural micro-batching on an event loop: one model call per key at a time, run on the
loop itself; the requests that arrive while it runs share the next call.

With the thread batcher (``batching.py``) every request hops to a worker thread and back,
and a batch waits a fixed time for company. Here no request leaves the loop: at
concurrency 1 a request runs at once (no wait, no hop), and under load each call takes
everything that queued meanwhile (up to ``max_rows``), so batches grow with the load by
themselves. The price: while a model call runs the loop does nothing else, so it suits a
dedicated replica of models answering in milliseconds (setting ``serving_on_loop``).

Example:
    >>> import asyncio, pyarrow as pa
    >>> batcher = LoopBatcher(max_rows=8)
    >>> call = lambda t: (t["x"].to_pylist(), [None] * t.num_rows)
    >>> asyncio.run(batcher.submit("m", pa.table({"x": [1, 2]}), call))
    ([1, 2], [None, None])
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable

import pyarrow as pa

from lakeworks.serving.batching import Outputs

Call = Callable[[pa.Table], Outputs]


class LoopBatcher:
    """Queues per key (an endpoint's configuration version and slot: one model)."""

    def __init__(self, max_rows: int) -> None:
        self.max_rows = max_rows
        self._waiting: dict[Hashable, list[tuple[pa.Table, asyncio.Future[Outputs]]]] = {}
        self._draining: set[Hashable] = set()

    async def submit(self, key: Hashable, table: pa.Table, call: Call) -> Outputs:
        """``call``'s outputs for ``table``, computed together with the submits of the same
        ``key`` queued by the time its turn comes (their tables share one schema)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Outputs] = loop.create_future()
        self._waiting.setdefault(key, []).append((table, future))
        if key not in self._draining:
            self._draining.add(key)
            loop.call_soon(self._drain, loop, key, call)
        return await future

    def _drain(self, loop: asyncio.AbstractEventLoop, key: Hashable, call: Call) -> None:
        """Run one batch of ``key``; the next one after the loop has read new requests."""
        waiting = self._waiting.pop(key, [])
        if not waiting:
            self._draining.discard(key)
            return
        taken, rows = 0, 0
        while taken < len(waiting) and (
            taken == 0 or rows + waiting[taken][0].num_rows <= self.max_rows
        ):
            rows += waiting[taken][0].num_rows
            taken += 1
        batch, rest = waiting[:taken], waiting[taken:]
        if rest:
            self._waiting[key] = rest
        _run(batch, call)
        loop.call_soon(self._drain, loop, key, call)


def _run(batch: list[tuple[pa.Table, asyncio.Future[Outputs]]], call: Call) -> None:
    try:
        tables = [table for table, _ in batch]
        outputs, errors = call(tables[0] if len(tables) == 1 else pa.concat_tables(tables))
    except Exception as exc:  # every waiter hears of it, none hangs
        for _, future in batch:
            if not future.done():
                future.set_exception(exc)
        return
    start = 0
    for table, future in batch:
        end = start + table.num_rows
        if not future.done():  # a cancelled request (the client went away) is skipped
            future.set_result((outputs[start:end], errors[start:end]))
        start = end
