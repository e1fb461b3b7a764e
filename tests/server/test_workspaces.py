from __future__ import annotations

from fastapi.testclient import TestClient


def test_list_and_create_workspaces(client: TestClient) -> None:
    created = client.post(
        "/api/v1/workspaces",
        json={"name": "research", "description": "models"},
        headers={"X-Lakeworks-User": "ada"},
    )
    assert created.status_code == 201
    assert created.json()["created_by"] == "ada"
    names = [w["name"] for w in client.get("/api/v1/workspaces").json()]
    assert names == ["research", "sales"]
    assert client.get("/api/v1/workspaces/research").json()["description"] == "models"


def test_creating_a_taken_name_is_409(client: TestClient) -> None:
    response = client.post("/api/v1/workspaces", json={"name": "sales"})
    assert response.status_code == 409
    assert response.json()["error"] == "AlreadyExistsError"


def test_invalid_workspace_name_is_422(client: TestClient) -> None:
    response = client.post("/api/v1/workspaces", json={"name": "Bad Name"})
    assert response.status_code == 422
    assert "invalid workspace name" in response.json()["message"]


def test_unknown_workspace_is_404(client: TestClient) -> None:
    assert client.get("/api/v1/workspaces/nowhere").status_code == 404
    response = client.get("/api/v1/workspaces/nowhere/tables")
    assert response.status_code == 404
    assert response.json()["details"] == {"workspace": "nowhere"}
