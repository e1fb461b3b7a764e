"""The embedded event log: one SQLite file (WAL mode), no server.

Tables: ``streams`` (name -> id), one ``events_<id>`` table per stream whose
AUTOINCREMENT key is the offset (so an offset is never reused, even after a trim),
``groups`` (the last offset delivered to each group) and ``pending`` (delivered,
unacknowledged: consumer, delivery time, delivery count). Reads that deliver run in
``BEGIN IMMEDIATE`` transactions, so processes sharing the file never deliver one event
twice to a group. Blocking reads poll.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from lakeworks.streams.log.base import (
    Event,
    EventLog,
    GroupInfo,
    StreamInfo,
    missing_group,
)

_SCHEMA = """
create table if not exists streams (
  id integer primary key autoincrement, name text unique not null, created_ms integer not null);
create table if not exists groups (
  stream integer not null, name text not null, last_delivered integer not null,
  primary key (stream, name));
create table if not exists pending (
  stream integer not null, grp text not null, "offset" integer not null,
  consumer text not null, delivered_ms integer not null, deliveries integer not null,
  primary key (stream, grp, "offset"));
create index if not exists pending_age on pending (stream, grp, delivered_ms);
"""
POLL = 0.02  # seconds between polls of a blocking read


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class SqliteEventLog(EventLog):
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._connection: sqlite3.Connection | None = None
        self._db  # noqa: B018 - creates the file and its tables now

    @property
    def _db(self) -> sqlite3.Connection:
        """The connection, opened again after ``close`` (a platform may be reused)."""
        with self._lock:
            if self._connection is None:
                db = sqlite3.connect(
                    self.path, timeout=30, isolation_level=None, check_same_thread=False
                )
                db.execute("pragma journal_mode=wal")
                db.execute("pragma synchronous=normal")
                db.executescript(_SCHEMA)
                self._connection = db
            return self._connection

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            db = self._db
            db.execute("begin immediate")
            try:
                yield db
            except BaseException:
                db.execute("rollback")
                raise
            db.execute("commit")

    def _id(self, db: sqlite3.Connection, stream: str, create: bool = False) -> int | None:
        row = db.execute("select id from streams where name = ?", (stream,)).fetchone()
        if row is not None or not create:
            return row[0] if row else None
        sid = db.execute(
            "insert into streams (name, created_ms) values (?, ?)", (stream, _now_ms())
        ).lastrowid
        db.execute(
            f'create table events_{sid} ("offset" integer primary key autoincrement, '
            "data blob not null, published_ms integer not null)"
        )
        return sid

    def publish(
        self, stream: str, payloads: Sequence[bytes], maxlen: int | None = None
    ) -> list[str]:
        with self._tx() as db:
            sid = self._id(db, stream, create=True)
            now = _now_ms()
            last = db.execute(f'select max("offset") from events_{sid}').fetchone()[0]
            seq = db.execute("select seq from sqlite_sequence where name = ?", (f"events_{sid}",))
            start = max(last or 0, (seq.fetchone() or (0,))[0]) + 1
            rows = [(start + i, bytes(p), now) for i, p in enumerate(payloads)]
            db.executemany(
                f'insert into events_{sid} ("offset", data, published_ms) values (?, ?, ?)', rows
            )
            if maxlen is not None:
                self._trim_length(db, sid, maxlen)
        return [str(offset) for offset, _, _ in rows]

    def create_group(self, stream: str, group: str, start: str = "0") -> bool:
        with self._tx() as db:
            sid = self._id(db, stream, create=True)
            if start == "$":
                last = db.execute(f'select max("offset") from events_{sid}').fetchone()[0] or 0
            else:
                last = int(start)
            cursor = db.execute(
                "insert or ignore into groups (stream, name, last_delivered) values (?, ?, ?)",
                (sid, group, last),
            )
            return cursor.rowcount == 1

    def read(
        self,
        stream: str,
        group: str,
        consumer: str,
        count: int,
        *,
        block: timedelta | None = None,
        pending: bool = False,
    ) -> list[Event]:
        deadline = time.monotonic() + (block.total_seconds() if block else 0)
        while True:
            with self._tx() as db:
                sid, last = self._group(db, stream, group)
                if pending:
                    return self._redeliver(db, sid, group, consumer, count, owner=consumer)
                events = self._new(db, sid, group, consumer, count, last)
            if events or time.monotonic() >= deadline:
                return events
            time.sleep(POLL)

    def _group(self, db: sqlite3.Connection, stream: str, group: str) -> tuple[int, int]:
        row = db.execute(
            "select g.stream, g.last_delivered from groups g join streams s on s.id = g.stream "
            "where s.name = ? and g.name = ?",
            (stream, group),
        ).fetchone()
        if row is None:
            raise missing_group(stream, group)
        return row

    def _new(
        self, db: sqlite3.Connection, sid: int, group: str, consumer: str, count: int, last: int
    ) -> list[Event]:
        rows = db.execute(
            f'select "offset", data from events_{sid} where "offset" > ? order by "offset" limit ?',
            (last, count),
        ).fetchall()
        if not rows:
            return []
        now = _now_ms()
        db.executemany(
            'insert into pending (stream, grp, "offset", consumer, delivered_ms, deliveries) '
            "values (?, ?, ?, ?, ?, 1)",
            [(sid, group, offset, consumer, now) for offset, _ in rows],
        )
        db.execute(
            "update groups set last_delivered = ? where stream = ? and name = ?",
            (rows[-1][0], sid, group),
        )
        return [Event(str(offset), offset, bytes(data), 1) for offset, data in rows]

    def _redeliver(
        self,
        db: sqlite3.Connection,
        sid: int,
        group: str,
        consumer: str,
        count: int,
        *,
        owner: str | None = None,
        cutoff: int | None = None,
    ) -> list[Event]:
        """Deliver to ``consumer`` again up to ``count`` pending events, oldest first: those
        of ``owner`` (a consumer's own) or those delivered at or before ``cutoff`` (ms)."""
        where, args = (
            ("p.consumer = ?", owner) if owner is not None else ("p.delivered_ms <= ?", cutoff)
        )
        rows = db.execute(
            f'select p."offset", e.data, p.deliveries from pending p left join events_{sid} e '
            f'on e."offset" = p."offset" where p.stream = ? and p.grp = ? and {where} '
            'order by p."offset" limit ?',
            (sid, group, args, count),
        ).fetchall()
        return self._delivered(db, sid, group, consumer, rows)

    def _delivered(
        self,
        db: sqlite3.Connection,
        sid: int,
        group: str,
        consumer: str,
        rows: list[tuple[int, bytes | None, int]],
    ) -> list[Event]:
        """Count a new delivery of pending rows to ``consumer``; a row whose event was
        trimmed meanwhile is acknowledged (it can no longer be delivered)."""
        now = _now_ms()
        gone = [(sid, group, offset) for offset, data, _ in rows if data is None]
        db.executemany('delete from pending where stream = ? and grp = ? and "offset" = ?', gone)
        live = [(offset, data, n) for offset, data, n in rows if data is not None]
        db.executemany(
            "update pending set consumer = ?, delivered_ms = ?, deliveries = deliveries + 1 "
            'where stream = ? and grp = ? and "offset" = ?',
            [(consumer, now, sid, group, offset) for offset, _, _ in live],
        )
        return [Event(str(offset), offset, bytes(data), n + 1) for offset, data, n in live]

    def ack(self, stream: str, group: str, ids: Sequence[str]) -> int:
        if not ids:
            return 0
        with self._tx() as db:
            sid = self._id(db, stream)
            if sid is None:
                return 0
            cursor = db.executemany(
                'delete from pending where stream = ? and grp = ? and "offset" = ?',
                [(sid, group, int(i)) for i in ids],
            )
            return cursor.rowcount

    def claim(
        self, stream: str, group: str, consumer: str, min_idle: timedelta, count: int
    ) -> list[Event]:
        cutoff = _now_ms() - int(min_idle.total_seconds() * 1000)
        with self._tx() as db:
            sid, _ = self._group(db, stream, group)
            return self._redeliver(db, sid, group, consumer, count, cutoff=cutoff)

    def groups(self, stream: str) -> list[GroupInfo]:
        with self._lock:
            db = self._db
            sid = self._id(db, stream)
            if sid is None:
                return []
            rows = db.execute(
                "select name, last_delivered from groups where stream = ? order by name", (sid,)
            ).fetchall()
            return [self._info(db, stream, sid, name, last) for name, last in rows]

    def _info(
        self, db: sqlite3.Connection, stream: str, sid: int, name: str, last: int
    ) -> GroupInfo:
        consumers, pending = db.execute(
            "select count(distinct consumer), count(*) from pending where stream = ? and grp = ?",
            (sid, name),
        ).fetchone()
        lag = db.execute(
            f'select count(*) from events_{sid} where "offset" > ?', (last,)
        ).fetchone()[0]
        return GroupInfo(stream, name, consumers, pending, lag, str(last) if last else None)

    def tail(self, stream: str, count: int) -> list[Event]:
        with self._lock:
            sid = self._id(self._db, stream)
            if sid is None:
                return []
            rows = self._db.execute(
                f'select "offset", data from events_{sid} order by "offset" desc limit ?',
                (count,),
            ).fetchall()
        return [Event(str(offset), offset, bytes(data)) for offset, data in reversed(rows)]

    def trim(
        self, stream: str, *, maxlen: int | None = None, older_than: timedelta | None = None
    ) -> int:
        with self._tx() as db:
            sid = self._id(db, stream)
            if sid is None:
                return 0
            deleted = self._trim_length(db, sid, maxlen) if maxlen is not None else 0
            if older_than is not None:
                cutoff = _now_ms() - int(older_than.total_seconds() * 1000)
                deleted += db.execute(
                    f"delete from events_{sid} where published_ms < ?", (cutoff,)
                ).rowcount
            return deleted

    def _trim_length(self, db: sqlite3.Connection, sid: int, maxlen: int) -> int:
        last = db.execute(f'select max("offset") from events_{sid}').fetchone()[0]
        if last is None or last <= maxlen:  # no more than maxlen events: nothing to trim
            return 0
        return db.execute(
            f'delete from events_{sid} where "offset" <= ?', (last - maxlen,)
        ).rowcount

    def streams(self, prefix: str = "") -> list[StreamInfo]:
        with self._lock:
            db = self._db
            rows = db.execute(
                "select id, name from streams where substr(name, 1, ?) = ? order by name",
                (len(prefix), prefix),
            ).fetchall()
            out = []
            for sid, name in rows:
                length, first, last = db.execute(
                    f'select count(*), min("offset"), max("offset") from events_{sid}'
                ).fetchone()
                groups = db.execute(
                    "select count(*) from groups where stream = ?", (sid,)
                ).fetchone()[0]
                out.append(StreamInfo(name, length, _text(first), _text(last), groups))
            return out

    def delete(self, stream: str) -> bool:
        with self._tx() as db:
            sid = self._id(db, stream)
            if sid is None:
                return False
            db.execute(f"drop table events_{sid}")
            for table in ("groups", "pending"):
                db.execute(f"delete from {table} where stream = ?", (sid,))
            db.execute("delete from streams where id = ?", (sid,))
            return True

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


def _text(offset: int | None) -> str | None:
    return None if offset is None else str(offset)
