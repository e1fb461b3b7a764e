"""Tracking service tests run on the embedded SQLite catalog and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lakeworks.config import Settings
from lakeworks.context import Context
from lakeworks.platform import Platform
from lakeworks.tracking.service import Tracking


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
