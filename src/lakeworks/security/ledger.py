"""The catalog side of quotas and usage (``meta.models.QuotaRow``, ``UsageRow``).

ORM rows never leave this module: callers get floats, dicts and ``UsageRecord`` values.
Usage is written in batches (one INSERT of many rows) and read back aggregated in SQL,
so a report over months reads one row per (workspace, user, pipeline, kind), not every
batch ever written. Each batch also adds to its UTC day's totals (``UsageDayRow``, in
the same transaction): ``totals`` reads whole days there and only the partial days at
either end of the span from the batches.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, bindparam, case, delete, func, insert, select, update
from sqlalchemy.orm import Session

from lakeworks.meta.catalog import Catalog
from lakeworks.meta.models import (
    ArtifactRefRow,
    PipelineRunRow,
    QuotaRow,
    RunRow,
    TableRow,
    TaskRunRow,
    UsageDayRow,
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
        """Insert ``records`` in one statement and add them to their days' totals, in one
        transaction; records of a workspace that no longer exists are dropped (nothing
        can be billed to it)."""
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
                _roll_up(s, rows)

    def totals(
        self, since: datetime, until: datetime, kinds: Sequence[str], workspace: str | None
    ) -> list[UsageTotal]:
        """Sum and max of ``kinds`` per (workspace, user, pipeline) in ``[since, until)``:
        whole UTC days from their rolled-up totals, the partial days at the ends from the
        batches."""
        since, until = _utc(since), _utc(until)
        first, last = _whole_days(since, until)
        if first >= last:
            spans = [(since, until)]
        else:
            spans = [(since, _midnight(first)), (_midnight(last), until)]
        sums: dict[tuple, list[float]] = defaultdict(lambda: [0.0, float("-inf")])
        ws = workspace
        with self.catalog.session() as s:
            found = [s.execute(_batch_totals(a, b, kinds, ws)).all() for a, b in spans if b > a]
            if first < last:
                found.append(s.execute(_day_totals(first, last, kinds, ws)).all())
            for rows in found:
                for *key, total, largest in rows:
                    into = sums[tuple(key)]
                    into[0] += total
                    into[1] = max(into[1], largest)
        return [UsageTotal(*key, total, largest) for key, (total, largest) in sums.items()]

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


def _roll_up(s: Session, rows: list[dict]) -> None:
    """Add ``rows`` (usage being inserted) to their days' totals: an UPDATE by id of the
    groups that have a row (the oldest one, should a race have made two), an INSERT of
    the others."""
    sums: dict[tuple, list[float]] = defaultdict(lambda: [0.0, float("-inf")])
    for r in rows:
        day = _utc(r["recorded_at"]).date()
        into = sums[(r["workspace_id"], day, r["user"], r["pipeline"], r["kind"])]
        into[0] += r["amount"]
        into[1] = max(into[1], r["amount"])
    days = UsageDayRow.__table__
    query = (
        select(
            days.c.workspace_id,
            days.c.day,
            days.c.user,
            days.c.pipeline,
            days.c.kind,
            func.min(days.c.id),
        )
        .where(days.c.workspace_id.in_({k[0] for k in sums}))
        .where(days.c.day.in_({k[1] for k in sums}))
        .group_by(days.c.workspace_id, days.c.day, days.c.user, days.c.pipeline, days.c.kind)
    )
    existing = {tuple(key): id_ for *key, id_ in s.execute(query)}
    changes = [
        {"row": existing[k], "adding": total, "peak": largest}
        for k, (total, largest) in sums.items()
        if k in existing
    ]
    if changes:
        peak = bindparam("peak")
        statement = (
            update(days)
            .where(days.c.id == bindparam("row"))
            .values(
                total=days.c.total + bindparam("adding"),
                largest=case((days.c.largest < peak, peak), else_=days.c.largest),
            )
        )
        s.connection().execute(statement, changes)
    fresh = [
        {
            "workspace_id": k[0],
            "day": k[1],
            "user": k[2],
            "pipeline": k[3],
            "kind": k[4],
            "total": total,
            "largest": largest,
        }
        for k, (total, largest) in sums.items()
        if k not in existing
    ]
    if fresh:
        s.execute(insert(days), fresh)


def _whole_days(since: datetime, until: datetime) -> tuple[date, date]:
    """The UTC days wholly inside ``[since, until)``, as ``[first, last)``."""
    first = since.date() if since.timetz() == time(tzinfo=UTC) else since.date() + timedelta(1)
    return first, until.date()


def _utc(moment: datetime) -> datetime:
    """``moment`` in UTC (a naive time is UTC already, as the catalog stores them)."""
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def _batch_totals(
    since: datetime, until: datetime, kinds: Sequence[str], workspace: str | None
) -> Select:
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
    return query if workspace is None else query.where(WorkspaceRow.name == workspace)


def _day_totals(first: date, last: date, kinds: Sequence[str], workspace: str | None) -> Select:
    query = (
        select(
            WorkspaceRow.name,
            UsageDayRow.user,
            UsageDayRow.pipeline,
            UsageDayRow.kind,
            func.sum(UsageDayRow.total),
            func.max(UsageDayRow.largest),
        )
        .join(WorkspaceRow, WorkspaceRow.id == UsageDayRow.workspace_id)
        .where(UsageDayRow.kind.in_(kinds), UsageDayRow.day >= first, UsageDayRow.day < last)
        .group_by(WorkspaceRow.name, UsageDayRow.user, UsageDayRow.pipeline, UsageDayRow.kind)
    )
    return query if workspace is None else query.where(WorkspaceRow.name == workspace)


def _record(workspace: str, row: UsageRow) -> UsageRecord:
    at = row.recorded_at if row.recorded_at.tzinfo else row.recorded_at.replace(tzinfo=UTC)
    return UsageRecord(workspace, row.user, row.pipeline, row.kind, row.obj, row.amount, at)


__all__ = ["Ledger", "UsageRecord", "UsageTotal"]
