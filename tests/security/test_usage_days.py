"""Usage rolled up per UTC day (``usage_days``): a report reads whole days there and the
partial days at the ends from the batches, and gives the figures the batches give; on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from lakeworks import limits
from lakeworks.meta.catalog import Catalog
from lakeworks.meta.models import UsageDayRow
from lakeworks.security.ledger import Ledger, UsageRecord, _batch_totals

T0 = datetime(2026, 6, 1, tzinfo=UTC)  # a midnight
KINDS = [limits.TASK_CPU_SECONDS, limits.TASK_PEAK_MEMORY_BYTES, limits.SERVING_REQUESTS]


@pytest.fixture
def ledger(catalog: Catalog) -> Ledger:
    for ws in ("sales", "ops"):
        catalog.create_workspace(ws, "tester")
    return Ledger(catalog)


def _usage(hours: float, kind: str = limits.TASK_CPU_SECONDS, amount: float = 1.0, **kw):  # noqa: ANN003, ANN202
    fields = {"workspace": "sales", "user": "ann", "pipeline": None, "obj": None} | kw
    return UsageRecord(kind=kind, amount=amount, recorded_at=T0 + timedelta(hours=hours), **fields)


def _spread() -> list[UsageRecord]:
    """Four days of usage every 90 minutes, in two workspaces, with and without pipeline."""
    return [
        _usage(i * 1.5, kind, amount=i + 1.0, workspace=ws, pipeline=pipeline)
        for i in range(64)
        for kind in KINDS
        for ws, pipeline in (("sales", None), ("ops", "daily"))
    ]


def _from_batches(ledger: Ledger, since: datetime, until: datetime, ws: str | None) -> dict:
    with ledger.catalog.session() as s:
        rows = s.execute(_batch_totals(since, until, KINDS, ws)).all()
    return {tuple(r[:4]): (r[4], r[5]) for r in rows}


def _totals(ledger: Ledger, since: datetime, until: datetime, ws: str | None) -> dict:
    found = ledger.totals(since, until, KINDS, ws)
    return {(t.workspace, t.user, t.pipeline, t.kind): (t.total, t.largest) for t in found}


@pytest.mark.parametrize(
    ("since", "until"),
    [
        (T0, T0 + timedelta(days=4)),  # whole days only
        (T0 + timedelta(hours=5.5), T0 + timedelta(days=3, hours=7)),  # partial ends
        (T0 + timedelta(hours=2), T0 + timedelta(hours=20)),  # within one day
        (T0 + timedelta(hours=23), T0 + timedelta(days=1, hours=1)),  # across one midnight
        (T0 - timedelta(days=2), T0 + timedelta(days=9)),  # beyond the data on both sides
    ],
)
@pytest.mark.parametrize("ws", ["sales", None])
def test_totals_from_days_equal_those_of_the_batches(
    ledger: Ledger, since: datetime, until: datetime, ws: str | None
) -> None:
    ledger.add_usage(_spread())
    expected = _from_batches(ledger, since, until, ws)
    assert expected  # the span holds usage
    found = _totals(ledger, since, until, ws)
    assert found.keys() == expected.keys()
    for key, (total, largest) in expected.items():
        assert found[key] == (pytest.approx(total), largest), key


def test_new_usage_counts_in_the_next_report(ledger: Ledger) -> None:
    until = T0 + timedelta(days=3)
    ledger.add_usage([_usage(h, amount=2.0) for h in (1, 30, 50)])
    key = ("sales", "ann", None, limits.TASK_CPU_SECONDS)
    assert _totals(ledger, T0, until, "sales")[key] == (6.0, 2.0)
    ledger.add_usage([_usage(31, amount=5.0), _usage(49, amount=1.0)])  # into existing days
    assert _totals(ledger, T0, until, "sales")[key] == (12.0, 5.0)
    with ledger.catalog.session() as s:  # one row per group and day, not per batch
        assert s.scalar(select(func.count(UsageDayRow.id))) == 3


def test_a_group_written_twice_by_racing_writers_still_sums_right(ledger: Ledger) -> None:
    """Two writers adding a new group at once may each insert its row: reads sum them,
    and later batches add to one of them only."""
    ledger.add_usage([_usage(30, amount=2.0)])
    with ledger.catalog.session() as s:
        first = s.scalars(select(UsageDayRow)).one()
        s.execute(insert(UsageDayRow), [{
            "workspace_id": first.workspace_id, "day": first.day, "user": "ann",
            "pipeline": None, "kind": limits.TASK_CPU_SECONDS, "total": 3.0, "largest": 3.0,
        }])  # fmt: skip
    ledger.add_usage([_usage(31, amount=4.0)])
    ledger.add_usage([_usage(32, amount=1.0)])  # each added to the oldest row only
    key = ("sales", "ann", None, limits.TASK_CPU_SECONDS)
    assert _totals(ledger, T0, T0 + timedelta(days=3), "sales")[key] == (10.0, 4.0)


def test_usage_of_a_workspace_that_is_gone_is_in_neither_table(ledger: Ledger) -> None:
    ledger.add_usage([_usage(30, workspace="nowhere"), _usage(30)])
    with ledger.catalog.session() as s:
        assert s.scalar(select(func.count(UsageDayRow.id))) == 1
    assert list(_totals(ledger, T0, T0 + timedelta(days=3), None)) == [
        ("sales", "ann", None, limits.TASK_CPU_SECONDS)
    ]
