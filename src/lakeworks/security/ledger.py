"""The catalog side of quotas and usage (``meta.models.QuotaRow``, ``UsageRow``).

ORM rows never leave this module: callers get floats, dicts and ``UsageRecord`` values.
Usage is written in batches (one INSERT of many rows) and read back aggregated in SQL,
so a report over months reads one row per (workspace, user, pipeline, kind), not every
batch ever written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, func, insert, select

from lakeworks.meta.catalog import Catalog
from lakeworks.meta.models import (
    ArtifactRefRow,
    PipelineRunRow,
    QuotaRow,
    RunRow,
    TableRow,
    TaskRunRow,
    UsageRow,
    WorkspaceRow,
)


@dataclass(frozen=True)
class UsageRecord:
    """``amount`` of ``kind`` used by ``user`` (in ``pipeline``, on ``obj``) in a workspace;
    for storage kinds, the bytes held at ``recorded_at``."""

    workspace: str
    user: str
    pipeline: str | None
    kind: str
    obj: str | None
    amount: float
    recorded_at: datetime


@dataclass(frozen=True)
class UsageTotal:
    """The sum (and the largest single record) of one kind for one group."""

    workspace: str
    user: str
    pipeline: str | None
    kind: str
    total: float
    largest: float


class Ledger:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    # quotas -------------------------------------------------------------------------
    def limits(self, workspace: str) -> dict[str, float]:
        """The workspace's quotas by name (those without a limit are absent)."""
        query = (
            select(QuotaRow.name, QuotaRow.limit)
            .join(WorkspaceRow, WorkspaceRow.id == QuotaRow.workspace_id)
            .where(WorkspaceRow.name == workspace)
        )
        with self.catalog.session() as s:
            return {name: limit for name, limit in s.execute(query)}

    def set_limit(self, workspace: str, name: str, limit: float | None, user: str) -> None:
        """Set (or with None remove) one quota of the workspace, in one transaction."""
        ws = self.catalog.workspace(workspace)
        with self.catalog.session() as s:
            s.execute(delete(QuotaRow).where(QuotaRow.workspace_id == ws.id, QuotaRow.name == name))
            if limit is not None:
                moment = datetime.now(UTC)
                row = QuotaRow(
                    workspace_id=ws.id,
                    name=name,
                    limit=limit,
                    updated_at=moment,
                    updated_by=user,
                )
                s.add(row)

    # measures of current use ---------------------------------------------------------
    def running_runs(self, workspace: str) -> int:
        query = (
            select(func.count(PipelineRunRow.id))
            .join(WorkspaceRow, WorkspaceRow.id == PipelineRunRow.workspace_id)
            .where(WorkspaceRow.name == workspace, PipelineRunRow.state == "running")
        )
        with self.catalog.session() as s:
            return int(s.scalar(query) or 0)

    def table_count(self, workspace: str) -> int:
        """The workspace's table entries, counted by the catalog (no row is read out)."""
        query = (
            select(func.count(TableRow.id))
            .join(WorkspaceRow, WorkspaceRow.id == TableRow.workspace_id)
            .where(WorkspaceRow.name == workspace)
        )
        with self.catalog.session() as s:
            return int(s.scalar(query) or 0)

    def task_cpu_seconds(self, workspace: str, since: datetime) -> float:
        """CPU-seconds of the workspace's task attempts recorded as finished since ``since``."""
        query = (
            select(func.sum(TaskRunRow.cpu_seconds))
            .join(PipelineRunRow, PipelineRunRow.id == TaskRunRow.run_id)
            .join(WorkspaceRow, WorkspaceRow.id == PipelineRunRow.workspace_id)
            .where(WorkspaceRow.name == workspace, TaskRunRow.finished_at >= since)
        )
        with self.catalog.session() as s:
            return float(s.scalar(query) or 0.0)

    def artifact_bytes(self, workspace: str) -> int:
        """Bytes of the artifacts the workspace's tracking runs refer to."""
        query = (
            select(func.sum(ArtifactRefRow.size))
            .join(RunRow, ArtifactRefRow.owner_id == RunRow.id)
            .join(WorkspaceRow, WorkspaceRow.id == RunRow.workspace_id)
            .where(WorkspaceRow.name == workspace, ArtifactRefRow.owner_kind == "run")
        )
        with self.catalog.session() as s:
            return int(s.scalar(query) or 0)

    # usage ----------------------------------------------------------------------------
    def add_usage(self, records: Sequence[UsageRecord]) -> None:
        """Insert ``records`` in one statement; records of a workspace that no longer
        exists are dropped (nothing can be billed to it)."""
        if not records:
            return
        ids = self._workspace_ids({r.workspace for r in records})
        rows = [
            {
                "workspace_id": ids[r.workspace],
                "user": r.user,
                "pipeline": r.pipeline,
                "kind": r.kind,
                "obj": r.obj,
                "amount": r.amount,
                "recorded_at": r.recorded_at,
            }
            for r in records
            if r.workspace in ids
        ]
        if rows:
            with self.catalog.session() as s:
                s.execute(insert(UsageRow), rows)

    def totals(
        self, since: datetime, until: datetime, kinds: Sequence[str], workspace: str | None
    ) -> list[UsageTotal]:
        """Sum and max of ``kinds`` per (workspace, user, pipeline) in ``[since, until)``."""
        query = (
            select(
                WorkspaceRow.name,
                UsageRow.user,
                UsageRow.pipeline,
                UsageRow.kind,
                func.sum(UsageRow.amount),
                func.max(UsageRow.amount),
            )
            .join(WorkspaceRow, WorkspaceRow.id == UsageRow.workspace_id)
            .where(UsageRow.kind.in_(kinds), UsageRow.recorded_at >= since)
            .where(UsageRow.recorded_at < until)
            .group_by(WorkspaceRow.name, UsageRow.user, UsageRow.pipeline, UsageRow.kind)
        )
        if workspace is not None:
            query = query.where(WorkspaceRow.name == workspace)
        with self.catalog.session() as s:
            return [UsageTotal(*row) for row in s.execute(query)]

    def samples(
        self, before: datetime, kinds: Sequence[str], workspace: str | None
    ) -> list[UsageRecord]:
        """Every record of the sampled ``kinds`` before ``before``, oldest first."""
        query = (
            select(WorkspaceRow.name, UsageRow)
            .join(WorkspaceRow, WorkspaceRow.id == UsageRow.workspace_id)
            .where(UsageRow.kind.in_(kinds), UsageRow.recorded_at < before)
            .order_by(UsageRow.recorded_at, UsageRow.id)
        )
        if workspace is not None:
            query = query.where(WorkspaceRow.name == workspace)
        with self.catalog.session() as s:
            return [_record(name, row) for name, row in s.execute(query)]

    def _workspace_ids(self, names: set[str]) -> dict[str, int]:
        query = select(WorkspaceRow.name, WorkspaceRow.id).where(WorkspaceRow.name.in_(names))
        with self.catalog.session() as s:
            return {name: id_ for name, id_ in s.execute(query)}


def _record(workspace: str, row: UsageRow) -> UsageRecord:
    at = row.recorded_at if row.recorded_at.tzinfo else row.recorded_at.replace(tzinfo=UTC)
    return UsageRecord(workspace, row.user, row.pipeline, row.kind, row.obj, row.amount, at)


__all__ = ["Ledger", "UsageRecord", "UsageTotal"]
