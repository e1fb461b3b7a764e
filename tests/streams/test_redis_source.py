"""Redis Streams another system writes (XADD) into Delta through ``ingest(source=
"redis://...")``, against the real Redis: exactly once (the entry id is recorded in the
Delta commit), bad entries quarantined, a restart of Redis survived."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

import lakeworks as lw
from lakeworks.errors import InvalidInputError, NotFoundError
from lakeworks.streams import sink as sink_module

from ..conftest import unavailable
from ..features.conftest import REDIS_URL, redis_reachable
from .conftest import clicks
from .test_redis_restart import RedisServer, until
from .test_sources import _die, _rows, ws  # noqa: F401 - the workspace fixture


@pytest.fixture
def key() -> Iterator[str]:
    """A stream key of its own on the shared Redis, deleted afterwards."""
    error = redis_reachable()
    if error:
        unavailable(f"Redis not reachable at {REDIS_URL}: {error}")
    name = f"lwtest:orders:{uuid.uuid4().hex[:10]}"
    yield name
    client = redis.Redis.from_url(REDIS_URL)
    client.delete(name)
    client.close()


def xadd(url: str, key: str, entries: list[dict]) -> None:
    """What another system does: one XADD per entry with its own fields."""
    client = redis.Redis.from_url(url)
    pipe = client.pipeline(transaction=False)
    for fields in entries:
        pipe.xadd(key, fields)
    pipe.execute()
    client.close()


def as_field(events: list[dict]) -> list[dict]:
    return [{"data": json.dumps(e)} for e in events]


def source(key: str, url: str = REDIS_URL, field: str | None = "data") -> str:
    base = url.removesuffix("/0")
    return f"{base}/{key}?db=0" + (f"&field={field}" if field else "")


def test_redis_entries_land_once_with_bad_ones_quarantined(
    ws: lw.Workspace,  # noqa: F811
    key: str,
) -> None:
    bad = [{"data": "not json {"}, {"data": '{"page": "/no-id"}'}, {"other": "x"}]
    xadd(REDIS_URL, key, as_field(clicks(40)) + bad + as_field(clicks(10, 40)))
    url = source(key)
    result = ws.streams.ingest(source=url, table="orders", required=["id"], once=True, every=0.2)
    assert (result.events, result.written, result.quarantined) == (53, 50, 3)
    assert sorted(ws.read("orders").column("id").to_pylist()) == list(range(50))
    quarantine = ws.read("orders__quarantine").to_pylist()
    assert {q["source"] for q in quarantine} == {f"stream:redis:{key}"}
    assert sorted(q["raw_bytes"] for q in quarantine) == sorted(
        [b"not json {", b'{"page": "/no-id"}', b""]
    )
    assert any("'id'" in q["reason"] for q in quarantine)

    again = ws.streams.ingest(source=url, table="orders", required=["id"], once=True, every=0.2)
    assert again.written == 0 and ws.read("orders").num_rows == 50
    xadd(REDIS_URL, key, as_field(clicks(5, 50)))
    more = ws.streams.ingest(source=url, table="orders", required=["id"], once=True, every=0.2)
    assert more.written == 5
    assert sorted(ws.read("orders").column("id").to_pylist()) == list(range(55))


def test_entries_without_a_field_option_are_their_fields_as_strings(
    ws: lw.Workspace,  # noqa: F811
    key: str,
) -> None:
    xadd(REDIS_URL, key, [{"id": 1, "amount": 9.5}, {"id": 2, "amount": 3}])
    ws.streams.ingest(source=source(key, field=None), table="orders", once=True, every=0.2)
    rows = ws.read("orders").to_pylist()
    assert [(r["id"], r["amount"]) for r in rows] == [("1", "9.5"), ("2", "3")]


def test_redis_sink_killed_between_commit_and_ack_writes_nothing_twice(
    ws: lw.Workspace,  # noqa: F811
    key: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    xadd(REDIS_URL, key, as_field(clicks(30)))
    monkeypatch.setattr(sink_module, "AFTER_COMMIT", [_die])
    with pytest.raises(KeyboardInterrupt):
        ws.streams.ingest(source=source(key), table="orders", once=True, every=0.2)
    assert ws.read("orders").num_rows == 30  # committed, never acknowledged
    monkeypatch.setattr(sink_module, "AFTER_COMMIT", [])
    xadd(REDIS_URL, key, as_field(clicks(10, 30)))
    result = ws.streams.ingest(source=source(key), table="orders", once=True, every=0.2)
    assert result.written == 10
    assert sorted(ws.read("orders").column("id").to_pylist()) == list(range(40))


def test_a_failed_commit_advances_nothing(
    ws: lw.Workspace,  # noqa: F811
    key: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    xadd(REDIS_URL, key, as_field(clicks(20)))
    tables = ws.platform.tables
    real = tables.write

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tables, "write", full_disk)
    with pytest.raises(OSError, match="No space"):
        ws.streams.ingest(source=source(key), table="orders", once=True, every=0.2)
    monkeypatch.setattr(tables, "write", real)
    assert not tables.exists(ws.ctx, "orders")
    result = ws.streams.ingest(source=source(key), table="orders", once=True, every=0.2)
    assert result.written == 20
    assert sorted(ws.read("orders").column("id").to_pylist()) == list(range(20))


def test_a_missing_stream_and_bad_options_are_named(
    ws: lw.Workspace,  # noqa: F811
    key: str,
) -> None:
    with pytest.raises(NotFoundError, match=key):
        ws.streams.ingest(source=source(key), table="orders", once=True)
    with pytest.raises(InvalidInputError, match="options"):
        ws.streams.ingest(source=f"{source(key)}&block=1", table="orders", once=True)


def test_redis_restarted_while_consuming_loses_and_duplicates_nothing(
    ws: lw.Workspace,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("lakeworks.streams.service.RETRY_WAIT", 0.1)
    server = RedisServer(tmp_path / "own")
    (tmp_path / "own").mkdir()
    server.start()
    key = "orders"
    xadd(server.url, key, as_field(clicks(500)))
    stop, outcome = threading.Event(), {}

    def run() -> None:
        try:
            url = source(key, server.url)
            outcome["result"] = ws.streams.ingest(source=url, table="clicks", every=0.05, stop=stop)
        except BaseException as exc:  # the assertion below shows it
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    try:
        until(lambda: _rows(ws) >= 500, "the first 500 events")
        xadd(server.url, key, as_field(clicks(2000, 500)))
        server.kill()  # killed while the sink reads and writes those
        time.sleep(0.3)
        server.start()
        xadd(server.url, key, as_field(clicks(500, 2500)))
        until(lambda: _rows(ws) >= 3000, "the events published around the restart")
        time.sleep(0.5)  # a duplicate would land now
    finally:
        stop.set()
        thread.join(timeout=30)
        server.kill()
    assert "error" not in outcome, outcome.get("error")
    assert sorted(ws.read("clicks").column("id").to_pylist()) == list(range(3000))
