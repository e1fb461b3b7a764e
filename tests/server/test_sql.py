from __future__ import annotations

from fastapi.testclient import TestClient

SQL = "/api/v1/workspaces/sales/sql"


def test_query_returns_columns_and_rows(client: TestClient, orders: str) -> None:
    query = "select status, sum(amount) as total from orders group by 1 order by 1"
    body = client.post(SQL, json={"query": query}).json()
    assert body == {
        "columns": ["status", "total"],
        "types": ["string", "double"],
        "rows": [["open", 3.0], ["paid", 19.75]],
        "row_count": 2,
        "truncated": False,
    }


def test_limit_truncates(client: TestClient) -> None:
    body = client.post(SQL, json={"query": "select * from range(10)", "limit": 4}).json()
    assert body["row_count"] == 4 and body["truncated"] is True
    assert [r[0] for r in body["rows"]] == [0, 1, 2, 3]


def test_arrow_values_are_encoded_as_json(client: TestClient) -> None:
    query = (
        "select 'nan'::double as nan, 'inf'::double as inf, "
        "timestamptz '2026-01-02 03:04:05+00' as ts, date '2026-01-02' as d, "
        "1.50::decimal(10, 2) as dec, 'ab'::blob as bin, [1, 2] as list, "
        "{'a': 1} as struct, map([1], ['x']) as m, interval 90 second as span"
    )
    response = client.post(SQL, json={"query": query})
    assert response.status_code == 200
    row = dict(zip(response.json()["columns"], response.json()["rows"][0], strict=True))
    assert row == {
        "nan": None,
        "inf": None,
        "ts": "2026-01-02T03:04:05+00:00",
        "d": "2026-01-02",
        "dec": "1.50",
        "bin": "YWI=",
        "list": [1, 2],
        "struct": {"a": 1},
        "m": {"1": "x"},
        "span": {"months": 0, "days": 0, "nanoseconds": 90_000_000_000},
    }


def test_create_table_as_returns_the_write(client: TestClient, orders: str) -> None:
    query = "create table paid as select * from orders where status = 'paid'"
    body = client.post(SQL, json={"query": query}).json()
    assert body == {"table": "paid", "version": 0, "operation": "create", "rows": 2}
    assert client.get("/api/v1/workspaces/sales/tables/paid").json()["rows"] == 2


def test_bad_sql_is_422_with_duckdb_message(client: TestClient, orders: str) -> None:
    response = client.post(SQL, json={"query": "select nope from orders"})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "QueryError"
    assert "Binder Error" in body["message"] and "nope" in body["message"]


def test_unknown_table_in_sql_is_404(client: TestClient) -> None:
    response = client.post(SQL, json={"query": "select * from ghosts"})
    assert response.status_code == 404
    assert response.json()["details"]["table"] == "ghosts"


def test_missing_query_is_422(client: TestClient) -> None:
    response = client.post(SQL, json={"limit": 3})
    assert response.status_code == 422
    assert "query" in response.json()["message"]
