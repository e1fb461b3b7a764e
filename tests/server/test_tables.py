from __future__ import annotations

from fastapi.testclient import TestClient

from tests.server.conftest import ORDERS

TABLES = "/api/v1/workspaces/sales/tables"


def test_list_tables(client: TestClient, orders: str) -> None:
    tables = client.get(TABLES).json()
    assert [t["name"] for t in tables] == ["orders"]
    assert tables[0]["created_by"] == "anonymous"


def test_describe_table(client: TestClient, orders: str) -> None:
    info = client.get(orders).json()
    assert info["version"] == 0
    assert info["rows"] == 3
    assert info["files"] >= 1 and info["size_bytes"] > 0
    assert [(c["name"], c["type"]) for c in info["columns"]] == [
        ("order_id", "int64"),
        ("status", "string"),
        ("amount", "double"),
    ]


def test_unknown_table_is_404(client: TestClient) -> None:
    for path in ("", "/history", "/preview"):
        response = client.get(f"{TABLES}/missing{path}")
        assert response.status_code == 404, path
        body = response.json()
        assert body["error"] == "NotFoundError"
        assert "'missing'" in body["message"]
        assert body["details"]["table"] == "missing"


def test_append_overwrite_and_history(client: TestClient, orders: str) -> None:
    appended = client.post(f"{orders}/rows", json={"rows": ORDERS[:1]})
    assert appended.json() == {"table": "orders", "version": 1, "operation": "append", "rows": 1}
    overwritten = client.post(f"{orders}/rows", json={"rows": ORDERS[:2], "mode": "overwrite"})
    assert overwritten.json()["version"] == 2
    history = client.get(f"{orders}/history").json()
    assert [h["version"] for h in history] == [2, 1, 0]
    assert history[-1]["rows_added"] == 3
    assert len(client.get(f"{orders}/history", params={"limit": 1}).json()) == 1


def test_creating_an_existing_table_is_409(client: TestClient, orders: str) -> None:
    response = client.post(f"{orders}/rows", json={"rows": ORDERS, "mode": "create"})
    assert response.status_code == 409
    assert response.json()["error"] == "AlreadyExistsError"


def test_rows_that_do_not_form_columns_are_422(client: TestClient) -> None:
    rows = [{"a": 1}, {"a": "text"}]
    response = client.post(f"{TABLES}/mixed/rows", json={"rows": rows})
    assert response.status_code == 422
    assert "mixed" in response.json()["message"]


def test_a_changed_column_type_is_422(client: TestClient, orders: str) -> None:
    response = client.post(f"{orders}/rows", json={"rows": [{"order_id": "x"}]})
    assert response.status_code == 422
    assert response.json()["error"] == "SchemaMismatchError"


def test_empty_rows_and_bad_mode_are_422(client: TestClient) -> None:
    assert client.post(f"{TABLES}/t/rows", json={"rows": []}).status_code == 422
    bad_mode = client.post(f"{TABLES}/t/rows", json={"rows": [{"a": 1}], "mode": "upsert"})
    assert bad_mode.status_code == 422
    assert bad_mode.json()["error"] == "InvalidInputError"


def test_preview_with_limit_and_version(client: TestClient, orders: str) -> None:
    client.post(f"{orders}/rows", json={"rows": ORDERS})
    preview = client.get(f"{orders}/preview", params={"limit": 2}).json()
    assert preview["columns"] == ["order_id", "status", "amount"]
    assert preview["types"] == ["int64", "string", "double"]
    assert preview["row_count"] == 2 and preview["truncated"] is True
    old = client.get(f"{orders}/preview", params={"version": 0, "limit": 10}).json()
    assert old["row_count"] == 3 and old["truncated"] is False
    assert sorted(r[0] for r in old["rows"]) == [1, 2, 3]


def test_drop_table(client: TestClient, orders: str) -> None:
    assert client.delete(orders).status_code == 204
    assert client.get(orders).status_code == 404
    assert client.delete(orders).status_code == 404


def test_loads_of_a_table(client: TestClient, orders: str, tmp_path) -> None:  # noqa: ANN001
    assert client.get(f"{orders}/loads").json() == []
    platform = client.app.state.platform
    load_id = platform.catalog.start_load("sales", "orders", "orders.csv", "file", "append", "ada")
    platform.catalog.finish_load(load_id, "succeeded", rows_read=3, rows_written=3)
    loads = client.get(f"{orders}/loads").json()
    assert [(x["id"], x["status"], x["rows_written"]) for x in loads] == [(load_id, "succeeded", 3)]


def test_workspaces_are_isolated(client: TestClient) -> None:
    client.post("/api/v1/workspaces", json={"name": "research"})
    for ws, n in (("sales", 2), ("research", 5)):
        rows = [{"id": i, "ws": ws} for i in range(n)]
        client.post(f"/api/v1/workspaces/{ws}/tables/orders/rows", json={"rows": rows})
    for ws, n in (("sales", 2), ("research", 5)):
        preview = client.get(f"/api/v1/workspaces/{ws}/tables/orders/preview").json()
        assert {r[1] for r in preview["rows"]} == {ws}
        assert preview["row_count"] == n
        sql = client.post(f"/api/v1/workspaces/{ws}/sql", json={"query": "select * from orders"})
        assert {r[1] for r in sql.json()["rows"]} == {ws}
