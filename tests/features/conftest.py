from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

import lakeworks as lw
from lakeworks.features import Entity, FeatureService, FeatureView
from tests.conftest import unavailable

REDIS_URL = "redis://127.0.0.1:6379/0"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

rider = Entity("rider", join_keys=["rider_id"])
trips = FeatureView(
    "rider_trips",
    entity="rider",
    timestamp="ts",
    features=["trips", "rating"],
    source="rider_events",
    ttl=timedelta(days=2),
    owner="ml-team",
    tags={"team": "pricing"},
)


def write(ws: lw.Workspace, table: str, rows: list[dict]) -> datetime:
    """Append rows; returns the commit time of the new version (when lakeworks learned it)."""
    ws.write(table, rows)
    stamp = ws.history(table, 1)[0].timestamp
    time.sleep(0.01)  # the next commit gets a later millisecond
    return stamp


@pytest.fixture
def rides(ws: lw.Workspace) -> lw.Workspace:
    """Workspace with rider_events (two riders, values over three days) and the definitions."""
    write(
        ws,
        "rider_events",
        [
            {"rider_id": 1, "ts": T0, "trips": 10, "rating": 4.5},
            {"rider_id": 1, "ts": T0 + timedelta(days=1), "trips": 11, "rating": 4.6},
            {"rider_id": 2, "ts": T0, "trips": 3, "rating": None},
            {"rider_id": 1, "ts": T0 + timedelta(days=3), "trips": 14, "rating": 4.7},
        ],
    )
    ws.features.apply([rider, trips, FeatureService("pricing", ["rider_trips"])])
    return ws


def redis_reachable() -> str | None:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
        return None
    except Exception as exc:  # any failure: not usable here
        return str(exc)


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    error = redis_reachable()
    if error:
        unavailable(f"Redis not reachable at {REDIS_URL}: {error}")
    import redis

    prefix = f"lwtest-{uuid.uuid4().hex[:10]}"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()
