"""Quality.failures: the newest results of a workspace that did not pass."""

from __future__ import annotations

import lakeworks as lw
from lakeworks.quality import checks as qc


def test_failures_lists_failed_and_warned_results_newest_first(ws: lw.Workspace) -> None:
    ws.write("orders", [{"id": 1, "amount": -5.0}, {"id": 2, "amount": None}])
    ws.write("fine", [{"id": 1}])
    ws.quality.add("orders", [qc.between("amount", 0, 100), qc.not_null("amount", severity="warn")])
    ws.quality.add("fine", [qc.not_null("id")])
    ws.quality.run("orders")
    ws.quality.run("fine")
    found = ws.platform.quality.failures(ws.ctx)
    assert {(r.table, r.check, r.status) for r in found} == {
        ("orders", "between(amount)", "failed"),
        ("orders", "not_null(amount)", "warned"),
    }
    assert [r.id for r in found] == sorted((r.id for r in found), reverse=True)
    assert len(ws.platform.quality.failures(ws.ctx, limit=1)) == 1


def test_recent_loads_are_the_newest(ws: lw.Workspace, tmp_path) -> None:
    for i in range(3):
        path = tmp_path / f"part{i}.csv"
        path.write_text(f"id\n{i}\n")
        ws.ingest(str(path), "parts", progress=False)
    every = ws.platform.catalog.loads("default")
    newest = ws.platform.catalog.loads("default", limit=2)
    assert [r.id for r in newest] == [r.id for r in every][-2:]  # still oldest first
