"""Two real ``lakeworks serve`` processes on one PostgreSQL catalog and one Redis share a
serving requests-per-second quota: a burst sent to both within one second is admitted up to
the limit in all (less at most the lease slack), and every other request is answered 429
naming the quota, its limit and the shared use. Needs PostgreSQL and Redis: skipped with a
reason on a machine without them, failed under CI=true."""

from __future__ import annotations

import math
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

from lakeworks import limits
from lakeworks.config import Settings
from lakeworks.context import Context
from lakeworks.platform import Platform
from lakeworks.security.rates.redis import LEASE_SHARE
from tests.security.test_rates import redis_url  # noqa: F401 - the fixture
from tests.serving.conftest import _fit
from tests.serving.test_replicas import ROW, Replica

RPS = limits.SERVING_REQUESTS_PER_SECOND
LIMIT = 40  # leases of 2 requests: each process may refuse one early
BURST = 80  # requests, half to each replica: at least 40 refused


@pytest.fixture
def pair(
    tmp_path: Path,
    postgres_catalog: str,
    redis_url: str,  # noqa: F811 - the fixture imported above
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Replica, Replica]]:
    """``churn`` deployed with a quota of LIMIT requests per second, served by two
    ``lakeworks serve`` processes counting it in one Redis (``LAKEWORKS_QUOTA_URL``)."""
    home = tmp_path / "lw"
    rng = np.random.default_rng(7)
    frame = pd.DataFrame({"age": rng.integers(18, 80, 100), "income": rng.normal(50, 15, 100)})
    settings = Settings.load(home=home, progress=False, metadata_url=postgres_catalog)
    platform = Platform.open(settings)
    ctx = Context("default", "tester")
    try:
        platform.catalog.create_workspace("default", "tester", exist_ok=True)
        platform.registry.register(ctx, "churn", model=_fit(frame, False), training_data=frame)
        platform.serving.deploy(ctx, "churn", "churn/1")
        platform.quotas.set(ctx, RPS, LIMIT)
    finally:
        platform.close()
    monkeypatch.setenv("LAKEWORKS_QUOTA_URL", redis_url)  # the children's environment
    started = [Replica(home, postgres_catalog, 1), Replica(home, postgres_catalog, 1)]
    try:
        for replica in started:
            replica.wait_healthy()
            assert replica.model() == "churn/1"  # loaded, and the quota admits one
        yield started[0], started[1]
    finally:
        for replica in started:
            replica.kill(signal.SIGTERM if replica.process.poll() is None else signal.SIGKILL)


def _burst(urls: list[str]) -> tuple[list[tuple[str, httpx.Response]], float, float]:
    """BURST requests, alternating between ``urls``, from eight client threads started
    just after a second of the clock begins; the answers and the wall-clock span."""
    time.sleep(1.02 - time.time() % 1)  # the start of a fresh second
    answers: list[tuple[str, httpx.Response]] = []
    lock = threading.Lock()
    queue = [urls[i % len(urls)] for i in range(BURST)]
    begun = time.time()

    def client() -> None:
        with httpx.Client(timeout=10) as http:
            while True:
                with lock:
                    if not queue:
                        return
                    url = queue.pop()
                answer = http.post(f"{url}/serve/default/churn/predict", json={"rows": [ROW]})
                with lock:
                    answers.append((url, answer))

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers, begun, time.time()


def test_two_serve_processes_share_one_requests_per_second_quota(pair) -> None:  # noqa: ANN001
    first, second = pair
    urls = [first.url, second.url]
    for _ in range(5):  # a burst that straddled two seconds is sent again
        answers, begun, ended = _burst(urls)
        if int(begun) == int(ended):
            break
    else:
        pytest.fail(f"five bursts of {BURST} requests each took more than the second they began in")
    codes = [a.status_code for _, a in answers]
    assert len(answers) == BURST and set(codes) <= {200, 429}, codes
    admitted = codes.count(200)
    slack = 2 * (max(1, math.ceil(LIMIT * LEASE_SHARE)) - 1)  # tokens leased, unspent
    assert LIMIT - slack <= admitted <= LIMIT, (admitted, codes)
    by_replica = {url: [a.status_code for u, a in answers if u == url] for url in urls}
    for url, mine in by_replica.items():  # each process admitted some and refused some
        assert 200 in mine and 429 in mine, (url, mine)
    for _, answer in answers:
        if answer.status_code == 429:
            body = answer.json()
            assert body["details"]["quota"] == RPS and body["details"]["limit"] == LIMIT
            used = body["details"]["used"]
            assert LIMIT - slack <= used <= LIMIT, body  # the shared use, not one process's
            assert RPS in body["message"] and f"in use {used:g}" in body["message"], body
