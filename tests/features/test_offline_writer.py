"""The offline writer of a stream feature processor: one commit in flight on its own
thread, its events handed back only once it succeeded, its error raised in the caller."""

from __future__ import annotations

import contextvars
import threading

import pytest

from lakeworks.features.offline_writer import OfflineWriter

LABEL: contextvars.ContextVar[str] = contextvars.ContextVar("label", default="none")


@pytest.fixture
def writer() -> OfflineWriter:
    out = OfflineWriter("clicks")
    yield out
    out.close()


def test_a_commit_runs_while_the_caller_goes_on_and_its_events_come_back_once(
    writer: OfflineWriter,
) -> None:
    release, seen = threading.Event(), []

    def commit() -> None:
        seen.append(threading.current_thread().name)
        assert release.wait(10)

    writer.submit(commit, ["e1", "e2"])  # returns at once: the commit waits on `release`
    assert writer.busy and writer.collect() is None  # not committed yet: nothing to ack
    release.set()
    assert writer.wait() == ["e1", "e2"]
    assert not writer.busy and writer.collect() is None  # handed back once
    assert seen[0].startswith("lakeworks-offline-clicks")


def test_one_commit_in_flight_at_a_time(writer: OfflineWriter) -> None:
    release = threading.Event()
    writer.submit(lambda: release.wait(10), ["e1"])
    with pytest.raises(RuntimeError, match="already in flight"):
        writer.submit(lambda: None, ["e2"])
    release.set()
    assert writer.wait() == ["e1"]


def test_a_failed_commit_hands_back_no_events_and_raises_in_the_caller(
    writer: OfflineWriter,
) -> None:
    def full_disk() -> None:
        raise OSError(28, "No space left on device")

    writer.submit(full_disk, ["e1"])
    with pytest.raises(OSError, match="No space"):
        writer.wait()
    assert not writer.busy  # forgotten: the processor rebuilds and reads the events again
    writer.submit(full_disk, ["e2"])
    writer.settle()  # a rebuild drops the error: the tables say what was committed
    assert not writer.busy and writer.wait() is None


def test_the_callers_context_travels_with_the_commit(writer: OfflineWriter) -> None:
    seen = []
    token = LABEL.set("lineage inputs")
    try:
        writer.submit(lambda: seen.append(LABEL.get()), ["e1"])
        writer.wait()
    finally:
        LABEL.reset(token)
    assert seen == ["lineage inputs"]


@pytest.mark.parametrize("rows", [0, 1, 2048, 2049, 5000])
def test_the_tables_the_writer_builds_slice_by_slice_equal_one_conversion(rows: int) -> None:
    import pyarrow as pa

    from lakeworks.features.stream_values import _table

    schema = pa.schema([("user_id", pa.int64()), ("page", pa.string())])
    data = [{"user_id": i, "page": None if i % 3 else f"/{i}"} for i in range(rows)]
    built = _table(data, schema)
    assert built.schema == schema
    assert built.equals(pa.Table.from_pylist(data, schema))
