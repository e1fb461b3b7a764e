"""The quickstart in team mode: PostgreSQL, S3 (moto), Redis and a real Dask cluster.

Every service is real; locally a missing one skips the test, under CI=true it fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import lakeworks as lw
from lakeworks.config import Settings
from tests.conftest import S3_KEYS, unavailable
from tests.pipelines.test_dask import cluster  # noqa: F401 - the Dask cluster fixture

pytestmark = pytest.mark.slow
REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix this test owns in Redis; its keys are deleted afterwards."""
    import redis

    client = redis.Redis.from_url(REDIS, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        unavailable(f"Redis not reachable at {REDIS}: {exc}")
    prefix = f"lwteam-{uuid.uuid4().hex[:10]}"
    yield prefix
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def team_env(
    tmp_path: Path,
    postgres_url: str,
    s3_endpoint: str,
    s3_bucket: str,
    redis_prefix: str,
    cluster: tuple[str, list],  # noqa: F811
) -> dict[str, str]:
    """The environment a team sets: every LAKEWORKS_* variable of docs/deployment.md."""
    return {
        "LAKEWORKS_HOME": str(tmp_path / "lw"),
        "LAKEWORKS_METADATA_URL": postgres_url,
        "LAKEWORKS_STORAGE_URL": f"s3://{s3_bucket}/lake",
        "LAKEWORKS_S3_ENDPOINT_URL": s3_endpoint,
        "LAKEWORKS_S3_ALLOW_HTTP": "true",
        "LAKEWORKS_S3_ACCESS_KEY_ID": S3_KEYS["s3_access_key_id"],
        "LAKEWORKS_S3_SECRET_ACCESS_KEY": S3_KEYS["s3_secret_access_key"],
        "LAKEWORKS_ONLINE_URL": f"{REDIS}?prefix={redis_prefix}",
        "LAKEWORKS_EXECUTOR": cluster[0],
    }


def test_the_quickstart_runs_whole_in_team_mode(team_env: dict[str, str], redis_prefix: str):
    exe = Path(sys.executable).parent / "lakeworks"
    env = {**os.environ, **team_env}
    upgraded = subprocess.run(  # a team's catalog is migrated by an explicit step
        [str(exe), "db", "upgrade"], capture_output=True, text=True, timeout=120, env=env
    )
    assert upgraded.returncode == 0, upgraded.stderr
    done = subprocess.run(
        [str(exe), "quickstart", "--no-serve"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **team_env},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert "penguins.csv: succeeded: read 344, written 344, quarantined 0" in out
    assert "online Biscoe: {'avg_mass_g': " in out
    flat = " ".join(out.split())  # rich wraps long lines
    assert "(the default): 0 of 4 rows have a value, 4 not yet known" in flat  # as known, on S3
    assert "(published a month after the year): 4 of 4 rows have a value" in flat
    assert "pipeline run 1 succeeded" in out

    settings = Settings.load(
        **{k.removeprefix("LAKEWORKS_").lower(): v for k, v in team_env.items()}
    )
    assert settings.metadata_url.startswith("postgresql")
    ws = lw.connect("quickstart", settings=settings, create=False)
    try:
        assert ws.platform.storage.capabilities.native_scan is False  # really on S3
        run = ws.pipelines.run_info(1)
        workers = {t.worker for t in run.tasks}
        assert all(w and w.startswith("tcp://127.0.0.1:") for w in workers), workers
        online = ws.features.online(["island_stats:penguins"], [{"island": "Dream"}])
        assert online.values[0]["penguins"] > 0
    finally:
        ws.platform.close()
    import redis

    client = redis.Redis.from_url(REDIS)
    assert list(client.scan_iter(match=f"{redis_prefix}:quickstart:*"))  # online rows in Redis
    client.close()
