"""Rate quotas (requests per second) counted together by every process sharing Redis,
and per process without it; a refusal names the quota, its limit and the shared use."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from lakeworks import limits
from lakeworks.config import Settings
from lakeworks.context import Context
from lakeworks.errors import InvalidInputError, QuotaExceededError
from lakeworks.platform import Platform
from lakeworks.security.rates import LocalRates, rate_url, rates_from_settings
from lakeworks.security.rates.redis import RedisRates
from tests.conftest import free_port, unavailable

REDIS = "redis://127.0.0.1:6379/0"
RPS = limits.SERVING_REQUESTS_PER_SECOND
NOW = 1_000_000.0  # a fixed second of the clock: the tests never straddle two


@pytest.fixture
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError as error:
        unavailable(f"Redis not reachable at {REDIS}: {error}")
    return f"{REDIS}?prefix=test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def replicas(tmp_path: Path, redis_url: str) -> Iterator[tuple[Platform, Platform]]:
    """Two platforms on one catalog sharing one Redis: two replicas of a deployment."""
    settings = Settings.load(home=tmp_path / "lw", progress=False, quota_url=redis_url)
    pair = (Platform.open(settings), Platform.open(settings))
    for p in pair:
        p._quotas.rates.clock = lambda: NOW
        p._quotas.rates.ttl = 60  # a loaded machine may take seconds between takes
    pair[0].catalog.create_workspace("default", "owner", exist_ok=True)
    yield pair
    for p in pair:
        p.close()


def take(platform: Platform, times: int) -> None:
    for _ in range(times):
        platform._quotas.check("default", RPS, adding=1)


def test_two_replicas_sharing_redis_together_stop_at_the_limit(
    replicas: tuple[Platform, Platform],
) -> None:
    a, b = replicas
    a.quotas.set(Context("default", "owner"), RPS, 10)
    take(a, 6)
    take(b, 4)  # a burst of exactly the limit, split over both, passes
    with pytest.raises(QuotaExceededError) as excinfo:
        take(b, 1)
    fields = excinfo.value.fields
    assert (fields["quota"], fields["limit"], fields["used"]) == (RPS, 10, 10)
    assert "serving_requests_per_second" in str(excinfo.value) and "in use 10" in str(excinfo.value)
    with pytest.raises(QuotaExceededError):
        take(a, 1)  # the other replica is refused too
    shown = {q.name: q for q in a.quotas.show(Context("default", "owner"))}
    assert shown[RPS].used == 10  # show gives the shared count
    for p in replicas:  # the next second starts a new count everywhere
        p._quotas.rates.clock = lambda: NOW + 1
    take(b, 1)


def test_leases_never_admit_more_than_the_limit(replicas: tuple[Platform, Platform]) -> None:
    a, b = replicas
    a.quotas.set(Context("default", "owner"), RPS, 200)  # leases of 10 requests
    admitted = 0
    for _ in range(150):
        for p in (a, b):
            try:
                take(p, 1)
                admitted += 1
            except QuotaExceededError as exc:
                assert exc.fields["used"] == 200  # refused only once the leases took it all
    assert admitted == 200


def test_without_redis_each_process_counts_alone(tmp_path: Path) -> None:
    settings = Settings.load(home=tmp_path / "lw", progress=False)
    assert rate_url(settings) is None
    a, b = Platform.open(settings), Platform.open(settings)
    try:
        a.catalog.create_workspace("default", "owner", exist_ok=True)
        a.quotas.set(Context("default", "owner"), RPS, 3)
        for p in (a, b):
            assert isinstance(p._quotas.rates, LocalRates)
            p._quotas.rates.clock = lambda: NOW
            take(p, 3)  # the documented bound: each process admits the limit
        with pytest.raises(QuotaExceededError):
            take(a, 1)
    finally:
        a.close()
        b.close()


def test_the_counter_url_comes_from_the_settings(tmp_path: Path) -> None:
    home = tmp_path / "lw"
    assert rate_url(Settings.load(home=home, online_url=REDIS)) == REDIS
    assert rate_url(Settings.load(home=home, events_url=REDIS + "1")) == REDIS + "1"
    assert rate_url(Settings.load(home=home, online_url=REDIS, quota_url="local")) == "local"
    assert isinstance(rates_from_settings(Settings.load(home=home, quota_url="local")), LocalRates)
    with pytest.raises(InvalidInputError, match="unknown quota counter URL") as excinfo:
        rates_from_settings(Settings.load(home=home, quota_url="memcached://x:1"))
    assert excinfo.value.fields["setting"] == "quota_url"


def test_an_unreachable_redis_falls_back_to_counting_in_this_process(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rates = RedisRates(f"redis://127.0.0.1:{free_port()}/0", timeout=0.2, clock=lambda: NOW)
    with caplog.at_level(logging.WARNING, "lakeworks.security"):
        assert [rates.take("default", RPS, 2) for _ in range(3)] == [None, None, 2]
        assert rates._retry_at > 0  # the next requests skip Redis for a while
        rates._retry_at = 0.0  # retry now: still down, still one warning
        assert rates.take("default", RPS, 2) == 2
    warnings = [r for r in caplog.records if "count per process" in r.getMessage()]
    assert len(warnings) == 1 and "127.0.0.1" in warnings[0].getMessage()
    assert rates.used("default", RPS) == 2
    rates.close()
