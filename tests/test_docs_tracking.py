"""docs/tracking.md: every Python code block runs, in order, in one namespace."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_docs_sdk import blocks

DOC = Path(__file__).resolve().parents[1] / "docs" / "tracking.md"


def test_every_code_block_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "docs_tracking"}
    assert len(blocks(DOC.read_text())) >= 6
    try:
        for number, code in enumerate(blocks(DOC.read_text()), 1):
            exec(compile(code, f"{DOC.name} block {number}", "exec"), namespace)  # noqa: S102
    finally:
        ws = namespace.get("ws")
        if ws is not None:
            ws.platform.close()
    assert (tmp_path / "downloaded" / "model" / "weights.bin").stat().st_size == 1024
