from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from lakeworks.cli.app import app


class Cli:
    """Runs ``lakeworks --home <tmp> ...`` in-process."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.runner = CliRunner()

    def __call__(self, *args: str) -> Result:
        return self.runner.invoke(app, ["--home", str(self.home), *args])


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setenv("LAKEWORKS_PROGRESS", "false")
    monkeypatch.setenv("COLUMNS", "200")  # wide rich tables, no wrapped names
    return Cli(tmp_path / "lw")
