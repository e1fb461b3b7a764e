"""Checks settled by the Delta log's file statistics give the counts a scan gives, and
everything statistics cannot prove is still scanned."""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal

import pyarrow as pa
import pytest

import lakeworks as lw
from lakeworks.quality import checks as qc
from lakeworks.quality import evaluate, stats
from tests.quality.test_run_many import counting


def violating(report: object, check: str) -> int:
    return next(r.violating for r in report.results if r.check == check)  # type: ignore[attr-defined]


def first_file() -> pa.Table:
    return pa.table(
        {
            "n": pa.array([1, 2, None, 4], pa.int64()),
            "price": pa.array(
                [Decimal("1.5"), Decimal("49.0"), None, Decimal("0")], pa.decimal128(9, 1)
            ),
            "ratio": pa.array([0.1, math.nan, 0.5, None], pa.float64()),
            "day": pa.array([date(2026, 1, 1), date(2026, 3, 1), None, date(2026, 2, 1)]),
            "gone": pa.array([None, None, None, None], pa.int32()),
        }
    )


def test_not_null_is_the_sum_of_null_counts_over_files(ws: lw.Workspace) -> None:
    ws.write("t", first_file())
    ws.write("t", first_file().slice(1, 2))  # a second file: one more null n
    ws.quality.add("t", [qc.not_null("n"), qc.not_null("gone"), qc.row_count(min=6, max=6)])
    report = ws.quality.run("t")
    assert violating(report, "not_null(n)") == 2
    assert violating(report, "not_null(gone)") == 6
    assert [r.status for r in report.results] == ["failed", "failed", "passed"]


def test_checks_settled_by_statistics_need_no_scan(
    ws: lw.Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws.write("t", first_file())
    ws.quality.add("t", [qc.not_null("day"), qc.between("n", 0, 10), qc.row_count(min=1)])
    scans = counting(monkeypatch, evaluate, "summaries")
    report = ws.quality.run("t")
    assert scans == []
    assert report.results[0].violating == 1 and report.results[0].status == "failed"
    assert report.results[1].passed and report.results[2].observed == 4


def test_floats_and_timestamps_are_always_scanned(
    ws: lw.Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = [datetime(2026, 1, 1, 0, 0, 0, i) for i in range(4)]
    ws.write("t", first_file().append_column("at", pa.array(at)))
    low, high = datetime(2026, 1, 1), datetime(2026, 1, 2)
    for check in (qc.between("ratio", -1, 2), qc.between("at", low, high)):
        ws.quality.add("t", check)
        scans = counting(monkeypatch, evaluate, "summaries")
        assert ws.quality.run("t").passed
        assert scans == [1]
        ws.quality.remove("t", check.name)


def test_a_range_statistics_cannot_prove_is_counted_by_the_scan(ws: lw.Workspace) -> None:
    ws.write("t", first_file())
    ws.quality.add(
        "t",
        [
            qc.between("n", 2, 10, name="n from 2"),  # 1 is below: the file's min says so
            qc.between("ratio", 0, 1, name="ratio"),  # NaN is not in the statistics
            qc.between("price", 0, 49, name="price at its bound"),  # decimal max == bound
            qc.between("price", 0, 48.9, name="price above"),
            qc.between("day", date(2026, 1, 15), None, name="day"),
            qc.between("gone", 0, 1, name="all null"),
        ],
    )
    report = ws.quality.run("t")
    nan_rows = ws.sql("SELECT count_if(ratio < 0 OR ratio > 1) FROM t").fetchall()[0][0]
    assert {r.check: r.violating for r in report.results} == {
        "n from 2": 1,
        "ratio": nan_rows,  # as the scan compares NaN
        "price at its bound": 0,
        "price above": 1,
        "day": 1,
        "all null": 0,
    }


def test_a_column_missing_from_older_files_is_scanned(ws: lw.Workspace) -> None:
    ws.write("t", pa.table({"n": [1, 2, 3]}))
    ws.write("t", pa.table({"n": [4], "m": [5]}), schema_mode="merge")
    ws.quality.add("t", [qc.not_null("m"), qc.between("m", 0, 9)])
    report = ws.quality.run("t")
    assert [(r.check, r.violating) for r in report.results] == [
        ("not_null(m)", 3),
        ("between(m)", 0),
    ]


def test_settle_refuses_what_it_cannot_prove() -> None:
    known = stats.Stats(
        rows=10, nulls={"a": 0, "b": None}, bounds={"a": (Decimal("1"), Decimal("5")), "b": None}
    )
    assert stats.settle(known, qc.not_null("a")) == 0
    assert stats.settle(known, qc.not_null("b")) is stats.UNSETTLED
    assert stats.settle(known, qc.between("a", 1, 5)) == 0
    assert stats.settle(known, qc.between("a", 1.5, 5)) is stats.UNSETTLED
    assert stats.settle(known, qc.between("a", 0, 1e300)) is stats.UNSETTLED  # 1e+300
    assert stats.settle(known, qc.between("a", date(2026, 1, 1), None)) is stats.UNSETTLED
    assert stats.settle(known, qc.between("b", 0, 9)) is stats.UNSETTLED
    assert stats.settle(known, qc.unique("a")) is stats.UNSETTLED
    assert stats.settle(known, qc.row_count(min=1)) == 10


def test_alike_tables_settled_for_one_and_scanned_for_the_other(ws: lw.Workspace) -> None:
    ws.write("inside", pa.table({"n": pa.array([1, 2, 3], pa.int64())}))
    ws.write("outside", pa.table({"n": pa.array([1, 20, 30, None], pa.int64())}))
    for name in ("inside", "outside"):
        ws.quality.add(name, [qc.between("n", 0, 10), qc.not_null("n")])
    inside, outside = ws.quality.run_many(["inside", "outside"])
    assert [r.violating for r in inside.results] == [0, 0]
    assert [r.violating for r in outside.results] == [2, 1]
    assert [r.total for r in outside.results] == [4, 4]


def test_same_results_as_with_statistics_ignored(
    ws: lw.Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws.write("t", first_file())
    ws.write("t", first_file().slice(0, 2))
    checks = [
        qc.not_null("n"),
        qc.not_null("price", max_rows=5),
        qc.between("n", 1, 4),
        qc.between("n", 2, None, name="n low"),
        qc.between("price", 0, 49),
        qc.between("day", date(2026, 1, 1), date(2026, 2, 15)),
        qc.row_count(min=5, max=6),
    ]
    ws.quality.add("t", checks)
    ws.write("u", first_file())
    ws.quality.add("u", checks)
    with_stats = ws.quality.run_many(["t", "u"])
    monkeypatch.setattr(stats, "settles", lambda check: False)
    without = ws.quality.run_many(["t", "u"])

    def outcome(report: object) -> list[tuple]:
        return [(r.check, r.status, r.violating, r.total, r.observed) for r in report.results]  # type: ignore[attr-defined]

    assert [outcome(r) for r in with_stats] == [outcome(r) for r in without]


# unique over an integer key: a bitmap over the range the statistics give ---------------
def keyed(ids: list[int | None]) -> pa.Table:
    return pa.table({"id": pa.array(ids, pa.int64()), "name": [f"n{i}" for i in ids]})


def test_key_range_of_an_integer_key_over_several_tables() -> None:
    one = stats.Stats(rows=4, nulls={"id": 1}, bounds={"id": (3, 9)})
    other = stats.Stats(rows=3, nulls={"id": 0}, bounds={"id": (-2, 5)})
    schema = pa.schema([("id", pa.int32()), ("when", pa.date32())])
    assert stats.key_range([one, other], qc.unique("id"), schema) == (-2, 9)
    empty = stats.Stats(rows=2, nulls={"id": 2}, bounds={"id": stats._EMPTY})
    assert stats.key_range([one, empty], qc.unique("id"), schema) == (3, 9)
    assert stats.key_range([empty], qc.unique("id"), schema) is None
    unknown = stats.Stats(rows=2, nulls={"id": None}, bounds={"id": None})
    assert stats.key_range([one, unknown], qc.unique("id"), schema) is None
    assert stats.key_range([one], qc.not_null("id"), schema) is None
    assert stats.key_range([one], qc.unique(["id", "when"]), schema) is None


def test_key_range_refuses_a_wide_or_a_non_integer_key() -> None:
    dates = stats.Stats(rows=4, nulls={"d": 0}, bounds={"d": (date(2026, 1, 1), date(2026, 2, 1))})
    schema = pa.schema([("d", pa.date32()), ("id", pa.int64())])
    assert stats.key_range([dates], qc.unique("d"), schema) is None
    sparse = stats.Stats(rows=4, nulls={"id": 0}, bounds={"id": (0, 4 * 64)})  # 257 bits > 256
    assert stats.key_range([sparse], qc.unique("id"), schema) is None
    dense = stats.Stats(rows=4, nulls={"id": 0}, bounds={"id": (0, 4 * 64 - 1)})
    assert stats.key_range([dense], qc.unique("id"), schema) == (0, 255)
    huge = stats.Stats(rows=10**9, nulls={"id": 0}, bounds={"id": (0, stats.BITMAP_BITS)})
    assert stats.key_range([huge], qc.unique("id"), schema) is None


def test_unique_by_bitmap_counts_as_distinct_does(
    ws: lw.Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws.write("a", keyed([1, 2, 2, None, 5, 5, 5]))
    ws.write("a", keyed([5, 7, None]))  # a second file: a repeat across files
    ws.write("b", keyed([100, 101, 102]))  # another range: one bitmap spans both
    ws.write("c", keyed([-4, -4]))
    names = ["a", "b", "c"]
    for name in names:
        ws.quality.add(name, [qc.unique("id"), qc.unique("name", max_rows=100)])
    ranges = []
    real = stats.key_range
    monkeypatch.setattr(
        stats, "key_range", lambda *a: ranges.append(real(*a)) or ranges[-1], raising=True
    )
    bitmap = [[r.violating for r in report.results] for report in ws.quality.run_many(names)]
    assert ranges == [(-4, 102), None]  # the integer key only
    monkeypatch.setattr(stats, "key_range", lambda *a: None)
    distinct = [[r.violating for r in report.results] for report in ws.quality.run_many(names)]
    assert bitmap == distinct == [[4, 5], [0, 0], [1, 1]]  # "nNone" repeats too


def test_a_key_outside_its_range_falls_back_to_a_distinct_count(
    ws: lw.Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws.write("t", keyed([1, 2, 2, 30]))
    ws.quality.add("t", qc.unique("id"))
    monkeypatch.setattr(stats, "key_range", lambda *a: (1, 2))  # statistics gone wrong
    report = ws.quality.run("t")
    assert report.results[0].violating == 1 and report.results[0].status == "failed"
