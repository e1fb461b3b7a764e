"""/api/v1/workspaces/{ws}/pipelines and /pipeline-runs over a TestClient."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

API = "/api/v1/workspaces/sales"

SOURCE = """
from lakeworks.pipelines import Param, Pipeline

p = Pipeline("totals", schedule="@daily", params={"n": Param(int, 2)})


@p.task
def make(n):
    print("making", n)
    return list(range(n))


@p.task
def total(make):
    if len(make) > 5:
        raise ValueError("too many")
    return sum(make)
"""


@pytest.fixture
def registered(client: TestClient, tmp_path: Path) -> str:
    path = tmp_path / "totals.py"
    path.write_text(textwrap.dedent(SOURCE))
    done = client.post(f"{API}/pipelines", json={"source": path.name, "code": path.read_text()})
    assert done.status_code == 201, done.text
    assert [p["name"] for p in done.json()] == ["totals"]
    return f"{API}/pipelines/totals"


def test_register_list_get_run_and_read_back(client: TestClient, registered: str) -> None:
    assert [p["name"] for p in client.get(f"{API}/pipelines").json()] == ["totals"]
    info = client.get(registered).json()
    assert info["schedule"] == "@daily" and not info["paused"]
    assert [t["name"] for t in info["summary"]["tasks"]] == ["make", "total"]

    run = client.post(f"{registered}/runs", json={"params": {"n": 4}})
    assert run.status_code == 201
    body = run.json()
    assert body["state"] == "succeeded" and body["params"] == {"n": 4}
    assert {t["task"]: t["state"] for t in body["tasks"]} == {
        "make": "succeeded",
        "total": "succeeded",
    }
    rid = body["id"]
    got = client.get(f"{API}/pipeline-runs/{rid}").json()
    assert got["tasks"][1]["result"]["value"] == 6
    assert got["tasks"][0]["cpu_seconds"] is not None
    log = client.get(f"{API}/pipeline-runs/{rid}/tasks/make/log").json()
    assert log == {"run_id": rid, "task": "make", "log": "making 4\n"}
    assert [r["id"] for r in client.get(f"{registered}/runs").json()] == [rid]


def test_failed_run_resume_cancel_backfill_pause(client: TestClient, registered: str) -> None:
    failed = client.post(f"{registered}/runs", json={"params": {"n": 9}}).json()
    assert failed["state"] == "failed"
    assert {t["task"]: t["state"] for t in failed["tasks"]}["total"] == "failed"
    rid = failed["id"]
    assert "too many" in client.get(f"{API}/pipeline-runs/{rid}").json()["tasks"][1]["error"]
    assert client.post(f"{API}/pipeline-runs/{rid}/resume").json()["state"] == "failed"
    assert client.post(f"{API}/pipeline-runs/{rid}/cancel").json()["state"] == "failed"
    succeeded = client.get(f"{registered}/runs", params={"state": "failed"}).json()
    assert [r["id"] for r in succeeded] == [rid]

    body = {"start": "2026-01-01T00:00:00Z", "end": "2026-01-03T00:00:00Z"}
    backfill = client.post(f"{registered}/backfills", json=body)
    assert backfill.status_code == 201
    assert backfill.json()["intervals"] == 2 and backfill.json()["states"] == {"succeeded": 2}
    again = client.post(f"{registered}/backfills", json=body).json()
    assert (again["created"], again["already_succeeded"]) == (0, 2)

    assert client.post(f"{registered}/pause").json()["paused"] is True
    assert client.post(f"{registered}/unpause").json()["paused"] is False
    metrics = client.get("/metrics").text
    assert "lakeworks_pipeline_runs_started_total" in metrics


def test_bad_requests(client: TestClient, registered: str, tmp_path: Path) -> None:
    assert client.get(f"{API}/pipelines/nope").status_code == 404
    assert client.post(f"{API}/pipelines/nope/runs", json={}).status_code == 404
    assert client.get(f"{API}/pipelines/nope/runs").status_code == 404
    assert client.get(f"{API}/pipeline-runs/999").status_code == 404
    run = client.post(f"{registered}/runs", json={}).json()
    missing_task = client.get(f"{API}/pipeline-runs/{run['id']}/tasks/nope/log")
    assert missing_task.status_code == 404
    assert client.post(f"{API}/pipeline-runs/{run['id']}/resume").status_code == 409

    bad_type = client.post(f"{registered}/runs", json={"params": {"n": "many"}})
    assert bad_type.status_code == 422
    assert "parameter 'n' expects int" in bad_type.json()["message"]
    unknown = client.post(f"{registered}/runs", json={"params": {"m": 1}})
    assert unknown.status_code == 422

    cron = tmp_path / "cron.py"
    cron.write_text(
        "from lakeworks.pipelines import Pipeline\np = Pipeline('c', schedule='61 * *')\n"
    )
    bad_cron = client.post(f"{API}/pipelines", json={"source": cron.name, "code": cron.read_text()})
    assert bad_cron.status_code == 422 and "61 * *" in bad_cron.json()["message"]
    broken = tmp_path / "broken.py"
    broken.write_text("raise RuntimeError('boom')\n")
    raised = client.post(
        f"{API}/pipelines", json={"source": broken.name, "code": broken.read_text()}
    )
    assert raised.status_code == 400 and "boom" in raised.json()["message"]
    absent = client.post(f"{API}/pipelines", json={"source": "absent.py"})
    assert absent.status_code == 404
    assert client.get("/api/v1/workspaces/nobody/pipelines").status_code == 404
