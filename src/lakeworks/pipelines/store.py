"""Catalog access for pipelines, runs and task runs; returns frozen dataclasses.

Concurrency rules, so several schedulers can share one catalog:
- a scheduled, backfill or event run is created with INSERT .. ON CONFLICT DO NOTHING on
  the unique (pipeline, run_key): two schedulers creating the same interval make one run;
- a run is taken by a compare-and-set UPDATE (state queued -> running, owner = me), and
  the per-pipeline run limit is checked under a row lock on the pipeline (PostgreSQL);
- task state changes are written in batches (one executemany per flush).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from lakeworks.errors import NotFoundError
from lakeworks.meta.catalog import Catalog, aware, now
from lakeworks.meta.models import PipelineRow, PipelineRunRow, TaskRunRow, WorkspaceRow
from lakeworks.pipelines.records import (
    TASK_FIELDS,
    NewRun,
    PipelineInfo,
    RunInfo,
    TaskRunInfo,
    pipeline_info,
    run_info,
    task_info,
)


class PipelineStore:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.dialect = catalog.engine.dialect.name

    # pipelines --------------------------------------------------------------------
    def save_pipeline(self, workspace: str, name: str, user: str, **values: Any) -> PipelineInfo:
        """Create or update the registration of ``name`` (source, summary, schedule...)."""
        ws = self.catalog.workspace(workspace)
        with self.catalog.session() as s:
            row = s.scalar(
                select(PipelineRow).where(
                    PipelineRow.workspace_id == ws.id, PipelineRow.name == name
                )
            )
            if row is None:
                row = PipelineRow(workspace_id=ws.id, name=name, created_at=now(), created_by=user)
                s.add(row)
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_at = now()
            s.flush()
            return pipeline_info(row, workspace)

    def pipeline(self, workspace: str, name: str) -> PipelineInfo:
        with self.catalog.session() as s:
            row = s.scalar(_pipelines_in(workspace).where(PipelineRow.name == name))
            if row is None:
                raise NotFoundError(
                    f"pipeline {name!r} is not registered in workspace {workspace!r}",
                    hint="register it with `lakeworks pipelines register path.py`",
                    pipeline=name,
                    workspace=workspace,
                )
            return pipeline_info(row, workspace)

    def pipelines(self, workspace: str | None = None) -> list[PipelineInfo]:
        """Pipelines of one workspace, or of every workspace (for the scheduler)."""
        with self.catalog.session() as s:
            query = select(PipelineRow, WorkspaceRow.name).join(WorkspaceRow)
            if workspace is not None:
                query = query.where(WorkspaceRow.name == workspace)
            rows = s.execute(query.order_by(WorkspaceRow.name, PipelineRow.name)).all()
            return [pipeline_info(row, ws) for row, ws in rows]

    def set_pipeline(self, pipeline_id: int, **values: Any) -> None:
        with self.catalog.session() as s:
            s.execute(update(PipelineRow).where(PipelineRow.id == pipeline_id).values(**values))

    # runs -------------------------------------------------------------------------
    def create_runs(
        self,
        pipeline: PipelineInfo,
        runs: Sequence[NewRun],
        user: str,
        principal: dict[str, Any] | None = None,
    ) -> None:
        """Insert runs, skipping any whose run_key exists (so creating twice is harmless);
        their tasks act as ``principal``."""
        if not runs:
            return
        moment = now()
        rows = [
            {
                "workspace_id": _workspace_id(self, pipeline),
                "pipeline_id": pipeline.id,
                "pipeline": pipeline.name,
                "run_key": r.run_key,
                "trigger": r.trigger,
                "state": "queued",
                "params": r.params,
                "interval_start": r.interval_start,
                "interval_end": r.interval_end,
                "backfill": r.backfill,
                "cancel_requested": False,
                "recoveries": 0,
                "created_at": moment,
                "created_by": user,
                "principal": principal,
            }
            for r in runs
        ]
        insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        statement = insert(PipelineRunRow).on_conflict_do_nothing(
            index_elements=["pipeline_id", "run_key"]
        )
        with self.catalog.session() as s:
            s.connection().execute(statement, rows)

    def create_run(
        self,
        pipeline: PipelineInfo,
        new: NewRun,
        user: str,
        owner: str,
        principal: dict[str, Any] | None = None,
    ) -> RunInfo:
        """A manual run, created already taken by ``owner``; its tasks act as ``principal``."""
        ws_id = _workspace_id(self, pipeline)
        with self.catalog.session() as s:
            moment = now()
            row = PipelineRunRow(
                workspace_id=ws_id,
                pipeline_id=pipeline.id,
                pipeline=pipeline.name,
                run_key=new.run_key,
                trigger=new.trigger,
                state="running",
                params=new.params,
                interval_start=new.interval_start,
                interval_end=new.interval_end,
                owner=owner,
                heartbeat_at=moment,
                cancel_requested=False,
                recoveries=0,
                created_at=moment,
                created_by=user,
                started_at=moment,
                principal=principal,
            )
            s.add(row)
            s.flush()
            return run_info(row, pipeline.workspace)

    def run(self, workspace: str | None, run_id: int, with_tasks: bool = True) -> RunInfo:
        with self.catalog.session() as s:
            found = s.execute(
                select(PipelineRunRow, WorkspaceRow.name)
                .join(WorkspaceRow)
                .where(PipelineRunRow.id == run_id)
            ).first()
            if found is None or (workspace is not None and found[1] != workspace):
                raise NotFoundError(
                    f"pipeline run {run_id} does not exist in workspace {workspace!r}",
                    run_id=run_id,
                )
            tasks = self._tasks(s, run_id) if with_tasks else ()
            return run_info(found[0], found[1], tasks)

    def runs(
        self,
        workspace: str,
        pipeline: str | None = None,
        states: Iterable[str] | None = None,
        backfill: str | None = None,
        limit: int | None = 100,
    ) -> list[RunInfo]:
        """Runs, newest first."""
        with self.catalog.session() as s:
            query = select(PipelineRunRow).join(WorkspaceRow).where(WorkspaceRow.name == workspace)
            if pipeline:
                query = query.where(PipelineRunRow.pipeline == pipeline)
            if states:
                query = query.where(PipelineRunRow.state.in_(list(states)))
            if backfill:
                query = query.where(PipelineRunRow.backfill == backfill)
            query = query.order_by(PipelineRunRow.id.desc()).limit(limit)
            return [run_info(r, workspace) for r in s.scalars(query)]

    def runs_by_key(self, pipeline_id: int, keys: Sequence[str]) -> dict[str, tuple[int, str]]:
        """run_key -> (run id, state) for the keys that exist."""
        found: dict[str, tuple[int, str]] = {}
        with self.catalog.session() as s:
            for i in range(0, len(keys), 500):
                chunk = list(keys[i : i + 500])
                rows = s.execute(
                    select(PipelineRunRow.run_key, PipelineRunRow.id, PipelineRunRow.state).where(
                        PipelineRunRow.pipeline_id == pipeline_id,
                        PipelineRunRow.run_key.in_(chunk),
                    )
                )
                found.update({k: (i_, st) for k, i_, st in rows})
        return found

    def latest_interval_end(self, pipeline_id: int) -> datetime | None:
        with self.catalog.session() as s:
            return aware(
                s.scalar(
                    select(func.max(PipelineRunRow.interval_end)).where(
                        PipelineRunRow.pipeline_id == pipeline_id,
                        PipelineRunRow.trigger == "schedule",
                    )
                )
            )

    def claim(
        self,
        pipeline: PipelineInfo,
        owner: str,
        limit: int,
        window: tuple[datetime, datetime] | None = None,
    ) -> list[RunInfo]:
        """Take up to ``limit`` queued runs of a pipeline, within its max_active_runs
        (only runs whose interval lies inside ``window`` when given)."""
        with self.catalog.session() as s:
            # A no-op write first: a row lock on PostgreSQL and the write lock on SQLite,
            # so claims for one pipeline are serialised across schedulers.
            s.execute(
                update(PipelineRow)
                .where(PipelineRow.id == pipeline.id)
                .values(max_active_runs=PipelineRow.max_active_runs)
            )
            running = s.scalar(
                select(func.count()).where(
                    PipelineRunRow.pipeline_id == pipeline.id,
                    PipelineRunRow.state == "running",
                    PipelineRunRow.trigger != "manual",
                )
            )
            room = min(limit, pipeline.max_active_runs - running)
            if room <= 0:
                return []
            query = select(PipelineRunRow.id).where(
                PipelineRunRow.pipeline_id == pipeline.id, PipelineRunRow.state == "queued"
            )
            if window is not None:
                query = query.where(
                    PipelineRunRow.interval_start >= window[0],
                    PipelineRunRow.interval_end <= window[1],
                )
            candidates = list(s.scalars(query.order_by(PipelineRunRow.id).limit(room)))
            if not candidates:
                return []
            moment = now()
            taken = s.scalars(
                update(PipelineRunRow)
                .where(PipelineRunRow.id.in_(candidates), PipelineRunRow.state == "queued")
                .values(
                    state="running",
                    owner=owner,
                    heartbeat_at=moment,
                    started_at=func.coalesce(PipelineRunRow.started_at, moment),
                )
                .returning(PipelineRunRow)
                .execution_options(synchronize_session=False)
            )
            return sorted((run_info(r, pipeline.workspace) for r in taken), key=lambda r: r.id)

    def take(self, run_id: int, owner: str) -> bool:
        """Take one queued run regardless of the run limit (a resume asked for by a user)."""
        moment = now()
        with self.catalog.session() as s:
            result = s.execute(
                update(PipelineRunRow)
                .where(PipelineRunRow.id == run_id, PipelineRunRow.state == "queued")
                .values(state="running", owner=owner, heartbeat_at=moment, started_at=moment)
            )
            return result.rowcount == 1

    def queued_pipeline_ids(self) -> set[int]:
        with self.catalog.session() as s:
            return set(
                s.scalars(
                    select(PipelineRunRow.pipeline_id)
                    .where(PipelineRunRow.state == "queued")
                    .distinct()
                )
            )

    def finish_run(self, run_id: int, state: str, error: str | None = None) -> None:
        with self.catalog.session() as s:
            self._finish(s, run_id, state, error)

    def _finish(self, s: Any, run_id: int, state: str, error: str | None) -> None:
        s.execute(
            update(PipelineRunRow)
            .where(PipelineRunRow.id == run_id)
            .values(state=state, error=error, finished_at=now(), owner=None)
        )

    def requeue_run(self, run_id: int, from_states: Sequence[str], principal: Any = ...) -> bool:
        """Put a finished run back in the queue (resume); False if it was not in from_states.
        ``principal``, when given, is whom its tasks act as from now (who resumed it)."""
        with self.catalog.session() as s:
            result = s.execute(
                update(PipelineRunRow)
                .where(PipelineRunRow.id == run_id, PipelineRunRow.state.in_(list(from_states)))
                .values(
                    state="queued",
                    error=None,
                    finished_at=None,
                    owner=None,
                    cancel_requested=False,
                    **({} if principal is ... else {"principal": principal}),
                )
            )
            if result.rowcount != 1:
                return False
            s.execute(
                update(TaskRunRow)
                .where(
                    TaskRunRow.run_id == run_id,
                    TaskRunRow.state.not_in(["succeeded", "skipped"]),
                )
                .values(state="queued", attempts=0)
            )
            return True

    def request_cancel(self, run_id: int) -> str:
        """Mark a run for cancelling; a queued run is cancelled at once. Returns its state."""
        with self.catalog.session() as s:
            s.execute(
                update(PipelineRunRow)
                .where(PipelineRunRow.id == run_id, PipelineRunRow.state == "queued")
                .values(state="cancelled", finished_at=now(), cancel_requested=True)
            )
            s.execute(
                update(PipelineRunRow)
                .where(PipelineRunRow.id == run_id, PipelineRunRow.state == "running")
                .values(cancel_requested=True)
            )
            s.execute(
                update(TaskRunRow)
                .where(
                    TaskRunRow.run_id == run_id,
                    TaskRunRow.state.in_(["queued", "retrying"]),
                    select(PipelineRunRow.state)
                    .where(PipelineRunRow.id == run_id)
                    .scalar_subquery()
                    == "cancelled",
                )
                .values(state="cancelled")
            )
            return s.scalar(select(PipelineRunRow.state).where(PipelineRunRow.id == run_id))

    def cancel_requested(self, run_ids: Sequence[int]) -> set[int]:
        if not run_ids:
            return set()
        with self.catalog.session() as s:
            return set(
                s.scalars(
                    select(PipelineRunRow.id).where(
                        PipelineRunRow.id.in_(list(run_ids)), PipelineRunRow.cancel_requested
                    )
                )
            )

    def heartbeat(self, owner: str) -> None:
        with self.catalog.session() as s:
            s.execute(
                update(PipelineRunRow)
                .where(PipelineRunRow.owner == owner, PipelineRunRow.state == "running")
                .values(heartbeat_at=now())
            )

    def recover_stale(self, before: datetime, max_recoveries: int) -> tuple[list[int], list[int]]:
        """Runs left 'running' by an owner silent since ``before``: requeue them (their
        interrupted tasks count one attempt) or, past ``max_recoveries``, fail them.
        Returns (requeued ids, failed ids)."""
        requeued, failed = [], []
        with self.catalog.session() as s:
            stale = s.execute(
                select(
                    PipelineRunRow.id, PipelineRunRow.recoveries, PipelineRunRow.cancel_requested
                ).where(PipelineRunRow.state == "running", PipelineRunRow.heartbeat_at < before)
            ).all()
            for run_id, recoveries, cancelled in stale:
                give_up = recoveries >= max_recoveries or cancelled
                values: dict[str, Any] = {"owner": None, "recoveries": recoveries + 1}
                if cancelled:
                    values.update(state="cancelled", finished_at=now())
                elif give_up:
                    values.update(
                        state="failed",
                        finished_at=now(),
                        error=f"abandoned {recoveries + 1} times by a scheduler that stopped",
                    )
                else:
                    values.update(state="queued")
                taken = s.execute(
                    update(PipelineRunRow)
                    .where(
                        PipelineRunRow.id == run_id,
                        PipelineRunRow.state == "running",
                        PipelineRunRow.heartbeat_at < before,
                    )
                    .values(**values)
                )
                if taken.rowcount != 1:
                    continue  # another scheduler recovered it first
                task_state = "cancelled" if cancelled else "failed" if give_up else "queued"
                unfinished = ["running", "queued", "retrying"] if give_up else ["running"]
                s.execute(
                    update(TaskRunRow)
                    .where(TaskRunRow.run_id == run_id, TaskRunRow.state.in_(unfinished))
                    .values(state=task_state, error="interrupted: the process running it stopped")
                )
                (failed if give_up else requeued).append(run_id)
        return requeued, failed

    # task runs --------------------------------------------------------------------
    def tasks(self, run_id: int) -> list[TaskRunInfo]:
        with self.catalog.session() as s:
            return list(self._tasks(s, run_id))

    def task_rows(self, run_id: int) -> dict[str, dict[str, Any]]:
        """The raw task rows of a run (for the runner to resume from)."""
        with self.catalog.session() as s:
            rows = s.execute(select(TaskRunRow).where(TaskRunRow.run_id == run_id)).scalars()
            return {r.task: {"id": r.id, **{f: getattr(r, f) for f in TASK_FIELDS}} for r in rows}

    def attempt_current(self, run_id: int, task: str, attempt: int) -> bool:
        """Whether attempt ``attempt`` of ``task`` may still commit: its run is running and
        not being cancelled, and the runner has neither ended that attempt (timed out,
        cancelled, recovered) nor started a later one. The runner writes task rows behind
        (``Journal``) but flushes at once when it ends an attempt early, so a row showing
        an *earlier* attempt just means the start of this one is not written yet."""
        with self.catalog.session() as s:
            found = s.execute(
                select(
                    PipelineRunRow.state,
                    PipelineRunRow.cancel_requested,
                    TaskRunRow.state,
                    TaskRunRow.attempts,
                )
                .join(TaskRunRow, TaskRunRow.run_id == PipelineRunRow.id)
                .where(PipelineRunRow.id == run_id, TaskRunRow.task == task)
            ).first()
        if found is None:
            return False
        run_state, cancelling, task_state, attempts = found
        if run_state != "running" or cancelling:
            return False
        attempts = attempts or 0
        return attempts < attempt or (attempts == attempt and task_state == "running")

    def add_tasks(self, run_id: int, names: Sequence[str]) -> dict[str, int]:
        """Insert queued task rows; returns task name -> row id."""
        table = TaskRunRow.__table__
        with self.catalog.session() as s:
            rows = s.connection().execute(
                table.insert().returning(table.c.task, table.c.id, sort_by_parameter_order=True),
                [{"run_id": run_id, "task": n, "state": "queued", "attempts": 0} for n in names],
            )
            return dict(rows.all())

    def write_tasks(
        self, changes: Sequence[dict[str, Any]], finish: tuple[int, str, str | None] | None = None
    ) -> None:
        """Apply task updates in one transaction; each dict holds ``_id`` and every field.

        ``finish`` = (run id, state, error) ends that run in the same transaction.
        """
        if not changes and finish is None:
            return
        table = TaskRunRow.__table__
        statement = (
            update(table)
            .where(table.c.id == bindparam("_id"))
            .values({f: bindparam(f) for f in TASK_FIELDS})
        )
        with self.catalog.session() as s:
            if changes:
                s.connection().execute(statement, list(changes))
            if finish is not None:
                self._finish(s, *finish)

    def task_log(self, run_id: int, task: str) -> str | None:
        with self.catalog.session() as s:
            found = s.execute(
                select(TaskRunRow.log).where(TaskRunRow.run_id == run_id, TaskRunRow.task == task)
            ).first()
            if found is None:
                raise NotFoundError(f"run {run_id} has no task {task!r}", run_id=run_id, task=task)
            return found[0]

    def _tasks(self, s: Any, run_id: int) -> tuple[TaskRunInfo, ...]:
        rows = s.scalars(
            select(TaskRunRow).where(TaskRunRow.run_id == run_id).order_by(TaskRunRow.id)
        )
        return tuple(task_info(r) for r in rows)


def _workspace_id(store: PipelineStore, pipeline: PipelineInfo) -> int:
    return store.catalog.workspace(pipeline.workspace).id


def _pipelines_in(workspace: str) -> Any:
    return select(PipelineRow).join(WorkspaceRow).where(WorkspaceRow.name == workspace)
