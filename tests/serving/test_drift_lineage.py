"""Endpoint drift against the model's training reference, and prediction lineage back to
the run and table version the model was trained on, through the SDK."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import lakeworks as lw
from lakeworks.errors import InvalidInputError, NotFoundError
from lakeworks.serving.drift import REFERENCE_TAG


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[lw.Workspace]:
    """churn/1 trained in a run that read ``train@v0``; churn/2 registered with no run."""
    ws = lw.connect(home=tmp_path / "lw", progress=False, serving_log_flush_interval=0.02)
    rng = np.random.default_rng(11)
    frame = pd.DataFrame({"age": rng.integers(18, 80, 500), "income": rng.normal(50, 15, 500)})
    ws.write("train", frame)
    with ws.start_run(name="fit") as run:
        data = ws.read("train", format="pandas")
        model = LogisticRegression(max_iter=300).fit(data, (data.income > 50).astype("int64"))
    ws.models.register("churn", model=model, training_data=frame, run_id=run.id)
    ws.models.register("churn", model=model, training_data=frame)
    ws.endpoints.deploy("churn", model="churn/1")
    yield ws
    ws.platform.close()


def _traffic(ws: lw.Workspace, income: float, rows: int = 300) -> None:
    rng = np.random.default_rng(5)
    for _ in range(rows // 10):
        batch = [
            {"age": int(rng.integers(18, 80)), "income": float(rng.normal(income, 15))}
            for _ in range(10)
        ]
        ws.endpoints.predict("churn", batch)


def test_drift_against_the_training_run_input_per_feature(ws: lw.Workspace) -> None:
    _traffic(ws, income=50)
    steady = ws.monitor("churn").drift(window="1h")
    assert (steady.reference, steady.model, steady.requests) == ("train@v0", "churn/1", 300)
    assert [c.column for c in steady.report.columns] == ["age", "income", "prediction"]
    assert not steady.drifted and steady.report.drifted_columns == []
    assert steady.report.reference.rows == 500 and steady.report.current.rows == 300
    _traffic(ws, income=90)
    shifted = ws.monitor("churn").drift(window="1h")
    assert shifted.report["income"].drifted and shifted.report["prediction"].drifted
    assert not shifted.report["age"].drifted
    assert shifted.to_dict()["drifted_columns"] == ["income", "prediction"]


def test_drift_needs_a_reference_when_the_model_has_no_training_input(ws: lw.Workspace) -> None:
    ws.endpoints.deploy("churn", model="churn/2")
    _traffic(ws, income=50, rows=50)
    with pytest.raises(InvalidInputError, match="churn/2 has no training reference"):
        ws.monitor("churn").drift(window="1h")
    with pytest.raises(NotFoundError):
        ws.monitor("churn").set_reference("missing_table")
    assert ws.monitor("churn").set_reference("train@v0") == "train@v0"
    assert ws.models.version("churn/2").tags[REFERENCE_TAG] == "train@v0"
    assert ws.monitor("churn").drift(window="1h").reference == "train@v0"
    with pytest.raises(InvalidInputError, match="table or table@vN"):
        ws.monitor("churn").drift(window="1h", reference="train@latest")


def test_drift_of_a_window_without_requests_and_of_an_unknown_endpoint(ws: lw.Workspace) -> None:
    with pytest.raises(InvalidInputError, match="logged no prediction by churn/1"):
        ws.monitor("churn").drift(window="1h")
    with pytest.raises(NotFoundError, match="endpoint 'nope'"):
        ws.monitor("nope")


def test_a_prediction_traces_back_to_its_run_and_training_table(ws: lw.Workspace) -> None:
    answer = ws.endpoints.predict("churn", [{"age": 33, "income": 72.5}], key="c1")
    ws.endpoints.feedback("churn", request_id=answer.request_id, label=1)
    trace = ws.lineage.prediction(answer.request_id)
    run_id = ws.models.version("churn/1").run_id
    assert (trace.endpoint, trace.model["ref"], trace.run_id) == ("churn", "churn/1", run_id)
    assert trace.tables == [("train", 0)]
    assert trace.configuration["version"] == 1 and trace.configuration["strategy"] == "blue-green"
    assert trace.rows == [
        {
            "row": 0,
            "inputs": {"age": 33, "income": 72.5},
            "features": None,
            "output": answer.outputs[0],
            "error": None,
        }
    ]
    assert [label["label"] for label in trace.labels] == [1]
    assert ws.lineage("train").table == "train"  # table lineage is still ws.lineage(...)
    with pytest.raises(NotFoundError, match="request id 'nope'"):
        ws.lineage.prediction("nope")
