"""The pipelines service: register, run, backfill, cancel, resume, and read runs back.

Obtain it as ``platform.pipelines``; every method takes a Context first.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from lakeworks.context import Context, Principal
from lakeworks.errors import ConflictError, InvalidInputError, LakeworksError
from lakeworks.limits import CONCURRENT_RUNS, TASK_CPU_SECONDS_PER_DAY, NoMeter, Unlimited
from lakeworks.meta.catalog import now
from lakeworks.pipelines import code, registry
from lakeworks.pipelines.definitions import Pipeline
from lakeworks.pipelines.executors import Executor, make_executor
from lakeworks.pipelines.journal import Journal
from lakeworks.pipelines.records import FINAL_RUN_STATES, NewRun, PipelineInfo, RunInfo
from lakeworks.pipelines.runs import RunExecution
from lakeworks.pipelines.schedule import utc
from lakeworks.pipelines.store import PipelineStore

if TYPE_CHECKING:
    from lakeworks.config import Settings
    from lakeworks.limits import Limits, Meter
    from lakeworks.meta.catalog import Catalog
    from lakeworks.pipelines.calls import TaskServices
    from lakeworks.pipelines.scheduler import Scheduler
    from lakeworks.streams.service import Streams

log = logging.getLogger(__name__)


def acting(ctx: Context) -> dict[str, Any] | None:
    """Whom the tasks of a run ``ctx`` starts (or of a pipeline it registers) act as: its
    principal as plain data, its roles narrowed to the workspace; None in embedded mode
    (the catalog's owner, never checked)."""
    return None if ctx.principal is None else ctx.principal.data(ctx.workspace)


@dataclass(frozen=True)
class BackfillResult:
    """What a backfill asked for and, when waited on, how its runs ended."""

    pipeline: str
    backfill: str
    intervals: int
    created: int
    requeued: int
    already_succeeded: int
    states: dict[str, int]


class Pipelines:
    def __init__(
        self,
        catalog: Catalog,
        settings: Settings,
        tasks: TaskServices,
        executor: Executor | None = None,
        streams: Callable[[], Streams] | None = None,
    ) -> None:
        self.settings = settings
        self.streams = streams  # the streams service, built when a stream trigger needs it
        self.tasks = tasks  # what tasks run in this process reach; table triggers read tables
        self.store = PipelineStore(catalog)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.journal = Journal(self.store, self.owner)
        self._executor = executor
        self._lock = threading.Lock()
        self._live: dict[int, RunExecution] = {}
        self.limits: Limits = Unlimited()  # the platform plugs in quotas and the meter
        self.meter: Meter = NoMeter()
        # the platform plugs in security.standing.narrow: a stored principal never acts
        # with more than its credential grants when the run starts
        self.narrow: Callable[[Principal], Principal] = lambda principal: principal

    @property
    def executor(self) -> Executor:
        """Where tasks run (settings.executor), created on first use."""
        with self._lock:
            if self._executor is None:
                self._executor = make_executor(self.settings.executor, self.tasks)
            return self._executor

    # registration -----------------------------------------------------------------
    def register(self, ctx: Context, source: str | Path | ModuleType) -> list[PipelineInfo]:
        """Register (or update) every pipeline a Python file or module defines.

        Definitions are validated first: a cycle, an unknown dependency, an invalid cron
        expression or a bad parameter is an InvalidInputError and nothing is registered.
        """
        stored = registry.source_of(source)
        found = registry.pipelines_in(stored)
        existing = {p.name: p for p in self.store.pipelines(ctx.workspace)}
        return [
            self._save(ctx, stored, pipeline, existing.get(pipeline.name))
            for pipeline in found.values()
        ]

    def register_code(
        self, ctx: Context, name: str, source: str | None = None
    ) -> list[PipelineInfo]:
        """Register the pipelines of file ``name`` in the workspace's code folder.

        This is what the REST API offers: with ``source`` (the Python text) the file is
        uploaded first (atomically; a file that fails to register is put back as it was),
        else it must already be there. ``name`` is a relative ``.py`` path; any other path
        or a module name is an InvalidInputError, so an API caller can run only code of
        the workspace's own folder (see ``pipelines.code``).
        """
        root = code.folder(self.settings.home, ctx.workspace)
        if source is None:
            return self.register(ctx, code.existing(root, name, ctx.workspace))
        path = code.inside(root, name)
        before = code.save(path, source)
        try:
            return self.register(ctx, path)
        except BaseException:
            code.restore(path, before)
            raise

    def _save(
        self, ctx: Context, source: str, pipeline: Pipeline, old: PipelineInfo | None
    ) -> PipelineInfo:
        start = pipeline.start or (old.start_at if old else None)
        if start is None and pipeline.schedule is not None:
            start = pipeline.schedule.floor(now())
        triggers = dict(old.trigger_state) if old else {}
        for table in pipeline.triggers:
            triggers.setdefault(table, self._table_version(ctx, table))
        return self.store.save_pipeline(
            ctx.workspace,
            pipeline.name,
            ctx.user,
            source=source,
            summary=pipeline.summary(),
            schedule=pipeline.schedule.text if pipeline.schedule else None,
            catchup=pipeline.catchup,
            max_active_runs=pipeline.max_active_runs,
            start_at=start,
            trigger_state=triggers,
            principal=acting(ctx),  # its scheduled and event runs act as who changed it last
        )

    def list(self, ctx: Context) -> list[PipelineInfo]:
        return self.store.pipelines(ctx.workspace)

    def get(self, ctx: Context, name: str) -> PipelineInfo:
        return self.store.pipeline(ctx.workspace, name)

    def definition(self, ctx: Context, name: str) -> Pipeline:
        """The Pipeline object, loaded from the registered source."""
        return registry.load(self.get(ctx, name).source, name)

    def pause(self, ctx: Context, name: str, paused: bool = True) -> PipelineInfo:
        """Stop (or resume) creating scheduled and event runs of a pipeline; runs already
        queued still run, and manual runs and backfills still work."""
        info = self.get(ctx, name)
        self.store.set_pipeline(info.id, paused=paused)
        return self.get(ctx, name)

    # running ----------------------------------------------------------------------
    def run(
        self,
        ctx: Context,
        name: str,
        params: dict[str, Any] | None = None,
        *,
        text_params: dict[str, str] | None = None,
        wait: bool = True,
    ) -> RunInfo:
        """Run a pipeline now, here. ``text_params`` takes ``name=text`` pairs from a CLI.

        Returns the finished run when ``wait``, else the started run (poll ``run_info``).
        """
        info = self.get(ctx, name)
        pipeline = registry.load(info.source, name)
        typed = pipeline.parse_params(text_params) if text_params else {}
        values = pipeline.bind_params({**typed, **(params or {})})
        new = NewRun(None, "manual", pipeline.encode_params(values))
        run = self.store.create_run(info, new, ctx.user, self.owner, acting(ctx))
        return self._go(pipeline, run, wait)

    def resume(self, ctx: Context, run_id: int, wait: bool = True) -> RunInfo:
        """Run a failed or cancelled run again, keeping its succeeded tasks."""
        run = self.store.run(ctx.workspace, run_id, with_tasks=False)
        if not self.store.requeue_run(run_id, ("failed", "cancelled"), acting(ctx)):
            raise ConflictError(
                f"run {run_id} is {run.state}; only failed or cancelled runs can be resumed",
                run_id=run_id,
                state=run.state,
            )
        pipeline = self.definition(ctx, run.pipeline)
        if not self.store.take(run_id, self.owner):  # a scheduler took it first
            return self.store.run(ctx.workspace, run_id)
        return self._go(pipeline, self.store.run(ctx.workspace, run_id, with_tasks=False), wait)

    def cancel(self, ctx: Context, run_id: int) -> RunInfo:
        """Cancel a queued or running run (running tasks are abandoned, not killed)."""
        self.store.run(ctx.workspace, run_id, with_tasks=False)
        self.store.request_cancel(run_id)
        live = self._live.get(run_id)
        if live is not None:
            live.request_cancel()
        return self.store.run(ctx.workspace, run_id)

    def backfill(
        self,
        ctx: Context,
        name: str,
        start: datetime | str,
        end: datetime | str,
        *,
        params: dict[str, Any] | None = None,
        rerun_succeeded: bool = False,
        wait: bool = True,
    ) -> BackfillResult:
        """Create a run for every schedule interval inside ``[start, end)`` and run them.

        Resumable: intervals that already succeeded are not run again (unless
        ``rerun_succeeded``), failed or cancelled ones are resumed, missing ones created.
        Runs respect the pipeline's max_active_runs. With ``wait=False`` they are only
        queued, for a scheduler to run.
        """
        info = self.get(ctx, name)
        pipeline = registry.load(info.source, name)
        if pipeline.schedule is None:
            raise InvalidInputError(
                f"pipeline {name!r} has no schedule, so it has no intervals to backfill",
                hint="give it schedule='@daily' (or a cron / period)",
                pipeline=name,
            )
        intervals = list(pipeline.schedule.intervals(utc(start), utc(end)))
        if not intervals:
            raise InvalidInputError(
                f"no whole {pipeline.schedule.text} interval fits in [{start}, {end})",
                pipeline=name,
            )
        label = f"bf-{uuid.uuid4().hex[:10]}"
        values = pipeline.encode_params(pipeline.bind_params(params))
        existing = self.store.runs_by_key(info.id, [i.key for i in intervals])
        new, requeued, succeeded = [], 0, 0
        for interval in intervals:
            found = existing.get(interval.key)
            key = interval.key
            if found is not None and found[1] == "succeeded":
                succeeded += 1
                if not rerun_succeeded:
                    continue
                key = f"{interval.key}#{label}"
            elif found is not None:
                requeued += self.store.requeue_run(found[0], ("failed", "cancelled"), acting(ctx))
                continue
            new.append(NewRun(key, "backfill", values, interval.start, interval.end, label))
        self.store.create_runs(info, new, ctx.user, acting(ctx))
        window = (intervals[0].start, intervals[-1].end)
        states = self.drain(info, pipeline, window) if wait else {}
        return BackfillResult(name, label, len(intervals), len(new), requeued, succeeded, states)

    def drain(
        self, info: PipelineInfo, pipeline: Pipeline, window: tuple[datetime, datetime]
    ) -> dict[str, int]:
        """Run here the queued runs whose interval lies in ``window``, max_active_runs at
        a time; returns how many ended in each state."""
        states: dict[str, int] = {}
        with ThreadPoolExecutor(info.max_active_runs, thread_name_prefix="lw-run") as pool:
            active: set[Future] = set()
            while True:
                room = info.max_active_runs - len(active)
                taken = self.store.claim(info, self.owner, room, window) if room else []
                active.update(pool.submit(self._execute, pipeline, run) for run in taken)
                if not active:
                    return states  # nothing queued is left (others may still run some)
                finished, active = wait(active, timeout=1.0, return_when=FIRST_COMPLETED)
                for future in finished:
                    state = future.result()
                    states[state] = states.get(state, 0) + 1

    def execute(self, run: RunInfo) -> str:
        """Execute a run this process has claimed (what a scheduler calls)."""
        try:
            pipeline = self.definition(Context(run.workspace, run.created_by), run.pipeline)
        except Exception as exc:
            self.store.finish_run(run.id, "failed", f"cannot load the pipeline: {exc}")
            return "failed"
        return self._execute(pipeline, run)

    def _go(self, pipeline: Pipeline, run: RunInfo, wait: bool) -> RunInfo:
        if wait:
            self._execute(pipeline, run)
            return self.store.run(run.workspace, run.id)
        execution = self._prepare(pipeline, run)
        thread = threading.Thread(
            target=self._background, args=(execution,), name=f"lw-run-{run.id}", daemon=True
        )
        thread.start()
        return self.store.run(run.workspace, run.id)

    def _execute(self, pipeline: Pipeline, run: RunInfo) -> str:
        execution = self._prepare(pipeline, run)
        try:
            return execution.execute()
        finally:
            self._live.pop(run.id, None)

    def _background(self, execution: RunExecution) -> None:
        try:
            execution.execute()
        except Exception:  # recorded on the run; nobody waits for this thread
            log.exception("pipeline run %s failed in the runner", execution.run_id)
        finally:
            self._live.pop(execution.run_id, None)

    def _prepare(self, pipeline: Pipeline, run: RunInfo) -> RunExecution:
        try:
            # quotas, once the run counts as running: refused, it fails with the reason
            self.limits.check(run.workspace, CONCURRENT_RUNS)
            self.limits.check(run.workspace, TASK_CPU_SECONDS_PER_DAY)
            if run.principal is not None:
                principal = self.narrow(Principal.from_data(run.principal))
                run = replace(run, principal=principal.data(run.workspace))
            execution = RunExecution(self, pipeline, run, self.executor)
            execution.prepare()
        except LakeworksError as exc:  # e.g. the Dask scheduler is unreachable
            self.store.finish_run(run.id, "failed", str(exc))
            raise
        self._live[run.id] = execution
        return execution

    # reading ----------------------------------------------------------------------
    def runs(
        self,
        ctx: Context,
        name: str | None = None,
        state: str | None = None,
        limit: int | None = 100,
    ) -> list[RunInfo]:
        """Runs of a workspace (or of one pipeline), newest first, without their tasks."""
        return self.store.runs(ctx.workspace, name, [state] if state else None, limit=limit)

    def run_info(self, ctx: Context, run_id: int) -> RunInfo:
        """A run with its task runs (states, attempts, errors, costs, lineage)."""
        return self.store.run(ctx.workspace, run_id)

    def task_logs(self, ctx: Context, run_id: int, task: str) -> str:
        """The captured output of a task (every attempt)."""
        self.store.run(ctx.workspace, run_id, with_tasks=False)
        return self.store.task_log(run_id, task) or ""

    def wait(self, ctx: Context, run_id: int, timeout: float = 60.0) -> RunInfo:
        """Block until a run is finished (or ``timeout`` seconds pass) and return it."""
        import time

        deadline = time.monotonic() + timeout
        while True:
            run = self.store.run(ctx.workspace, run_id, with_tasks=False)
            if run.state in FINAL_RUN_STATES or time.monotonic() > deadline:
                return self.store.run(ctx.workspace, run_id)
            time.sleep(0.05)

    # scheduling -------------------------------------------------------------------
    def scheduler(self, **options: Any) -> Scheduler:
        """A scheduler over every workspace's pipelines (see ``Scheduler`` for options)."""
        from lakeworks.pipelines.scheduler import Scheduler

        return Scheduler(self, **options)

    def close(self) -> None:
        self.journal.close()
        with self._lock:
            if self._executor is not None:
                self._executor.close()
                self._executor = None

    def _table_version(self, ctx: Context, table: str) -> int:
        """The current version of a trigger table, -1 when it does not exist yet."""
        tables = self.tasks.tables
        if not tables.exists(ctx, table):
            return -1
        return tables.open(ctx, table).version()
