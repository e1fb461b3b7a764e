"""The catalog: workspaces, table entries and load records, as frozen dataclasses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from lakeworks.context import check_name
from lakeworks.errors import AlreadyExistsError, NotFoundError, UnavailableError
from lakeworks.meta.models import LoadRow, TableRow, WorkspaceRow


@dataclass(frozen=True)
class WorkspaceInfo:
    id: int
    name: str
    description: str | None
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class TableEntry:
    id: int
    workspace: str
    name: str
    location: str
    description: str | None
    kind: str
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class LoadRecord:
    id: int
    table: str
    source: str
    source_kind: str
    mode: str
    status: str
    rows_read: int
    rows_written: int
    rows_quarantined: int
    table_version: int | None
    watermark_column: str | None
    watermark: str | None
    fingerprint: str | None
    error: str | None
    started_at: datetime
    finished_at: datetime | None
    started_by: str
    details: dict[str, Any] = field(default_factory=dict)


def now() -> datetime:
    return datetime.now(UTC)


class Catalog:
    """Reads and writes catalog rows. One instance per platform, safe to share across threads."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        try:
            with self._sessions.begin() as session:
                yield session
        except OperationalError as exc:
            raise UnavailableError(
                f"the metadata database failed: {exc.orig}",
                hint="check LAKEWORKS_METADATA_URL and that the database is running",
            ) from exc

    # workspaces -----------------------------------------------------------------
    def create_workspace(
        self, name: str, user: str, description: str | None = None, exist_ok: bool = False
    ) -> WorkspaceInfo:
        check_name("workspace", name)
        try:
            with self.session() as s:
                row = WorkspaceRow(
                    name=name, description=description, created_at=now(), created_by=user
                )
                s.add(row)
                s.flush()
                return _workspace(row)
        except IntegrityError as exc:
            if exist_ok:
                return self.workspace(name)
            raise AlreadyExistsError(f"workspace {name!r} already exists", workspace=name) from exc

    def workspace(self, name: str) -> WorkspaceInfo:
        with self.session() as s:
            row = s.scalar(select(WorkspaceRow).where(WorkspaceRow.name == name))
            if row is None:
                raise NotFoundError(
                    f"workspace {name!r} does not exist",
                    hint="create it with lw.connect(workspace=...) or POST /api/v1/workspaces",
                    workspace=name,
                )
            return _workspace(row)

    def workspaces(self) -> list[WorkspaceInfo]:
        with self.session() as s:
            return [
                _workspace(r) for r in s.scalars(select(WorkspaceRow).order_by(WorkspaceRow.name))
            ]

    # tables ---------------------------------------------------------------------
    def add_table(
        self,
        workspace: str,
        name: str,
        location: str,
        user: str,
        description: str | None = None,
        kind: str = "table",
    ) -> TableEntry:
        ws = self.workspace(workspace)
        try:
            with self.session() as s:
                row = TableRow(
                    workspace_id=ws.id,
                    name=name,
                    location=location,
                    description=description,
                    kind=kind,
                    created_at=now(),
                    created_by=user,
                )
                s.add(row)
                s.flush()
                return _table(row, workspace)
        except IntegrityError as exc:
            raise AlreadyExistsError(
                f"table {name!r} already exists in workspace {workspace!r}",
                table=name,
                workspace=workspace,
            ) from exc

    def find_table(self, workspace: str, name: str) -> TableEntry | None:
        with self.session() as s:
            row = s.scalar(
                select(TableRow)
                .join(WorkspaceRow)
                .where(WorkspaceRow.name == workspace, TableRow.name == name)
            )
            return _table(row, workspace) if row else None

    def table(self, workspace: str, name: str) -> TableEntry:
        entry = self.find_table(workspace, name)
        if entry is None:
            raise NotFoundError(
                f"table {name!r} does not exist in workspace {workspace!r}",
                hint="list tables with `lakeworks tables list`",
                table=name,
                workspace=workspace,
            )
        return entry

    def tables(self, workspace: str, names: list[str] | None = None) -> list[TableEntry]:
        """The workspace's tables by name (only ``names`` when given; unknown ones absent)."""
        table = TableRow.__table__  # plain rows: no ORM objects to build
        query = select(table).join(WorkspaceRow).where(WorkspaceRow.name == workspace)
        if names is not None:
            query = query.where(table.c.name.in_(names))
        with self.session() as s:
            rows = s.execute(query.order_by(table.c.name))
            return [_table(r, workspace) for r in rows]

    def remove_table(self, workspace: str, name: str) -> None:
        entry = self.table(workspace, name)
        with self.session() as s:
            s.delete(s.get(TableRow, entry.id))

    # loads ----------------------------------------------------------------------
    def start_load(
        self,
        workspace: str,
        table: str,
        source: str,
        source_kind: str,
        mode: str,
        user: str,
        fingerprint: str | None = None,
        watermark_column: str | None = None,
    ) -> int:
        ws = self.workspace(workspace)
        with self.session() as s:
            row = LoadRow(
                workspace_id=ws.id,
                table_name=table,
                source=source,
                source_kind=source_kind,
                mode=mode,
                status="running",
                fingerprint=fingerprint,
                watermark_column=watermark_column,
                started_at=now(),
                started_by=user,
            )
            s.add(row)
            s.flush()
            return row.id

    def note_load(self, load_id: int, **values: Any) -> None:
        """Record values of a running load (its fingerprint) before it finishes."""
        with self.session() as s:
            row = s.get(LoadRow, load_id)
            for key, value in values.items():
                setattr(row, key, value)

    def finish_load(self, load_id: int, status: str, **values: Any) -> LoadRecord:
        with self.session() as s:
            row = s.get(LoadRow, load_id)
            row.status = status
            row.finished_at = now()
            for key, value in values.items():
                setattr(row, key, value)
            s.flush()
            return _load(row)

    def loads(
        self,
        workspace: str,
        table: str | None = None,
        status: str | None = None,
        fingerprint: str | None = None,
        source: str | None = None,
        limit: int | None = None,
    ) -> list[LoadRecord]:
        """Loads oldest first; with ``limit``, only the newest ``limit`` of them."""
        with self.session() as s:
            query = select(LoadRow).join(WorkspaceRow).where(WorkspaceRow.name == workspace)
            if table:
                query = query.where(LoadRow.table_name == table)
            if status:
                query = query.where(LoadRow.status == status)
            if fingerprint:
                query = query.where(LoadRow.fingerprint == fingerprint)
            if source:
                query = query.where(LoadRow.source == source)
            if limit is None:
                return [_load(r) for r in s.scalars(query.order_by(LoadRow.id))]
            newest = s.scalars(query.order_by(LoadRow.id.desc()).limit(limit))
            return [_load(r) for r in reversed(newest.all())]


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every time lakeworks stores is UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _workspace(row: WorkspaceRow) -> WorkspaceInfo:
    return WorkspaceInfo(row.id, row.name, row.description, aware(row.created_at), row.created_by)


def _table(row: Any, workspace: str) -> TableEntry:
    return TableEntry(
        row.id,
        workspace,
        row.name,
        row.location,
        row.description,
        row.kind,
        aware(row.created_at),
        row.created_by,
    )


def _load(row: LoadRow) -> LoadRecord:
    return LoadRecord(
        id=row.id,
        table=row.table_name,
        source=row.source,
        source_kind=row.source_kind,
        mode=row.mode,
        status=row.status,
        rows_read=row.rows_read or 0,
        rows_written=row.rows_written or 0,
        rows_quarantined=row.rows_quarantined or 0,
        table_version=row.table_version,
        watermark_column=row.watermark_column,
        watermark=row.watermark,
        fingerprint=row.fingerprint,
        error=row.error,
        started_at=aware(row.started_at),
        finished_at=aware(row.finished_at),
        started_by=row.started_by,
        details=row.details or {},
    )
