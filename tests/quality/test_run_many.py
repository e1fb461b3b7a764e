"""Checking many tables at once: one scan per group of alike tables, same outcomes as one
table at a time."""

from __future__ import annotations

from dataclasses import replace

import pyarrow as pa
import pytest

import lakeworks as lw
from lakeworks.config import Settings
from lakeworks.errors import NotFoundError
from lakeworks.quality import checks as qc
from lakeworks.quality import evaluate
from lakeworks.quality import store as quality_store
from lakeworks.quality.checks import renamed
from tests.quality.conftest import orders_rows
from tests.quality.test_checks import FAILING, PASSING


def write_orders(ws: lw.Workspace, name: str, rows: list[dict]) -> None:
    data = pa.Table.from_pylist(rows)
    data = data.set_column(8, "empty", pa.array([None] * len(rows), pa.float64()))
    ws.write(name, data)


@pytest.fixture
def alike(orders: lw.Workspace) -> list[str]:
    """Four tables of the orders schema with different rows, all with the same checks."""
    rows = orders_rows()
    variants = {
        "o1": rows,
        "o2": rows[:4],
        "o3": rows + [{**rows[0], "status": "lost", "email": "bad"}],
        "o4": [{**r, "amount": r["amount"] * 3} for r in rows],
    }
    checks = PASSING + [renamed(c, f"bad {c.name}") for c, _ in FAILING]
    for name, data in variants.items():
        write_orders(orders, name, data)
        orders.quality.add(name, checks)
    return list(variants)


def counting(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> list[int]:
    """Count the calls of ``module.name`` (the real function still runs)."""
    calls: list[int] = []
    real = getattr(module, name)

    def wrapper(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapper)
    return calls


def test_many_tables_come_out_as_one_at_a_time(orders: lw.Workspace, alike: list[str]) -> None:
    together = orders.quality.run_many(alike)
    assert [r.table for r in together] == alike
    for report in together:
        alone = orders.quality.run(report.table)
        assert report.version == alone.version
        assert len(report.results) == len(alone.results) == len(PASSING) + len(FAILING)
        for a, b in zip(report.results, alone.results, strict=True):
            assert (a.check, a.status, a.violating, a.total) == (
                b.check,
                b.status,
                b.violating,
                b.total,
            ), report.table
            if a.kind == "freshness":  # an age in seconds, measured a moment apart
                assert a.observed == pytest.approx(b.observed, abs=5)
            else:
                assert a.observed == pytest.approx(b.observed), (report.table, a.check)
                assert a.message == b.message
            assert a.sample == b.sample, (report.table, a.check)
    bad = {r.check: r for r in together[2].results}
    assert bad["bad accepted_values(status)"].violating == 7
    assert bad["bad accepted_values(status)"].sample  # a sample of the violating rows


def test_alike_tables_share_one_scan(
    orders: lw.Workspace, alike: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in alike:  # the referential check makes a table go alone: take it off
        orders.quality.remove(name, "references(customer)")
        orders.quality.remove(name, "bad references(id)")
    scans = counting(monkeypatch, evaluate, "summaries")
    alone = counting(monkeypatch, evaluate, "run")
    reports = orders.quality.run_many(alike)
    assert len(reports) == 4
    assert (len(scans), len(alone)) == (1, 0)


def test_each_table_is_judged_by_its_own_thresholds(ws: lw.Workspace) -> None:
    rows = [{"id": i, "x": i} for i in range(10)]
    for name in ("strict", "lenient", "warned"):
        ws.write(name, rows)
    ws.quality.add("strict", [qc.between("x", 0, 5)])
    ws.quality.add("lenient", [qc.between("x", 0, 5, max_rows=4)])
    ws.quality.add("warned", [qc.between("x", 0, 5, severity="warn")])
    strict, lenient, warned = ws.quality.run_many(["strict", "lenient", "warned"])
    assert [r.status for r in strict.results] == ["failed"]
    assert [r.status for r in lenient.results] == ["passed"]
    assert [r.status for r in warned.results] == ["warned"]
    assert {r.results[0].violating for r in (strict, lenient, warned)} == {4}


def test_an_empty_table_among_alike_ones(ws: lw.Workspace) -> None:
    ws.write("full", [{"id": 1, "x": 1.0}, {"id": 1, "x": 2.0}])
    ws.write("empty", pa.table({"id": pa.array([], pa.int64()), "x": pa.array([], pa.float64())}))
    for name in ("full", "empty"):
        ws.quality.add(name, [qc.unique("id"), qc.row_count(min=1), qc.mean("x", 0, 10)])
    full, empty = ws.quality.run_many(["full", "empty"])
    assert {r.check: r.status for r in full.results} == {
        "unique(id)": "failed",
        "row_count()": "passed",
        "mean(x)": "passed",
    }
    assert {r.check: (r.status, r.total) for r in empty.results} == {
        "unique(id)": ("passed", 0),
        "row_count()": ("failed", 0),
        "mean(x)": ("failed", 0),
    }


def test_every_table_with_checks_when_none_named(ws: lw.Workspace) -> None:
    for name in ("b", "a", "unchecked"):
        ws.write(name, [{"id": 1}])
    ws.quality.add("b", [qc.not_null("id")])
    ws.quality.add("a", [qc.not_null("id")])
    assert [r.table for r in ws.quality.run_many()] == ["a", "b"]


def test_an_unknown_table_stores_nothing(ws: lw.Workspace) -> None:
    ws.write("a", [{"id": 1}])
    ws.quality.add("a", [qc.not_null("id")])
    with pytest.raises(NotFoundError, match="nope"):
        ws.quality.run_many(["a", "nope"])
    assert ws.quality.results("a") == []


def test_stored_results_match_the_reports(ws: lw.Workspace) -> None:
    for name in ("a", "b"):
        ws.write(name, [{"id": 1}, {"id": 1}])
        ws.quality.add(name, [qc.not_null("id"), qc.unique("id")])
    for report in ws.quality.run_many(["a", "b"]):
        stored = ws.quality.results(report.table, run_id=report.run_id)
        assert sorted((r.id, r.check, r.status) for r in stored) == sorted(
            (r.id, r.check, r.status) for r in report.results
        )
        assert {r.table for r in stored} == {report.table}


def test_a_new_version_is_seen_at_once(ws: lw.Workspace) -> None:
    ws.write("a", [{"id": 1}])
    ws.write("b", [{"id": 2}])
    for name in ("a", "b"):
        ws.quality.add(name, [qc.row_count(max=1, severity="warn")])
    first = ws.quality.run_many(["a", "b"])
    ws.write("a", [{"id": 3}])
    second = ws.quality.run_many(["a", "b"])
    assert [r.version for r in first] == [0, 0]
    assert [r.version for r in second] == [1, 0]
    assert [r.results[0].status for r in second] == ["warned", "passed"]
    ws.platform.tables.drop(ws.ctx, "a")  # a new table under the same name starts over
    ws.write("a", [{"id": 4}])  # (checks stay with the table's name)
    again = ws.quality.run_many(["a"])
    assert (again[0].version, again[0].results[0].total) == (0, 1)


def test_tables_of_several_files_come_out_as_one_at_a_time(ws: lw.Workspace) -> None:
    for name in ("a", "b", "c"):
        ws.write(name, [{"id": 1, "x": 1.0}, {"id": 2, "x": None}])
    for name in ("a", "b", "c"):  # warnings: the gate lets every row land
        checks = [qc.unique("id"), qc.not_null("x"), qc.mean("x", 0, 2)]
        ws.quality.add(name, [replace(c, severity="warn") for c in checks])
    ws.write("a", [{"id": 2, "x": 5.0}])  # a and b now have two files each
    ws.write("b", [{"id": 3, "x": 1.5}])
    together = ws.quality.run_many(["a", "b", "c"])
    for report in together:
        alone = ws.quality.run(report.table)
        assert [(r.check, r.status, r.violating, r.total, r.observed) for r in report.results] == [
            (r.check, r.status, r.violating, r.total, r.observed) for r in alone.results
        ]
    a = {r.check: r for r in together[0].results}
    assert (a["unique(id)"].violating, a["mean(x)"].status, a["mean(x)"].observed) == (
        1,
        "warned",
        3.0,
    )


def test_checks_changed_elsewhere_are_seen(
    ws: lw.Workspace, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checks are kept between runs; another connection adding or removing any is seen
    on the next run, including a re-used SQLite id (the newest check removed, another
    added)."""
    monkeypatch.setattr(quality_store, "_FEW_TABLES", 0)  # kept even for one table
    for name in ("a", "b"):
        ws.write(name, [{"id": 1}, {"id": 2}])
        ws.quality.add(name, [qc.unique("id")])
    names = lambda report: [r.check for r in report.results]  # noqa: E731
    assert [names(r) for r in ws.quality.run_many(["a", "b"])] == [["unique(id)"]] * 2
    other = lw.connect(settings=settings, user="someone")
    try:
        other.quality.add("b", [qc.not_null("id")])
        assert [names(r) for r in ws.quality.run_many(["a", "b"])] == [
            ["unique(id)"],
            ["unique(id)", "not_null(id)"],
        ]
        other.quality.remove("a", "unique(id)")
        assert [names(r) for r in ws.quality.run_many(["a", "b"])] == [
            [],
            ["unique(id)", "not_null(id)"],
        ]
        newest = max(i.id for i in other.quality.list("b"))
        other.quality.remove("b", "not_null(id)")
        (added,) = other.quality.add("b", [qc.row_count(min=1)])
        assert added.id == newest  # SQLite gave the removed check's id again
        assert names(ws.quality.run("b")) == ["unique(id)", "row_count()"]
        assert [r.table for r in ws.quality.run_many()] == ["b"]  # a has none left
    finally:
        other.platform.close()


def test_a_check_removed_and_added_again_elsewhere_with_its_id_and_time_is_seen(
    ws: lw.Workspace, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another connection removes the newest check and adds a different one that gets the
    same SQLite id and the same created_at (a coarse or stopped clock): the next run uses
    the new check, because the workspace's checks revision moved."""
    monkeypatch.setattr(quality_store, "_FEW_TABLES", 0)  # kept even for one table
    stopped = quality_store.now()
    monkeypatch.setattr(quality_store, "now", lambda: stopped)
    ws.write("a", [{"id": 1}, {"id": 2}])
    ws.quality.add("a", [qc.row_count(min=1)])
    (report,) = ws.quality.run_many(["a"])
    assert [r.status for r in report.results] == ["passed"]
    other = lw.connect(settings=settings, user="someone")
    try:
        (before,) = other.quality.list("a")
        other.quality.remove("a", before.name)
        (after,) = other.quality.add("a", [qc.row_count(min=5)])
        assert (after.id, after.created_at) == (before.id, before.created_at)
        (report,) = ws.quality.run_many(["a"])
        assert [(r.check, r.status) for r in report.results] == [(after.name, "failed")]
    finally:
        other.platform.close()


def test_checks_read_for_all_tables_answer_any_tables(
    ws: lw.Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(quality_store, "_FEW_TABLES", 0)
    ws.write("a", [{"id": 1}])
    ws.write("b", [{"id": 1}])  # no checks
    ws.quality.add("a", [qc.unique("id")])
    store = ws.platform.quality.store
    reads = counting(monkeypatch, store, "_read_checks")
    assert [i.name for i in store.checks_of("default", ["b", "a"])["a"]] == ["unique(id)"]
    assert set(store.checks_of("default", None)) == {"a"}
    assert set(store.checks_of("default", ["a", "b"])) == {"a"}  # b known to have none
    assert len(reads) == 2  # a and b alone, then every table; not again
    ws.quality.add("b", [qc.not_null("id")])
    assert set(store.checks_of("default", ["a", "b"])) == {"a", "b"}
    assert len(reads) == 3
