"""docs/mlflow.md: its example runs unchanged (but for the port) against the server."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

DOC = Path(__file__).parents[3] / "docs" / "mlflow.md"
pytestmark = pytest.mark.filterwarnings(
    "ignore::DeprecationWarning", "ignore::FutureWarning", "ignore::UserWarning"
)


def test_the_example_runs(mlflow, server, tmp_path, monkeypatch) -> None:
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=300).fit(X, y)
    (tmp_path / "report.html").write_text("<h1>churn</h1>")
    monkeypatch.chdir(tmp_path)
    # the client infers pip requirements in a subprocess (seconds); 1 s, then its defaults
    monkeypatch.setenv("MLFLOW_REQUIREMENTS_INFERENCE_TIMEOUT", "1")
    (code,) = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    namespace = {"model": model}
    exec(code.replace("http://127.0.0.1:8000", server.url), namespace)  # noqa: S102
    assert np.array_equal(namespace["champion"].predict(X), model.predict(X))
