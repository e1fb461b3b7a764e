"""The audit log: appends chain, filters, export, and verify names a tampered record."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, insert, select, update

from lakeworks.context import Context
from lakeworks.meta.catalog import Catalog
from lakeworks.meta.security_models import AuditRow
from lakeworks.security.audit import AuditLog

CTX = Context("sales", "auditor")


@pytest.fixture
def log(catalog: Catalog) -> AuditLog:
    log = AuditLog(catalog)
    for i in range(1, 6):
        log.record(user=f"u{i % 2}", action="tables.write", workspace="sales", object=f"t{i}")
    return log


def _set(log: AuditLog, seq: int, **values: object) -> None:
    with log.catalog.session() as session:
        session.execute(update(AuditRow).where(AuditRow.seq == seq).values(**values))


def test_records_chain_and_verify(log: AuditLog) -> None:
    records = log.list(CTX)
    assert [r.seq for r in records] == [1, 2, 3, 4, 5]
    assert all(b.prev_hash == a.hash for a, b in zip(records, records[1:], strict=False))
    result = log.verify(CTX)
    assert result.ok and result.records == 5 and result.head_seq == 5
    assert result.head_hash == records[-1].hash


def test_filters_and_export(log: AuditLog) -> None:
    log.record(user="u0", action="pipelines.run", workspace="sales", outcome="denied")
    assert [r.seq for r in log.list(CTX, user="u1")] == [1, 3, 5]
    assert [r.seq for r in log.list(CTX, action="pipelines.")] == [6]
    assert [r.seq for r in log.list(CTX, outcome="denied")] == [6]
    assert log.list(CTX, since=datetime.now(UTC) + timedelta(hours=1)) == []
    lines = list(log.export(CTX, user="u0"))
    assert [json.loads(line)["seq"] for line in lines] == [2, 4, 6]
    assert json.loads(lines[-1])["outcome"] == "denied"


def test_the_newest_page_comes_first_past_the_default_limit(log: AuditLog) -> None:
    for i in range(3):
        log.record(user="u9", action="tokens.create", workspace="sales", object=f"k{i}")
    assert [r.seq for r in log.list(CTX, limit=3, newest=True)] == [8, 7, 6]
    assert [r.seq for r in log.list(CTX, limit=3)] == [1, 2, 3]  # oldest first by default
    assert [r.seq for r in log.list(CTX, user="u1", limit=2, newest=True)] == [5, 3]
    assert log.list(CTX, action="pipelines.", newest=True) == []


def test_a_changed_record_is_named(log: AuditLog) -> None:
    _set(log, 3, user="mallory")
    assert log.verify(CTX).problems == ["record 3 was changed (its fields do not give its hash)"]


def test_a_changed_and_rehashed_record_is_named(log: AuditLog) -> None:
    from lakeworks.security.audit import digest

    record = log.list(CTX)[2]
    forged = dict(record.__dict__, outcome="ok", object="other")
    _set(log, 3, object="other", hash=digest(forged))
    problems = log.verify(CTX).problems
    assert problems == ["record 3 was changed or replaced (record 4 links to a different hash)"]


def test_a_deleted_record_is_named(log: AuditLog) -> None:
    with log.catalog.session() as session:
        session.execute(delete(AuditRow).where(AuditRow.seq == 2))
    assert log.verify(CTX).problems[0] == "record 2 was deleted"


def test_deleted_last_records_are_named(log: AuditLog) -> None:
    with log.catalog.session() as session:
        session.execute(delete(AuditRow).where(AuditRow.seq >= 4))
    assert log.verify(CTX).problems == ["records 4 to 5 were deleted"]


def test_an_inserted_record_is_named(log: AuditLog) -> None:
    from lakeworks.security.audit import digest

    last = log.list(CTX)[-1]
    forged = dict(last.__dict__, seq=6, prev_hash=last.hash, object="forged")
    forged["hash"] = digest(forged)
    with log.catalog.session() as session:
        session.execute(insert(AuditRow).values(**forged))
    assert log.verify(CTX).problems == ["record 6 was inserted (the head ends at 5)"]


def test_concurrent_appends_keep_one_chain(catalog: Catalog) -> None:
    log = AuditLog(catalog)

    def append(i: int) -> None:
        for j in range(10):
            log.record(user=f"t{i}", action="tables.write", workspace="sales", object=str(j))

    threads = [threading.Thread(target=append, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result = log.verify(CTX)
    assert result.ok, result.problems
    assert result.records == 40
    with catalog.session() as session:
        assert session.scalar(select(AuditRow.seq).order_by(AuditRow.seq.desc())) == 40
