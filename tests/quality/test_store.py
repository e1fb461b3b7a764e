"""How stored results get their ids back; how a store sees checks changed elsewhere."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

import lakeworks as lw
from lakeworks.errors import NotFoundError
from lakeworks.meta import engine as meta_engine
from lakeworks.meta.catalog import Catalog, now
from lakeworks.quality import checks as qc
from lakeworks.quality.store import QualityStore, _insert_results, _new_ids


def _rows(workspace_id: int, run_id: str, checks: list[str]) -> list[tuple]:
    return [
        (
            workspace_id,
            "t",
            0,
            run_id,
            "manual",
            c,
            "not_null",
            "error",
            "passed",
            0,
            1,
            None,
            "",
            None,
        )
        for c in checks
    ]


def test_new_ids_are_the_inserted_rows_ids(ws: lw.Workspace) -> None:
    store = ws.platform.quality.store
    workspace_id = store._workspace_id(ws.ctx.workspace)
    with store.catalog.session() as s:
        conn = s.connection()
        first = _rows(workspace_id, "run-a", ["c1", "c2", "c3"])
        _insert_results(conn, first, now())
        ids = _new_ids(conn, first, ["run-a"])  # consecutive ids: the largest gives them
        assert ids == sorted(ids) and ids[-1] - ids[0] == 2

        second = _rows(workspace_id, "run-b", ["c1", "c2"])
        _insert_results(conn, second, now())
        _insert_results(conn, _rows(workspace_id, "run-c", ["c9"]), now())
        # the largest id is run-c's: the ends do not match, so the ids are read back
        assert _new_ids(conn, second, ["run-b"]) == [ids[-1] + 1, ids[-1] + 2]
        stored = s.execute(text("SELECT id, run_id, check_name FROM quality_results ORDER BY id"))
        stored = [tuple(row) for row in stored]
    assert stored[-6:] == [
        (ids[0], "run-a", "c1"),
        (ids[0] + 1, "run-a", "c2"),
        (ids[0] + 2, "run-a", "c3"),
        (ids[0] + 3, "run-b", "c1"),
        (ids[0] + 4, "run-b", "c2"),
        (ids[0] + 5, "run-c", "c9"),
    ]


@pytest.fixture(params=["sqlite", "postgres"])
def two_stores(request: pytest.FixtureRequest, tmp_path) -> Iterator[tuple]:  # noqa: ANN001
    """Two quality stores on one catalog, each with its own engine (two processes)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'meta.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engines = [meta_engine.make_engine(url) for _ in range(2)]
    meta_engine.upgrade(engines[0])
    Catalog(engines[0]).create_workspace("sales", "ann")
    yield tuple(QualityStore(Catalog(e)) for e in engines)
    for e in engines:
        e.dispose()


def test_checks_changed_by_another_store_move_the_revision_and_are_seen(two_stores) -> None:  # noqa: ANN001
    mine, other = two_stores
    mine.add_checks("sales", "orders", [qc.row_count(min=1)], "ann")
    assert [i.check for i in mine.checks_of("sales", None)["orders"]] == [qc.row_count(min=1)]
    before = _revision(mine)
    other.remove_check("sales", "orders", "row_count()")
    other.add_checks("sales", "orders", [qc.row_count(min=5)], "bob")
    assert _revision(mine) == before + 2
    assert [i.check for i in mine.checks_of("sales", None)["orders"]] == [qc.row_count(min=5)]
    with pytest.raises(NotFoundError):  # nothing removed: the revision stays
        other.remove_check("sales", "orders", "no such check")
    assert _revision(mine) == before + 2


def _revision(store: QualityStore) -> int:
    with store.catalog.session() as s:
        return s.execute(text("select checks_revision from workspaces")).scalar_one()
