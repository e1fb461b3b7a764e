"""Samples of violating rows: gathered for all failing checks by one query (a second only
for checks the first leaves short), each sample row really violating its check."""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa
import pytest

import lakeworks as lw
from lakeworks.quality import checks as qc
from lakeworks.quality import evaluate

ROWS = 20_000


class Counting:
    """A real DuckDB connection that counts the queries sent through ``sql``."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con, self.queries = con, 0

    def sql(self, query: str) -> Any:
        self.queries += 1
        return self.con.sql(query)

    def execute(self, query: str) -> Any:
        return self.con.execute(query)


def _con(rows: pa.Table) -> Counting:
    con = duckdb.connect()
    con.register("t", rows)
    return Counting(con)


def _run(con: Counting, checks: list[qc.Check]) -> dict[str, evaluate.Outcome]:
    outcomes = evaluate.run(con, "t", checks, lambda c: [])  # type: ignore[arg-type]
    return {o.check.name: o for o in outcomes}


def _dirty(every: int) -> pa.Table:
    """Every ``every``-th row (i % every == 7) breaks all the checks of ``CHECKS`` at once."""
    bad = [i % every == 7 for i in range(ROWS)]
    return pa.table(
        {
            "id": [i - 1 if b else i for i, b in zip(range(ROWS), bad, strict=True)],
            "cat": ["z" if b else "a" for b in bad],
            "qty": [200 if b else i % 100 for i, b in zip(range(ROWS), bad, strict=True)],
            "email": ["BAD" if b else f"u{i}@x.com" for i, b in zip(range(ROWS), bad, strict=True)],
            "region": [None if b else "north" for b in bad],
        }
    )


CHECKS = [
    qc.unique("id"),
    qc.accepted_values("cat", ["a", "b"]),
    qc.between("qty", 0, 99),
    qc.matches("email", r"^u[0-9]+@x\.com$"),
    qc.not_null("region"),
]


@pytest.mark.parametrize("every", [10, 1000])
def test_rows_breaking_many_checks_cost_one_sample_query(every: int) -> None:
    con = _con(_dirty(every))
    found = _run(con, CHECKS)
    assert con.queries == 1  # the summary goes through execute; one query for all samples
    for name, outcome in found.items():
        assert outcome.status == "failed", name
        assert len(outcome.sample) == 5, name
    assert all(r["cat"] == "z" for r in found["accepted_values(cat)"].sample)
    assert all(r["qty"] == 200 for r in found["between(qty)"].sample)
    assert all(r["email"] == "BAD" for r in found["matches(email)"].sample)
    assert all(r["region"] is None for r in found["not_null(region)"].sample)
    repeated = [r["id"] for r in found["unique(id)"].sample]
    assert all(key % every == 6 for key in repeated), repeated  # the repeated keys


def test_checks_broken_by_different_rows_each_get_their_own_rows() -> None:
    """``cat`` breaks on most rows, ``qty`` on two: the shared branch fills up with bad
    categories, and the second query finds qty's two rows."""
    rows = pa.table(
        {
            "cat": ["z" if i % 10 else "a" for i in range(ROWS)],
            "qty": [500 if i in (17_000, 19_999) else 1 for i in range(ROWS)],
        }
    )
    con = _con(rows)
    found = _run(con, [qc.accepted_values("cat", ["a"]), qc.between("qty", 0, 99)])
    assert con.queries == 2
    assert len(found["accepted_values(cat)"].sample) == 5
    assert all(r["cat"] == "z" for r in found["accepted_values(cat)"].sample)
    assert sorted(r["qty"] for r in found["between(qty)"].sample) == [500, 500]


def test_a_unique_key_outside_the_bucket_looked_at_is_still_found() -> None:
    """One key repeated 640 times: the first query looks at one bucket of 9 (640 // 64),
    which misses it for most keys; the second looks at every key."""
    con = duckdb.connect()
    key = next(
        k for k in range(1, 100) if con.execute(f"SELECT hash({k}::BIGINT) % 9").fetchall()[0][0]
    )
    ids = list(range(ROWS)) + [key] * 639
    counting = Counting(con)
    con.register("t", pa.table({"id": pa.array(ids, pa.int64())}))
    outcome = _run(counting, [qc.unique("id")])["unique(id)"]
    assert outcome.violating == 639
    assert [r["id"] for r in outcome.sample] == [key] * 5
    assert counting.queries == 2


def test_a_dirty_table_run_through_the_service_keeps_samples(ws: lw.Workspace) -> None:
    ws.write("dirty", _dirty(1000))
    ws.quality.add("dirty", CHECKS + [qc.not_null("id")])
    report = ws.quality.run("dirty")
    failed = {r.check: r for r in report.failed}
    assert set(failed) == {c.name for c in CHECKS}
    assert all(len(r.sample) == 5 for r in failed.values())
    assert [r for r in report.results if r.check == "not_null(id)"][0].sample is None
