"""SQLite planner statistics of the tracking tables: made when missing, redone when a table
has grown fourfold, looked at most once a minute, skipped while a writer holds the lock."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from lakeworks.meta import engine as meta_engine
from lakeworks.tracking import statistics


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = meta_engine.make_engine(f"sqlite:///{tmp_path / 'catalog.db'}")
    meta_engine.upgrade(engine)
    statistics._LOOKED.clear()
    yield engine
    engine.dispose()
    statistics._LOOKED.clear()


def _params(engine: Engine, count: int, start: int = 0) -> None:
    """``count`` params rows (runs are not needed for statistics: no foreign key check)."""
    with sqlite3.connect(engine.url.database) as db:
        db.executemany(
            "INSERT INTO params (run_id, key, value) VALUES (?, 'p', 'v')",
            [(f"r{i}",) for i in range(start, start + count)],
        )


def _analysed_rows(engine: Engine, table: str) -> int | None:
    with sqlite3.connect(engine.url.database) as db:
        if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
            return None
        stat = db.execute("SELECT max(stat) FROM sqlite_stat1 WHERE tbl = ?", (table,)).fetchone()
        return int(stat[0].split()[0]) if stat[0] else None


def test_tables_without_statistics_are_analysed(engine: Engine) -> None:
    _params(engine, 500)
    statistics.refresh(engine)
    assert _analysed_rows(engine, "params") == 500


def test_small_tables_are_left_alone(engine: Engine) -> None:
    _params(engine, 50)
    statistics.refresh(engine)
    assert _analysed_rows(engine, "params") is None


def test_growth_redoes_them_once_the_interval_passed(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _params(engine, 200)
    statistics.refresh(engine)
    assert _analysed_rows(engine, "params") == 200
    _params(engine, 1000, start=200)  # 6x
    statistics.refresh(engine)  # within the interval: not looked at
    assert _analysed_rows(engine, "params") == 200
    monkeypatch.setattr(statistics, "INTERVAL_S", 0.0)
    statistics.refresh(engine)
    assert _analysed_rows(engine, "params") == 1200
    _params(engine, 1000, start=1200)  # under 4x: still fresh enough
    statistics.refresh(engine)
    assert _analysed_rows(engine, "params") == 1200


def test_a_locked_database_is_left_for_later(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _params(engine, 500)
    monkeypatch.setattr(statistics, "INTERVAL_S", 0.0)
    writer = sqlite3.connect(engine.url.database, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # holds the write lock
    try:
        started = time.monotonic()
        statistics.refresh(engine)  # no error, and no wait for the writer's 30 s timeout
        assert time.monotonic() - started < 5
        assert _analysed_rows(engine, "params") is None
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    statistics.refresh(engine)
    assert _analysed_rows(engine, "params") == 500
    with engine.connect() as conn:  # the pooled connection waits for writers again
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_other_databases_are_not_touched() -> None:
    class Fake:
        class dialect:  # noqa: N801 - stands for engine.dialect
            name = "postgresql"

    statistics.refresh(Fake())  # type: ignore[arg-type]  # no connection is made
    assert statistics._LOOKED == {}
