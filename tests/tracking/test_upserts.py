"""The kept upsert statements: one per call shape, and still right for every shape."""

from __future__ import annotations

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from lakeworks.meta.models import Base, ExperimentTagRow, RunTagRow
from lakeworks.tracking import upserts


def test_one_statement_is_kept_per_shape_and_a_new_shape_gets_its_own() -> None:
    first = upserts._updating("sqlite", "run_tags", ("value",), ("run_id", "key"), None)
    again = upserts._updating("sqlite", "run_tags", ("value",), ("run_id", "key"), None)
    assert first is again  # built once
    other = upserts._updating("postgresql", "run_tags", ("value",), ("run_id", "key"), None)
    assert other is not first and type(other).__module__.endswith("postgresql.dml")
    assert upserts._updating.cache_info().maxsize == 64  # bounded


def test_kept_statements_insert_update_and_ignore_as_built_afresh() -> None:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine, tables=[RunTagRow.__table__, ExperimentTagRow.__table__])
    with Session(engine) as s, s.begin():
        for value in ("a", "b"):  # the second call reuses the statement and updates
            upserts.upsert(
                s, RunTagRow, [{"run_id": "r", "key": "k", "value": value}], ["run_id", "key"]
            )
        upserts.insert_ignore(s, RunTagRow, [{"run_id": "r", "key": "k", "value": "c"}])
        upserts.insert_ignore(s, RunTagRow, [{"run_id": "r", "key": "j", "value": "d"}])
    with Session(engine) as s:
        rows = s.execute(select(RunTagRow.key, RunTagRow.value).order_by(RunTagRow.key)).all()
    assert [tuple(r) for r in rows] == [("j", "d"), ("k", "b")]
