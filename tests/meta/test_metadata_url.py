"""A metadata URL that cannot be used is one line naming the setting and the fix."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lakeworks.errors import InvalidInputError
from lakeworks.meta.engine import make_engine


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("garbage", "Could not parse SQLAlchemy URL"),
        ("mysql://user:secret@db.example/shop", "driver is not installed"),
        ("nosuchdialect://host/db", "Can't load plugin"),
    ],
)
def test_cli_prints_one_line_naming_the_setting(tmp_path: Path, url: str, reason: str) -> None:
    (tmp_path / "x.csv").write_text("a\n1\n")
    env = {**os.environ, "LAKEWORKS_METADATA_URL": url, "LAKEWORKS_PROGRESS": "false"}
    done = subprocess.run(
        [sys.executable, "-m", "lakeworks.cli.app", "--home", str(tmp_path / "h")]
        + ["ingest", "x.csv", "--table", "t"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: LAKEWORKS_METADATA_URL=")
    assert "is not a usable database URL" in lines[0]
    assert reason in lines[0]
    assert "; fix: " in lines[0]
    assert "secret" not in lines[0]


def test_sdk_raises_invalid_input_with_the_fix() -> None:
    with pytest.raises(InvalidInputError) as info:
        make_engine("garbage")
    assert info.value.fields["setting"] == "LAKEWORKS_METADATA_URL"
    assert "postgresql+psycopg://" in info.value.fields["fix"]
