"""One suite every stream source passes (``streams/sources/base.Source``): the
workspace's own log (SQLite), NATS JetStream, MQTT and Redis Streams, on the real
servers (skipped with the reason when unreachable, failing under CI=true)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from lakeworks.streams.log.sqlite import SqliteEventLog
from lakeworks.streams.sources import Source, open_source
from lakeworks.streams.sources.log import LogSource

from ..conftest import unavailable
from ..features.conftest import REDIS_URL, redis_reachable
from ..streams.sources_servers import mqtt_port, nats_url
from ..streams.test_sources import _drop, js_publish, mqtt_publish

# (a new source reading the same place, publish(payloads)) per backend
Kit = tuple[Callable[[], Source], Callable[[list[bytes]], None]]


@pytest.fixture(params=["log", "nats", "mqtt", "redis"])
def kit(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Kit]:
    if request.param == "log":
        log = SqliteEventLog(tmp_path / "events.db")

        def publish(data: list[bytes]) -> None:
            log.publish("ws/s", data)

        yield lambda: LogSource(log, "s", "ws/s", "g", "sink"), publish
        log.close()
    elif request.param == "nats":
        url, server = nats_url(tmp_path)
        subject = f"lwtest.{uuid.uuid4().hex[:10]}"
        js_publish(url, subject, [], create=True)
        durable = f"lwtest_{uuid.uuid4().hex[:10]}"
        yield (
            lambda: open_source(f"{url}/{subject}", durable),
            lambda data: js_publish(url, subject, data),
        )
        asyncio.run(_drop(url, subject))
        if server is not None:
            server.stop()
    elif request.param == "redis":
        yield from _redis_kit()
    else:
        port, process = mqtt_port(tmp_path)
        topic = f"lwtest/{uuid.uuid4().hex[:10]}"
        client = f"lwtest_{uuid.uuid4().hex[:10]}"
        yield (
            lambda: open_source(f"mqtt://127.0.0.1:{port}/{topic}", client),
            lambda data: mqtt_publish(port, topic, data),
        )
        if process is not None:
            process.terminate()


def _started(make: Callable[[], Source], position: int = -1) -> Source:
    source = make()
    source.start(position)
    return source


def _read_all(source: Source, expected: int) -> list:
    events: list = []
    for _ in range(20):
        events = source.read(1000, 0.3)
        if len(events) >= expected:
            break
    return events


def test_a_source_delivers_what_was_published_in_order(kit: Kit) -> None:
    make, publish = kit
    first = _started(make)  # MQTT: the session (subscription) exists from here on
    payloads = [f'{{"id": {i}}}'.encode() for i in range(25)]
    publish(payloads)
    events: list = []
    for _ in range(20):  # a broker may hold back what exceeds its in-flight window
        got = first.read(1000, 0.3)
        first.ack(got)
        events += got
        if len(events) >= 25:
            break
    first.close()
    assert [e.data for e in events] == payloads
    offsets = [e.offset for e in events]
    assert offsets == sorted(offsets) and len(set(offsets)) == 25


def test_unacknowledged_events_come_again_acknowledged_ones_never(kit: Kit) -> None:
    make, publish = kit
    durable = _started(make)
    payloads = [f'{{"id": {i}}}'.encode() for i in range(10)]
    publish(payloads)
    events = _read_all(durable, 10)
    again_read = durable.read(1000, 0.1)  # not acknowledged: delivered again, first
    assert [(e.offset, e.data) for e in again_read] == [(e.offset, e.data) for e in events]
    durable.ack(events[:6])
    assert [e.data for e in durable.read(1000, 0.1)] == payloads[6:]
    durable.close()  # a crash before the last 4 were acknowledged

    position = events[5].offset if durable.capabilities.positioned else -1
    again = _started(make, position)
    rest = _read_all(again, 4)
    assert [e.data for e in rest] == payloads[6:]
    again.ack(rest)
    again.close()
    last = _started(make, rest[-1].offset if again.capabilities.positioned else -1)
    assert last.read(1000, 0.5) == []
    last.close()


def _redis_kit() -> Iterator[Kit]:
    error = redis_reachable()
    if error:
        unavailable(f"Redis not reachable at {REDIS_URL}: {error}")
    client = redis.Redis.from_url(REDIS_URL)
    key = f"lwtest:{uuid.uuid4().hex[:10]}"
    client.xadd(key, {"data": "{}"})  # the stream exists before the source starts
    client.xtrim(key, maxlen=0)

    def publish(data: list[bytes]) -> None:
        for payload in data:
            client.xadd(key, {"data": payload})

    url = f"{REDIS_URL.removesuffix('/0')}/{key}?field=data"
    yield lambda: open_source(url, "g"), publish
    client.delete(key)
    client.close()
