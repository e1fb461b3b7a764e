from __future__ import annotations

from collections.abc import Iterator

import pytest

from lakeworks.config import Settings
from lakeworks.meta.catalog import Catalog
from lakeworks.platform import Platform


@pytest.fixture(params=["sqlite", "postgres"])
def catalog(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Catalog]:
    """A migrated catalog on SQLite, and on PostgreSQL (skipped there when absent)."""
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_catalog")
        settings = Settings.load(home=settings.home, metadata_url=url, progress=False)
    platform = Platform.open(settings)
    yield platform.catalog
    platform.close()
