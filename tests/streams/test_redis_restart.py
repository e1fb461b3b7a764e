"""A sink keeps going when its Redis server is killed and started again: no event lost,
none written twice. Uses a redis-server of its own on a free port (append-only file,
fsync always), never the shared one."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

import lakeworks as lw
from lakeworks.config import Settings

from ..conftest import free_port, unavailable
from .conftest import clicks


class RedisServer:
    def __init__(self, folder: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            unavailable("redis-server is not installed")
        self.port = free_port()
        self.command = [
            binary,
            "--port",
            str(self.port),
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--dir",
            str(folder),
        ]
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL)
        until(lambda: _pings(self.url), "redis-server to answer")

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)


def _pings(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.2).ping())
    except redis.ConnectionError:
        return False


def until(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_a_sink_resumes_after_redis_restarts_without_loss_or_duplicates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("lakeworks.streams.service.RETRY_WAIT", 0.1)
    server = RedisServer(tmp_path)
    server.start()
    settings = Settings.load(home=tmp_path / "lw", events_url=server.url, progress=False)
    ws = lw.connect(settings=settings, user="tester")
    stop, errors = threading.Event(), []

    def run() -> None:
        try:
            ws.streams.ingest("clicks", "clicks", every="100ms", stop=stop)
        except Exception as exc:  # the test reports it
            errors.append(exc)

    def rows() -> int:
        exists = ws.platform.tables.exists(ws.ctx, "clicks")
        return ws.read("clicks", columns=["id"]).num_rows if exists else 0

    ws.streams.publish("clicks", clicks(100))
    sink = threading.Thread(target=run)
    sink.start()
    try:
        until(lambda: rows() == 100, "the first 100 events")
        server.kill()
        time.sleep(0.5)  # the sink meets the dead server
        server.start()
        ws.streams.publish("clicks", clicks(100, 100))
        until(lambda: rows() == 200 or bool(errors), "the next 100 events")
    finally:
        stop.set()
        sink.join(timeout=30)
        server.kill()
        ws.platform.close()
    assert errors == []
    retried = [
        r for r in caplog.records if r.name == "lakeworks.streams" and "retrying" in r.message
    ]
    assert retried, "the sink never met the dead server"
    assert "cannot be reached" in retried[0].getMessage()
    ids = ws.read("clicks", columns=["id"]).column("id").to_pylist()
    assert sorted(ids) == list(range(200))
