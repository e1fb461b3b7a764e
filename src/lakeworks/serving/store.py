"""The catalog side of serving: endpoints and their configurations (``meta.models``).

ORM rows never leave this module. Writing a configuration takes the endpoint's next
version in the same transaction that moves the endpoint to it, by a compare-and-set on the
endpoint's version: of two writers racing from one version (also under PostgreSQL's read
committed, where the second would otherwise see the first's row and write one further),
the loser meets that check or the unique constraint and gets a ConflictError (retry).
"""

from __future__ import annotations

import time

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lakeworks.errors import ConflictError, NotFoundError
from lakeworks.meta.catalog import Catalog
from lakeworks.meta.models import EndpointConfigRow, EndpointRow, WorkspaceRow
from lakeworks.serving.endpoints import EndpointConfig


def now_ms() -> int:
    return int(time.time() * 1000)


class EndpointStore:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def names(self, workspace: str) -> list[str]:
        ws = self.catalog.workspace(workspace)
        with self.catalog.session() as s:
            query = select(EndpointRow.name).where(EndpointRow.workspace_id == ws.id)
            return sorted(s.scalars(query))

    def current_version(self, workspace: str, name: str) -> int:
        """The endpoint's current configuration version (one indexed read: replicas call
        it per request to see changes without a restart)."""
        query = (
            select(EndpointRow.version)
            .join(WorkspaceRow, WorkspaceRow.id == EndpointRow.workspace_id)
            .where(WorkspaceRow.name == workspace, EndpointRow.name == name)
        )
        with self.catalog.session() as s:
            version = s.scalars(query).one_or_none()
            return self._row(s, workspace, name).version if version is None else version

    def config(self, workspace: str, name: str, version: int | None = None) -> EndpointConfig:
        with self.catalog.session() as s:
            row = self._row(s, workspace, name)
            return _config(s, row, row.version if version is None else version)

    def history(self, workspace: str, name: str) -> list[EndpointConfig]:
        with self.catalog.session() as s:
            row = self._row(s, workspace, name)
            query = select(EndpointConfigRow).where(EndpointConfigRow.endpoint_id == row.id)
            rows = s.scalars(query.order_by(EndpointConfigRow.version))
            return [_record(name, c) for c in rows]

    def write(self, workspace: str, config: EndpointConfig, *, expected: int | None) -> int:
        """Record ``config`` as the endpoint's next version and make it current.
        ``expected``: the version the caller based the change on (None: a new endpoint)."""
        ws = self.catalog.workspace(workspace)
        try:
            with self.catalog.session() as s:
                row = self._find(s, ws.id, config.endpoint)
                if (row.version if row else None) != expected:
                    raise _conflict(config.endpoint)
                if row is None:
                    row = EndpointRow(
                        workspace_id=ws.id,
                        name=config.endpoint,
                        version=0,
                        created_ms=now_ms(),
                        created_by=config.created_by,
                    )
                    s.add(row)
                    s.flush()
                version = row.version + 1  # the endpoint's version is its newest config's
                s.add(_row(row.id, version, config))
                moved = s.execute(
                    update(EndpointRow)
                    .where(EndpointRow.id == row.id, EndpointRow.version == row.version)
                    .values(version=version)
                    .execution_options(synchronize_session=False)
                )
                if moved.rowcount != 1:  # another writer moved it since it was read
                    raise _conflict(config.endpoint)
                return version
        except IntegrityError as exc:
            raise _conflict(config.endpoint) from exc

    def delete(self, workspace: str, name: str) -> None:
        with self.catalog.session() as s:
            row = self._row(s, workspace, name)
            for config in s.scalars(
                select(EndpointConfigRow).where(EndpointConfigRow.endpoint_id == row.id)
            ):
                s.delete(config)
            s.delete(row)

    def _row(self, s: Session, workspace: str, name: str) -> EndpointRow:
        ws = self.catalog.workspace(workspace)
        row = self._find(s, ws.id, name)
        if row is None:
            raise NotFoundError(
                f"endpoint {name!r} does not exist in workspace {workspace!r}",
                hint="list endpoints with `lakeworks endpoints list`, or deploy one",
                endpoint=name,
                workspace=workspace,
            )
        return row

    @staticmethod
    def _find(s: Session, workspace_id: int, name: str) -> EndpointRow | None:
        query = select(EndpointRow).where(
            EndpointRow.workspace_id == workspace_id, EndpointRow.name == name
        )
        return s.scalars(query).one_or_none()


def _config(s: Session, row: EndpointRow, version: int) -> EndpointConfig:
    query = select(EndpointConfigRow).where(
        EndpointConfigRow.endpoint_id == row.id, EndpointConfigRow.version == version
    )
    found = s.scalars(query).one_or_none()
    if found is None:
        raise NotFoundError(
            f"endpoint {row.name!r} has no configuration version {version}",
            endpoint=row.name,
            version=version,
        )
    return _record(row.name, found)


def _record(name: str, row: EndpointConfigRow) -> EndpointConfig:
    return EndpointConfig.from_body(
        name,
        row.version,
        row.body,
        action=row.action,
        created_by=row.created_by,
        created_ms=row.created_ms,
    )


def _row(endpoint_id: int, version: int, config: EndpointConfig) -> EndpointConfigRow:
    return EndpointConfigRow(
        endpoint_id=endpoint_id,
        version=version,
        body=config.body(),
        action=config.action,
        created_ms=now_ms(),
        created_by=config.created_by,
    )


def _conflict(name: str) -> ConflictError:
    return ConflictError(
        f"endpoint {name!r} was changed by someone else meanwhile",
        hint="show it again and retry the change",
        endpoint=name,
    )
