"""Every check kind, passing and failing, on a real table; thresholds; empty and all-null."""

from __future__ import annotations

from datetime import date

import pytest

import lakeworks as lw
from lakeworks.errors import DataQualityError
from lakeworks.quality import checks as qc

PASSING = [
    qc.not_null("id"),
    qc.unique("id"),
    qc.unique(["customer", "status", "id"]),
    qc.accepted_values("status", ["paid", "open", "void"]),
    qc.between("amount", 0, 90),
    qc.between("day", date(2026, 1, 1), date(2026, 2, 1)),
    qc.matches("email", r"^[a-z0-9]+@example\.com$"),
    qc.length("code", 3, 3),
    qc.references("customer", "customers", "id"),
    qc.expression("amount >= id"),
    qc.row_count(1, 10),
    qc.freshness("at", "1d"),
    qc.mean("amount", 40, 50),
    qc.stddev("amount", 20, 40),
    qc.quantile("amount", 0.5, 40, 50),
    qc.between("empty", 0, 1),  # a nullable range: nulls pass
]

FAILING = [
    (qc.not_null("empty"), 10),
    (qc.unique("customer"), 7),
    (qc.unique(["customer", "status"]), 7),
    (qc.accepted_values("status", ["paid"]), 6),
    (qc.between("amount", 0, 50), 4),
    (qc.between("day", date(2026, 1, 3), None), 2),
    (qc.matches("email", r"^user[0-4]@"), 5),
    (qc.length("code", max=2), 10),
    (qc.references("id", "customers"), 7),
    (qc.expression("status <> 'void'"), 3),
    (qc.row_count(min=11), 0),
    (qc.freshness("day", "30d"), 0),
    (qc.mean("amount", min=100), 0),
    (qc.stddev("amount", max=1), 0),
    (qc.quantile("amount", 0.9, max=10), 0),
]


@pytest.mark.parametrize("check", PASSING, ids=lambda c: c.name)
def test_a_good_table_passes(orders: lw.Workspace, check: qc.Check) -> None:
    orders.quality.add("orders", [check])
    report = orders.quality.run("orders")
    assert report.passed, report.summary()
    assert report.results[0].status == "passed"


@pytest.mark.parametrize(("check", "violating"), FAILING, ids=lambda c: getattr(c, "name", ""))
def test_a_bad_table_fails_with_counts_and_a_sample(
    orders: lw.Workspace, check: qc.Check, violating: int
) -> None:
    orders.quality.add("orders", [check])
    result = orders.quality.run("orders").results[0]
    assert result.status == "failed", result.message
    assert result.violating == violating
    if check.row_level:
        assert result.sample and len(result.sample) == min(violating, 5)


def test_warn_severity_records_but_passes(orders: lw.Workspace) -> None:
    orders.quality.add("orders", [qc.not_null("empty", severity="warn")])
    report = orders.quality.run("orders")
    assert report.passed and report.warned[0].status == "warned"


@pytest.mark.parametrize(
    ("options", "status"),
    [
        ({"max_rows": 5}, "failed"),
        ({"max_rows": 6}, "passed"),
        ({"max_percent": 60}, "passed"),
        ({"max_percent": 59.9}, "failed"),
    ],
)
def test_thresholds(orders: lw.Workspace, options: dict, status: str) -> None:
    orders.quality.add("orders", [qc.accepted_values("status", ["paid"], **options)])
    assert orders.quality.run("orders").results[0].status == status  # 6 of 10 violate


def test_all_checks_compile_to_one_summary_query() -> None:
    from lakeworks.quality.compile import summary_query

    query = summary_query(PASSING, "t")
    assert query.count('FROM "t"') == 1 and query.startswith("SELECT count(*) AS n")


def test_a_zero_row_table_gets_definite_explained_results(ws: lw.Workspace) -> None:
    import pyarrow as pa

    ws.create_table("empty", schema=pa.schema([("x", pa.float64()), ("t", pa.timestamp("us"))]))
    ws.quality.add(
        "empty",
        [
            qc.not_null("x"),
            qc.unique("x"),
            qc.row_count(min=1),
            qc.mean("x", 0, 1),
            qc.freshness("t", "1d"),
            qc.row_count_anomaly(),
            qc.null_rate_anomaly("x"),
        ],
    )
    by = {r.check: r for r in ws.quality.run("empty").results}
    assert by["not_null(x)"].status == "passed" and "no rows" in by["not_null(x)"].message
    assert by["row_count()"].status == "failed" and "row count is 0" in by["row_count()"].message
    assert by["mean(x)"].status == "failed" and "undefined" in by["mean(x)"].message
    assert by["freshness(t)"].status == "failed" and "no non-null" in by["freshness(t)"].message
    assert by["null_rate_anomaly(x)"].status == "passed"
    assert "undefined" in by["null_rate_anomaly(x)"].message


def test_an_all_null_column(orders: lw.Workspace) -> None:
    orders.quality.add("orders", [qc.not_null("empty"), qc.mean("empty", 0, 1, name="m")])
    by = {r.check: r for r in orders.quality.run("orders").results}
    assert by["not_null(empty)"].violating == 10
    assert "undefined" in by["m"].message and "10 rows" in by["m"].message


def test_row_count_anomaly_uses_the_tables_history(ws: lw.Workspace) -> None:
    ws.write("events", [{"n": i} for i in range(10)])
    ws.quality.add("events", [qc.row_count_anomaly(z=3, min_history=3)])
    first = ws.quality.run("events").results[0]
    assert first.status == "passed" and "not enough history to judge (0 of 3" in first.message
    for _ in range(3):  # versions of 20, 30, 40 rows: the gate judges and stores each
        ws.write("events", [{"n": i} for i in range(10)])
    with pytest.raises(DataQualityError, match="z = ") as refused:
        ws.write("events", [{"n": i} for i in range(1000)])
    assert "stays at version 3" in str(refused.value)
    assert ws.history("events")[0].version == 3
    assert ws.quality.results("events", limit=1)[0].status == "failed"


def test_null_rate_anomaly(ws: lw.Workspace) -> None:
    for i in range(4):
        ws.write("m", [{"v": float(j) if j != i else None} for j in range(10)], mode="overwrite")
        if i == 0:
            ws.quality.add("m", [qc.null_rate_anomaly("v", z=2, min_history=3)])
        ws.quality.run("m")
    with pytest.raises(DataQualityError, match="null rate of v is 0.9"):
        ws.write("m", [{"v": None}] * 9 + [{"v": 1.0}], mode="overwrite")
    assert ws.read("m").num_rows == 10 and ws.history("m")[0].version == 3


def test_results_are_stored_newest_first_and_checks_listed_and_removed(
    orders: lw.Workspace,
) -> None:
    orders.quality.add("orders", [qc.not_null("id"), qc.unique("id")])
    run = orders.quality.run("orders")
    stored = orders.quality.results("orders", run_id=run.run_id)
    assert {r.check for r in stored} == {"not_null(id)", "unique(id)"}
    assert all(r.version == 0 and r.trigger == "manual" for r in stored)
    orders.quality.remove("orders", "unique(id)")
    assert [c.name for c in orders.quality.list("orders")] == ["not_null(id)"]


def test_a_check_round_trips_through_its_json_spec() -> None:
    for check in PASSING:
        assert qc.Check.from_spec(check.to_spec()) == check
