"""Every event log backend must pass this suite: the embedded SQLite file and real Redis
Streams (127.0.0.1:6379; skipped with the reason when unreachable, failing under CI=true).
Each Redis test uses its own key prefix and deletes its keys afterwards."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from lakeworks.errors import NotFoundError
from lakeworks.streams.log.base import EventLog

from ..conftest import unavailable
from ..features.conftest import REDIS_URL, redis_reachable


def _redis_log() -> Iterator[EventLog]:
    error = redis_reachable()
    if error:
        unavailable(f"Redis not reachable at {REDIS_URL}: {error}")
    from lakeworks.streams.log.redis import RedisEventLog

    prefix = f"lwtest-{uuid.uuid4().hex[:10]}"
    log = RedisEventLog(REDIS_URL, prefix=prefix)
    yield log
    keys = list(log.client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        log.client.delete(*keys)
    log.close()


@pytest.fixture(params=["sqlite", "redis"])
def log(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventLog]:
    if request.param == "redis":
        yield from _redis_log()
        return
    from lakeworks.streams.log.sqlite import SqliteEventLog

    backend = SqliteEventLog(tmp_path / "events.db")
    yield backend
    backend.close()


def payloads(n: int, start: int = 0) -> list[bytes]:
    return [f'{{"n": {i}}}'.encode() for i in range(start, start + n)]


def test_publish_returns_ids_in_order_and_tail_reads_the_newest(log: EventLog) -> None:
    ids = log.publish("ws/clicks", payloads(5))
    assert len(ids) == len(set(ids)) == 5
    tail = log.tail("ws/clicks", 3)
    assert [e.id for e in tail] == ids[2:]
    assert [e.data for e in tail] == payloads(3, 2)
    offsets = [e.offset for e in log.tail("ws/clicks", 10)]
    assert offsets == sorted(offsets) and len(set(offsets)) == 5
    assert log.tail("ws/missing", 3) == []


def test_a_group_delivers_each_event_once_among_its_consumers(log: EventLog) -> None:
    log.publish("s", payloads(10))
    assert log.create_group("s", "g") is True
    assert log.create_group("s", "g") is False  # idempotent
    a = log.read("s", "g", "a", 6)
    b = log.read("s", "g", "b", 6)
    assert [e.data for e in a + b] == payloads(10)
    assert all(e.deliveries == 1 for e in a + b)
    assert log.read("s", "g", "a", 6) == []
    info = log.group("s", "g")
    assert (info.pending, info.lag, info.consumers) == (10, 0, 2)
    assert info.last_delivered == b[-1].id


def test_two_groups_each_read_everything(log: EventLog) -> None:
    log.publish("s", payloads(3))
    log.create_group("s", "one")
    log.create_group("s", "two")
    assert len(log.read("s", "one", "c", 10)) == len(log.read("s", "two", "c", 10)) == 3


def test_a_group_created_at_the_end_reads_only_later_events(log: EventLog) -> None:
    log.publish("s", payloads(3))
    log.create_group("s", "late", start="$")
    assert log.group("s", "late").lag == 0
    log.publish("s", payloads(2, 3))
    assert [e.data for e in log.read("s", "late", "c", 10)] == payloads(2, 3)


def test_ack_removes_from_pending_and_unacked_are_delivered_again(log: EventLog) -> None:
    log.publish("s", payloads(4))
    log.create_group("s", "g")
    events = log.read("s", "g", "c", 4)
    assert log.ack("s", "g", [events[0].id, events[1].id]) == 2
    assert log.ack("s", "g", [events[0].id]) == 0  # twice: nothing more
    again = log.read("s", "g", "c", 10, pending=True)
    assert [e.id for e in again] == [e.id for e in events[2:]]
    assert [e.deliveries for e in again] == [2, 2]
    assert log.group("s", "g").pending == 2


def test_pending_events_of_a_dead_consumer_are_claimed_after_the_visibility_timeout(
    log: EventLog,
) -> None:
    log.publish("s", payloads(3))
    log.create_group("s", "g")
    taken = log.read("s", "g", "dead", 3)
    assert log.claim("s", "g", "alive", timedelta(seconds=30), 10) == []  # not idle yet
    time.sleep(0.06)
    claimed = log.claim("s", "g", "alive", timedelta(milliseconds=50), 10)
    assert [e.id for e in claimed] == [e.id for e in taken]
    assert [e.deliveries for e in claimed] == [2, 2, 2]
    assert log.read("s", "g", "dead", 10, pending=True) == []
    assert len(log.read("s", "g", "alive", 10, pending=True)) == 3


def test_claim_moves_at_most_count(log: EventLog) -> None:
    log.publish("s", payloads(5))
    log.create_group("s", "g")
    log.read("s", "g", "dead", 5)
    assert len(log.claim("s", "g", "alive", timedelta(0), 2)) == 2
    assert len(log.read("s", "g", "dead", 10, pending=True)) == 3


def test_lag_counts_events_not_yet_delivered(log: EventLog) -> None:
    log.publish("s", payloads(7))
    log.create_group("s", "g")
    assert log.group("s", "g").lag == 7
    log.read("s", "g", "c", 5)
    assert log.group("s", "g").lag == 2
    assert [g.name for g in log.groups("s")] == ["g"]


def test_unknown_group_or_stream_is_not_found_naming_both(log: EventLog) -> None:
    log.publish("s", payloads(1))
    with pytest.raises(NotFoundError, match="'nope' of stream 's'"):
        log.group("s", "nope")
    with pytest.raises(NotFoundError, match="group 'nope'"):
        log.read("s", "nope", "c", 1)
    with pytest.raises(NotFoundError, match="stream 'other'"):
        log.group("other", "g")
    assert log.groups("other") == []


def test_blocking_read_waits_then_returns_nothing(log: EventLog) -> None:
    log.create_group("s", "g")
    start = time.monotonic()
    assert log.read("s", "g", "c", 10, block=timedelta(milliseconds=200)) == []
    assert time.monotonic() - start >= 0.15


def test_retention_by_length_keeps_the_newest(log: EventLog) -> None:
    ids = log.publish("s", payloads(10))
    assert log.trim("s", maxlen=4) == 6
    assert [e.id for e in log.tail("s", 100)] == ids[6:]
    log.publish("s", payloads(1000), maxlen=100)  # approximate: at least 100 are kept
    length = log.streams("s")[0].length
    assert 100 <= length <= 250


def test_retention_by_age_deletes_older_events(log: EventLog) -> None:
    log.publish("s", payloads(3))
    time.sleep(0.05)
    new = log.publish("s", payloads(2, 3))
    assert log.trim("s", older_than=timedelta(milliseconds=30)) == 3
    assert [e.id for e in log.tail("s", 10)] == new
    assert log.trim("s", older_than=timedelta(hours=1)) == 0


def test_a_trimmed_pending_event_is_not_delivered_again(log: EventLog) -> None:
    log.publish("s", payloads(3))
    log.create_group("s", "g")
    log.read("s", "g", "c", 3)
    log.trim("s", maxlen=1)
    again = log.read("s", "g", "c", 10, pending=True)
    assert [e.data for e in again] == payloads(1, 2)
    assert log.group("s", "g").pending == 1


def test_streams_lists_by_prefix_with_lengths(log: EventLog) -> None:
    log.publish("a/one", payloads(2))
    log.publish("a/two", payloads(1))
    log.publish("b/one", payloads(1))
    log.create_group("a/one", "g")
    infos = log.streams("a/")
    assert [(s.name, s.length, s.groups) for s in infos] == [("a/one", 2, 1), ("a/two", 1, 0)]
    assert infos[0].last_id == log.tail("a/one", 1)[0].id
    assert log.delete("a/one") is True
    assert log.delete("a/one") is False
    assert [s.name for s in log.streams("a/")] == ["a/two"]


def test_offsets_keep_growing_after_a_trim(log: EventLog) -> None:
    log.publish("s", payloads(3))
    before = log.tail("s", 1)[0]
    log.trim("s", maxlen=0)
    assert log.tail("s", 10) == []
    later = log.publish("s", payloads(1))
    after = log.tail("s", 1)[0]
    assert after.id == later[0] != before.id
    assert after.offset > before.offset


def test_a_closed_log_opens_again_on_next_use(log: EventLog) -> None:
    """A platform closed by one server lifespan may serve again (as its catalog does)."""
    log.publish("s", payloads(1))
    log.close()
    log.publish("s", payloads(1, 1))
    assert [e.data for e in log.tail("s", 5)] == payloads(2)
