"""docs/serving.md: every Python code block runs, in order, in one namespace."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "serving.md"


def test_every_code_block_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # noqa: ANN001
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"^```python\n(.*?)^```", DOC.read_text(), flags=re.DOTALL | re.MULTILINE)
    namespace: dict = {"__name__": "docs_serving"}
    for number, code in enumerate(blocks, 1):
        exec(compile(code, f"{DOC.name} block {number}", "exec"), namespace)  # noqa: S102
    printed = capsys.readouterr().out.splitlines()
    assert printed[:3] == ["2 5 churn/2", "25", "5"]
    assert printed[3].startswith("churn/") and printed[3].endswith("[None]")
    assert printed[4] == "['candidate', 'live'] churn/1 True"
    assert printed[5].startswith("accuracy two-proportion z-test ")
    assert printed[6] == "churn True True"
    assert printed[7] == "200 0 churn/1"
    assert printed[8] == "[('model', 'churn/1'), ('table', 'customers')]"
