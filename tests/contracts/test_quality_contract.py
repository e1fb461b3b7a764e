"""The quality contract: check results are stored and read back alike on every backend."""

from __future__ import annotations

import pyarrow as pa
import pytest

import lakeworks as lw
from lakeworks.errors import DataQualityError
from lakeworks.quality import checks as qc


def test_results_stored_as_reported(bws: lw.Workspace) -> None:
    bws.create_table("orders", pa.table({"id": [1, 2, 2, None], "status": ["a", "b", "x", "a"]}))
    bws.quality.add(
        "orders",
        [
            qc.unique("id"),
            qc.accepted_values("status", ["a", "b"], severity="warn"),
            qc.row_count(1, 1000),
            qc.row_count_anomaly(),
        ],
    )
    report = bws.quality.run("orders")
    statuses = {r.check: r.status for r in report.results}
    assert statuses == {
        "unique(id)": "failed",
        "accepted_values(status)": "warned",
        "row_count()": "passed",
        "row_count_anomaly()": "passed",
    }
    stored = {r.check: r for r in bws.quality.results("orders", run_id=report.run_id)}
    assert stored == {r.check: r for r in report.results}  # ids, samples, times and all
    unique = stored["unique(id)"]
    assert (unique.violating, unique.total) == (1, 4)  # one row more than distinct keys
    assert sorted(row["id"] for row in unique.sample) == [2, 2]
    assert stored["row_count()"].sample is None and stored["row_count()"].observed == 4.0
    assert unique.created_at.tzinfo is not None

    # many tables in one call: each report's results are its own stored rows
    bws.create_table("other", pa.table({"id": [1, 2, 3], "status": ["a", "a", "b"]}))
    bws.quality.add("other", [qc.unique("id"), qc.row_count(1, 10)])
    first, second = bws.quality.run_many(["orders", "other"])
    assert not first.passed and second.passed
    for report in (first, second):
        again = bws.quality.results(report.table, run_id=report.run_id)
        assert sorted(again, key=lambda r: r.id) == sorted(report.results, key=lambda r: r.id)

    # the anomaly check of a gated write reads the row counts stored for earlier versions
    for start in (10, 20, 30, 40):
        bws.write("orders", pa.table({"id": list(range(start, start + 4)), "status": ["a"] * 4}))
    with pytest.raises(DataQualityError, match=r"row_count_anomaly\(\).*z = "):
        bws.write("orders", pa.table({"id": list(range(100, 200)), "status": ["a"] * 100}))
    assert bws.history("orders")[0].version == 4
