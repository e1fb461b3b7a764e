"""SQL reads a table's latest version from the snapshot ``Tables.current`` shares, and each
rule that retires a snapshot (a new commit, a re-created table, the bound) holds for SQL."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pytest

import lakeworks as lw
from lakeworks.config import Settings
from lakeworks.lake import tables as tables_module


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The tables ``Tables.current`` opened (read the Delta log of), in order."""
    names: list[str] = []
    real = tables_module.open_delta

    def counting(uri: str, options: dict, *, table: str, **at: object):  # noqa: ANN202
        names.append(table)
        return real(uri, options, table=table, **at)

    monkeypatch.setattr(tables_module, "open_delta", counting)
    yield names


def _count(ws: lw.Workspace, table: str) -> int:
    return ws.sql(f"select count(*) from {table}").fetchall()[0][0]


def test_queries_share_one_snapshot_until_a_commit(ws: lw.Workspace, opened: list[str]) -> None:
    ws.write("orders", pa.table({"id": [1, 2]}))
    assert [_count(ws, "orders") for _ in range(5)] == [2] * 5
    assert opened == ["orders"]  # the log was read once, not per query
    reads = ws.platform.sql.query(ws.ctx, "select * from orders").reads
    assert [(r.table, r.version) for r in reads] == [("orders", 0)]


def test_a_commit_by_another_process_is_seen_by_the_next_query(
    ws: lw.Workspace, opened: list[str]
) -> None:
    ws.write("orders", pa.table({"id": [1, 2]}))
    assert _count(ws, "orders") == 2
    other = lw.connect(settings=ws.platform.settings, user="bob")  # its own Tables and cache
    try:
        other.write("orders", pa.table({"id": [3]}))
    finally:
        other.platform.close()
    opened.clear()  # the other writer opened it too
    assert _count(ws, "orders") == 3
    reads = ws.platform.sql.query(ws.ctx, "select * from orders").reads
    assert [r.version for r in reads] == [1]
    assert opened == ["orders"]  # opened again once, at the new version


def test_a_re_created_table_is_never_served_the_old_snapshot(ws: lw.Workspace) -> None:
    ws.write("orders", pa.table({"id": [1, 2, 3]}))
    ws.write("orders", pa.table({"id": [4]}))  # version 1
    assert _count(ws, "orders") == 4
    ws.drop_table("orders")
    ws.write("orders", pa.table({"id": [9]}))  # version 0 of a new table, same name
    assert _count(ws, "orders") == 1
    reads = ws.platform.sql.query(ws.ctx, "select * from orders").reads
    assert [r.version for r in reads] == [0]


def test_time_travel_leaves_the_shared_snapshot_at_the_latest_version(ws: lw.Workspace) -> None:
    ws.write("orders", pa.table({"id": [1]}))
    ws.write("orders", pa.table({"id": [2]}))
    assert _count(ws, "orders") == 2
    assert ws.sql("select count(*) from orders@v0").fetchall() == [(1,)]
    assert ws.platform.tables.current(ws.ctx, "orders").version() == 1
    assert _count(ws, "orders") == 2


def test_at_most_the_bound_of_snapshots_is_kept(
    tmp_path, monkeypatch: pytest.MonkeyPatch, opened: list[str]
) -> None:  # noqa: ANN001
    monkeypatch.setattr(tables_module, "CURRENT_CACHE_SIZE", 2)
    ws = lw.connect(settings=Settings.load(home=tmp_path / "lw", progress=False), user="t")
    try:
        for name in ("a", "b", "c"):
            ws.write(name, pa.table({"id": [1]}))
        assert [_count(ws, name) for name in ("a", "b", "c")] == [1, 1, 1]
        assert len(ws.platform.tables._current) == 2
        assert _count(ws, "c") == 1 and _count(ws, "b") == 1  # kept: not opened again
        assert _count(ws, "a") == 1  # evicted (least recently read): opened again
        assert opened == ["a", "b", "c", "a"]
    finally:
        ws.platform.close()
