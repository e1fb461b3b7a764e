"""Shared fixtures: an embedded platform in a temporary folder, and real services.

Service fixtures (PostgreSQL, the moto S3 server) skip with a reason when the service is
absent on a developer's machine; under CI=true they fail instead, so CI never skips them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import lakeworks as lw
from lakeworks.config import Settings
from lakeworks.context import Context
from lakeworks.platform import Platform

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
POSTGRES_URL = os.environ.get(
    "LAKEWORKS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def unavailable(reason: str) -> None:
    """Skip locally, fail in CI: a service test must never be silently skipped there."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: service tests must run)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(autouse=True)
def _no_lakeworks_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never read the developer's LAKEWORKS_* variables or ./lakeworks.toml."""
    for key in list(os.environ):
        if key.startswith("LAKEWORKS_") and key != "LAKEWORKS_TEST_POSTGRES_URL":
            monkeypatch.delenv(key)
    monkeypatch.setenv("LAKEWORKS_CONFIG", str(tmp_path / "no-config.toml"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.load(home=tmp_path / "lw", progress=False)


@pytest.fixture
def platform(settings: Settings) -> Iterator[Platform]:
    p = Platform.open(settings)
    yield p
    p.close()


@pytest.fixture
def ctx(platform: Platform) -> Context:
    platform.catalog.create_workspace("default", "tester", exist_ok=True)
    return Context(workspace="default", user="tester")


@pytest.fixture
def ws(settings: Settings) -> Iterator[lw.Workspace]:
    workspace = lw.connect(settings=settings, user="tester")
    yield workspace
    workspace.platform.close()


# PostgreSQL -----------------------------------------------------------------------------
def _postgres_reachable(url: str) -> str | None:
    import sqlalchemy

    try:
        engine = sqlalchemy.create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure means: not usable here
        return str(exc).splitlines()[0]


@pytest.fixture(scope="session")
def postgres_server() -> str:
    error = _postgres_reachable(POSTGRES_URL)
    if error:
        unavailable(f"PostgreSQL not reachable at {POSTGRES_URL}: {error}")
    return POSTGRES_URL


@contextmanager
def fresh_schema(server: str) -> Iterator[str]:
    """The URL of a new, empty schema in the test database, dropped afterwards."""
    import sqlalchemy

    schema = f"lw_{uuid.uuid4().hex[:10]}"
    engine = sqlalchemy.create_engine(server)
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in server else "?"
    try:
        yield f"{server}{sep}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(sqlalchemy.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty schema in the test database, dropped afterwards."""
    with fresh_schema(postgres_server) as url:
        yield url


@pytest.fixture
def postgres_catalog(postgres_url: str) -> str:
    """``postgres_url`` with the catalog schema created, as ``lakeworks db upgrade`` does
    (opening a PostgreSQL catalog never migrates it)."""
    from lakeworks.meta import engine as meta_engine

    engine = meta_engine.make_engine(postgres_url)
    try:
        meta_engine.upgrade(engine)
    finally:
        engine.dispose()
    return postgres_url


# S3 (moto server) -------------------------------------------------------------------------
@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3-protocol server (moto) on 127.0.0.1, started for the test session."""
    # the project's own moto first: an older one on PATH (5.2.1) fails pyarrow's multipart puts
    venv_exe = Path(sys.executable).parent / "moto_server"
    exe = str(venv_exe) if venv_exe.exists() else shutil.which("moto_server") or str(venv_exe)
    if not Path(exe).exists():
        unavailable("moto_server is not installed (pip install 'moto[server]')")
    port = free_port()
    proc = subprocess.Popen(
        [exe, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        unavailable("moto_server did not start within 30 s")
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(10)


S3_KEYS = {"s3_access_key_id": "testing", "s3_secret_access_key": "testing"}


@pytest.fixture
def s3_bucket(s3_endpoint: str) -> str:
    import boto3

    name = f"lw-{uuid.uuid4().hex[:12]}"
    boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    ).create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3_settings(tmp_path: Path, s3_endpoint: str, s3_bucket: str) -> Settings:
    return Settings.load(
        home=tmp_path / "lw",
        storage_url=f"s3://{s3_bucket}/lake",
        s3_endpoint_url=s3_endpoint,
        s3_allow_http=True,
        progress=False,
        **S3_KEYS,
    )
