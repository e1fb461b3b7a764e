"""Every backend combination must pass the same contract suite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import lakeworks as lw
from lakeworks.config import Settings

from ..conftest import S3_KEYS


@pytest.fixture(params=["local", "s3", "postgres"])
def backend_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    if request.param == "local":
        return Settings.load(home=tmp_path / "lw", progress=False)
    if request.param == "s3":
        endpoint = request.getfixturevalue("s3_endpoint")
        bucket = request.getfixturevalue("s3_bucket")
        return Settings.load(
            home=tmp_path / "lw",
            storage_url=f"s3://{bucket}/lake",
            s3_endpoint_url=endpoint,
            progress=False,
            **S3_KEYS,
        )
    url = request.getfixturevalue("postgres_catalog")
    return Settings.load(home=tmp_path / "lw", metadata_url=url, progress=False)


@pytest.fixture
def bws(backend_settings: Settings) -> Iterator[lw.Workspace]:
    workspace = lw.connect(settings=backend_settings, user="alice")
    yield workspace
    workspace.platform.close()
