"""A real Dask cluster for tests: a scheduler and two single-thread workers on 127.0.0.1,
without nannies (so killing a worker is a real loss). Import ``cluster`` into a test module
to use it there (module scope: each module gets its own cluster)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port

DASK = str(Path(sys.executable).parent / "dask")


def _wait_for_port(port: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on port {port} after {seconds} s")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list]]:
    """A dask scheduler and two single-thread workers (no nanny: a kill is a real loss)."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = tmp_path_factory.mktemp("dask")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    procs = [
        subprocess.Popen(
            [DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            stdout=subprocess.DEVNULL,
            stderr=open(logs / "scheduler.log", "w"),  # noqa: SIM115
            env=env,
        )
    ]
    try:
        _wait_for_port(port, 30)
        workers = [
            subprocess.Popen(
                [DASK, "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard"]
                + ["--host", "127.0.0.1", "--name", f"w{i}"],
                stdout=subprocess.DEVNULL,
                stderr=open(logs / f"worker{i}.log", "w"),  # noqa: SIM115
                env=env,
            )
            for i in range(2)
        ]
        procs += workers
        from distributed import Client

        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
        yield address, workers
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(3)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
