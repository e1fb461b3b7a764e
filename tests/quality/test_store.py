"""How stored results get their ids back."""

from __future__ import annotations

from sqlalchemy import text

import lakeworks as lw
from lakeworks.meta.catalog import now
from lakeworks.quality.store import _insert_results, _new_ids


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
