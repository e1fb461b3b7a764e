"""Online reads served from caches that cannot go stale or be changed by a caller."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import lakeworks as lw
from lakeworks.features import Entity, FeatureView
from lakeworks.features.lookup import EXPIRED, PRESENT
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
