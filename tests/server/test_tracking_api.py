"""/api/v1/workspaces/{ws}/experiments and /runs, and the tracking counters at /metrics."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient

from lakeworks.context import Context
from lakeworks.tracking.records import Metric

BASE = "/api/v1/workspaces/sales"


def _logged_run(client: TestClient) -> tuple[int, str]:
    made = client.post(f"{BASE}/experiments", json={"name": "churn", "tags": {"team": "risk"}})
    assert made.status_code == 201, made.text
    exp_id = made.json()["id"]
    tracking = client.app.state.platform.tracking  # type: ignore[attr-defined]
    ctx = Context("sales", "tester")
    run = tracking.create_run(ctx, exp_id, name="r1")
    points = [Metric("loss", v, i, 10 + i) for i, v in enumerate([1.0, float("nan"), float("inf")])]
    tracking.log_batch(ctx, run.id, metrics=points, params={"depth": 6})
    tracking.log_artifact_stream(ctx, run.id, "model/weights.bin", io.BytesIO(b"w" * 3_000_000))
    return exp_id, run.id


def test_experiments_list_create_get(client: TestClient) -> None:
    exp_id, _ = _logged_run(client)
    listed = client.get(f"{BASE}/experiments").json()
    assert [(e["name"], e["tags"]) for e in listed] == [("churn", {"team": "risk"})]
    assert client.get(f"{BASE}/experiments/{exp_id}").json()["name"] == "churn"
    taken = client.post(f"{BASE}/experiments", json={"name": "churn"})
    assert taken.status_code == 409 and "already exists" in taken.json()["message"]
    assert client.get(f"{BASE}/experiments/999").status_code == 404
    assert client.post(f"{BASE}/experiments", json={"name": ""}).status_code == 422
    bad_tag = client.post(f"{BASE}/experiments", json={"name": "x", "tags": {"a|b": "1"}})
    assert bad_tag.status_code == 422 and "invalid tag key 'a|b'" in bad_tag.json()["message"]
    assert [e["name"] for e in client.get(f"{BASE}/experiments").json()] == ["churn"]


def test_runs_search_get_history_artifacts_delete(client: TestClient) -> None:
    exp_id, run_id = _logged_run(client)
    page = client.get(f"{BASE}/runs", params={"experiment_id": exp_id}).json()
    assert [r["info"]["id"] for r in page["runs"]] == [run_id] and page["next_page_token"] is None
    posted = client.post(f"{BASE}/runs/search", json={"experiment_ids": [exp_id]}).json()
    assert posted == page
    assert client.get(f"{BASE}/runs").json() == page  # every experiment of the workspace
    run = client.get(f"{BASE}/runs/{run_id}").json()
    assert run["params"] == {"depth": "6"}
    assert run["metrics"] == [{"key": "loss", "value": "Infinity", "step": 2, "timestamp": 12}]
    history = client.get(f"{BASE}/runs/{run_id}/metrics/loss").json()
    assert [m["value"] for m in history] == [1.0, "NaN", "Infinity"]
    assert client.get(f"{BASE}/runs/{run_id}/metrics/none").json() == []
    root = client.get(f"{BASE}/runs/{run_id}/artifacts").json()
    assert root == [{"path": "model", "is_dir": True, "size": None, "digest": None}]
    inside = client.get(f"{BASE}/runs/{run_id}/artifacts", params={"path": "model"}).json()
    assert [(a["path"], a["size"]) for a in inside] == [("model/weights.bin", 3_000_000)]
    with client.stream("GET", f"{BASE}/runs/{run_id}/artifacts/model/weights.bin") as got:
        assert got.status_code == 200
        assert sum(len(c) for c in got.iter_bytes()) == 3_000_000
    assert client.get(f"{BASE}/runs/{run_id}/artifacts/model/nope").status_code == 404
    assert client.delete(f"{BASE}/runs/{run_id}").status_code == 204
    assert client.get(f"{BASE}/runs", params={"experiment_id": exp_id}).json()["runs"] == []
    deleted = client.get(f"{BASE}/runs", params={"experiment_id": exp_id, "run_view": "deleted"})
    assert [r["info"]["id"] for r in deleted.json()["runs"]] == [run_id]


def test_bad_requests_are_clear(client: TestClient) -> None:
    exp_id, run_id = _logged_run(client)
    assert client.get(f"{BASE}/runs/not-a-run").status_code == 422
    missing = client.get(f"{BASE}/runs/{'0' * 32}")
    assert missing.status_code == 404 and "does not exist" in missing.json()["message"]
    bad_token = client.get(f"{BASE}/runs", params={"page_token": "garbage"})
    assert bad_token.status_code == 422 and "page token" in bad_token.json()["message"]
    bad_order = client.post(f"{BASE}/runs/search", json={"order_by": ["nonsense DESC"]})
    assert bad_order.status_code == 422 and "order_by" in bad_order.json()["message"]
    assert client.get(f"{BASE}/runs", params={"experiment_id": 12345}).status_code == 404
    assert client.get(f"{BASE}/runs/{run_id}/artifacts/../etc").status_code in {404, 422}
    assert client.get(f"{BASE}/runs", params={"max_results": 0}).status_code == 422


def test_tracking_counters_at_metrics(client: TestClient) -> None:
    _logged_run(client)
    text = client.get("/metrics").text
    assert 'lakeworks_tracking_runs_created_total{workspace="sales"} 1.0' in text
    assert 'lakeworks_tracking_metric_points_total{workspace="sales"} 3.0' in text
