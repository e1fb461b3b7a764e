"""docs/search.md: every Python code block runs, in order, in one namespace."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_docs_sdk import blocks, run_examples

DOC = Path(__file__).resolve().parents[1] / "docs" / "search.md"


def test_every_code_block_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert len(blocks(DOC.read_text())) >= 4
    namespace = run_examples(DOC)
    assert namespace["seen"] == ["depth-8", "depth-4", "depth-6", "depth-6"]
