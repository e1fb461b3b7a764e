"""Runaway SQL over REST: timeouts, a client that disconnects, a server that shuts down.

The last two start the real ``lakeworks server`` process: only a real connection can go
away, and only a real process receives SIGTERM.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from fastapi.testclient import TestClient

import lakeworks
from lakeworks.config import Settings
from lakeworks.server.app import create_app
from tests.conftest import free_port

# a regression would run forever: fail the test instead (the thread method works while
# the main thread is inside DuckDB)
pytestmark = pytest.mark.timeout(60, method="thread")

SQL = "/api/v1/workspaces/sales/sql"
RUNAWAY = "select count(*) from range(1e14::bigint) a(x) where x % 7 = 3"
GAUGE = "lakeworks_sql_statements_running "


def test_timeout_in_the_request_is_a_504(client: TestClient) -> None:
    started = time.monotonic()
    response = client.post(SQL, json={"query": RUNAWAY, "timeout": 0.5})
    assert response.status_code == 504
    assert response.json()["error"] == "StatementTimeoutError"
    assert response.json()["details"]["timeout"] == 0.5
    assert time.monotonic() - started < 5
    assert client.post(SQL, json={"query": "select 1 as one"}).json()["rows"] == [[1]]


def test_the_server_setting_is_the_default_timeout(tmp_path: Path) -> None:
    settings = Settings.load(home=tmp_path / "lw", statement_timeout=0.5, duckdb_threads=1)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        client.post("/api/v1/workspaces", json={"name": "sales"})
        response = client.post(SQL, json={"query": RUNAWAY})
    assert response.status_code == 504
    assert "0.5 s" in response.json()["message"]


@pytest.mark.parametrize("timeout", [0, 301])
def test_a_request_cannot_lift_the_server_limit(client: TestClient, timeout: float) -> None:
    response = client.post(SQL, json={"query": RUNAWAY, "timeout": timeout})
    assert response.status_code == 422
    assert "statement_timeout is 300 s" in response.json()["message"]


class Server:
    """``lakeworks server`` in a child process, with workspace ``sales``."""

    def __init__(self, home: Path) -> None:
        self.log = home.parent / "server.log"
        self.url = f"http://127.0.0.1:{free_port()}"
        src = str(Path(lakeworks.__file__).parents[1])
        env = dict(os.environ, LAKEWORKS_DUCKDB_THREADS="1", LAKEWORKS_PROGRESS="false")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
        port = self.url.rsplit(":", 1)[1]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lakeworks.cli.app", "--home", str(home), "server"]
            + ["--port", port, "--no-scheduler", "--no-access-log"],
            env=env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )
        self._wait_healthy()
        httpx.post(f"{self.url}/api/v1/workspaces", json={"name": "sales"}).raise_for_status()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                httpx.get(f"{self.url}/health", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        pytest.fail("lakeworks server did not start within 60 s")

    def busy_cpu_seconds(self, window_s: float) -> float:
        """CPU seconds the server used over the next ``window_s`` seconds."""
        process = psutil.Process(self.process.pid)
        before = sum(process.cpu_times()[:2])
        time.sleep(window_s)
        return sum(process.cpu_times()[:2]) - before

    def running_statements(self) -> float:
        """The lakeworks_sql_statements_running gauge at /metrics."""
        text = httpx.get(f"{self.url}/metrics").text
        line = next(li for li in text.splitlines() if li.startswith(GAUGE))
        return float(line.split()[-1])

    def wait_running(self, count: int) -> None:
        deadline = time.monotonic() + 10
        while self.running_statements() < count:
            assert time.monotonic() < deadline, f"{count} statements never ran at once"
            time.sleep(0.1)

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        return self.log.read_text()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    server = Server(tmp_path / "lw")
    yield server
    server.stop()


def test_a_disconnected_client_stops_its_query(server: Server) -> None:
    with pytest.raises(httpx.ReadTimeout):  # the client gives up and closes the connection
        httpx.post(f"{server.url}{SQL}", json={"query": RUNAWAY}, timeout=1.5)
    time.sleep(1.0)  # the server polls the connection every 0.2 s
    # a query still running would keep one DuckDB thread busy: ~1 CPU second per second
    assert server.busy_cpu_seconds(2.0) < 0.3
    assert server.running_statements() == 0


def test_sigterm_cancels_running_queries_and_exits(server: Server) -> None:
    answers: list[httpx.Response] = []
    url = f"{server.url}{SQL}"
    threads = [
        threading.Thread(target=lambda: answers.append(httpx.post(url, json={"query": RUNAWAY})))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    server.wait_running(2)
    time.sleep(0.3)  # inside DuckDB by now
    started = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the server ignored SIGTERM for 10 s:\n{server.stop()}")
    assert time.monotonic() - started < 10
    for thread in threads:
        thread.join(5)
    assert [a.status_code for a in answers] == [503, 503]
    assert {a.json()["details"]["reason"] for a in answers} == {"shutdown"}
