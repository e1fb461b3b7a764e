"""Registry fixtures: a small classification data set, fitted models, and the registry on
SQLite and on PostgreSQL (skipped locally without a server, failing under CI=true)."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lakeworks.config import Settings
from lakeworks.context import Context
from lakeworks.platform import Platform
from lakeworks.registry.service import Registry
from tests.cli.conftest import Cli
from tests.conftest import IN_CI


def need(module: str) -> None:
    """Skip when an optional model library is missing, except under CI=true."""
    try:
        importlib.import_module(module)
    except ImportError:
        if IN_CI:
            pytest.fail(f"{module} is not installed (CI=true: every format must be tested)")
        pytest.skip(f"{module} is not installed")


@pytest.fixture(scope="session")
def data() -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(
        {
            "age": rng.integers(18, 80, 200).astype("int64"),
            "income": rng.normal(50, 15, 200),
            "group": rng.integers(0, 2, 200).astype("int64"),
        }
    )
    target = ((frame.income > 50) ^ (frame.age > 60)).astype("int64")
    return frame, target


@pytest.fixture(scope="session")
def classifier(data: tuple[pd.DataFrame, pd.Series]):  # noqa: ANN201
    from sklearn.linear_model import LogisticRegression

    frame, target = data
    return LogisticRegression(max_iter=500).fit(frame, target)


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Platform]:
    """A platform on each catalog backend (the registry test suite runs on both)."""
    overrides = {}
    if request.param == "postgres":
        overrides["metadata_url"] = request.getfixturevalue("postgres_catalog")
    platform = Platform.open(Settings.load(home=tmp_path / "lw", progress=False, **overrides))
    platform.catalog.create_workspace("default", "tester", exist_ok=True)
    yield platform
    platform.close()


@pytest.fixture
def registry(backend: Platform) -> Registry:
    return backend.registry


@pytest.fixture
def rctx() -> Context:
    return Context(workspace="default", user="tester")


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """``lakeworks --home <tmp> ...`` in-process (as tests/cli runs it)."""
    monkeypatch.setenv("LAKEWORKS_PROGRESS", "false")
    monkeypatch.setenv("COLUMNS", "200")
    return Cli(tmp_path / "lw")
