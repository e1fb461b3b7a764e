"""Feedback, live metrics, the A/B read-out, endpoint drift and prediction lineage over
REST (the real FastAPI app) and the CLI."""

from __future__ import annotations

import json

import pandas as pd
from fastapi.testclient import TestClient

from lakeworks.config import Settings
from lakeworks.context import Context
from lakeworks.platform import Platform
from tests.cli.conftest import Cli
from tests.serving.conftest import _fit
from tests.serving.test_http import MANAGE, PREDICT, client  # noqa: F401 - the fixture

ROW = {"age": 40, "income": 70.0}


def test_feedback_metrics_ab_drift_and_lineage_over_rest(client: TestClient) -> None:  # noqa: F811
    platform = client.app.state.platform
    platform.tables.write(Context("default", "tester"), "train", pd.DataFrame([ROW] * 20))
    client.put(f"{MANAGE}/churn", json={"model": "churn/1"})
    client.put(f"{MANAGE}/churn", json={"model": "churn/2", "strategy": "ab"})
    answers = [client.post(PREDICT, json={"rows": [ROW], "key": f"c{i}"}).json() for i in range(40)]
    for answer in answers:
        done = client.post(
            f"{MANAGE}/churn/feedback", json={"request_id": answer["request_id"], "label": 1}
        )
        assert done.status_code == 200, done.json()
    assert done.json()["rows"] == [0]
    metrics = client.get(f"{MANAGE}/churn/model-metrics", params={"window": "1h"}).json()
    assert {s: m["labeled"] for s, m in metrics.items()} == {
        "live": sum(a["model"] == "churn/1" for a in answers),
        "candidate": sum(a["model"] == "churn/2" for a in answers),
    }
    ab = client.get(f"{MANAGE}/churn/ab", params={"window": "1h"}).json()
    assert ab["metric"] == "accuracy" and ab["significant"] and ab["difference"] == -1.0
    no_reference = client.get(f"{MANAGE}/churn/drift")
    assert (
        no_reference.status_code == 422
        and "no training reference" in no_reference.json()["message"]
    )
    put = client.put(f"{MANAGE}/churn/drift-reference", json={"reference": "train@v0"})
    assert put.status_code == 200
    drift = client.get(f"{MANAGE}/churn/drift", params={"window": "1h"}).json()
    assert drift["reference"]["source"] == "train@v0"
    assert [c["column"] for c in drift["columns"]] == ["age", "income", "prediction"]
    trace = client.get(f"/api/v1/workspaces/default/lineage/predictions/{answers[0]['request_id']}")
    assert trace.status_code == 200 and trace.json()["model"]["ref"] == answers[0]["model"]
    assert trace.json()["rows"][0]["inputs"] == ROW


def test_bad_feedback_and_lineage_requests_over_rest(client: TestClient) -> None:  # noqa: F811
    client.put(f"{MANAGE}/churn", json={"model": "churn/1"})
    unknown = client.post(f"{MANAGE}/churn/feedback", json={"request_id": "nope", "label": 1})
    assert unknown.status_code == 404 and "request id 'nope'" in unknown.json()["message"]
    both = client.post(f"{MANAGE}/churn/feedback", json={"request_id": "a", "key": "b", "label": 1})
    assert both.status_code == 422
    window = client.get(f"{MANAGE}/churn/model-metrics", params={"window": "soon"})
    assert window.status_code == 422
    missing = client.get("/api/v1/workspaces/default/lineage/predictions/nope")
    assert missing.status_code == 404
    assert client.get(f"{MANAGE}/nope/model-metrics").status_code == 404


def test_log_commands(cli: Cli, frame: pd.DataFrame) -> None:
    platform = Platform.open(Settings.load(home=cli.home, progress=False))
    platform.catalog.create_workspace("default", "tester", exist_ok=True)
    ctx = Context(workspace="default", user="tester")
    platform.tables.write(ctx, "train", frame)
    for flip in (False, True):
        platform.registry.register(ctx, "churn", model=_fit(frame, flip), training_data=frame)
    platform.serving.deploy(ctx, "churn", "churn/1")
    platform.serving.deploy(ctx, "churn", "churn/2", "ab")
    ids = [platform.serving.predict(ctx, "churn", [ROW], key=f"c{i}").request_id for i in range(20)]
    platform.close()  # writes the buffered log

    out = cli("endpoints", "feedback", "churn", "1", "--request-id", ids[0])
    assert out.exit_code == 0 and f"labeled rows [0] of request {ids[0]}" in out.output
    for request_id in ids[1:]:
        assert cli("endpoints", "feedback", "churn", "1", "--request-id", request_id).exit_code == 0
    assert "accuracy=" in cli("endpoints", "model-metrics", "churn").output
    ab = cli("endpoints", "ab", "churn", "--format", "json")
    assert ab.exit_code == 0 and json.loads(ab.output)["metric"] == "accuracy"
    trace = json.loads(cli("endpoints", "trace", ids[0]).output)
    assert trace["request_id"] == ids[0] and trace["labels"][0]["label"] == 1
    drift = cli("monitor", "drift", "churn", "--reference", "train@v0", "--format", "json")
    assert drift.exit_code in (0, 1), drift.output
    assert json.loads(drift.output)["reference"]["source"] == "train@v0"
    missing = cli("endpoints", "feedback", "churn", "1", "--request-id", "nope")
    assert missing.exit_code != 0 and "request id 'nope'" in missing.output
