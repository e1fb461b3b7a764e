"""Planner statistics of the tracking tables on SQLite, kept fresh for run search.

SQLite joins with nested loops in the order its planner picks, and without statistics it
guesses: a search for ``metrics.m0 > 0.5 and params.p0 = 'v3'`` over 10,000 runs started
from the 5,000 runs with ``m0 > 0.5`` instead of the 1,000 with ``p0 = 'v3'`` and took ten
times longer. ``ANALYZE`` records how many rows each index prefix selects; this module runs
it on the tracking tables when they have none or have grown (or shrunk) fourfold since, so
a database is analysed a handful of times over its life. PostgreSQL analyses its tables
itself (autovacuum).
"""

from __future__ import annotations

import time

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError

TABLES = ("runs", "params", "run_tags", "latest_metrics")
GROWTH = 4  # re-analyse when a table has this many times more (or fewer) rows
INTERVAL_S = 60.0  # look at most this often per database and process

# database URL -> time.monotonic() of the last look; an entry dies INTERVAL_S after it was
# written (it is then looked at again) and the map is emptied past 64 databases
_LOOKED: dict[str, float] = {}


def refresh(engine: Engine) -> None:
    """Analyse the tracking tables of a SQLite catalog if their statistics are missing or
    stale; a no-op on other databases, and within ``INTERVAL_S`` of the last look.

    A database locked by a writer is left for the next look: statistics only speed up.
    """
    if engine.dialect.name != "sqlite":
        return
    key = engine.url.render_as_string(hide_password=False)
    now = time.monotonic()
    if now - _LOOKED.get(key, -INTERVAL_S) < INTERVAL_S:
        return
    if len(_LOOKED) >= 64:
        _LOOKED.clear()
    _LOOKED[key] = now
    with engine.connect() as conn:
        stale = [table for table in TABLES if _stale(conn, table)]
        if stale:
            _analyze(conn, stale)


def _stale(conn: Connection, table: str) -> bool:
    rows = conn.scalar(text(f"SELECT max(rowid) FROM {table}")) or 0  # O(log n), ~count
    if rows < 100:
        return False  # any plan is fast
    if not conn.scalar(text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")):
        return True
    stat = conn.scalar(text("SELECT max(stat) FROM sqlite_stat1 WHERE tbl = :t"), {"t": table})
    analysed = int(stat.split()[0]) if stat else 0
    return not analysed or not analysed / GROWTH <= rows <= analysed * GROWTH


def _analyze(conn: Connection, tables: list[str]) -> None:
    conn.exec_driver_sql("PRAGMA busy_timeout = 50")  # never wait behind a writer
    try:
        for table in tables:
            conn.exec_driver_sql(f"ANALYZE {table}")
        conn.commit()
    except OperationalError:  # locked: another look will do it
        conn.rollback()
    finally:
        conn.exec_driver_sql("PRAGMA busy_timeout = 30000")  # the engine's (timeout=30)
