"""docs/sdk.md: every Python code block runs, in order, in one namespace."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "sdk.md"


def blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE)


def test_the_doc_has_its_examples() -> None:
    assert len(blocks(DOC.read_text())) >= 5


def run_examples(doc: Path) -> dict:
    """Run every Python block of ``doc`` in order in one namespace (in the current
    folder), then close the ``ws`` it opened; returns the namespace."""
    namespace: dict = {"__name__": f"docs_{doc.stem}"}
    try:
        for number, code in enumerate(blocks(doc.read_text()), 1):
            exec(compile(code, f"{doc.name} block {number}", "exec"), namespace)  # noqa: S102
    finally:
        ws = namespace.get("ws")
        if ws is not None:
            ws.platform.close()
    return namespace


def test_every_code_block_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the examples' home="lw-home" lands here
    run_examples(DOC)
