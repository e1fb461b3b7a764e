"""The prediction API and the management routes through the real FastAPI app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from lakeworks.config import Settings
from lakeworks.context import Context
from lakeworks.server.app import create_app
from tests.serving.conftest import _fit

ROW = {"age": 40, "income": 70.0}
PREDICT = "/serve/default/churn/predict"
MANAGE = "/api/v1/workspaces/default/endpoints"


@pytest.fixture
def client(tmp_path: Path, frame: pd.DataFrame) -> Iterator[TestClient]:
    settings = Settings.load(
        home=tmp_path / "lw", progress=False, scheduler=False, serving_max_rows=50
    )
    app = create_app(settings)
    platform = app.state.platform
    platform.catalog.create_workspace("default", "tester", exist_ok=True)
    ctx = Context(workspace="default", user="tester")
    for flip in (False, True):
        platform.registry.register(ctx, "churn", model=_fit(frame, flip), training_data=frame)
    with TestClient(app) as http:
        yield http


def test_deploy_predict_promote_rollback_over_rest(client: TestClient) -> None:
    first = client.put(f"{MANAGE}/churn", json={"model": "churn/1"})
    assert first.status_code == 200 and first.json()["version"] == 1
    answer = client.post(PREDICT, json={"rows": [ROW, ROW]}, headers={"X-Request-Id": "r-1"})
    body = answer.json()
    assert answer.status_code == 200, body
    assert (body["request_id"], body["model"], body["config_version"]) == ("r-1", "churn/1", 1)
    assert answer.headers["X-Request-Id"] == "r-1"
    assert body["predictions"][0].keys() == {"prediction"} and body["errors"] == [None, None]
    canary = client.put(f"{MANAGE}/churn", json={"model": "churn/2", "strategy": "canary"})
    assert canary.json()["share"] == 5
    assert client.post(f"{MANAGE}/churn/promote").json()["share"] == 25
    assert client.post(f"{MANAGE}/churn/rollback").json()["share"] == 5
    assert [e["endpoint"] for e in client.get(MANAGE).json()] == ["churn"]
    assert len(client.get(f"{MANAGE}/churn/history").json()) == 4
    assert client.post(PREDICT, json={"rows": [ROW]}).json()["request_id"]  # one made up
    assert client.delete(f"{MANAGE}/churn").status_code == 204
    assert client.get(f"{MANAGE}/churn").status_code == 404


def test_bad_requests_get_clear_statuses(client: TestClient) -> None:
    client.put(f"{MANAGE}/churn", json={"model": "churn/1"})
    bad_json = client.post(
        PREDICT, content=b'{"rows": [', headers={"Content-Type": "application/json"}
    )
    assert bad_json.status_code == 422
    empty = client.post(PREDICT, json={"rows": []})
    assert empty.status_code == 422 and "has no rows" in empty.json()["message"]
    wrong = client.post(PREDICT, json={"rows": [{"age": "x", "income": 1.0}]})
    assert wrong.status_code == 422 and "column age expected int64" in wrong.json()["message"]
    missing = client.post(PREDICT, json={"rows": [{"age": 1}]})
    assert missing.status_code == 422 and "income" in missing.json()["message"]
    big = client.post(PREDICT, json={"rows": [ROW] * 51})
    assert big.status_code == 413 and big.json()["details"]["limit"] == 50
    unknown = client.post("/serve/default/nope/predict", json={"rows": [ROW]})
    assert unknown.status_code == 404 and "'nope'" in unknown.json()["message"]
    no_ws = client.post("/serve/elsewhere/churn/predict", json={"rows": [ROW]})
    assert no_ws.status_code == 404
    refused = client.put(f"{MANAGE}/churn", json={"model": "churn/9"})
    assert refused.status_code == 404
    assert client.get(f"{MANAGE}/churn").json()["version"] == 1  # nothing written
