"""Traffic through the HTTP prediction route (the raw-ASGI ``PredictServer``, threaded and
on the event loop) counts in the live endpoint metrics, and the server's own watcher
rolls a raising canary back on it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from lakeworks.config import Settings
from lakeworks.context import Context
from lakeworks.server.app import create_app
from tests.serving.conftest import _fit
from tests.serving.faulty import Raising

PREDICT = "/serve/default/churn/predict"
ROW = {"age": 40, "income": 70.0}


@pytest.fixture(params=[False, True], ids=["threaded", "on-loop"])
def http(request: pytest.FixtureRequest, tmp_path: Path, frame: pd.DataFrame) -> Iterator:
    """A server whose watcher flushes and judges every 0.1 s; churn/1 good, churn/2 raises."""
    settings = Settings.load(
        home=tmp_path / "lw",
        progress=False,
        scheduler=False,
        serving_trusted=True,
        serving_health_interval=0.1,
        serving_on_loop=request.param,
    )
    app = create_app(settings)
    with TestClient(app) as client:
        platform = app.state.platform
        platform.catalog.create_workspace("default", "tester", exist_ok=True)
        ctx = Context(workspace="default", user="tester")
        good = platform.registry.register(
            ctx, "churn", model=_fit(frame, False), training_data=frame
        )
        platform.registry.register(
            ctx, "churn", model=Raising(), trusted=True, signature=good.signature
        )
        platform.serving.deploy(ctx, "churn", "churn/1")
        yield client, platform, ctx


def test_http_requests_count_in_the_live_metrics(http) -> None:
    client, platform, ctx = http
    for i in range(7):
        answer = client.post(PREDICT, json={"rows": [ROW], "key": f"c{i}"})
        assert answer.status_code == 200, answer.text
    refused = client.post(PREDICT, json={"rows": [{"age": "old"}]})
    assert refused.status_code == 422  # the caller's fault: a request, not a model error
    [slot] = platform.serving.metrics(ctx, "churn", window=60).slots
    assert (slot.slot, slot.stats.model) == ("live", "churn/1")
    assert (slot.stats.requests, slot.stats.errors) == (8, 0)


def test_a_raising_canary_served_over_http_is_rolled_back(http) -> None:
    client, platform, ctx = http
    health = {"error_rate": 0.1, "min_requests": 5, "window": "1m"}
    canary = platform.serving.deploy(
        ctx, "churn", "churn/2", "canary", steps=(50, 100), health=health
    )
    deadline, i = time.monotonic() + 20, 0
    while platform.serving.show(ctx, "churn").action != "auto-rollback":
        assert time.monotonic() < deadline, platform.serving.metrics(ctx, "churn").to_dict()
        client.post(PREDICT, json={"rows": [ROW], "key": f"customer-{i}"})
        i += 1
    back = platform.serving.show(ctx, "churn")
    assert back.reason["from_version"] == canary.version and back.reason["model"] == "churn/2"
    assert back.reason["policy"] == "error_rate" and back.reason["observed"] > 0.1
    answers = {client.post(PREDICT, json={"rows": [ROW]}).json()["model"] for _ in range(10)}
    assert answers == {"churn/1"}


def test_a_raising_shadow_served_over_http_is_counted_then_removed(http) -> None:
    client, platform, ctx = http
    health = {"error_rate": 0.1, "min_requests": 5, "window": "1m"}
    shadowed = platform.serving.deploy(ctx, "churn", "churn/2", "shadow", health=health)
    for i in range(3):
        answer = client.post(PREDICT, json={"rows": [ROW], "key": f"c{i}"})
        assert answer.status_code == 200 and answer.json()["model"] == "churn/1"
    metrics = client.get("/api/v1/workspaces/default/endpoints/churn/metrics").json()
    slots = {s["slot"]: s for s in metrics["slots"]}
    assert (slots["live"]["requests"], slots["live"]["agreement"]) == (3, None)
    shadow = slots["candidate"]
    assert (shadow["model"], shadow["requests"], shadow["errors"]) == ("churn/2", 3, 3)
    assert (shadow["compared"], shadow["equal"], shadow["agreement"]) == (3, 0, 0.0)
    deadline, i = time.monotonic() + 20, 3
    while platform.serving.show(ctx, "churn").action != "auto-rollback":
        assert time.monotonic() < deadline, platform.serving.metrics(ctx, "churn").to_dict()
        client.post(PREDICT, json={"rows": [ROW], "key": f"c{i}"})
        i += 1
    back = platform.serving.show(ctx, "churn")
    assert back.reason["from_version"] == shadowed.version and back.reason["model"] == "churn/2"
    assert back.candidate is None and back.live.ref == "churn/1"
