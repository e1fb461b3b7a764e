from __future__ import annotations

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

import lakeworks
from lakeworks import errors
from lakeworks.server.errors import STATUS, status_for


def test_health(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok", "version": lakeworks.__version__}


def test_openapi_lists_the_routes(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["info"] == {
        "title": "lakeworks",
        "version": lakeworks.__version__,
        "description": spec["info"]["description"],
    }
    assert {
        "/health",
        "/api/v1/workspaces",
        "/api/v1/workspaces/{ws}/tables",
        "/api/v1/workspaces/{ws}/tables/{name}",
        "/api/v1/workspaces/{ws}/tables/{name}/history",
        "/api/v1/workspaces/{ws}/tables/{name}/preview",
        "/api/v1/workspaces/{ws}/tables/{name}/rows",
        "/api/v1/workspaces/{ws}/tables/{name}/loads",
        "/api/v1/workspaces/{ws}/sql",
    } <= set(spec["paths"])


def test_metrics_count_requests_by_route_template(client: TestClient, orders: str) -> None:
    client.get(orders)
    client.get(orders)
    client.get("/api/v1/workspaces/sales/tables/missing")
    text = client.get("/metrics").text
    route = 'route="/api/v1/workspaces/{ws}/tables/{name}"'
    assert f'lakeworks_http_requests_total{{method="GET",{route},status="200"}} 2.0' in text
    assert f'lakeworks_http_requests_total{{method="GET",{route},status="404"}} 1.0' in text
    assert f'lakeworks_http_request_duration_seconds_count{{method="GET",{route}}} 3.0' in text


def test_each_app_has_its_own_metrics(client: TestClient, settings) -> None:  # noqa: ANN001
    from lakeworks.server.app import create_app

    client.get("/health")
    with TestClient(create_app(settings)) as other:
        assert 'route="/health"' not in other.get("/metrics").text


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.NotFoundError, 404),
        (errors.AlreadyExistsError, 409),
        (errors.ConflictError, 409),
        (errors.InvalidInputError, 422),
        (errors.SchemaMismatchError, 422),
        (errors.QueryError, 422),
        (errors.DataQualityError, 422),
        (errors.PermissionDeniedError, 403),
        (errors.QuotaExceededError, 429),
        (errors.UnavailableError, 503),
        (errors.UserCodeError, 400),
        (errors.MissingDependencyError, 501),
        (errors.LakeworksError, 400),
    ],
)
def test_error_status(error: type[errors.LakeworksError], status: int) -> None:
    assert status_for(error("boom")) == status


def test_every_error_class_has_a_status() -> None:
    classes = [c for c in vars(errors).values() if isinstance(c, type)]
    for cls in classes:
        if issubclass(cls, errors.LakeworksError):
            assert any(base in STATUS for base in cls.__mro__)


def _failing_app(client: TestClient, exc: Exception) -> None:
    router = APIRouter()

    @router.get("/boom")
    def boom() -> None:
        raise exc

    client.app.include_router(router)


def test_unexpected_errors_are_500_without_a_traceback(client: TestClient) -> None:
    _failing_app(client, RuntimeError("secret internals at /srv/x.py line 3"))
    response = client.get("/boom")
    assert response.status_code == 500
    body = response.json()
    assert body["error"] == "InternalError"
    assert "Traceback" not in response.text and "secret" not in response.text
    assert 'route="/boom",status="500"' in client.get("/metrics").text


def test_lakeworks_errors_carry_message_hint_and_details(client: TestClient) -> None:
    _failing_app(client, errors.QuotaExceededError("over quota", hint="ask an admin", rows=5))
    response = client.get("/boom")
    assert response.status_code == 429
    assert response.json() == {
        "error": "QuotaExceededError",
        "message": "over quota",
        "hint": "ask an admin",
        "details": {"rows": 5},
    }
    assert "Traceback" not in response.text


def test_transient_errors_ask_to_retry(client: TestClient) -> None:
    _failing_app(client, errors.UnavailableError("database down"))
    response = client.get("/boom")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"


def test_unknown_route_is_json_404(client: TestClient) -> None:
    response = client.get("/api/v1/nothing")
    assert response.status_code == 404
    assert response.json()["error"] == "HTTPError"
