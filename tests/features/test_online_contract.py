"""The online store contract: every backend (SQLite, the real Redis) must pass it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lakeworks.errors import UnavailableError
from lakeworks.features.online.base import OnlineStore, Record, encode_key
from lakeworks.features.online.redis import RedisOnlineStore
from lakeworks.features.online.sqlite import SqliteOnlineStore
from tests.conftest import free_port
from tests.features.conftest import REDIS_URL


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OnlineStore]:
    if request.param == "sqlite":
        backend: OnlineStore = SqliteOnlineStore(tmp_path / "online.db")
    else:
        backend = RedisOnlineStore(REDIS_URL, prefix=request.getfixturevalue("redis_prefix"))
    yield backend
    backend.close()


def test_missing_keys_read_as_none(store: OnlineStore) -> None:
    assert store.read("ws", "v", [encode_key([1])]) == [None]


def test_write_then_read_many_keys_in_order(store: OnlineStore) -> None:
    rows = [(encode_key([i]), 1000 + i, f'{{"x": {i}}}') for i in range(1200)]
    assert store.write("ws", "v", rows) == 1200
    keys = [encode_key([i]) for i in (5, 1199, 7, 5, 5000)]
    assert store.read("ws", "v", keys) == [
        Record(1005, '{"x": 5}'),
        Record(2199, '{"x": 1199}'),
        Record(1007, '{"x": 7}'),
        Record(1005, '{"x": 5}'),
        None,
    ]


def test_an_older_value_never_replaces_a_newer_one(store: OnlineStore) -> None:
    key = encode_key(["a", 1])
    store.write("ws", "v", [(key, 200, '{"x": 2}')])
    store.write("ws", "v", [(key, 100, '{"x": 1}')])
    assert store.read("ws", "v", [key]) == [Record(200, '{"x": 2}')]
    store.write("ws", "v", [(key, 200, '{"x": 3}')])  # same time: the later write wins
    assert store.read("ws", "v", [key]) == [Record(200, '{"x": 3}')]


def test_workspaces_and_views_are_separate(store: OnlineStore) -> None:
    key = encode_key([1])
    store.write("a", "v", [(key, 1, '{"x": "a"}')])
    store.write("b", "v", [(key, 1, '{"x": "b"}')])
    assert store.read("a", "w", [key]) == [None]
    assert store.read("b", "v", [key]) == [Record(1, '{"x": "b"}')]
    store.delete_view("a", "v")
    assert store.read("a", "v", [key]) == [None]
    assert store.read("b", "v", [key]) == [Record(1, '{"x": "b"}')]


def test_unicode_keys_and_values(store: OnlineStore) -> None:
    key = encode_key(["Zürich", 7])
    store.write("ws", "v", [(key, 5, '{"name": "café ☕"}')])
    assert store.read("ws", "v", [key]) == [Record(5, '{"name": "café ☕"}')]


def test_a_redis_outage_is_a_quick_clear_error() -> None:
    store = RedisOnlineStore(f"redis://127.0.0.1:{free_port()}/0", timeout=0.5)
    started = time.monotonic()
    with pytest.raises(UnavailableError, match="Redis online store at 127.0.0.1"):
        store.read("ws", "v", [encode_key([1])])
    with pytest.raises(UnavailableError):
        store.write("ws", "v", [(encode_key([1]), 1, "{}")])
    assert time.monotonic() - started < 3


def test_usage_counts_a_workspace_keys_and_bytes(store: OnlineStore) -> None:
    assert store.usage("ws") == (0, 0)
    rows = [(encode_key([i]), 1000 + i, '{"x": 1}') for i in range(1500)]
    store.write("ws", "v", rows)
    store.write("ws", "w", rows[:10])
    store.write("other", "v", rows[:3])
    keys, size = store.usage("ws")
    assert keys == 1510 and size > 1510 * len('{"x": 1}')
    assert store.usage("other")[0] == 3
    store.delete_view("ws", "v")
    assert store.usage("ws")[0] == 10
