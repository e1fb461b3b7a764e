"""Runs in the catalog: create, read with their data, change status and lifecycle."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session

from lakeworks.errors import InvalidInputError, NotFoundError
from lakeworks.meta.models import (
    ExperimentRow,
    LatestMetricRow,
    MetricRow,
    ParamRow,
    RunInputRow,
    RunRow,
    RunTagRow,
    WorkspaceRow,
)
from lakeworks.tracking import batches
from lakeworks.tracking.names import check_name
from lakeworks.tracking.records import (
    FINISHED_STATUSES,
    RUN_STATUSES,
    TAG_RUN_NAME,
    Metric,
    Run,
    RunInfo,
    RunInput,
    now_ms,
)


def new_row(
    experiment: ExperimentRow,
    user: str,
    name: str | None,
    start_time: int | None,
    parent_run_id: str | None,
    heartbeat: bool,
) -> RunRow:
    """A new RUNNING run. Only a run created with ``heartbeat`` (a client that heartbeats,
    such as the SDK) is ever reaped as stale; an MLflow client's run never is."""
    run_id = uuid.uuid4().hex
    now = now_ms()
    return RunRow(
        id=run_id,
        experiment_id=experiment.id,
        workspace_id=experiment.workspace_id,
        name=name or f"run-{run_id[:8]}",
        status="RUNNING",
        start_time=start_time if start_time is not None else now,
        lifecycle_stage="active",
        user_id=user,
        parent_run_id=parent_run_id,
        heartbeat_at=now if heartbeat else None,
    )


def row(s: Session, workspace: str, run_id: str, *, lock: bool = False) -> RunRow:
    """The run ``run_id`` of ``workspace`` (NotFoundError otherwise)."""
    query = (
        select(RunRow)
        .join(WorkspaceRow, WorkspaceRow.id == RunRow.workspace_id)
        .where(RunRow.id == str(run_id), WorkspaceRow.name == workspace)
    )
    found = s.scalar(query.with_for_update(of=RunRow) if lock else query)
    if found is None:
        raise NotFoundError(
            f"run {run_id!r} does not exist in workspace {workspace!r}", run=str(run_id)
        )
    return found


def active_row(s: Session, workspace: str, run_id: str) -> RunRow:
    """The run, which must not be deleted (logging to a deleted run is refused)."""
    found = row(s, workspace, run_id)
    if found.lifecycle_stage != "active":
        raise InvalidInputError(
            f"run {run_id!r} is deleted; nothing can be logged to it",
            hint="restore it first (lakeworks runs restore RUN_ID)",
            run=run_id,
        )
    return found


def check_status(status: str) -> str:
    if status not in RUN_STATUSES:
        raise InvalidInputError(
            f"invalid run status {status!r}",
            expected=", ".join(RUN_STATUSES),
            found=status,
        )
    return status


def change(
    s: Session, row: RunRow, status: str | None, end_time: int | None, name: str | None
) -> RunRow:
    """Set what is given; a finishing status with no end time gets the current time."""
    if status is not None:
        row.status = check_status(status)
        if status in FINISHED_STATUSES and end_time is None and row.end_time is None:
            end_time = now_ms()
    if end_time is not None:
        row.end_time = end_time
    if name is not None:
        row.name = check_name("run", name)
        batches.write_tags(s, row.id, [(TAG_RUN_NAME, name)])
    s.flush()
    return row


def heartbeat(s: Session, workspace_id: int, run_id: str) -> None:
    s.execute(
        update(RunRow)
        .where(RunRow.id == run_id, RunRow.workspace_id == workspace_id)
        .values(heartbeat_at=now_ms())
    )


def history(s: Session, run_id: str, key: str) -> list[Metric]:
    rows = s.scalars(
        select(MetricRow)
        .where(MetricRow.run_id == run_id, MetricRow.key == key)
        .order_by(MetricRow.step, MetricRow.timestamp, MetricRow.value)
    )
    return [metric(r) for r in rows]


Series = dict[str, dict[str, tuple[list[int], list[float | None]]]]


def series(s: Session, run_ids: Sequence[str]) -> Series:
    """key -> run id -> (steps, values) of every metric of the runs, by step then
    timestamp, read as plain rows in one query (NaN and infinities as None, for charts)."""
    query = (
        select(MetricRow.run_id, MetricRow.key, MetricRow.step, MetricRow.value, MetricRow.is_nan)
        .where(MetricRow.run_id.in_(run_ids))
        .order_by(MetricRow.key, MetricRow.run_id, MetricRow.step, MetricRow.timestamp)
    )
    out: Series = {}
    for run_id, key, step, value, is_nan in s.execute(query):
        steps, values = out.setdefault(key, {}).setdefault(run_id, ([], []))
        steps.append(step)
        values.append(None if is_nan or value in (INF, -INF) else value)
    return out


INF = float("inf")


def add_input(s: Session, run_id: str, run_input: RunInput, workspace: str) -> None:
    s.add(
        RunInputRow(
            run_id=run_id,
            kind=run_input.kind,
            workspace=run_input.workspace or workspace,
            name=run_input.name,
            version=run_input.version,
            detail=run_input.detail,
        )
    )


def inputs(s: Session, run_id: str) -> list[RunInput]:
    query = select(RunInputRow).where(RunInputRow.run_id == run_id).order_by(RunInputRow.id)
    return [RunInput(r.kind, r.name, r.workspace, r.version, r.detail) for r in s.scalars(query)]


def records(s: Session, workspace: str, rows: Sequence[RunRow]) -> list[Run]:
    """Runs with their params, tags and latest metrics: three queries for all ``rows``."""
    ids = [r.id for r in rows]
    params: dict[str, dict[str, str]] = defaultdict(dict)
    tags: dict[str, dict[str, str]] = defaultdict(dict)
    metrics: dict[str, dict[str, Metric]] = defaultdict(dict)
    for chunk in _chunks(ids, 500):
        for rid, key, value in s.execute(
            select(ParamRow.run_id, ParamRow.key, ParamRow.value).where(ParamRow.run_id.in_(chunk))
        ):
            params[rid][key] = value
        for rid, key, value in s.execute(
            select(RunTagRow.run_id, RunTagRow.key, RunTagRow.value).where(
                RunTagRow.run_id.in_(chunk)
            )
        ):
            tags[rid][key] = value
        latest = LatestMetricRow.__table__  # rows, not ORM objects: 10x less time a page
        for m in s.execute(select(latest).where(latest.c.run_id.in_(chunk))):
            metrics[m.run_id][m.key] = metric(m)
    return [Run(info(r, workspace), params[r.id], tags[r.id], metrics[r.id]) for r in rows]


def metric(m: LatestMetricRow | MetricRow) -> Metric:
    return Metric(m.key, float("nan") if m.is_nan else m.value, m.step, m.timestamp)


def info(r: RunRow, workspace: str) -> RunInfo:
    return RunInfo(
        id=r.id,
        experiment_id=r.experiment_id,
        workspace=workspace,
        name=r.name,
        status=r.status,
        start_time=r.start_time,
        end_time=r.end_time,
        lifecycle_stage=r.lifecycle_stage,
        user_id=r.user_id,
        parent_run_id=r.parent_run_id,
        heartbeat_at=r.heartbeat_at,
        deleted_time=r.deleted_time,
    )


def best(s: Session, experiment_id: int, metric: str, *, descending: bool) -> RunRow | None:
    """The active run with the best latest ``metric`` (NaN excluded; ties: newest)."""
    value = LatestMetricRow.value.desc() if descending else LatestMetricRow.value.asc()
    return s.scalar(
        select(RunRow)
        .join(LatestMetricRow, LatestMetricRow.run_id == RunRow.id)
        .where(
            RunRow.experiment_id == experiment_id,
            RunRow.lifecycle_stage == "active",
            LatestMetricRow.key == metric,
            LatestMetricRow.is_nan.is_(False),
        )
        .order_by(value, RunRow.start_time.desc())
        .limit(1)
    )


def reap_stale(s: Session, timeout_ms: int) -> int:
    """Mark RUNNING runs whose heartbeat is older than ``timeout_ms`` FAILED. A read first,
    so that the usual case (none) takes no write lock."""
    stale = and_(
        RunRow.status == "RUNNING",
        RunRow.heartbeat_at.is_not(None),
        RunRow.heartbeat_at < now_ms() - timeout_ms,
    )
    if s.scalar(select(RunRow.id).where(stale).limit(1)) is None:
        return 0
    result = s.execute(
        update(RunRow)
        .where(stale)
        .values(status="FAILED", end_time=RunRow.heartbeat_at)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
