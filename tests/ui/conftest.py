"""A real ``lakeworks server`` process and a headless Chromium for each test module.

A module defines a module-scoped ``seed(home)`` fixture that makes its data through the
services (a Platform on the server's home) before the server starts; the module's tests
then share one server and one browser session (starting Chromium takes a second or two).
Screenshots go to ``<pytest's temp dir>/artifacts/ui`` (or ``$LAKEWORKS_UI_ARTIFACTS``).
Without Chromium and chromedriver the tests skip (``apt-get install chromium
chromium-driver``); under CI=true they fail instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import lakeworks
from lakeworks.config import Settings
from lakeworks.platform import Platform
from tests.conftest import free_port, unavailable

pytest.importorskip("selenium", reason="selenium is a test dependency (pip install -e .[dev])")

from tests.ui.browser import Browser, chromium, start  # noqa: E402


class Server:
    """``lakeworks server`` in a child process on a free port, over ``home``."""

    def __init__(
        self, home: Path, scheduler: bool = False, env: dict[str, str] | None = None
    ) -> None:
        self.home = home
        self.log = home.parent / "server.log"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        src = str(Path(lakeworks.__file__).parents[1])
        extra = env or {}
        env = {k: v for k, v in os.environ.items() if not k.startswith("LAKEWORKS_")}
        env.update(LAKEWORKS_PROGRESS="false", PYTHONPATH=src, **extra)
        command = [sys.executable, "-m", "lakeworks.cli.app", "--home", str(home), "server"]
        command += ["--port", str(self.port), "--no-access-log"]
        command += [] if scheduler else ["--no-scheduler"]
        self.process = subprocess.Popen(
            command, env=env, stdout=self.log.open("a"), stderr=subprocess.STDOUT
        )
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                httpx.get(f"{self.url}/health", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.05)
        pytest.fail("lakeworks server did not start within 60 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def open_platform(home: Path) -> Platform:
    """A Platform on ``home`` with a ``default`` workspace, for a module's seed."""
    platform = Platform.open(Settings.load(home=home, progress=False))
    platform.catalog.create_workspace("default", "tester", exist_ok=True)
    return platform


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ui") / "lw"


@pytest.fixture(scope="module")
def seed(home: Path) -> None:
    """Data made before the server starts; modules override it."""
    open_platform(home).close()


@pytest.fixture(scope="module")
def server(home: Path, seed: None) -> Iterator[Server]:
    server = Server(home)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    found = chromium()
    if found is None:
        unavailable(
            "Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)"
        )
    where = os.environ.get("LAKEWORKS_UI_ARTIFACTS")
    artifacts = Path(where) if where else tmp_path_factory.getbasetemp() / "artifacts" / "ui"
    (artifacts / "downloads").mkdir(parents=True, exist_ok=True)
    driver = start(*found, artifacts / "downloads")
    try:
        yield Browser(driver, server.url, artifacts)
    finally:
        driver.quit()
