"""Online reads served from caches that cannot go stale or be changed by a caller."""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError
from datetime import UTC, datetime, timedelta

import pytest

import lakeworks as lw
from lakeworks.cache import BoundedCache
from lakeworks.errors import NotFoundError
from lakeworks.features import Entity, FeatureView
from lakeworks.features import registry as registry_module
from lakeworks.features.lookup import EXPIRED, PRESENT, Decoding
from tests.features.conftest import rider, write

NOW = datetime.now(UTC).replace(microsecond=0)


def _view(ttl: timedelta) -> FeatureView:
    return FeatureView(
        "rider_flip", entity="rider", timestamp="ts", features=["trips"], source="flip", ttl=ttl
    )


def test_flipping_a_ttl_never_serves_the_plan_of_an_older_definition(ws: lw.Workspace) -> None:
    """A value two hours old: expired under a one-hour TTL, present under a one-day one."""
    write(ws, "flip", [{"rider_id": 1, "ts": NOW - timedelta(hours=2), "trips": 4}])
    ws.features.apply([rider, _view(timedelta(hours=1))])
    ws.features.materialize("rider_flip")
    seen = []
    for i in range(20):
        ttl, expected = (timedelta(days=1), PRESENT) if i % 2 else (timedelta(hours=1), EXPIRED)
        ws.features.apply([rider, _view(ttl)])
        status = ws.features.online(["rider_flip:trips"], [{"rider_id": 1}]).status[0]["trips"]
        seen.append((i, status, expected))
    assert [s for s in seen if s[1] != s[2]] == []


def test_a_caller_changing_a_list_value_changes_no_later_answer(ws: lw.Workspace) -> None:
    view = FeatureView(
        "rider_vec", entity="rider", timestamp="ts", features=["vec"], source="vectors"
    )
    write(ws, "vectors", [{"rider_id": 1, "ts": NOW, "vec": [0.1, 0.2]}])
    ws.features.apply([rider, view])
    ws.features.materialize("rider_vec")
    first = ws.features.online(["rider_vec:vec"], [{"rider_id": 1}, {"rider_id": 1}])
    first.values[0]["vec"].append(999.0)
    assert first.values[1]["vec"] == [0.1, 0.2]  # two rows of one answer share nothing
    again = ws.features.online(["rider_vec:vec"], [{"rider_id": 1}])
    assert again.values[0]["vec"] == [0.1, 0.2]


def _bool_keyed(ws: lw.Workspace) -> None:
    flag = Entity("flag", join_keys=["on"])
    view = FeatureView("by_flag", entity="flag", timestamp="ts", features=["n"], source="flags")
    write(ws, "flags", [{"on": True, "ts": NOW, "n": 1}, {"on": False, "ts": NOW, "n": 0}])
    ws.features.apply([flag, view])


def test_a_bool_key_materialized_is_found_online(ws: lw.Workspace) -> None:
    _bool_keyed(ws)
    ws.features.materialize("by_flag")
    found = ws.features.online(["by_flag:n"], [{"on": True}, {"on": False}, {"on": 1}])
    assert found.status == [{"n": PRESENT}, {"n": PRESENT}, {"n": "unknown_entity"}]
    assert [v["n"] for v in found.values] == [1, 0, None]


def test_a_bool_key_pushed_is_found_online(ws: lw.Workspace) -> None:
    _bool_keyed(ws)
    ws.features.push("by_flag", [{"on": True, "ts": NOW + timedelta(seconds=1), "n": 7}])
    found = ws.features.online(["by_flag:n"], [{"on": True}])
    assert found.status == [{"n": PRESENT}] and found.values == [{"n": 7}]


def _trips(ws: lw.Workspace, ttl: timedelta | None = None) -> None:
    if ttl is None:
        write(ws, "trips_src", [{"rider_id": 1, "ts": NOW, "trips": 4}])
    view = FeatureView(
        "rider_trips_now",
        entity="rider",
        timestamp="ts",
        features=["trips"],
        source="trips_src",
        ttl=ttl,
    )
    ws.features.apply([rider, view])


def test_a_snapshot_version_numbers_its_contents(
    ws: lw.Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refreshed with nothing changed: the same number; any new definition version: a new
    number, never one handed out before."""
    _trips(ws)
    registry = ws.platform.features.registry
    first = registry.snapshot(ws.ctx).version
    monkeypatch.setattr(registry_module, "SNAPSHOT_SECONDS", 0.0)  # every call rebuilds
    assert registry.snapshot(ws.ctx) is not registry.snapshot(ws.ctx)
    assert registry.snapshot(ws.ctx).version == first > 0
    seen = {first}
    for ttl in (timedelta(hours=1), timedelta(days=1), timedelta(hours=1)):
        _trips(ws, ttl)
        number = registry.snapshot(ws.ctx).version
        assert number not in seen
        seen.add(number)


def test_plans_are_keyed_by_value_and_bounded(ws: lw.Workspace) -> None:
    _trips(ws)
    ws.features.materialize("rider_trips_now")
    features = ws.platform.features
    read = ws.features.online(["rider_trips_now:trips"], [{"rider_id": 1}])
    assert read.values == [{"trips": 4}]
    (key,) = [k for k in features._plans._entries if k[0] == ws.ctx.workspace]
    version = features.registry.snapshot(ws.ctx).version
    assert key == (ws.ctx.workspace, version, ("rider_trips_now:trips",), False)
    assert isinstance(features._plans, BoundedCache) and features._plans.size == 1024
    plan = features._plans.get(key)
    with pytest.raises(FrozenInstanceError):
        plan.features = ("other",)  # type: ignore[misc]


def test_a_plan_is_cached_only_once_its_views_have_online_values(ws: lw.Workspace) -> None:
    _trips(ws)
    features = ws.platform.features
    for _ in range(2):  # refused each time, not only the first
        with pytest.raises(NotFoundError, match="rider_trips_now.*never materialized"):
            ws.features.online(["rider_trips_now:trips"], [{"rider_id": 1}])
    assert len(features._plans) == 0
    ws.features.materialize("rider_trips_now")
    assert ws.features.online(["rider_trips_now:trips"], [{"rider_id": 1}]).values == [{"trips": 4}]
    assert len(features._plans) == 1


def test_the_decode_cache_key_is_the_pairs_text() -> None:
    """Equal pairs give equal keys (so one cache entry), and the pairs travel with it."""
    pairs = (("trips", "trips"), ("rating", "rider_rating"))
    one, two = Decoding.of(pairs), Decoding.of(tuple(pairs))
    assert one == two and hash(one) == hash(two) and one is not two
    assert one == json.dumps(pairs) and one.pairs == pairs
    assert Decoding.of((("trips", "t"),)) != one
