"""The table contract: what every metadata + storage backend combination must do."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pyarrow as pa
import pytest

import lakeworks as lw
from lakeworks.errors import (
    AlreadyExistsError,
    InvalidInputError,
    NotFoundError,
    SchemaMismatchError,
)


def orders(ids: list[int], status: str = "new") -> pa.Table:
    return pa.table(
        {"order_id": ids, "amount": [float(i) * 1.5 for i in ids], "status": [status] * len(ids)}
    )


def test_create_append_read_roundtrip(bws: lw.Workspace) -> None:
    assert bws.create_table("orders", orders([1, 2])).version == 0
    result = bws.write("orders", orders([3]))
    assert (result.version, result.rows, result.operation) == (1, 1, "append")
    data = bws.read("orders").sort_by("order_id")
    assert data.column("order_id").to_pylist() == [1, 2, 3]
    assert bws.read("orders", format="pandas").shape == (3, 3)
    assert bws.read("orders", format="polars").height == 3


def test_create_twice_is_refused(bws: lw.Workspace) -> None:
    bws.create_table("orders", orders([1]))
    with pytest.raises(AlreadyExistsError, match="orders"):
        bws.create_table("orders", orders([2]))
    assert bws.read("orders").num_rows == 1


def test_overwrite_keeps_history(bws: lw.Workspace) -> None:
    bws.write("orders", orders([1, 2, 3]))
    bws.write("orders", orders([9]), mode="overwrite")
    assert bws.read("orders").column("order_id").to_pylist() == [9]
    assert bws.read("orders", version=0).num_rows == 3


def test_upsert_updates_and_inserts(bws: lw.Workspace) -> None:
    bws.write("orders", orders([1, 2]))
    result = bws.upsert("orders", orders([2, 3], status="paid"), keys=["order_id"])
    assert result.operation == "upsert"
    rows = {r["order_id"]: r["status"] for r in bws.read("orders").to_pylist()}
    assert rows == {1: "new", 2: "paid", 3: "paid"}


def test_upsert_twice_does_not_duplicate(bws: lw.Workspace) -> None:
    bws.upsert("orders", orders([1, 2]), keys="order_id")
    bws.upsert("orders", orders([1, 2]), keys="order_id")
    assert bws.read("orders").num_rows == 2


def test_upsert_with_missing_key_column_is_refused(bws: lw.Workspace) -> None:
    bws.write("orders", orders([1]))
    with pytest.raises(InvalidInputError, match=r"key column\(s\) \['customer'\]"):
        bws.upsert("orders", orders([2]), keys=["customer"])
    assert bws.read("orders").num_rows == 1
    assert len(bws.history("orders")) == 1


def test_delete_by_predicate(bws: lw.Workspace) -> None:
    bws.write("orders", orders([1, 2, 3, 4]))
    result = bws.delete("orders", "order_id >= 3")
    assert result.rows == 2
    assert sorted(bws.read("orders").column("order_id").to_pylist()) == [1, 2]


def test_read_with_pushed_down_filter_and_columns(bws: lw.Workspace) -> None:
    bws.write("orders", orders(list(range(100))))
    data = bws.read("orders", columns=["order_id"], where="order_id < 10")
    assert data.column_names == ["order_id"]
    assert sorted(data.column("order_id").to_pylist()) == list(range(10))


def test_time_travel_by_version_and_timestamp(bws: lw.Workspace) -> None:
    bws.write("orders", orders([1]))
    time.sleep(0.05)
    between = datetime.now(UTC)
    time.sleep(0.05)
    bws.write("orders", orders([2]))
    assert bws.read("orders", version=0).num_rows == 1
    assert bws.read("orders", as_of=between).num_rows == 1
    assert bws.read("orders").num_rows == 2
    with pytest.raises(NotFoundError, match="no version 7"):
        bws.read("orders", version=7)


def test_history_names_user_operation_and_rows(bws: lw.Workspace) -> None:
    bws.write("orders", orders([1, 2]))
    bws.write("orders", orders([3]))
    bws.delete("orders", "order_id = 1")
    history = bws.history("orders")
    assert [h.version for h in history] == [2, 1, 0]
    assert [h.operation for h in history] == ["DELETE", "WRITE", "WRITE"]
    assert {h.user for h in history} == {"alice"}
    assert history[-1].rows_added == 2
    assert history[0].rows_removed == 1


def test_new_nullable_column_is_accepted(bws: lw.Workspace) -> None:
    bws.write("orders", orders([1]))
    bws.write("orders", orders([2]).append_column("coupon", pa.array(["X"])))
    data = bws.read("orders").sort_by("order_id")
    assert data.column("coupon").to_pylist() == [None, "X"]


def test_type_change_is_refused_naming_column_and_types(bws: lw.Workspace) -> None:
    bws.write("orders", orders([1]))
    bad = pa.table({"order_id": ["one"], "amount": [1.0], "status": ["new"]})
    with pytest.raises(SchemaMismatchError) as info:
        bws.write("orders", bad)
    message = str(info.value)
    assert "'order_id'" in message and "int64" in message and "string" in message
    assert info.value.fields["expected"] == "int64"
    assert bws.read("orders").num_rows == 1


def test_type_change_allowed_when_overwriting_schema(bws: lw.Workspace) -> None:
    bws.write("orders", orders([1]))
    bad = pa.table({"order_id": ["one"], "amount": [1.0], "status": ["new"]})
    bws.write("orders", bad, mode="overwrite", schema_mode="overwrite")
    assert bws.read("orders").schema.field("order_id").type == pa.string()


def test_integer_widening_is_accepted(bws: lw.Workspace) -> None:
    bws.write("orders", orders([1]))
    narrow = pa.table({"order_id": pa.array([2], pa.int32()), "amount": [1.0], "status": ["x"]})
    bws.write("orders", narrow)
    assert bws.read("orders").schema.field("order_id").type == pa.int64()


def test_concurrent_appends_all_land(bws: lw.Workspace) -> None:
    bws.write(
        "events", pa.table({"n": pa.array([], pa.int64()), "writer": pa.array([], pa.int64())})
    )
    errors: list[Exception] = []

    def append(writer: int) -> None:
        try:
            bws.write("events", pa.table({"n": list(range(100)), "writer": [writer] * 100}))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=append, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    counts = bws.sql("select writer, count(*) c from events group by writer").arrow()
    assert sorted(counts.column("c").to_pylist()) == [100] * 4


def test_compact_and_vacuum(bws: lw.Workspace) -> None:
    for i in range(4):
        bws.write("orders", orders([i]))
    before = bws.describe("orders")
    assert before.num_files == 4
    bws.compact("orders")
    after = bws.describe("orders")
    assert after.num_files == 1 and after.num_rows == 4
    removed = bws.vacuum("orders", retention_hours=0)
    assert len(removed) == 4
    assert bws.read("orders").num_rows == 4


def test_unknown_table_is_not_found(bws: lw.Workspace) -> None:
    with pytest.raises(NotFoundError, match="'nope'"):
        bws.read("nope")


def test_drop_table_removes_it(bws: lw.Workspace) -> None:
    bws.write("orders", orders([1]))
    bws.drop_table("orders")
    assert [t.name for t in bws.tables()] == []
    bws.write("orders", orders([5]))
    assert bws.read("orders").column("order_id").to_pylist() == [5]


def test_sql_over_tables_with_time_travel(bws: lw.Workspace) -> None:
    bws.write("orders", orders([1, 2]))
    bws.write("orders", orders([3]))
    assert bws.sql("select count(*) from orders").fetchall() == [(3,)]
    assert bws.sql("select count(*) from orders@v0").fetchall() == [(2,)]
    result = bws.sql("create table big as select * from orders where amount > 2")
    assert result.rows == 2
    assert bws.read("big").num_rows == 2


def test_workspaces_are_isolated(backend_settings) -> None:  # noqa: ANN001
    a = lw.connect("team_a", settings=backend_settings, user="ann")
    b = lw.connect("team_b", settings=backend_settings, user="bob")
    try:
        a.write("orders", orders([1, 2, 3]))
        b.write("orders", orders([10]))
        assert a.sql("select count(*) from orders").fetchall() == [(3,)]
        assert b.sql("select count(*) from orders").fetchall() == [(1,)]
        assert [t.name for t in b.tables()] == ["orders"]
        b.drop_table("orders")
        assert a.read("orders").num_rows == 3
        with pytest.raises(NotFoundError):
            b.sql("select * from orders")
    finally:
        a.platform.close()
        b.platform.close()


def test_current_snapshot_follows_every_commit(bws: lw.Workspace) -> None:
    tables, ctx = bws.platform.tables, bws.ctx
    bws.write("orders", orders([1]))
    first = tables.current(ctx, "orders")
    assert tables.current(ctx, "orders") is first  # unchanged: the same snapshot
    bws.write("orders", orders([2]))  # a commit by this process...
    assert tables.current(ctx, "orders").version() == 1
    other = lw.connect(settings=bws.platform.settings, user="bob")  # ...or another one
    try:
        other.write("orders", orders([3]), mode="overwrite")
    finally:
        other.platform.close()
    latest = tables.current(ctx, "orders")
    assert latest.version() == 2 and latest.to_pyarrow_table().num_rows == 1
    bws.drop_table("orders")
    bws.write("orders", orders([4, 5]))  # a new table under the same name
    renewed = tables.current(ctx, "orders")
    assert renewed.version() == 0 and renewed.to_pyarrow_table().num_rows == 2
