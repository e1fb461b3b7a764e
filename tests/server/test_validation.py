"""Parameters are checked at the door, and the OpenAPI document lists every error status
with the error body's schema (issue 13, section 6: found by schemathesis)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from lakeworks.context import check_name
from lakeworks.errors import InvalidInputError
from lakeworks.server.dependencies import NAME_MAX, NAME_PATTERN

WS = "/api/v1/workspaces/sales"
NAME_RE = re.compile(r"[a-z_][a-z0-9_]{0,130}", re.ASCII)
RUN_ROUTES = [
    ("GET", "/pipeline-runs/{id}"),
    ("POST", "/pipeline-runs/{id}/cancel"),
    ("POST", "/pipeline-runs/{id}/resume"),
    ("GET", "/pipeline-runs/{id}/tasks/extract/log"),
]


@pytest.mark.parametrize(("method", "route"), RUN_ROUTES)
@pytest.mark.parametrize("run_id", [2**63, 10**30, 0, -1])
def test_run_ids_outside_the_64_bit_range_are_422(
    client: TestClient, method: str, route: str, run_id: int
) -> None:
    response = client.request(method, WS + route.format(id=run_id))
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "InvalidInputError" and "path.run_id" in body["message"]


@pytest.mark.parametrize(("method", "route"), RUN_ROUTES)
def test_the_largest_run_id_is_looked_up(client: TestClient, method: str, route: str) -> None:
    response = client.request(method, WS + route.format(id=2**63 - 1))
    assert response.status_code == 404
    assert str(2**63 - 1) in response.json()["message"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/api/v1/workspaces/Sales/tables", "invalid workspace name 'Sales'"),
        (f"{WS}/tables/0", "invalid table name '0'"),
        (f"{WS}/tables/{'t' * 129}", "longer than 128 characters"),
        (f"{WS}/lineage/bad-name", "invalid table name 'bad-name'"),
        (f"{WS}/quality/Orders/checks", "invalid table name 'Orders'"),
        (f"{WS}/pipelines/Daily", "invalid pipeline name 'Daily'"),
        (f"{WS}/features/view/Rider/versions", "invalid feature definition name 'Rider'"),
    ],
)
def test_bad_names_in_the_path_are_422_naming_the_rule(
    client: TestClient, url: str, message: str
) -> None:
    response = client.get(url)
    assert response.status_code == 422
    assert message in response.json()["message"]


def test_an_unknown_definition_kind_is_422(client: TestClient) -> None:
    response = client.get(f"{WS}/features/table/rider/versions")
    assert response.status_code == 422 and "path.kind" in response.json()["message"]


@pytest.mark.parametrize("version", [2**63, -1])
def test_versions_outside_the_64_bit_range_are_422(
    client: TestClient, orders: str, version: int
) -> None:
    response = client.get(f"{orders}/preview", params={"version": version})
    assert response.status_code == 422 and "query.version" in response.json()["message"]


@pytest.mark.parametrize("user", ["", "u" * 257])
def test_user_header_lengths_are_checked(client: TestClient, user: str) -> None:
    response = client.get(f"{WS}/tables", headers={"X-Lakeworks-User": user})
    assert response.status_code == 422 and "X-Lakeworks-User" in response.json()["message"]


@pytest.mark.parametrize(
    ("rows", "fragment"),
    [
        ([{"": 1}], 'body.rows.0."".[key]: String should have at least 1 character'),
        ([{}], "body.rows.0"),
        ([{"amount": 2**64}], "does not fit in 64 bits"),
        ([{"amount": {}}], "not a JSON object"),
        ([{"amount": [1, 2]}], "not a JSON array"),
    ],
)
def test_rows_that_cannot_become_a_table_are_422_at_the_door(
    client: TestClient, rows: list, fragment: str
) -> None:
    response = client.post(f"{WS}/tables/odd/rows", json={"rows": rows})
    assert response.status_code == 422 and fragment in response.json()["message"]
    assert client.get(f"{WS}/tables/odd").status_code == 404  # nothing was created


def test_a_table_written_through_the_door_can_be_read_back(client: TestClient) -> None:
    rows = [{"flag": True, "ratio": 0.5, "label": "x", "big": 2**63 - 1, "gap": None}]
    assert client.post(f"{WS}/tables/cells/rows", json={"rows": rows}).status_code == 201
    preview = client.get(f"{WS}/tables/cells/preview").json()
    assert preview["rows"] == [[True, 0.5, "x", 2**63 - 1, None]]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"entity_rows": [{"rider_id": 7}]}, "give either features or service"),
        (
            {"features": ["v:f"], "service": "s", "entity_rows": [{"rider_id": 7}]},
            "give either features or service",
        ),
        ({"features": ["not a ref"], "entity_rows": [{"rider_id": 7}]}, "body.features.0"),
    ],
)
def test_online_requests_name_features_or_a_service(
    client: TestClient, body: dict, fragment: str
) -> None:
    response = client.post(f"{WS}/features/online", json=body)
    assert response.status_code == 422 and fragment in response.json()["message"]


def test_the_online_fast_path_checks_the_workspace_name(client: TestClient) -> None:
    body = {"features": ["v:f"], "entity_rows": [{"rider_id": 7}]}
    response = client.post("/api/v1/workspaces/Sales/features/online", json=body)
    assert response.status_code == 422
    assert "invalid workspace name 'Sales'" in response.json()["message"]


def test_an_unknown_check_kind_is_refused_by_the_schema(client: TestClient, orders: str) -> None:
    checks = {"checks": [{"kind": "sometimes", "columns": ["amount"]}]}
    response = client.post(f"{WS}/quality/orders/checks", json=checks)
    assert response.status_code == 422
    assert "body.checks.0.kind" in response.json()["message"]
    assert "'not_null'" in response.json()["message"]  # the kinds there are


def test_a_405_lists_every_method_of_the_path(client: TestClient, orders: str) -> None:
    response = client.put("/api/v1/workspaces")
    assert response.status_code == 405 and response.headers["allow"] == "GET, POST"
    assert client.put(orders).headers["allow"] == "DELETE, GET"


def test_every_operation_documents_its_error_statuses_with_the_error_body(
    client: TestClient,
) -> None:
    spec = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    assert set(spec["components"]["schemas"]["ErrorBody"]["required"]) == {
        "error",
        "message",
        "hint",
        "details",
    }
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            errors = {int(s) for s in operation["responses"] if not s.startswith("2")}
            expected = {422, 503} | (
                {400, 404} if path.startswith("/api/v1/workspaces/") else set()
            )
            if path == "/health":
                expected = {503}
            assert expected <= errors, (method, path, errors)
            for status in errors:
                schema = operation["responses"][str(status)]["content"]["application/json"]
                assert schema["schema"] == {"$ref": "#/components/schemas/ErrorBody"}


def test_writes_document_409(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "409" in paths["/api/v1/workspaces"]["post"]["responses"]
    assert "409" in paths["/api/v1/workspaces/{ws}/tables/{name}/rows"]["post"]["responses"]
    resume = paths["/api/v1/workspaces/{ws}/pipeline-runs/{run_id}/resume"]["post"]
    assert "409" in resume["responses"]
    assert resume["parameters"][0]["schema"]["maximum"] == 2**63 - 1


@given(
    st.text(alphabet=st.sampled_from("az_09Aé -."), max_size=130)
    | st.from_regex(NAME_RE, fullmatch=True)
)
def test_the_documented_name_pattern_is_check_names_rule(name: str) -> None:
    documented = re.fullmatch(NAME_PATTERN, name) is not None and len(name) <= NAME_MAX
    try:
        check_name("table", name)
        accepted = True
    except InvalidInputError:
        accepted = False
    assert documented == accepted
