"""docs/streams.md: every Python code block runs, in order, in one namespace."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "streams.md"


def test_every_code_block_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # home="lw-home" lands here
    blocks = re.findall(r"^```python\n(.*?)^```", DOC.read_text(), flags=re.DOTALL | re.MULTILINE)
    assert len(blocks) >= 3
    namespace: dict = {"__name__": "docs_streams"}
    for number, code in enumerate(blocks, 1):
        exec(compile(code, f"{DOC.name} block {number}", "exec"), namespace)  # noqa: S102
