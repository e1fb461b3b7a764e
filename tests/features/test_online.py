"""Online reads, materialization and push through the service, on SQLite and Redis."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import lakeworks as lw
from lakeworks.errors import InvalidInputError, NotFoundError, UnavailableError
from lakeworks.features import Entity, FeatureView
from lakeworks.features.online.redis import RedisOnlineStore
from tests.conftest import free_port
from tests.features.conftest import REDIS_URL, rider, write

NOW = datetime.now(UTC).replace(microsecond=0)
view = FeatureView(
    "rider_now",
    entity="rider",
    timestamp="ts",
    features=["trips", "rating"],
    source="rider_live",
    ttl=timedelta(hours=1),
)


@pytest.fixture(params=["sqlite", "redis"])
def live(request: pytest.FixtureRequest, ws: lw.Workspace) -> lw.Workspace:
    """rider_live: rider 1 fresh, rider 2 two hours old (past the TTL), in either store."""
    if request.param == "redis":
        prefix = request.getfixturevalue("redis_prefix")
        ws.platform.features.online_store = RedisOnlineStore(REDIS_URL, prefix=prefix)
    write(
        ws,
        "rider_live",
        [
            {"rider_id": 1, "ts": NOW - timedelta(minutes=20), "trips": 4, "rating": 4.0},
            {"rider_id": 1, "ts": NOW - timedelta(minutes=5), "trips": 5, "rating": 4.5},
            {"rider_id": 2, "ts": NOW - timedelta(hours=2), "trips": 9, "rating": 3.0},
        ],
    )
    ws.features.apply([rider, view])
    return ws


def test_online_reads_before_any_materialization_are_refused(live: lw.Workspace) -> None:
    with pytest.raises(NotFoundError, match="never materialized nor pushed"):
        live.features.online(["rider_now:trips"], [{"rider_id": 1}])


def test_materialize_then_read_with_statuses(live: lw.Workspace) -> None:
    result = live.features.materialize("rider_now")
    assert (result.rows, result.start) == (2, None)
    got = live.features.online(
        ["rider_now:trips", "rider_now:rating"], [{"rider_id": 1}, {"rider_id": 2}, {"rider_id": 3}]
    )
    assert got.values == [
        {"trips": 5, "rating": 4.5},
        {"trips": None, "rating": None},
        {"trips": None, "rating": None},
    ]
    assert [s["trips"] for s in got.status] == ["present", "expired", "unknown_entity"]


def test_materialize_a_window_and_then_incrementally(live: lw.Workspace) -> None:
    first = live.features.materialize(
        "rider_now", NOW - timedelta(days=1), NOW - timedelta(minutes=10)
    )
    assert first.rows == 2
    assert live.features.online(["rider_now:trips"], [{"rider_id": 1}]).values == [{"trips": 4}]
    late = write(
        live,
        "rider_live",
        [  # an old event time, learned now
            {"rider_id": 2, "ts": NOW - timedelta(minutes=30), "trips": 10, "rating": 3.5},
        ],
    )
    second = live.features.materialize("rider_now")  # from the last end, plus late arrivals
    assert second.start == NOW - timedelta(minutes=10) and second.end >= late
    rows = live.features.online(["rider_now:trips"], [{"rider_id": 1}, {"rider_id": 2}]).values
    assert rows == [{"trips": 5}, {"trips": 10}]
    with pytest.raises(InvalidInputError, match="is not before end"):
        live.features.materialize("rider_now", NOW, NOW - timedelta(hours=1))


@pytest.mark.filterwarnings("ignore::lakeworks.features.coverage.AsKnownAtWarning")
def test_push_serves_online_now_and_training_sets_later(live: lw.Workspace) -> None:
    before = datetime.now(UTC)
    pushed = live.features.push(
        "rider_now",
        [
            {"rider_id": 3, "ts": NOW - timedelta(minutes=1), "trips": 1, "rating": 5.0},
            {"rider_id": 3, "ts": NOW, "trips": 2, "rating": 4.9},
        ],
    )
    assert (pushed.rows, pushed.online_keys, pushed.table) == (2, 1, "rider_live")
    got = live.features.online(["rider_now:trips"], [{"rider_id": 3}])
    assert got.values == [{"trips": 2}] and got.status == [{"trips": "present"}]
    rows = [
        {"rider_id": 3, "at": before - timedelta(microseconds=1)},
        {"rider_id": 3, "at": pushed.ingested_at},
    ]
    training = live.features.training_set(rows, ["rider_now:trips"])
    assert training.arrow().column("trips").to_pylist() == [None, 2]  # known from the push on
    assert training.coverage[0].not_yet_known == 1  # the row before the push


def test_an_older_push_does_not_replace_a_newer_value(live: lw.Workspace) -> None:
    live.features.materialize("rider_now")
    live.features.push(
        "rider_now", [{"rider_id": 1, "ts": NOW - timedelta(hours=3), "trips": 0, "rating": 0.0}]
    )
    assert live.features.online(["rider_now:trips"], [{"rider_id": 1}]).values == [{"trips": 5}]


def test_online_bad_input(live: lw.Workspace) -> None:
    live.features.materialize("rider_now")
    with pytest.raises(InvalidInputError, match="lacks key column 'rider_id'"):
        live.features.online(["rider_now:trips"], [{"driver_id": 1}])
    with pytest.raises(NotFoundError, match="has no feature 'speed'"):
        live.features.online(["rider_now:speed"], [{"rider_id": 1}])
    with pytest.raises(InvalidInputError, match="at least one entity row"):
        live.features.online(["rider_now:trips"], [])


def test_push_bad_input(live: lw.Workspace) -> None:
    with pytest.raises(InvalidInputError, match=r"lack column\(s\) \['rating'\]"):
        live.features.push("rider_now", [{"rider_id": 1, "ts": NOW, "trips": 1}])
    with pytest.raises(InvalidInputError, match="mix timestamps"):
        live.features.push(
            "rider_now",
            [
                {"rider_id": 1, "ts": NOW, "trips": 1, "rating": 1.0},
                {"rider_id": 1, "ts": NOW.replace(tzinfo=None), "trips": 1, "rating": 1.0},
            ],
        )


def test_push_creates_the_source_table(ws: lw.Workspace) -> None:
    ws.features.apply(
        [
            Entity("device", "device_id"),
            FeatureView(
                "temps",
                entity="device",
                timestamp="ts",
                features=["celsius"],
                source="device_temps",
            ),
        ]
    )
    ws.features.push(
        "temps", [{"device_id": "d1", "ts": NOW.replace(tzinfo=None), "celsius": 21.5}]
    )  # naive means UTC
    assert ws.features.online(["temps:celsius"], [{"device_id": "d1"}]).values == [
        {"celsius": 21.5}
    ]
    stored = ws.read("device_temps").to_pylist()[0]
    assert stored["ts"] == NOW and stored["_lw_ingested_at"] is not None


def test_a_redis_outage_during_a_read_fails_fast(live: lw.Workspace, tmp_path: Path) -> None:
    live.features.materialize("rider_now")
    live.platform.features.online_store = RedisOnlineStore(
        f"redis://127.0.0.1:{free_port()}/0", timeout=0.5
    )
    started = time.monotonic()
    with pytest.raises(UnavailableError, match="LAKEWORKS_ONLINE_URL"):
        live.features.online(["rider_now:trips"], [{"rider_id": 1}])
    assert time.monotonic() - started < 3


def test_the_online_url_setting_picks_redis(tmp_path: Path, redis_prefix: str) -> None:
    from lakeworks.config import Settings
    from lakeworks.features.online import store_from_settings

    store = store_from_settings(Settings.load(home=tmp_path, online_url=REDIS_URL))
    assert isinstance(store, RedisOnlineStore)
    store.check()
    store.close()
    with pytest.raises(InvalidInputError, match="unknown online store URL"):
        store_from_settings(Settings.load(home=tmp_path, online_url="memcached://x"))


def test_many_rows_in_the_order_asked_across_two_views(live: lw.Workspace) -> None:
    other = FeatureView(
        "rider_slow", entity="rider", timestamp="ts", features=["rating"], source="rider_live"
    )
    live.features.apply([rider, view, other])
    live.features.materialize("rider_now")
    live.features.materialize("rider_slow")
    asked = [1, 3, 2, 1, 1] * 30  # unknown, expired (in rider_now only) and repeated keys
    got = live.features.online(
        ["rider_slow:rating", "rider_now:trips", "rider_now:rating"],
        [{"rider_id": k} for k in asked],
        full_names=True,
    )
    names = ["rider_slow__rating", "rider_now__trips", "rider_now__rating"]
    expect = {
        1: ([4.5, 5, 4.5], ["present"] * 3),
        2: ([3.0, None, None], ["present", "expired", "expired"]),
        3: ([None] * 3, ["unknown_entity"] * 3),
    }
    assert got.features == tuple(names)
    assert [list(v) for v in got.values] == [names] * len(asked)  # columns in the order asked
    assert got.values == [dict(zip(names, expect[k][0], strict=True)) for k in asked]
    assert got.status == [dict(zip(names, expect[k][1], strict=True)) for k in asked]
    got.values[0]["rider_now__trips"] = -1  # each row has dicts of its own
    assert got.values[3]["rider_now__trips"] == 5
