"""Real NATS (JetStream) and MQTT servers for the source tests: the machine's own ones
when they answer (127.0.0.1:4222 with JetStream, 127.0.0.1:1883), else a nats-server /
mosquitto of the test's own on a free port; skipped with the reason when neither can
be had (failing under CI=true). ``NatsServer`` is also used alone, to be restarted."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from ..conftest import free_port, unavailable


def need(module: str, package: str) -> None:
    """Skip (fail under CI=true) when the client library is not installed."""
    try:
        __import__(module)
    except ImportError:
        unavailable(f"{package} is not installed (pip install 'lakeworks[streams]')")


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def _wait_port(port: int, what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not _answers(port):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what} on port {port}")
        time.sleep(0.05)


class NatsServer:
    """A nats-server with JetStream (file storage in ``folder``) on a free port."""

    def __init__(self, folder: Path) -> None:
        binary = shutil.which("nats-server")
        if binary is None:
            unavailable("nats-server is not installed and no NATS answers on 127.0.0.1:4222")
        self.port = free_port()
        self.command = [binary, "-js", "-a", "127.0.0.1", "-p", str(self.port), "-sd", str(folder)]
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _wait_port(self.port, "nats-server")

    def stop(self, kill: bool = False) -> None:
        """Stop the server: gracefully, or with ``kill`` by SIGKILL."""
        if self.process is not None and self.process.poll() is None:
            (self.process.kill if kill else self.process.terminate)()
            self.process.wait(timeout=10)


async def _jetstream_error(url: str) -> str | None:
    import nats

    try:
        nc = await nats.connect(url, connect_timeout=1, max_reconnect_attempts=0)
    except Exception as exc:  # any failure means: not usable
        return f"{type(exc).__name__}: {exc}"
    try:
        await nc.jetstream().account_info()
        return None
    except Exception as exc:
        return f"JetStream not enabled: {exc}"
    finally:
        await nc.close()


def nats_url(tmp_path: Path) -> tuple[str, NatsServer | None]:
    """The shared server's URL when it runs JetStream, else one of the test's own."""
    need("nats", "nats-py")
    if _answers(4222) and asyncio.run(_jetstream_error("nats://127.0.0.1:4222")) is None:
        return "nats://127.0.0.1:4222", None
    server = NatsServer(tmp_path / "nats")
    server.start()
    return server.url, server


def mqtt_port(tmp_path: Path) -> tuple[int, subprocess.Popen | None]:
    """The shared broker's port, else the port of a mosquitto of the test's own."""
    need("paho.mqtt", "paho-mqtt")
    if _answers(1883):
        return 1883, None
    return own_mosquitto(tmp_path)


# what docs/streams.md recommends for a sink: no in-flight window, no queue limit (the
# defaults, 20 and 1000, make Mosquitto drop what a burst puts beyond them)
MOSQUITTO_SETTINGS = "max_inflight_messages 0\nmax_queued_messages 0\n"


def own_mosquitto(tmp_path: Path) -> tuple[int, subprocess.Popen]:
    """A mosquitto of the test's own on a free port, configured as the docs recommend."""
    binary = shutil.which("mosquitto")
    if binary is None:
        unavailable("mosquitto is not installed (and no MQTT broker answers on 1883)")
    port = free_port()
    config = tmp_path / "mosquitto.conf"
    config.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\n{MOSQUITTO_SETTINGS}")
    process = subprocess.Popen([binary, "-c", str(config)], stderr=subprocess.DEVNULL)
    _wait_port(port, "mosquitto")
    return port, process
