"""Request formats of the prediction API: Arrow IPC in and out, entity keys read from the
online store in-process, and the bad requests each get a clear status."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

import lakeworks as lw
from lakeworks.config import Settings
from lakeworks.errors import InvalidInputError, NotFoundError
from lakeworks.features import Entity, FeatureService, FeatureView
from lakeworks.server.app import create_app
from lakeworks.server.predict_server import ARROW
from tests.serving.conftest import _fit, ages

PREDICT = "/serve/default/churn/predict"
ROW = {"age": 40, "income": 70.0}


def ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def customers(ws: lw.Workspace, frame: pd.DataFrame) -> None:
    """Online features ``age`` and ``income`` for customers 0..99, service churn_features."""
    stamp = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [{"customer_id": i, "ts": stamp, **r} for i, r in enumerate(frame.to_dict("records"))]
    ws.write("customer_events", rows)
    view = FeatureView(
        "customer_stats",
        entity="customer",
        timestamp="ts",
        features=["age", "income"],
        source="customer_events",
    )
    ws.features.apply(
        [
            Entity("customer", join_keys=["customer_id"]),
            view,
            FeatureService("churn_features", ["customer_stats"]),
        ]
    )
    ws.features.materialize("customer_stats")


@pytest.fixture
def served_ws(tmp_path: Path, frame: pd.DataFrame) -> Iterator[lw.Workspace]:
    settings = Settings.load(
        home=tmp_path / "lw",
        progress=False,
        scheduler=False,
        serving_max_rows=50,
        serving_max_request_bytes=20_000,
    )
    ws = lw.connect(settings=settings, user="tester")
    ws.models.register("churn", model=_fit(frame, False), training_data=frame)
    customers(ws, frame)
    ws.endpoints.deploy("churn", model="churn/1", features="churn_features")
    yield ws
    ws.platform.close()


@pytest.fixture
def client(served_ws: lw.Workspace) -> Iterator[TestClient]:
    app = create_app(served_ws.platform.settings)
    with TestClient(app) as http:
        yield http


def test_keys_read_online_features_and_unknown_keys_get_row_errors(served_ws, frame) -> None:
    expected = served_ws.models.load("churn/1").predict(frame.head(3))["prediction"].tolist()
    keys = [{"customer_id": 0}, {"customer_id": 999}, {"customer_id": 2}]
    result = served_ws.endpoints.predict("churn", keys=keys)
    assert result.outputs[0]["prediction"] == expected[0]
    assert result.outputs[2]["prediction"] == expected[2]
    assert result.outputs[1] is None and "customer_id" in result.errors[1]
    assert "unknown_entity" in result.errors[1] and result.errors[0] is None
    nobody = served_ws.endpoints.predict("churn", keys=[{"customer_id": 999}])
    assert nobody.outputs == [None] and "unknown_entity" in nobody.errors[0]
    assert nobody.model == "churn/1"


def test_keys_need_a_feature_service_and_a_valid_list(served_ws) -> None:
    served_ws.endpoints.deploy("plain", model="churn/1")
    assert served_ws.endpoints.show("plain").features is None
    with pytest.raises(InvalidInputError, match="has no feature service"):
        served_ws.endpoints.predict("plain", keys=[{"customer_id": 1}])
    with pytest.raises(InvalidInputError, match="has no keys"):
        served_ws.endpoints.predict("churn", keys=[])
    with pytest.raises(NotFoundError, match="nope"):
        served_ws.endpoints.deploy("other", model="churn/1", features="nope")
    # a new version keeps the endpoint's feature service
    assert served_ws.endpoints.deploy("churn", model="churn/1").features == "churn_features"


def test_arrow_in_arrow_out_equals_json(client: TestClient, frame: pd.DataFrame) -> None:
    rows = frame.head(20)
    as_json = client.post(PREDICT, json={"rows": rows.to_dict("records")}).json()
    body = ipc(pa.Table.from_pandas(rows, preserve_index=False))
    headers = {"Content-Type": ARROW, "Accept": ARROW, "X-Request-Id": "bulk-1"}
    answer = client.post(PREDICT, content=body, headers=headers)
    assert answer.status_code == 200 and answer.headers["content-type"] == ARROW
    table = pa.ipc.open_stream(answer.content).read_all()
    assert table.column("prediction").to_pylist() == [
        p["prediction"] for p in as_json["predictions"]
    ]
    assert table.column("error").null_count == 20
    assert int(answer.headers["content-length"]) == len(answer.content)  # not chunked
    assert table.schema.metadata[b"request_id"] == b"bulk-1"
    assert table.schema.metadata[b"model"] == b"churn/1"
    json_out = client.post(PREDICT, content=body, headers={"Content-Type": ARROW})
    assert json_out.json()["predictions"] == as_json["predictions"]  # Arrow in, JSON out


def test_keys_over_http(client: TestClient) -> None:
    answer = client.post(PREDICT, json={"keys": [{"customer_id": 1}, {"customer_id": -5}]})
    body = answer.json()
    assert answer.status_code == 200, body
    assert body["predictions"][0].keys() == {"prediction"} and body["errors"][0] is None
    assert body["predictions"][1] is None and "unknown_entity" in body["errors"][1]


def test_bad_requests_each_get_a_clear_status(client: TestClient) -> None:
    def post(**kwargs):  # noqa: ANN202
        response = client.post(PREDICT, **kwargs)
        return response.status_code, response.json()

    status, body = post(content=b'{"rows": [', headers={"Content-Type": "application/json"})
    assert status == 422 and "not JSON" in body["message"]
    status, body = post(json={"rows": [ROW], "keys": [{"customer_id": 1}]})
    assert status == 422 and "either rows or keys" in body["message"]
    status, body = post(json=[ROW])
    assert status == 422 and "either rows or keys" in body["message"]
    status, body = post(json={"rows": []})
    assert status == 422 and "has no rows" in body["message"]
    status, body = post(json={"rows": [{"age": 1}]})
    assert status == 422 and "income" in body["message"]
    status, body = post(json={"rows": [ROW], "key": 7})
    assert status == 422 and "key" in body["message"]
    status, body = post(json={"rows": [ROW] * 51})
    assert status == 413 and body["details"]["limit"] == 50
    status, body = post(json={"rows": [{**ROW, "pad": "x" * 30_000}]})
    assert status == 413 and "20000 bytes" in body["message"]
    status, body = post(content=b"not arrow", headers={"Content-Type": ARROW})
    assert status == 422 and "not an Arrow IPC stream" in body["message"]
    empty = ipc(pa.table({"age": pa.array([], pa.int64()), "income": pa.array([], pa.float64())}))
    status, body = post(content=empty, headers={"Content-Type": ARROW})
    assert status == 422 and "has no rows" in body["message"]
    status, body = post(json={"keys": [{"customer_id": 1}] * 51})
    assert status == 413
    response = client.post("/serve/default/nope/predict", json={"rows": [ROW]})
    assert response.status_code == 404 and "'nope'" in response.json()["message"]
    assert response.headers["X-Request-Id"]  # every answer names its request


def test_a_model_raising_on_some_rows_answers_the_others_over_http(
    client: TestClient, served_ws: lw.Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    platform = client.app.state.platform
    ctx = served_ws.ctx
    predictor = platform.serving.deployment(ctx, "churn").predictors["live"]
    inner = predictor.model.predict

    def predict(frame):  # noqa: ANN001, ANN202
        if (ages(frame) < 0).any():
            raise ArithmeticError("negative age")
        return inner(frame)

    monkeypatch.setattr(predictor.model, "predict", predict)
    body = client.post(PREDICT, json={"rows": [ROW, {"age": -1, "income": 1.0}]}).json()
    assert body["errors"][0] is None and body["predictions"][0] is not None
    assert "negative age" in body["errors"][1] and body["predictions"][1] is None


def test_request_ids_are_unique_per_request(client: TestClient) -> None:
    ids = {client.post(PREDICT, json={"rows": [ROW]}).json()["request_id"] for _ in range(50)}
    assert len(ids) == 50


def test_answers_on_the_event_loop_equal_the_threaded_ones(served_ws, frame) -> None:
    settings = served_ws.platform.settings.model_copy(update={"serving_on_loop": True})
    rows = frame.head(10).to_dict("records")
    expected = served_ws.endpoints.predict("churn", rows).outputs
    with TestClient(create_app(settings)) as http:
        answers = [http.post(PREDICT, json={"rows": [row]}).json() for row in rows]
        assert [a["predictions"][0] for a in answers] == expected
        bad = http.post(PREDICT, json={"rows": [{"age": "x", "income": 1.0}]})
        assert bad.status_code == 422 and "column age expected int64" in bad.json()["message"]
        keys = http.post(PREDICT, json={"keys": [{"customer_id": 0}]})  # keys: in a thread
        assert keys.json()["predictions"][0] == expected[0]


def test_a_request_by_key_over_http_is_logged_with_its_feature_values(
    served_ws, client: TestClient, frame: pd.DataFrame
) -> None:
    answer = client.post(PREDICT, json={"keys": [{"customer_id": 3}, {"customer_id": -1}]})
    assert answer.status_code == 200, answer.text
    request_id = answer.headers["x-request-id"]
    deadline = time.monotonic() + 15  # the server's log writes every serving_log_flush_interval
    while True:
        try:
            trace = served_ws.lineage.prediction(request_id)
            break
        except NotFoundError:
            assert time.monotonic() < deadline, "the request never reached _predictions"
            time.sleep(0.1)
    expected = {"age": int(frame.age[3]), "income": float(frame.income[3])}
    [row] = trace.rows  # the key without online values was answered an error, not logged
    assert row["features"] == expected and row["inputs"] == expected
    assert row["output"] == answer.json()["predictions"][0]
    assert trace.feature_views == {"customer_stats": 1}
    assert (trace.endpoint, trace.model["ref"]) == ("churn", "churn/1")
