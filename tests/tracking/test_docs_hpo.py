"""docs/hpo.md: every Python code block runs, in order, in one namespace."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lakeworks.tracking import autolog

DOC = Path(__file__).resolve().parents[2] / "docs" / "hpo.md"


def blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE)


def test_every_code_block_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the examples' home="lw-home" lands here
    namespace: dict = {"__name__": "docs_hpo"}
    code = blocks(DOC.read_text())
    assert len(code) >= 5
    try:
        for number, block in enumerate(code, 1):
            exec(compile(block, f"{DOC.name} block {number}", "exec"), namespace)  # noqa: S102
    finally:
        autolog.disable()
        ws = namespace.get("ws")
        if ws is not None:
            ws.platform.close()
    assert namespace["pruned"].states.get("PRUNED", 0) >= 1
    assert namespace["run"].params["C"] == "0.5"
