"""A real ``lakeworks server`` process for the unmodified MLflow client, and the client's
settings: few, fast retries, so a restarted server is waited for in seconds."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

import lakeworks
from tests.conftest import free_port

pytest.importorskip(
    "mlflow", reason="the MLflow client is a test dependency (pip install -e .[dev])"
)


class Server:
    """``lakeworks server`` in a child process; ``restart`` kills it and starts it again
    on the same port and home."""

    def __init__(self, home: Path, **env: str) -> None:
        self.home = home
        self.env = env
        self.log = home.parent / "server.log"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = self._start()

    def _start(self) -> subprocess.Popen:
        src = str(Path(lakeworks.__file__).parents[1])
        env = dict(os.environ, LAKEWORKS_PROGRESS="false", **self.env)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
        process = subprocess.Popen(
            [sys.executable, "-m", "lakeworks.cli.app", "--home", str(self.home), "server"]
            + ["--port", str(self.port), "--no-scheduler", "--no-access-log"],
            env=env,
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, self.log.read_text()
            try:
                httpx.get(f"{self.url}/health", timeout=1)
                return process
            except httpx.TransportError:
                time.sleep(0.05)
        pytest.fail("lakeworks server did not start within 60 s")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()

    def restart(self) -> None:
        self.kill()
        self.process = self._start()


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for these tests (starting one takes seconds); each test uses its own
    experiments and models, so none depends on another's data."""
    server = Server(tmp_path_factory.mktemp("mlflow") / "lw")
    httpx.post(f"{server.url}/api/v1/workspaces", json={"name": "sales"}).raise_for_status()
    yield server
    server.kill()


@pytest.fixture
def mlflow(server: Server, monkeypatch: pytest.MonkeyPatch):
    """The ``mlflow`` module pointed at the server, with quick retries."""
    import mlflow

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "5")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "20")
    monkeypatch.delenv("MLFLOW_WORKSPACE", raising=False)
    mlflow.set_tracking_uri(server.url)
    yield mlflow
    while mlflow.active_run():
        mlflow.end_run()
    mlflow.set_tracking_uri(None)


def at_once(work: Callable[[int], None], workers: int = 2) -> list[BaseException]:
    """Run ``work(0)``, ``work(1)``, ... in threads at once; what they raised."""
    failures: list[BaseException] = []

    def guarded(worker: int) -> None:
        try:
            work(worker)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            failures.append(exc)

    threads = [threading.Thread(target=guarded, args=(w,)) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return failures
