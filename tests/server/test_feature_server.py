"""The online-features fast path: same contract as a FastAPI route, errors included."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from lakeworks import errors
from lakeworks.context import Context
from lakeworks.features import Entity, FeatureView

URL = "/api/v1/workspaces/sales/features/online"


@pytest.fixture
def served(client: TestClient) -> TestClient:
    platform = client.app.state.platform
    ctx = Context("sales", "ann")
    platform.features.apply(
        ctx,
        [
            Entity("rider", "rider_id"),
            FeatureView("live", entity="rider", timestamp="ts", features=["trips"], source="live"),
        ],
    )
    now = datetime(2026, 11, 27, 10, tzinfo=UTC)
    platform.features.push(ctx, "live", [{"rider_id": 7, "ts": now, "trips": 3}])
    return client


def test_values_and_status(served: TestClient) -> None:
    body = {"features": ["live:trips"], "entity_rows": [{"rider_id": 7}, {"rider_id": 8}]}
    answer = served.post(URL, json=body)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["results"] == [
        {"values": {"trips": 3}, "status": {"trips": "present"}},
        {"values": {"trips": None}, "status": {"trips": "unknown_entity"}},
    ]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"{not json", "not JSON"),
        (b'{"features": ["live:trips"]}', "entity_rows"),
        (b'{"features": ["live:trips"], "entity_rows": []}', "entity_rows"),
        (b'{"features": "live:trips", "entity_rows": [{"rider_id": 7}]}', "features"),
        (b'{"service": 3, "entity_rows": [{"rider_id": 7}]}', "service"),
    ],
)
def test_bad_requests_are_422_with_the_error_shape(
    served: TestClient, body: bytes, fragment: str
) -> None:
    answer = served.post(URL, content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 422
    payload = answer.json()
    assert payload["error"] == "InvalidInputError" and fragment in payload["message"]


def test_unknown_workspace_and_feature_are_404(served: TestClient) -> None:
    rows = {"features": ["live:trips"], "entity_rows": [{"rider_id": 7}]}
    assert served.post(URL.replace("sales", "nowhere"), json=rows).status_code == 404
    unknown = served.post(URL, json={**rows, "features": ["live:nope"]})
    assert unknown.status_code == 404 and "nope" in unknown.json()["message"]


def test_counted_in_metrics_under_the_route_template(served: TestClient) -> None:
    served.post(URL, json={"features": ["live:trips"], "entity_rows": [{"rider_id": 7}]})
    metrics = served.get("/metrics").text
    assert 'route="/api/v1/workspaces/{ws}/features/online"' in metrics


def test_other_methods_fall_through_to_the_app(served: TestClient) -> None:
    assert served.get(URL).status_code == 405
    assert "/api/v1/workspaces/{ws}/features/online" in served.get("/openapi.json").text


def test_reads_run_in_a_worker_thread_not_on_the_event_loop(
    served: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    callers = served.app.state.callers
    on_loop: list[bool] = []
    check = callers.context

    def recorded(ws: str, **caller: str | None) -> Context:
        try:
            asyncio.get_running_loop()
            on_loop.append(True)
        except RuntimeError:  # no loop running in this thread
            on_loop.append(False)
        return check(ws, **caller)

    monkeypatch.setattr(callers, "context", recorded)
    body = {"features": ["live:trips"], "entity_rows": [{"rider_id": 7}]}
    assert served.post(URL, json=body).status_code == 200
    assert on_loop == [False]


def test_the_fast_path_passes_the_checks_every_route_passes(
    served: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A check added to Callers (as authentication will be) guards both doors."""
    callers = served.app.state.callers
    check = callers.context

    def refusing(ws: str, user: str, **caller: str | None) -> Context:
        if user == "mallory":
            raise errors.PermissionDeniedError(f"{user} may not read {ws}")
        return check(ws, user, **caller)

    monkeypatch.setattr(callers, "context", refusing)
    mallory = {"X-Lakeworks-User": "mallory"}
    body = {"features": ["live:trips"], "entity_rows": [{"rider_id": 7}]}
    assert served.post(URL, json=body, headers=mallory).status_code == 403
    assert served.get("/api/v1/workspaces/sales/tables", headers=mallory).status_code == 403
    assert served.post(URL, json=body).status_code == 200


@pytest.mark.parametrize(
    ("url", "headers", "fragment"),
    [
        ("/api/v1/workspaces/Sales/features/online", {}, "invalid workspace name 'Sales'"),
        (URL, {"X-Lakeworks-User": ""}, "X-Lakeworks-User"),
        (URL, {"X-Lakeworks-User": "u" * 257}, "X-Lakeworks-User"),
    ],
)
def test_the_caller_is_checked_as_on_every_route(
    served: TestClient, url: str, headers: dict[str, str], fragment: str
) -> None:
    body = {"features": ["live:trips"], "entity_rows": [{"rider_id": 7}]}
    answer = served.post(url, json=body, headers=headers)
    assert answer.status_code == 422 and fragment in answer.json()["message"]
