"""The quality service's caches are keyed by value and bounded."""

from __future__ import annotations

import lakeworks as lw
from lakeworks.quality import checks as qc


def test_a_table_made_again_under_its_name_is_read_afresh(ws: lw.Workspace) -> None:
    """Version 0 of the new table is not version 0 of the dropped one (the Delta table id
    is part of the key)."""
    ws.write("t", [{"id": 1}, {"id": 2}])
    ws.quality.add("t", [qc.unique("id")])
    assert ws.quality.run("t").passed
    ws.drop_table("t")
    ws.write("t", [{"id": 5}, {"id": 6}, {"id": 7}])  # version 0 again, other rows
    result = ws.quality.run("t").results[0]
    assert (result.status, result.violating, result.total) == ("passed", 0, 3)


def test_one_scan_is_kept_per_table_version(ws: lw.Workspace) -> None:
    quality = ws.platform.quality
    ws.write("t", [{"id": 1}])
    ws.quality.add("t", [qc.not_null("id")])
    for _ in range(3):
        ws.quality.run("t")
    assert len(quality._scans) == 1
    ws.write("t", [{"id": 2}])
    assert ws.quality.run("t").results[0].total == 2
    assert len(quality._scans) == 2
    assert quality._scans.size == 4096  # bounded


def test_equal_checks_share_their_summary_sql() -> None:
    a, b = qc.between("x", 0, 1, name="a"), qc.between("x", 0, 1, name="b")
    assert a.summary_sql == b.summary_sql == 'count_if("x" < 0 OR "x" > 1)'
