"""Pipelines are registered from files: these fixtures write such files for a test."""

from __future__ import annotations

import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lakeworks.context import Context
from lakeworks.pipelines.service import Pipelines
from lakeworks.platform import Platform

HEADER = """
import time
from lakeworks.pipelines import Pipeline, Param, Skip, steps
"""


@pytest.fixture
def pipelines(platform: Platform) -> Iterator[Pipelines]:
    yield platform.pipelines
    platform.pipelines.close()


@pytest.fixture
def define(tmp_path: Path) -> Callable[[str], Path]:
    """Write pipeline source (the imports are added) to a new .py file; returns its path."""

    def write(source: str) -> Path:
        path = tmp_path / f"pipelines_{uuid.uuid4().hex[:8]}.py"
        path.write_text(HEADER + textwrap.dedent(source))
        return path

    return write


@pytest.fixture
def register(
    pipelines: Pipelines, ctx: Context, define: Callable[[str], Path]
) -> Callable[[str], None]:
    """Define and register pipelines in the test's workspace."""

    def go(source: str) -> None:
        pipelines.register(ctx, define(source))

    return go
