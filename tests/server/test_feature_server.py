"""The online-features fast path: same contract as a FastAPI route, errors included."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

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
