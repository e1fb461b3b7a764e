"""docs/registry.md: every Python code block runs, in order, in one namespace."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "registry.md"


def test_every_code_block_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # noqa: ANN001
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"^```python\n(.*?)^```", DOC.read_text(), flags=re.DOTALL | re.MULTILINE)
    assert len(blocks) >= 5
    namespace: dict = {"__name__": "docs_registry"}
    for number, code in enumerate(blocks, 1):
        exec(compile(code, f"{DOC.name} block {number}", "exec"), namespace)  # noqa: S102
    printed = capsys.readouterr().out
    assert "churn/1 sklearn [('age', 'int64'), ('income', 'double')]" in printed
    assert "missing column(s) income" in printed and "unexpected column(s) zip" in printed
    assert "'fairness': False" in printed and "True forced past failing fairness" in printed
    assert "loading a pickle runs code" in printed
