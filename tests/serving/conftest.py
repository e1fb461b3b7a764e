"""Serving fixtures: a platform on each catalog backend with two registered versions of
``churn`` (a classifier) and one ``broken`` model whose files are gone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from lakeworks.config import Settings
from lakeworks.context import Context
from lakeworks.platform import Platform
from tests.cli.conftest import Cli


@pytest.fixture(scope="session")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame({"age": rng.integers(18, 80, 100), "income": rng.normal(50, 15, 100)})


def _fit(frame: pd.DataFrame, flip: bool) -> LogisticRegression:
    target = ((frame.income > 50) ^ flip).astype("int64")
    return LogisticRegression(max_iter=300).fit(frame, target)


@pytest.fixture(params=["sqlite", "postgres"])
def served(request: pytest.FixtureRequest, tmp_path: Path, frame: pd.DataFrame) -> Iterator:
    overrides = {"serving_max_rows": 50}
    if request.param == "postgres":
        overrides["metadata_url"] = request.getfixturevalue("postgres_catalog")
    platform = Platform.open(Settings.load(home=tmp_path / "lw", progress=False, **overrides))
    platform.catalog.create_workspace("default", "tester", exist_ok=True)
    ctx = Context(workspace="default", user="tester")
    for flip in (False, True):
        platform.registry.register(ctx, "churn", model=_fit(frame, flip), training_data=frame)
    yield platform, ctx
    platform.close()


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """``lakeworks --home <tmp> ...`` in-process (as tests/cli runs it)."""
    monkeypatch.setenv("LAKEWORKS_PROGRESS", "false")
    monkeypatch.setenv("COLUMNS", "200")
    return Cli(tmp_path / "lw")


def ages(frame) -> object:  # noqa: ANN001
    """The age column of what a model's predict is given: a numpy matrix (a plain
    scikit-learn model over numeric columns, in signature order) or a pandas frame."""
    return frame["age"] if hasattr(frame, "columns") else frame[:, 0]
