"""Tracking service tests run on the embedded SQLite catalog and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from lakeworks.config import Settings
from lakeworks.context import Context
from lakeworks.platform import Platform
from lakeworks.tracking.service import Tracking

from ..conftest import fresh_schema


@pytest.fixture(params=["sqlite", "postgres"])
def catalog_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    extra = {}
    if request.param == "postgres":
        extra["metadata_url"] = request.getfixturevalue("postgres_catalog")
    return Settings.load(home=tmp_path / "lw", progress=False, tracking_gc_grace=0, **extra)


@pytest.fixture
def tplatform(catalog_settings: Settings) -> Iterator[Platform]:
    p = Platform.open(catalog_settings)
    p.catalog.create_workspace("default", "tester", exist_ok=True)
    yield p
    p.close()


@pytest.fixture
def tracking(tplatform: Platform) -> Tracking:
    return tplatform.tracking


@pytest.fixture
def tctx() -> Context:
    return Context(workspace="default", user="tester")


# One catalog per module, a fresh workspace per test: the service tests need no clean
# database, and migrating a PostgreSQL schema for each test costs about a second.
@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def module_platform(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Platform]:
    extra = {}
    if request.param == "postgres":
        extra["metadata_url"] = request.getfixturevalue("module_postgres_catalog")
    home = tmp_path_factory.mktemp("tracking") / "lw"
    p = Platform.open(Settings.load(home=home, progress=False, **extra), migrate=True)
    yield p
    p.close()


@pytest.fixture(scope="module")
def module_postgres_catalog(postgres_server: str) -> Iterator[str]:
    """A schema of the test PostgreSQL for one module, dropped afterwards."""
    with fresh_schema(postgres_server) as url:
        yield url


@pytest.fixture
def mtracking(module_platform: Platform) -> Tracking:
    return module_platform.tracking


@pytest.fixture
def mctx(module_platform: Platform) -> Context:
    """A new workspace of the module's catalog."""
    name = f"w_{uuid.uuid4().hex[:12]}"
    module_platform.catalog.create_workspace(name, "tester")
    return Context(workspace=name, user="tester")
