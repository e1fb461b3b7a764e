"""The real ``lakeworks server`` process: start, serve requests over TCP, stop."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port

START_TIMEOUT_S = 30


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    exe = Path(sys.executable).parent / "lakeworks"
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "lakeworks.cli.app"]
    port = free_port()
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(
        [*command, "--home", str(tmp_path / "lw"), "server", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, tmp_path / "server.log")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"lakeworks server exited with {proc.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"lakeworks server not healthy within {START_TIMEOUT_S} s:\n{log.read_text()}")


def test_server_process_serves_the_api(server: str) -> None:
    with httpx.Client(base_url=server, timeout=10) as http:
        assert http.get("/health").json()["status"] == "ok"
        assert http.post("/api/v1/workspaces", json={"name": "sales"}).status_code == 201
        rows = [{"id": 1, "amount": 2.5}, {"id": 2, "amount": 4.0}]
        written = http.post("/api/v1/workspaces/sales/tables/orders/rows", json={"rows": rows})
        assert written.status_code == 201
        query = {"query": "select sum(amount) as total from orders"}
        assert http.post("/api/v1/workspaces/sales/sql", json=query).json()["rows"] == [[6.5]]
        bad = http.post("/api/v1/workspaces/sales/sql", json={"query": "select nope"})
        assert bad.status_code == 422 and "Traceback" not in bad.text
        assert "lakeworks_http_requests_total" in http.get("/metrics").text
