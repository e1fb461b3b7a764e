"""A workspace over each event log backend: the embedded SQLite file, and real Redis
(127.0.0.1:6379; skipped with the reason when unreachable, failing under CI=true). Each
Redis test acts in a workspace of its own name and deletes that workspace's streams."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import lakeworks as lw
from lakeworks.config import Settings

from ..conftest import unavailable
from ..features.conftest import REDIS_URL, redis_reachable


@pytest.fixture(params=["sqlite", "redis"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Settings, str]]:
    """(settings, workspace name) of a fresh platform on one event log backend."""
    home = tmp_path / "lw"
    if request.param == "sqlite":
        yield Settings.load(home=home, progress=False), "default"
        return
    error = redis_reachable()
    if error:
        unavailable(f"Redis not reachable at {REDIS_URL}: {error}")
    name = f"t{uuid.uuid4().hex[:10]}"
    yield Settings.load(home=home, progress=False, events_url=REDIS_URL), name
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"lw:events:{name}/*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def sws(backend: tuple[Settings, str]) -> Iterator[lw.Workspace]:
    settings, name = backend
    workspace = lw.connect(settings=settings, workspace=name, user="tester", create=True)
    yield workspace
    workspace.platform.close()


def clicks(n: int, start: int = 0) -> list[dict]:
    """``n`` click events with 10 fields, ids ``start..start+n-1``."""
    return [
        {
            "id": i,
            "user_id": i % 97,
            "page": f"/p/{i % 13}",
            "referrer": "search",
            "country": "DE",
            "device": "mobile" if i % 2 else "desktop",
            "duration_ms": i * 3,
            "price": i / 4,
            "ok": i % 5 != 0,
            "ts": "2026-12-01T10:00:00",
        }
        for i in range(start, start + n)
    ]
