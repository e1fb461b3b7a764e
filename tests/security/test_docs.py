"""docs/quotas-and-costs.md: every Python code block runs, in order, in one namespace."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_docs_sdk import blocks, run_examples

DOC = Path(__file__).resolve().parents[2] / "docs" / "quotas-and-costs.md"


def test_every_code_block_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the examples' home="lw-home" lands here
    assert len(blocks(DOC.read_text())) == 2
    namespace = run_examples(DOC)
    assert namespace["report"].lines
