"""Dedicated replicas: ``lakeworks serve`` processes on one PostgreSQL catalog see changes
made elsewhere within the version TTL, one killed under load leaves the other serving,
and every request keeps one id; the version poll and the replica app in-process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest
from fastapi.testclient import TestClient

import lakeworks
from lakeworks.config import Settings
from lakeworks.context import Context
from lakeworks.errors import NotFoundError
from lakeworks.platform import Platform
from lakeworks.server.replica import create_replica_app, served_endpoints
from lakeworks.serving.versions import VersionPoll
from tests.conftest import free_port
from tests.serving.conftest import _fit

ROW = {"age": 40, "income": 70.0}
TTL_MS = 300


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_version_poll_reads_at_most_once_per_ttl() -> None:
    reads: list[str] = []
    versions = {"churn": 1}

    def read(ws: str, name: str) -> int:
        reads.append(name)
        if name not in versions:
            raise NotFoundError(f"endpoint {name!r} does not exist")
        return versions[name]

    clock = Clock()
    poll = VersionPoll(read, ttl=1.0, clock=clock)
    assert [poll.current("default", "churn") for _ in range(3)] == [1, 1, 1]
    versions["churn"] = 2
    clock.now = 0.9
    assert poll.current("default", "churn") == 1 and reads == ["churn"]  # stale within ttl
    clock.now = 1.0
    assert poll.current("default", "churn") == 2 and len(reads) == 2  # re-read at the ttl
    poll.seen("default", "churn", 3)  # written by this process: at once
    assert poll.current("default", "churn") == 3 and len(reads) == 2
    poll.forget("default", "churn")
    assert poll.current("default", "churn") == 2 and len(reads) == 3
    for _ in range(2):  # an unknown endpoint is asked for each time, never remembered
        with pytest.raises(NotFoundError):
            poll.current("default", "nope")
    assert reads.count("nope") == 2
    assert VersionPoll(read, ttl=0).current("default", "churn") == 2  # 0: every request


def test_the_replica_app_answers_only_its_endpoints(tmp_path: Path, frame) -> None:  # noqa: ANN001
    settings = Settings.load(home=tmp_path / "lw", progress=False, serving_endpoints="churn")
    assert served_endpoints(settings) == frozenset({("default", "churn")})
    assert served_endpoints(settings.model_copy(update={"serving_endpoints": ""})) is None
    platform = Platform.open(settings)
    ctx = Context("default", "tester")
    platform.catalog.create_workspace("default", "tester", exist_ok=True)
    platform.registry.register(ctx, "churn", model=_fit(frame, False), training_data=frame)
    platform.serving.deploy(ctx, "churn", "churn/1")
    platform.serving.deploy(ctx, "other", "churn/1")
    platform.close()
    with TestClient(create_replica_app(settings)) as http:
        assert http.get("/health").json()["status"] == "ok"
        body = http.post("/serve/default/churn/predict", json={"rows": [ROW]}).json()
        assert body["model"] == "churn/1"
        other = http.post("/serve/default/other/predict", json={"rows": [ROW]})
        assert other.status_code == 404 and "not served by this replica" in other.text
        assert http.get("/api/v1/workspaces").status_code == 404  # no management routes
        assert 'route="/serve/{workspace}/{endpoint}/predict"' in http.get("/metrics").text


class Replica:
    """``lakeworks serve`` in a child process (its own session, so it can be killed)."""

    def __init__(self, home: Path, catalog: str, workers: int) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log = home.parent / f"replica-{port}.log"
        src = str(Path(lakeworks.__file__).parents[1])
        env = dict(os.environ, LAKEWORKS_METADATA_URL=catalog, LAKEWORKS_PROGRESS="false")
        env["LAKEWORKS_SERVING_VERSION_TTL_MS"] = str(TTL_MS)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lakeworks.cli.app", "--home", str(home), "serve"]
            + ["--endpoints", "churn", "--workers", str(workers), "--port", str(port)],
            env=env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        pytest.fail(f"replica did not start within 90 s: {self.log.read_text()}")

    def model(self) -> str:
        return httpx.post(f"{self.url}/serve/default/churn/predict", json={"rows": [ROW]}).json()[
            "model"
        ]

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
        self.process.wait(timeout=30)


@pytest.fixture
def replicas(tmp_path: Path, postgres_catalog: str, frame: pd.DataFrame) -> Iterator[tuple]:
    home = tmp_path / "lw"
    platform = Platform.open(
        Settings.load(home=home, progress=False, metadata_url=postgres_catalog)
    )
    ctx = Context("default", "tester")
    platform.catalog.create_workspace("default", "tester", exist_ok=True)
    for flip in (False, True):
        platform.registry.register(ctx, "churn", model=_fit(frame, flip), training_data=frame)
    platform.serving.deploy(ctx, "churn", "churn/1")
    started = [Replica(home, postgres_catalog, 2), Replica(home, postgres_catalog, 1)]
    try:
        for replica in started:
            replica.wait_healthy()
        yield platform, ctx, started
    finally:
        for replica in started:
            replica.kill(signal.SIGTERM if replica.process.poll() is None else signal.SIGKILL)
        platform.close()


def test_two_replicas_see_a_promote_and_survive_one_killed_under_load(replicas) -> None:
    platform, ctx, (first, second) = replicas
    assert first.model() == second.model() == "churn/1"
    platform.serving.deploy(ctx, "churn", "churn/2", "shadow")
    platform.serving.promote(ctx, "churn")  # the candidate takes all traffic
    time.sleep(TTL_MS / 1000 + 0.2)  # the staleness bound
    assert first.model() == second.model() == "churn/2"
    answered, errors = _load_while_killing(first, second)
    assert errors == []
    assert len(answered) == len(set(answered)) > 50  # each request id answered exactly once
    assert set(answered.values()) == {first.url, second.url}  # both answered before the kill
    assert second.process.returncode == -signal.SIGKILL


def _load_while_killing(first: Replica, second: Replica) -> tuple[dict[str, str], list[str]]:
    """Four client threads send requests round-robin for 3 s, retrying a request on the
    other replica (with its id) when one fails to answer; ``second`` is SIGKILLed at 1 s.
    Returns {request id: url of the replica that answered} and the failures."""
    answered: dict[str, str] = {}
    errors: list[str] = []
    stop = time.monotonic() + 3
    lock = threading.Lock()

    def client(offset: int) -> None:
        urls = [second.url, first.url] if offset % 2 else [first.url, second.url]
        with httpx.Client(timeout=5) as http:
            while time.monotonic() < stop:
                request_id = uuid.uuid4().hex
                for url in urls:
                    try:
                        response = http.post(
                            f"{url}/serve/default/churn/predict",
                            json={"rows": [ROW]},
                            headers={"X-Request-Id": request_id},
                        )
                    except httpx.TransportError:
                        continue  # that replica is gone: the same request to the other
                    with lock:
                        if response.status_code != 200 or request_id in answered:
                            errors.append(f"{request_id}: {response.status_code}")
                        answered[request_id] = url
                    break
                else:
                    with lock:
                        errors.append(f"{request_id}: no replica answered")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(1)
    second.kill()
    for thread in threads:
        thread.join()
    return answered, errors


def test_serve_refuses_an_unknown_endpoint_before_starting(cli) -> None:  # noqa: ANN001
    cli("workspaces", "create", "default")
    result = cli("serve", "--endpoints", "nope", "--port", str(free_port()))
    assert result.exit_code == 1
    assert "endpoint 'nope' does not exist" in result.output


def test_a_replica_flushes_its_counts_while_serving_and_its_log_at_shutdown(
    tmp_path: Path,
    frame,  # noqa: ANN001
) -> None:
    home = tmp_path / "lw"
    platform = Platform.open(Settings.load(home=home, progress=False))
    ctx = Context("default", "tester")
    platform.catalog.create_workspace("default", "tester", exist_ok=True)
    platform.registry.register(ctx, "churn", model=_fit(frame, False), training_data=frame)
    platform.serving.deploy(ctx, "churn", "churn/1")
    settings = Settings.load(
        home=home,
        progress=False,
        serving_endpoints="churn",
        serving_health=False,  # this replica only flushes; the judge is elsewhere
        serving_health_interval=0.1,
        serving_log_flush_interval=600,  # after its first write, the rest waits for shutdown
    )
    with TestClient(create_replica_app(settings)) as http:
        ids = [
            http.post("/serve/default/churn/predict", json={"rows": [ROW]}).headers["x-request-id"]
            for _ in range(6)
        ]
        deadline = time.monotonic() + 10
        while not (slots := platform.serving.metrics(ctx, "churn", window=60).slots):
            assert time.monotonic() < deadline, "the replica's counts never reached the catalog"
            time.sleep(0.1)
        assert [(s.slot, s.stats.requests) for s in slots] == [("live", 6)]
    assert [platform.serving.trace(ctx, i).model["ref"] for i in ids] == ["churn/1"] * 6
    platform.close()
