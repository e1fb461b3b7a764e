"""Batch scoring: a table through an endpoint's live model into another table, with
per-row errors, lineage (table version -> model version -> output), every door, and as a
pipeline step."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

import lakeworks as lw
from lakeworks.config import Settings
from lakeworks.errors import InvalidInputError, NotFoundError, SchemaMismatchError
from lakeworks.server.app import create_app
from tests.serving.conftest import _fit, ages


@pytest.fixture
def scored(tmp_path: Path, frame: pd.DataFrame) -> Iterator[lw.Workspace]:
    settings = Settings.load(
        home=tmp_path / "lw", progress=False, scheduler=False, serving_score_batch_rows=16
    )
    ws = lw.connect(settings=settings, user="tester")
    ws.models.register("churn", model=_fit(frame, False), training_data=frame)
    ws.write("customers", frame.assign(customer_id=range(len(frame))))
    ws.endpoints.deploy("churn", model="churn/1")
    yield ws
    ws.platform.close()


def test_scoring_writes_every_row_with_its_prediction(scored, frame) -> None:
    result = scored.endpoints.score("churn", table="customers", into="churn_scores")
    assert (result.rows, result.failed, result.model, result.version) == (100, 0, "churn/1", 0)
    out = scored.read("churn_scores").to_pandas().sort_values("customer_id")
    expected = scored.models.load("churn/1").predict(frame)["prediction"].tolist()
    assert out["prediction"].tolist() == expected  # in 7 batches of 16 rows
    assert out.columns.tolist() == ["age", "income", "customer_id", "prediction", "error"]
    assert out["error"].isna().all()
    again = scored.endpoints.score("churn", table="customers", into="churn_scores", mode="append")
    assert again.version == 1 and scored.read("churn_scores").num_rows == 200


def test_scoring_records_lineage_from_table_and_model(scored) -> None:
    result = scored.endpoints.score("churn", table="customers", into="churn_scores")
    graph = scored.lineage("churn_scores", result.version)
    sources = {(e.source.kind, e.source.name, e.source.version) for e in graph.upstream}
    assert ("table", "customers", result.source_version) in sources
    assert ("model", "churn/1", None) in sources


def test_rows_the_model_fails_on_get_an_error_the_others_a_score(scored, monkeypatch) -> None:
    predictor = scored.platform.serving.deployment(scored.ctx, "churn").predictors["live"]
    inner = predictor.model.predict

    def predict(frame):  # noqa: ANN001, ANN202
        if (ages(frame) > 70).any():
            raise ArithmeticError("too old")
        return inner(frame)

    monkeypatch.setattr(predictor.model, "predict", predict)
    result = scored.endpoints.score("churn", table="customers", into="churn_scores")
    out = scored.read("churn_scores").to_pandas()
    old = out[out.age > 70]
    assert result.failed == len(old) > 0 and old["error"].str.contains("too old").all()
    assert old["prediction"].isna().all() and out[out.age <= 70]["error"].isna().all()


def test_bad_scoring_requests_write_nothing(scored) -> None:
    scored.write("wrong", pd.DataFrame({"age": [1]}))
    with pytest.raises(SchemaMismatchError, match="missing column.*income"):
        scored.endpoints.score("churn", table="wrong", into="churn_scores")
    with pytest.raises(NotFoundError):
        scored.endpoints.score("churn", table="nope", into="churn_scores")
    with pytest.raises(InvalidInputError, match="overwrite or append"):
        scored.endpoints.score("churn", table="customers", into="s", mode="merge")
    with pytest.raises(NotFoundError):
        scored.endpoints.score("nope", table="customers", into="churn_scores")
    assert "churn_scores" not in [t.name for t in scored.tables()]


def test_score_over_rest_and_cli(scored, cli) -> None:  # noqa: ANN001
    with TestClient(create_app(scored.platform.settings)) as http:
        url = "/api/v1/workspaces/default/endpoints/churn/score"
        body = http.post(url, json={"table": "customers", "into": "rest_scores"}).json()
        assert (body["rows"], body["table"], body["model"]) == (100, "rest_scores", "churn/1")
        bad = http.post(url, json={"table": "customers", "into": "x", "mode": "merge"})
        assert bad.status_code == 422
    cli.home = scored.platform.settings.home
    result = cli("endpoints", "score", "churn", "--table", "customers", "--into", "cli_scores")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "scored 100 rows of customers v0 with churn/1 into cli_scores v0" in out


def test_score_as_a_pipeline_step(scored, tmp_path) -> None:  # noqa: ANN001
    code = tmp_path / "nightly.py"
    code.write_text(
        textwrap.dedent(
            """
            from lakeworks.pipelines import Pipeline
            from lakeworks.serving.steps import score

            p = Pipeline("nightly")
            p.add("score", score("churn", table="customers", into="step_scores"))
            """
        )
    )
    scored.pipelines.register(str(code))
    run = scored.pipelines.run("nightly")
    assert run.state == "succeeded", run.tasks
    assert run.task("score").result["value"]["rows"] == 100
    assert scored.read("step_scores").num_rows == 100
