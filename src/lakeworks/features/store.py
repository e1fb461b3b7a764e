"""Catalog access for the feature store: definition versions and materializations.

ORM rows stay in here; callers get frozen dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lakeworks.errors import ConflictError
from lakeworks.meta.catalog import Catalog, aware, now
from lakeworks.meta.models import FeatureDefinitionRow, FeatureMaterializationRow, WorkspaceRow


@dataclass(frozen=True)
class DefinitionVersion:
    """One stored version of a definition: kind ('entity', 'view', 'service'), spec, who."""

    kind: str
    name: str
    version: int
    spec: dict[str, Any]
    note: str | None
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class Materialization:
    view: str
    view_version: int
    kind: str
    start: datetime | None
    end: datetime | None
    rows: int
    started_at: datetime
    finished_at: datetime
    created_by: str


class FeatureCatalog:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def current(self, workspace: str, kind: str | None = None) -> list[DefinitionVersion]:
        """The newest version of every definition (of ``kind``), by kind then name."""
        with self.catalog.session() as s:
            newest = (
                select(
                    FeatureDefinitionRow.kind,
                    FeatureDefinitionRow.name,
                    func.max(FeatureDefinitionRow.version).label("version"),
                )
                .join(WorkspaceRow)
                .where(WorkspaceRow.name == workspace)
                .group_by(FeatureDefinitionRow.kind, FeatureDefinitionRow.name)
                .subquery()
            )
            query = (
                select(FeatureDefinitionRow)
                .join(WorkspaceRow)
                .join(
                    newest,
                    (newest.c.kind == FeatureDefinitionRow.kind)
                    & (newest.c.name == FeatureDefinitionRow.name)
                    & (newest.c.version == FeatureDefinitionRow.version),
                )
                .where(WorkspaceRow.name == workspace)
                .order_by(FeatureDefinitionRow.kind, FeatureDefinitionRow.name)
            )
            if kind:
                query = query.where(FeatureDefinitionRow.kind == kind)
            return [_definition(r) for r in s.scalars(query)]

    def versions(self, workspace: str, kind: str, name: str) -> list[DefinitionVersion]:
        """Every version of one definition, oldest first."""
        with self.catalog.session() as s:
            rows = s.scalars(
                select(FeatureDefinitionRow)
                .join(WorkspaceRow)
                .where(
                    WorkspaceRow.name == workspace,
                    FeatureDefinitionRow.kind == kind,
                    FeatureDefinitionRow.name == name,
                )
                .order_by(FeatureDefinitionRow.version)
            )
            return [_definition(r) for r in rows]

    def add_versions(
        self, workspace: str, user: str, changes: list[tuple[str, str, int, dict, str | None]]
    ) -> None:
        """Store (kind, name, version, spec, note) rows in one transaction."""
        ws = self.catalog.workspace(workspace)
        try:
            with self.catalog.session() as s:
                for kind, name, version, spec, note in changes:
                    s.add(
                        FeatureDefinitionRow(
                            workspace_id=ws.id,
                            kind=kind,
                            name=name,
                            version=version,
                            spec=spec,
                            note=note,
                            created_at=now(),
                            created_by=user,
                        )
                    )
        except IntegrityError as exc:
            raise ConflictError(
                "another apply registered a new version of the same definitions at the same time",
                hint="apply again; the diff will be recomputed",
                workspace=workspace,
            ) from exc

    def record_materialization(self, workspace: str, record: Materialization) -> None:
        ws = self.catalog.workspace(workspace)
        with self.catalog.session() as s:
            s.add(
                FeatureMaterializationRow(
                    workspace_id=ws.id,
                    view=record.view,
                    view_version=record.view_version,
                    kind=record.kind,
                    start_at=record.start,
                    end_at=record.end,
                    rows=record.rows,
                    started_at=record.started_at,
                    finished_at=record.finished_at,
                    created_by=record.created_by,
                )
            )

    def materializations(self, workspace: str, view: str) -> list[Materialization]:
        """The materializations and pushes of ``view``, oldest first."""
        with self.catalog.session() as s:
            rows = s.scalars(
                select(FeatureMaterializationRow)
                .join(WorkspaceRow)
                .where(WorkspaceRow.name == workspace, FeatureMaterializationRow.view == view)
                .order_by(FeatureMaterializationRow.id)
            )
            return [_materialization(r) for r in rows]


def _definition(row: FeatureDefinitionRow) -> DefinitionVersion:
    return DefinitionVersion(
        row.kind,
        row.name,
        row.version,
        row.spec,
        row.note,
        aware(row.created_at),
        row.created_by,
    )


def _materialization(row: FeatureMaterializationRow) -> Materialization:
    return Materialization(
        row.view,
        row.view_version,
        row.kind,
        aware(row.start_at),
        aware(row.end_at),
        row.rows,
        aware(row.started_at),
        aware(row.finished_at),
        row.created_by,
    )
