"""The embedded online store: one SQLite file under the platform home.

Point reads are a primary-key lookup in a WITHOUT ROWID table; each thread keeps its own
connection. Several processes on one host may share the file (WAL mode). A read of many
keys is one statement: the keys go in as one JSON array, joined to the table in order, so
the rows come back in the order asked (duplicates repeated, NULL where a key is missing).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

from lakeworks.errors import UnavailableError
from lakeworks.features.online.base import OnlineCapabilities, OnlineStore, Record

_SCHEMA = """
CREATE TABLE IF NOT EXISTS online_features (
    workspace TEXT NOT NULL,
    view TEXT NOT NULL,
    key TEXT NOT NULL,
    event_us INTEGER NOT NULL,
    vals TEXT NOT NULL,
    PRIMARY KEY (workspace, view, key)
) WITHOUT ROWID
"""
_UPSERT = """
INSERT INTO online_features (workspace, view, key, event_us, vals) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (workspace, view, key) DO UPDATE SET event_us = excluded.event_us,
    vals = excluded.vals WHERE excluded.event_us >= online_features.event_us
"""
_READ = """
SELECT o.event_us, o.vals FROM json_each(?) AS j
LEFT JOIN online_features AS o ON o.workspace = ? AND o.view = ? AND o.key = j.value
ORDER BY j.key
"""
# Point reads of random keys touch pages all over the table: keep them in memory (the
# default cache of 2 MB holds about 7,000 entities of 10 features). Grown only as used.
_CACHE_KIB = 64 * 1024


class SqliteOnlineStore(OnlineStore):
    capabilities = OnlineCapabilities(shared=False)

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def _con(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                con = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
                con.execute("PRAGMA journal_mode=WAL")
                con.execute("PRAGMA synchronous=NORMAL")
                con.execute(f"PRAGMA cache_size=-{_CACHE_KIB}")
                con.execute(_SCHEMA)
                con.commit()
            except sqlite3.Error as exc:
                raise UnavailableError(
                    f"cannot open the online store {self.path}: {exc}",
                    hint="check that the platform home is writable",
                ) from exc
            self._local.con = con
            with self._lock:
                self._connections.append(con)
        return con

    def write(self, workspace: str, view: str, rows: Sequence[tuple[str, int, str]]) -> int:
        con = self._con()
        with con:
            con.executemany(_UPSERT, ((workspace, view, k, t, v) for k, t, v in rows))
        return len(rows)

    def read(self, workspace: str, view: str, keys: Sequence[str]) -> list[Record | None]:
        con = self._con()
        if len(keys) == 1:
            found = con.execute(
                "SELECT event_us, vals FROM online_features "
                "WHERE workspace = ? AND view = ? AND key = ?",
                (workspace, view, keys[0]),
            ).fetchone()
            return [None if found is None else Record._make(found)]
        found = con.execute(_READ, (json.dumps(list(keys)), workspace, view)).fetchall()
        make = tuple.__new__
        return [None if row[0] is None else make(Record, row) for row in found]

    def delete_view(self, workspace: str, view: str) -> None:
        con = self._con()
        with con:
            con.execute(
                "DELETE FROM online_features WHERE workspace = ? AND view = ?", (workspace, view)
            )

    def usage(self, workspace: str) -> tuple[int, int]:
        keys, size = (
            self._con()
            .execute(
                "SELECT COUNT(*), COALESCE(SUM(LENGTH(key) + LENGTH(vals) + 8), 0) "
                "FROM online_features WHERE workspace = ?",
                (workspace,),
            )
            .fetchone()
        )
        return int(keys), int(size)

    def check(self) -> None:
        self._con().execute("SELECT 1").fetchall()

    def close(self) -> None:
        with self._lock:
            for con in self._connections:
                con.close()
            self._connections.clear()
        self._local = threading.local()
