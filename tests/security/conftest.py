"""Security fixtures: catalogs and a secured app with a token per role (identities,
tokens, audit); the pipelines fixtures and a reader of the usage table (quotas, costs)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from lakeworks.config import Settings
from lakeworks.meta.catalog import Catalog
from lakeworks.platform import Platform
from lakeworks.security.ledger import UsageRecord
from tests.pipelines.conftest import define, pipelines, register  # noqa: F401 - fixtures


@pytest.fixture(params=["sqlite", "postgres"])
def catalog(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Catalog]:
    """A migrated catalog on SQLite, and on PostgreSQL (skipped there when absent)."""
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_catalog")
        settings = Settings.load(home=settings.home, metadata_url=url, progress=False)
    platform = Platform.open(settings)
    yield platform.catalog
    platform.close()


ROLES = ("viewer", "editor", "maintainer", "owner")


def seed(settings: Settings) -> dict[str, str]:
    """Workspaces ``sales`` and ``hr``; a token per role in ``sales``, an ``outsider``
    (owner of ``hr`` only) and an ``admin``. Returns role -> secret."""
    from lakeworks.context import Context, Principal

    platform = Platform.open(settings, migrate=True)
    try:
        for ws in ("sales", "hr"):
            platform.catalog.create_workspace(ws, "root", exist_ok=True)
        root = Context("sales", "root", Principal("root", admin=True, via="local"))
        platform.identities.create_user(root, "admin", admin=True)
        secrets = {"admin": platform.tokens.create(root, "admin", scoped=False).secret}
        for role in ROLES:
            secrets[role] = platform.tokens.create(root, f"u_{role}", role=role).secret
        hr = Context("hr", "root", root.principal)
        secrets["outsider"] = platform.tokens.create(hr, "u_outsider", role="owner").secret
    finally:
        platform.close()
    return secrets


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def secured(settings: Settings) -> Iterator[tuple[object, dict[str, str]]]:
    """A TestClient of an app with authentication on, and the tokens of ``seed``."""
    from fastapi.testclient import TestClient

    from lakeworks.server.app import create_app

    settings = Settings.load(home=settings.home, auth=True, progress=False, scheduler=False)
    secrets = seed(settings)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client, secrets


@contextmanager
def opened(settings: Settings, migrate: bool | None = None) -> Iterator[Platform]:
    platform = Platform.open(settings, migrate=migrate)
    try:
        yield platform
    finally:
        platform.close()


def usage_of(platform: Platform, kind: str) -> list[UsageRecord]:
    """Every usage record of ``kind`` written so far (the meter's buffer flushed first)."""
    from datetime import UTC, datetime, timedelta

    platform.usage.flush()
    now = datetime.now(UTC) + timedelta(seconds=1)
    return [r for r in platform._ledger.samples(now, [kind], None)]
