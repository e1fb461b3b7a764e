"""POST /sql/export: a query's whole result as CSV or Parquet."""

from __future__ import annotations

import io

import pyarrow.parquet as pq
from fastapi.testclient import TestClient

API = "/api/v1/workspaces/sales/sql/export"


def test_csv_and_parquet_of_a_query(client: TestClient, orders: str) -> None:
    query = "select order_id, status from orders order by order_id"
    csv = client.post(API, json={"query": query, "format": "csv"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert 'filename="result.csv"' in csv.headers["content-disposition"]
    assert csv.text == '"order_id","status"\n1,"paid"\n2,"open"\n3,"paid"\n'
    parquet = client.post(API, json={"query": query, "format": "parquet"})
    table = pq.read_table(io.BytesIO(parquet.content))
    assert table.to_pydict() == {"order_id": [1, 2, 3], "status": ["paid", "open", "paid"]}


def test_bad_sql_unknown_format_and_writes_are_refused(client: TestClient, orders: str) -> None:
    bad = client.post(API, json={"query": "select nope from orders"})
    assert bad.status_code == 422 and "nope" in bad.json()["message"]
    assert client.post(API, json={"query": "select 1", "format": "xlsx"}).status_code == 422
    write = client.post(API, json={"query": "create table copy as select * from orders"})
    assert write.status_code == 422
    tables = client.get("/api/v1/workspaces/sales/tables").json()
    assert [t["name"] for t in tables] == ["orders"]  # nothing was written


def test_an_app_started_again_runs_statements(settings) -> None:
    """The lifespan's stop refuses new statements; starting it again accepts them."""
    from lakeworks.server.app import create_app

    app = create_app(settings)
    with TestClient(app) as client:
        client.post("/api/v1/workspaces", json={"name": "sales"})
        assert client.post("/api/v1/workspaces/sales/sql", json={"query": "select 1"}).is_success
    with TestClient(app) as client:
        again = client.post(API, json={"query": "select 1 as n"})
        assert again.status_code == 200 and again.text == '"n"\n1\n'
