"""The micro-batcher: concurrent submits share one call, each gets its own slice."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa
import pytest

from lakeworks.serving.batching import Batcher


def _double(calls: list[int]):  # noqa: ANN202
    def call(table: pa.Table):  # noqa: ANN202
        calls.append(table.num_rows)
        values = [2 * x for x in table["x"].to_pylist()]
        return values, [None] * len(values)

    return call


def test_concurrent_requests_share_calls_and_get_their_own_rows() -> None:
    import time

    batcher, calls = Batcher(wait=0.05, max_rows=1000), []
    double = _double(calls)

    def slow(table: pa.Table):  # noqa: ANN202 - long enough for the others to arrive
        time.sleep(0.02)
        return double(table)

    with ThreadPoolExecutor(16) as pool:
        futures = [
            pool.submit(batcher.submit, "m", pa.table({"x": [i, i + 100]}), slow) for i in range(16)
        ]
        results = [f.result() for f in futures]
    assert [r[0] for r in results] == [[2 * i, 2 * (i + 100)] for i in range(16)]
    assert sum(calls) == 32 and len(calls) < 16  # shared calls, no row lost or doubled


def test_a_full_batch_runs_without_waiting_and_keys_never_mix() -> None:
    batcher, calls = Batcher(wait=5.0, max_rows=2), []
    assert batcher.submit("a", pa.table({"x": [1, 2]}), _double(calls)) == ([2, 4], [None, None])
    assert calls == [2]  # full at once: no 5 s wait
    other = Batcher(wait=0.01, max_rows=100)
    with ThreadPoolExecutor(2) as pool:
        a = pool.submit(other.submit, "a", pa.table({"x": [1]}), _double(calls))
        b = pool.submit(other.submit, "b", pa.table({"x": [5]}), _double(calls))
        assert (a.result()[0], b.result()[0]) == ([2], [10])


def test_a_failing_call_reaches_every_waiter() -> None:
    def boom(table: pa.Table):  # noqa: ANN202
        raise RuntimeError("model crashed")

    batcher = Batcher(wait=0.05, max_rows=100)
    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(batcher.submit, "m", pa.table({"x": [i]}), boom) for i in range(4)]
        for future in futures:
            with pytest.raises(RuntimeError, match="model crashed"):
                future.result(timeout=5)


def test_a_request_alone_runs_at_once() -> None:
    import time

    batcher, calls = Batcher(wait=2.0, max_rows=100), []
    began = time.perf_counter()
    for i in range(3):
        assert batcher.submit("m", pa.table({"x": [i]}), _double(calls)) == ([2 * i], [None])
    assert time.perf_counter() - began < 1.0  # none waited its 2 s for company
    assert calls == [1, 1, 1] and batcher._in_flight == {}


def test_the_loop_batcher_shares_calls_among_queued_requests() -> None:
    import asyncio

    from lakeworks.serving.loop_batching import LoopBatcher

    async def scenario() -> tuple[list, list, list]:
        batcher, calls = LoopBatcher(max_rows=5), []
        alone = await batcher.submit("m", pa.table({"x": [7]}), _double(calls))
        assert calls == [1]  # at concurrency 1: at once, alone
        tables = [pa.table({"x": [i, i + 100]}) for i in range(6)]
        results = await asyncio.gather(*(batcher.submit("m", t, _double(calls)) for t in tables))
        return [alone, *results], calls, list(batcher._waiting)

    results, calls, left = asyncio.run(scenario())
    assert results[0] == ([14], [None])
    assert [r[0] for r in results[1:]] == [[2 * i, 2 * (i + 100)] for i in range(6)]
    assert calls == [1, 4, 4, 4] and left == []  # queued requests shared calls of <= 5 rows


def test_the_loop_batcher_hands_a_failure_to_each_request_of_the_call() -> None:
    import asyncio

    from lakeworks.serving.loop_batching import LoopBatcher

    def boom(table: pa.Table):  # noqa: ANN202
        raise RuntimeError("model crashed")

    async def scenario() -> list:
        batcher = LoopBatcher(max_rows=100)
        submits = (batcher.submit("m", pa.table({"x": [i]}), boom) for i in range(3))
        return await asyncio.gather(*submits, return_exceptions=True)

    assert all("model crashed" in str(e) for e in asyncio.run(scenario()))
