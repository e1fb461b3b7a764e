"""``Tables.current``: the shared latest snapshot of each table, and each rule that retires
one (a commit by anyone, a re-created table: ``tests/contracts/test_tables_contract.py``;
the bound and time travel: here)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

import lakeworks as lw
from lakeworks.config import Settings
from lakeworks.lake import tables as tables_module


def test_a_commit_by_another_process_is_seen_and_opened_once(
    ws: lw.Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    tables, ctx = ws.platform.tables, ws.ctx
    ws.write("orders", pa.table({"id": [1, 2]}))
    first = tables.current(ctx, "orders")
    other = lw.connect(settings=ws.platform.settings, user="bob")  # its own Tables and cache
    try:
        other.write("orders", pa.table({"id": [3]}))
    finally:
        other.platform.close()
    opened: list[str] = []
    real = tables_module.open_delta
    monkeypatch.setattr(
        tables_module, "open_delta", lambda *a, **k: (opened.append(k["table"]), real(*a, **k))[1]
    )
    latest = tables.current(ctx, "orders")
    assert latest is not first and latest.version() == 1
    assert tables.current(ctx, "orders") is latest  # no newer commit: the same snapshot
    assert opened == ["orders"]  # opened again once, at the new version


def test_time_travel_leaves_the_shared_snapshot_at_the_latest_version(ws: lw.Workspace) -> None:
    ws.write("orders", pa.table({"id": [1]}))
    ws.write("orders", pa.table({"id": [2]}))
    assert ws.platform.tables.current(ws.ctx, "orders").version() == 1
    assert ws.sql("select count(*) from orders@v0").fetchall() == [(1,)]
    assert ws.read("orders", version=0).num_rows == 1
    assert ws.platform.tables.current(ws.ctx, "orders").version() == 1


def test_at_most_the_bound_of_snapshots_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tables_module, "CURRENT_CACHE_SIZE", 2)
    ws = lw.connect(settings=Settings.load(home=tmp_path / "lw", progress=False), user="t")
    try:
        tables, ctx = ws.platform.tables, ws.ctx
        for name in ("a", "b", "c"):
            ws.write(name, pa.table({"id": [1]}))
        snapshots = {name: tables.current(ctx, name) for name in ("a", "b", "c")}
        assert len(tables._current) == 2
        assert tables.current(ctx, "c") is snapshots["c"]  # kept
        assert tables.current(ctx, "b") is snapshots["b"]  # kept
        assert tables.current(ctx, "a") is not snapshots["a"]  # evicted: opened again
        assert len(tables._current) == 2
    finally:
        ws.platform.close()
