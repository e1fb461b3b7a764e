"""SQL over a workspace: rewrites, time travel, streaming, writes, and what is refused."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pyarrow as pa
import pytest

import lakeworks as lw
from lakeworks.errors import InvalidInputError, NotFoundError, QueryError
from lakeworks.lake.sql import split_quoted


@pytest.fixture
def orders(ws: lw.Workspace) -> lw.Workspace:
    ws.write("orders", pa.table({"id": [1, 2, 3], "status": ["new", "paid", "paid"]}))
    ws.write("orders", pa.table({"id": [4], "status": ["new"]}))
    return ws


def test_results_as_arrow_pandas_polars(orders: lw.Workspace) -> None:
    q = orders.sql("select status, count(*) as n from orders group by status order by status")
    assert q.arrow().to_pylist() == [{"status": "new", "n": 2}, {"status": "paid", "n": 2}]
    assert list(q.to_pandas()["n"]) == [2, 2]
    assert q.to_polars()["status"].to_list() == ["new", "paid"]
    assert q.schema.names == ["status", "n"]


def test_time_travel_by_version_and_timestamp(orders: lw.Workspace) -> None:
    assert orders.sql("select count(*) from orders@v0").fetchall() == [(3,)]
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    time.sleep(0.02)
    orders.write("orders", pa.table({"id": [5], "status": ["new"]}))
    assert orders.sql(f"select count(*) from orders@{now}").fetchall() == [(4,)]
    joined = orders.sql("select count(*) from orders@v0 o join orders n using (id)").fetchall()
    assert joined == [(3,)]


def test_string_literals_are_not_rewritten(orders: lw.Workspace) -> None:
    rows = orders.sql("select 'orders@v0' as s, count(*) from orders").fetchall()
    assert rows == [("orders@v0", 4)]
    assert split_quoted("a 'b''c' d") == [(True, "a "), (False, "'b''c'"), (True, " d")]


def test_upper_case_table_names_resolve(orders: lw.Workspace) -> None:
    assert orders.sql("SELECT COUNT(*) FROM ORDERS").fetchall() == [(4,)]


def test_streaming_batches(ws: lw.Workspace) -> None:
    ws.write("big", pa.table({"n": list(range(250_000))}))
    reader = ws.sql("select n from big").batches(rows_per_batch=50_000)
    sizes = [batch.num_rows for batch in reader]
    assert sum(sizes) == 250_000
    assert max(sizes) <= 50_000 * 2  # bounded batches, never the whole result at once
    assert len(sizes) >= 3


def test_create_table_as_and_insert_into(orders: lw.Workspace) -> None:
    created = orders.sql("create table paid as select * from orders where status = 'paid'")
    assert (created.table, created.version, created.rows) == ("paid", 0, 2)
    inserted = orders.sql("insert into paid select * from orders where id = 1")
    assert inserted.version == 1
    assert orders.read("paid").num_rows == 3
    replaced = orders.sql("create or replace table paid as select * from orders limit 1")
    assert replaced.version == 2 and orders.read("paid").num_rows == 1
    saved = orders.sql("select id from orders").save("ids")
    assert saved.rows == 4


def test_syntax_error_names_duckdb_message(orders: lw.Workspace) -> None:
    with pytest.raises(QueryError, match="syntax error"):
        orders.sql("selec * from orders")


def test_unknown_table_is_not_found(orders: lw.Workspace) -> None:
    with pytest.raises(NotFoundError, match="'customers'") as info:
        orders.sql("select * from customers")
    assert "orders" in str(info.value)  # the hint lists the tables there are


def test_unknown_version_is_not_found(orders: lw.Workspace) -> None:
    with pytest.raises(NotFoundError, match="no version 9"):
        orders.sql("select * from orders@v9")


def test_insert_into_unknown_table_is_not_found(orders: lw.Workspace) -> None:
    with pytest.raises(NotFoundError):
        orders.sql("insert into nowhere select * from orders")


def test_files_outside_the_workspace_cannot_be_read(orders: lw.Workspace, tmp_path) -> None:  # noqa: ANN001
    secret = tmp_path / "secret.csv"
    secret.write_text("a\n1\n")
    with pytest.raises(InvalidInputError, match="outside this workspace"):
        orders.sql(f"select * from read_csv('{secret}')").arrow()
    with pytest.raises((InvalidInputError, QueryError)):
        orders.sql("set enable_external_access = true")


def test_another_workspaces_files_cannot_be_read(settings) -> None:  # noqa: ANN001
    a = lw.connect("a", settings=settings)
    b = lw.connect("b", settings=settings)
    try:
        b.write("secret", pa.table({"x": [42]}))
        files = b.platform.tables.open(b.ctx, "secret").file_uris()
        a.write("mine", pa.table({"x": [1]}))
        with pytest.raises(InvalidInputError):
            a.sql(f"select * from mine, read_parquet('{files[0]}')").arrow()
    finally:
        a.platform.close()
        b.platform.close()


def test_query_that_returns_no_relation_is_refused(orders: lw.Workspace) -> None:
    with pytest.raises(QueryError):
        orders.sql("create view v as select 1")


def test_several_statements_are_refused(orders: lw.Workspace) -> None:
    with pytest.raises(QueryError, match="one statement"):
        orders.sql("select 1; select 2")


def test_update_statement_is_refused_with_hint(orders: lw.Workspace) -> None:
    with pytest.raises(QueryError, match="UPDATE") as info:
        orders.sql("update orders set status = 'x'")
    assert "CREATE TABLE" in info.value.hint
