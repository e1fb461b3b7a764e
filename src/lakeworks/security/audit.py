"""The audit log: append-only, each record carrying the hash of the one before.

Every change made through a checked operation and every denied access is recorded (the
guard does it; other parts call ``AuditLog.record`` for their own actions). A record's
``hash`` is the SHA-256 of its fields and ``prev_hash`` or, with ``audit_key`` set, their
HMAC-SHA256 under the key (``audit_keys.py``: rotation, and the marker recording where a
chain became keyed); ``audit_head`` names the last record. ``verify`` walks the chain and
names each record that was changed, deleted or inserted. Without a key it proves the log
was not edited record by record; someone able to rewrite the whole chain and its head at
once is caught only by comparing the head with a copy kept elsewhere (``lakeworks audit
verify`` prints it). With a key, rewriting needs the key: a chain recomputed without it
fails ``verify``.

Example:
    >>> from lakeworks.meta.catalog import Catalog, aware
    >>> from lakeworks.meta.engine import make_engine, upgrade
    >>> engine = make_engine("sqlite:///:memory:"); _ = upgrade(engine)
    >>> log = AuditLog(Catalog(engine))
    >>> log.record(user="ana", action="tables.drop", workspace="sales", object="orders").seq
    1
    >>> log.verify(Context("sales", "me")).ok
    True
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from lakeworks.context import Context
from lakeworks.errors import ConflictError, PermissionDeniedError, UnavailableError
from lakeworks.meta.catalog import Catalog, aware
from lakeworks.meta.security_models import AuditHeadRow, AuditRow
from lakeworks.security.audit_keys import MARKER, AuditKeys

GENESIS = "0" * 64
_FIELDS = ("seq", "at", "user", "workspace", "action", "object", "outcome")
_MORE = ("request_id", "source", "details", "prev_hash")
_ATTEMPTS = 20


@dataclass(frozen=True)
class AuditRecord:
    """One audit record. ``outcome``: ok, denied, or failed:<ErrorClass>."""

    seq: int
    at: datetime
    user: str
    workspace: str | None
    action: str
    object: str | None
    outcome: str
    request_id: str | None
    source: str | None
    details: dict[str, Any] | None
    prev_hash: str
    hash: str

    def to_json(self) -> str:
        """One JSON line (``at`` in ISO 8601, UTC)."""
        return json.dumps({**asdict(self), "at": _when(self.at) + "Z"}, sort_keys=True)


@dataclass(frozen=True)
class Verification:
    """The result of ``AuditLog.verify``: records checked, problems (each naming a
    record), and the head (last seq and hash) to keep elsewhere."""

    records: int
    head_seq: int
    head_hash: str
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _when(at: datetime) -> str:
    """``at`` as UTC ISO text to the microsecond, the same whether the database handed
    it back aware (PostgreSQL) or naive (SQLite)."""
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


def payload(values: dict[str, Any]) -> bytes:
    """The canonical bytes of a record's fields and ``prev_hash``: what its hash covers."""
    shown = {name: values[name] for name in (*_FIELDS, *_MORE)}
    shown["at"] = _when(shown["at"])
    return json.dumps(shown, sort_keys=True).encode()


def digest(values: dict[str, Any]) -> str:
    """The unkeyed hash of a record's fields and ``prev_hash``."""
    return hashlib.sha256(payload(values)).hexdigest()


class AuditLog:
    """Appends to, reads and verifies the audit log of one catalog."""

    def __init__(self, catalog: Catalog, keys: AuditKeys | None = None) -> None:
        self.catalog = catalog
        self.keys = keys or AuditKeys([])
        self._anchored = not self.keys.keyed  # this process checked the chain's key

    def record(
        self,
        *,
        user: str,
        action: str,
        outcome: str = "ok",
        workspace: str | None = None,
        object: str | None = None,  # noqa: A002 - the audit field's name
        request_id: str | None = None,
        source: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> AuditRecord:
        """Append one record (synchronously: it is in the log when this returns).

        Appends are serialized by locking the head row, so concurrent writers (threads,
        processes, replicas on one PostgreSQL) each extend the chain in turn.
        """
        values = dict(
            user=user[:256],
            action=action[:128],
            outcome=outcome[:32],
            workspace=workspace,
            object=object,
            request_id=(request_id or None) and request_id[:128],
            source=(source or None) and source[:128],
            details=details,
        )
        for _ in range(_ATTEMPTS):
            try:
                record = self._append(values)
            except (IntegrityError, UnavailableError):  # a concurrent first append or lock
                continue
            self._anchored = True
            return record
        raise ConflictError(f"could not append to the audit log after {_ATTEMPTS} attempts")

    def _append(self, values: dict[str, Any]) -> AuditRecord:
        with self.catalog.session() as session:
            # the UPDATE takes the write lock (SQLite) or the row lock (PostgreSQL) first
            moved = session.execute(
                update(AuditHeadRow).where(AuditHeadRow.id == 1).values(seq=AuditHeadRow.seq + 1)
            ).rowcount
            if not moved:
                session.add(AuditHeadRow(id=1, seq=1, hash=GENESIS))
                session.flush()
            head = session.get(AuditHeadRow, 1)
            assert head is not None
            if not self._anchored and (marker := self._marker(session, head.seq - 1)):
                self._add(session, head, marker)
                head.seq += 1
            row = self._add(session, head, values)
        return AuditRecord(**row)

    def _add(self, session: Any, head: AuditHeadRow, values: dict[str, Any]) -> dict[str, Any]:
        row = dict(values, seq=head.seq, at=datetime.now(UTC), prev_hash=head.hash)
        row["hash"] = self.keys.seal(payload(row))
        session.add(AuditRow(**row))
        head.hash = row["hash"]
        return row

    def _marker(self, session: Any, last: int) -> dict[str, Any] | None:
        """The values of a key marker, when the newest key did not hash record ``last``
        (the first keyed append of a process: a key set, rotated, or a chain upgraded)."""
        previous = None  # the chain starts here
        if last > 0:
            row = session.get(AuditRow, last)
            found = row and self.keys.opener(payload(_record(row).__dict__), row.hash)
            if found == self.keys.newest:
                return None
            previous = found or "unknown"
        details = {"key": self.keys.newest, "previous": previous}
        return dict(
            user="lakeworks",
            action=MARKER,
            outcome="ok",
            workspace=None,
            object=None,
            request_id=None,
            source=None,
            details=details,
        )

    def list(
        self,
        ctx: Context,
        *,
        since: datetime | None = None,
        user: str | None = None,
        action: str | None = None,
        outcome: str | None = None,
        all_workspaces: bool = False,
        limit: int | None = 1000,
        newest: bool = False,
    ) -> list[AuditRecord]:
        """Records of the context's workspace (``all_workspaces``: of every workspace, and
        of none, for administrators), oldest first; ``action`` matches a prefix.
        ``newest``: the newest ``limit`` records, newest first (a page of the latest
        activity, however long the log)."""
        order = AuditRow.seq.desc() if newest else AuditRow.seq
        query = select(AuditRow).order_by(order)
        if all_workspaces:
            _require_admin(ctx, "read the audit log of every workspace")
        else:
            query = query.where(AuditRow.workspace == ctx.workspace)
        if since is not None:
            query = query.where(AuditRow.at >= since)
        if user is not None:
            query = query.where(AuditRow.user == user)
        if action is not None:
            query = query.where(AuditRow.action.startswith(action, autoescape=True))
        if outcome is not None:
            query = query.where(AuditRow.outcome == outcome)
        if limit is not None:
            query = query.limit(limit)
        with self.catalog.session() as session:
            return [_record(row) for row in session.scalars(query)]

    def export(self, ctx: Context, **filters: Any) -> Iterator[str]:
        """The records as JSON lines (no limit unless ``limit=`` is given)."""
        filters.setdefault("limit", None)
        for record in self.list(ctx, **filters):
            yield record.to_json()

    def verify(self, ctx: Context) -> Verification:
        """Walk the chain: each record's hash, its link to the one before, the seq gaps,
        and the head. Every problem names the record."""
        from lakeworks.security.chain import walk

        with self.catalog.session() as session:
            head = session.get(AuditHeadRow, 1)
            head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
            rows = session.scalars(select(AuditRow).order_by(AuditRow.seq)).all()
            records = [_record(row) for row in rows]
        problems = walk(records, head_seq, head_hash, self.keys)
        return Verification(len(records), head_seq, head_hash, problems)


def _require_admin(ctx: Context, what: str) -> None:
    if ctx.principal is not None and not ctx.principal.admin:
        raise PermissionDeniedError(
            f"{ctx.user!r} may not {what}: only administrators may",
            permission="audit.verify",
            workspace=ctx.workspace,
        )


def _record(row: AuditRow) -> AuditRecord:
    values = {name: getattr(row, name) for name in (*_FIELDS, *_MORE, "hash")}
    return AuditRecord(**{**values, "at": aware(row.at)})
