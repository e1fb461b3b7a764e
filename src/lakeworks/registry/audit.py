"""Aliases with the record of every move, approvals, and governance reports of versions.

An alias move and its event are written in one transaction, so the audit never misses a
move and never records one that did not happen.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from lakeworks.errors import NotFoundError
from lakeworks.meta.models import (
    ModelAliasEventRow,
    ModelAliasRow,
    ModelApprovalRow,
    ModelReportRow,
    ModelVersionRow,
)
from lakeworks.registry.records import AliasEvent, Approval, Report, now_ms
from lakeworks.registry.store import RegistryStore


class RegistryAudit:
    """Aliases, approvals and reports, over the rows of ``RegistryStore``."""

    def __init__(self, store: RegistryStore) -> None:
        self.store = store
        self.catalog = store.catalog

    # aliases ------------------------------------------------------------------------
    def alias_version(self, workspace: str, name: str, alias: str) -> int:
        with self.catalog.session() as s:
            model = self.store.model_row(s, workspace, name)
            version = s.scalar(
                select(ModelAliasRow.version).where(
                    ModelAliasRow.model_id == model.id, ModelAliasRow.alias == alias
                )
            )
        if version is None:
            raise NotFoundError(
                f"model {name!r} has no alias {alias!r}",
                hint=f"set it with `lakeworks models alias {name} {alias} VERSION`",
                model=name,
                alias=alias,
            )
        return version

    def move_alias(
        self,
        workspace: str,
        name: str,
        alias: str,
        version: int | None,
        *,
        user: str,
        forced: bool = False,
        reason: str | None = None,
    ) -> AliasEvent:
        """Point ``alias`` at ``version`` (None deletes it) and record the move."""
        for _ in range(3):  # two first settings of one alias race on its unique key
            try:
                return self._move(workspace, name, alias, version, user, forced, reason)
            except IntegrityError:
                continue
        return self._move(workspace, name, alias, version, user, forced, reason)

    def _move(
        self,
        workspace: str,
        name: str,
        alias: str,
        version: int | None,
        user: str,
        forced: bool,
        reason: str | None,
    ) -> AliasEvent:
        with self.catalog.session() as s:
            model = self.store.model_row(s, workspace, name, lock=True)
            if version is not None:
                self.store.version_row(s, workspace, name, version)
            row = s.scalar(
                select(ModelAliasRow).where(
                    ModelAliasRow.model_id == model.id, ModelAliasRow.alias == alias
                )
            )
            if row is None and version is None:
                raise NotFoundError(f"model {name!r} has no alias {alias!r}", alias=alias)
            before = row.version if row is not None else None
            if version is None:
                s.delete(row)
            elif row is None:
                s.add(ModelAliasRow(model_id=model.id, alias=alias, version=version))
            else:
                row.version = version
            event = ModelAliasEventRow(
                model_id=model.id,
                alias=alias,
                from_version=before,
                to_version=version,
                forced=forced,
                reason=reason,
                moved_by=user,
                at_ms=now_ms(),
            )
            s.add(event)
            s.flush()
            return _event(event, name)

    def alias_events(self, workspace: str, name: str, alias: str | None = None) -> list[AliasEvent]:
        with self.catalog.session() as s:
            model = self.store.model_row(s, workspace, name)
            query = select(ModelAliasEventRow).where(ModelAliasEventRow.model_id == model.id)
            if alias is not None:
                query = query.where(ModelAliasEventRow.alias == alias)
            return [_event(r, name) for r in s.scalars(query.order_by(ModelAliasEventRow.id))]

    # approvals ----------------------------------------------------------------------
    def approve(
        self, workspace: str, name: str, version: int, stage: str, user: str, comment: str | None
    ) -> Approval:
        with self.catalog.session() as s:
            self.store.model_row(s, workspace, name, lock=True)
            row = self.store.version_row(s, workspace, name, version)
            at = now_ms()
            s.add(
                ModelApprovalRow(
                    version_id=row.id, stage=stage, approved_by=user, at_ms=at, comment=comment
                )
            )
            row.stage, row.updated_ms = stage, at
            return Approval(name, version, stage, user, at, comment)

    def approvals(self, workspace: str, name: str, version: int) -> list[Approval]:
        with self.catalog.session() as s:
            row = self.store.version_row(s, workspace, name, version)
            query = select(ModelApprovalRow).where(ModelApprovalRow.version_id == row.id)
            return [
                Approval(name, version, a.stage, a.approved_by, a.at_ms, a.comment)
                for a in s.scalars(query.order_by(ModelApprovalRow.id))
            ]

    # reports ------------------------------------------------------------------------
    def put_report(
        self, version_id: int, kind: str, body: dict[str, Any], passed: bool | None
    ) -> Report:
        """Store (or replace) the version's report of ``kind``."""
        with self.catalog.session() as s:
            # written first: the version row's lock before any read (see model_row)
            s.execute(
                update(ModelVersionRow)
                .where(ModelVersionRow.id == version_id)
                .values(updated_ms=now_ms())
            )
            row = s.scalar(
                select(ModelReportRow).where(
                    ModelReportRow.version_id == version_id, ModelReportRow.kind == kind
                )
            )
            if row is None:
                row = ModelReportRow(version_id=version_id, kind=kind)
                s.add(row)
            row.body, row.passed, row.created_ms = body, passed, now_ms()
            return Report(kind, body, passed, row.created_ms)

    def reports(self, version_id: int) -> list[Report]:
        with self.catalog.session() as s:
            query = select(ModelReportRow).where(ModelReportRow.version_id == version_id)
            return [
                Report(r.kind, r.body, r.passed, r.created_ms)
                for r in s.scalars(query.order_by(ModelReportRow.kind))
            ]

    def version_exists(self, version_id: int) -> bool:
        with self.catalog.session() as s:
            return s.get(ModelVersionRow, version_id) is not None


def _event(row: ModelAliasEventRow, name: str) -> AliasEvent:
    return AliasEvent(
        name,
        row.alias,
        row.from_version,
        row.to_version,
        bool(row.forced),
        row.reason,
        row.moved_by,
        row.at_ms,
    )
