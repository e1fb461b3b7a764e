"""The runner: drives one run of a pipeline to a definite end.

Task states: queued -> running -> succeeded | failed | skipped, with retrying between
failed attempts (exponential back-off), upstream_failed for tasks below a failure,
cancelled when the run is cancelled. Independent tasks run at the same time; a failure
stops only what depends on it. A run resumed after a failure, a cancel or a crash keeps
its succeeded tasks (their results come back from the catalog) and runs the rest.

Run states: queued, running, succeeded, failed, cancelled.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lakeworks.context import Context
from lakeworks.errors import LakeworksError
from lakeworks.limits import TASK_CPU_SECONDS, TASK_PEAK_MEMORY_BYTES
from lakeworks.pipelines import metrics
from lakeworks.pipelines.calls import Outcome, TaskCall, stored_result
from lakeworks.pipelines.definitions import CONTEXT_ARG, Graph, Pipeline, Task
from lakeworks.pipelines.records import TASK_FIELDS, RunInfo

if TYPE_CHECKING:
    from lakeworks.pipelines.executors.base import Executor
    from lakeworks.pipelines.service import Pipelines

log = logging.getLogger(__name__)
DONE = frozenset({"succeeded", "failed", "upstream_failed", "skipped", "cancelled"})
POLL_SECONDS = 0.5


@dataclass
class _Task:
    """The runner's live view of one task row."""

    row_id: int
    task: Task
    fields: dict[str, Any]
    result: Any = None
    has_result: bool = False
    handle: Any = None
    token: int = 0
    ahead: bool = False  # submitted before its upstream finished (executors that chain)
    ahead_attempt: int = 0
    early: Outcome | None = None  # an answer that came before the upstream's
    deps_done: int = 0  # how many of task.deps, in order, are known to be done

    @property
    def state(self) -> str:
        return self.fields["state"]


class RunExecution:
    """One run being executed by this process. Call ``execute()`` once."""

    def __init__(
        self, service: Pipelines, pipeline: Pipeline, run: RunInfo, executor: Executor
    ) -> None:
        self.service = service
        self.store = service.store
        self.journal = service.journal
        self.pipeline = pipeline
        self.run = run
        self.run_id = run.id
        self.executor = executor
        self.graph: Graph = pipeline.validate()
        self.params = pipeline.decode_params(run.params)
        self._events: queue.SimpleQueue[tuple[str, int, Outcome | None]] = queue.SimpleQueue()
        self._cancel = threading.Event()
        self._tasks: dict[str, _Task] = {}
        self._ready: deque[str] = deque()
        self._timers: list[tuple[float, int, str, str, int]] = []  # (when, seq, kind, task, token)
        self._seq = itertools.count()
        self._running = 0
        self._ahead: list[str] | None = None  # tasks whose children to submit ahead
        self._retries_pending = 0
        self._labels = (run.workspace, run.pipeline)
        self._prepared = False

    def request_cancel(self) -> None:
        """Stop the run: queued tasks are cancelled, running ones abandoned."""
        if not self._cancel.is_set():
            self._cancel.set()
            self._events.put(("", -1, None))

    def prepare(self) -> None:
        """Read (or create) the run's task rows; ``execute`` does it when not done before."""
        if not self._prepared:
            self._load()
            self._prepared = True

    def execute(self) -> str:
        """Run to the end; returns the final run state (also written to the catalog)."""
        metrics.RUNS_STARTED.labels(*self._labels).inc()
        self.journal.watch(self)
        try:
            state, error = self._execute()
        except BaseException as exc:
            state, error = "failed", f"the runner failed: {type(exc).__name__}: {exc}"
            self._abandon_running("failed", error)
            self._finish(state, error)
            raise
        self._finish(state, error)
        return state

    # main loop --------------------------------------------------------------------
    def _execute(self) -> tuple[str, str | None]:
        self.prepare()
        for name in self.graph.order:
            self._settle(name)
        while True:
            if self._cancel.is_set():
                return self._cancelled()
            self._fire_timers()
            while self._ready:
                self._submit(self._tasks[self._ready.popleft()])
            self.executor.flush()
            if not self._running and not self._retries_pending and not self._ready:
                break
            try:
                event = self._events.get(timeout=self._wait_seconds())
            except queue.Empty:
                event = None
            while event is not None:
                self._on_event(*event)
                try:
                    event = self._events.get_nowait()
                except queue.Empty:
                    event = None
        return self._outcome()

    def _load(self) -> None:
        rows = self.store.task_rows(self.run_id)
        missing = [n for n in self.graph.order if n not in rows]
        if missing:
            ids = self.store.add_tasks(self.run_id, missing)
            for name in missing:
                rows[name] = {"id": ids[name], **dict.fromkeys(TASK_FIELDS)}
                rows[name].update(state="queued", attempts=0)
        for name in self.graph.order:
            row = dict(rows[name])
            live = _Task(row.pop("id"), self.graph.tasks[name], row)
            if live.state in ("running", "retrying"):
                live.fields["state"] = "queued"
            stored = live.fields.get("result") or {}
            if live.state == "succeeded" and stored.get("stored"):
                live.result, live.has_result = stored.get("value"), True
            self._tasks[name] = live
        for name in self.graph.order:  # re-run succeeded tasks whose result was not kept
            live = self._tasks[name]
            if live.state == "succeeded" and not live.has_result and self._needed(name):
                live.fields["state"] = "queued"

    def _needed(self, name: str) -> bool:
        return any(
            self._tasks[child].state not in ("succeeded", "skipped")
            and name in self._tasks[child].task.args
            for child in self.graph.downstream[name]
        )

    def _settle(self, name: str) -> None:
        """Decide a queued task whose upstream is done: ready, skipped or upstream_failed."""
        live = self._tasks[name]
        if live.state != "queued":
            return
        deps = live.task.deps
        # DONE is final within a run, so the deps seen done need no second look: a fan-in
        # of n tasks costs n checks, not n * n.
        while live.deps_done < len(deps) and self._tasks[deps[live.deps_done]].state in DONE:
            live.deps_done += 1
        if live.deps_done < len(deps):
            return
        ups = [self._tasks[d].state for d in deps]
        if any(s in ("failed", "upstream_failed") for s in ups):
            self._set(live, state="upstream_failed", error="an upstream task failed")
        elif "cancelled" in ups:
            self._set(live, state="cancelled")
        elif "skipped" in ups:
            self._set(live, state="skipped", error="an upstream task was skipped")
        elif live.ahead:
            self._start_ahead(live)
            return
        else:
            self._ready.append(name)
            return
        for child in self.graph.downstream[name]:
            self._settle(child)

    def _submit(self, live: _Task, upstream: dict[str, Any] | None = None) -> None:
        """Start an attempt; with ``upstream`` (task -> handle of its attempt in flight)
        the executor starts it once those succeed."""
        task = live.task
        attempt = (live.fields.get("attempts") or 0) + 1
        if attempt > task.max_attempts:  # a recovered task that used up its attempts
            if not upstream:
                self._done(live, "failed", live.fields.get("error") or "no attempts left")
            return
        live.token += 1
        upstream = upstream or {}
        kwargs = {
            arg: self._tasks[arg].result if arg in task.deps else self.params[arg]
            for arg in task.args
            if arg != CONTEXT_ARG and arg not in upstream
        }
        call = TaskCall(
            run_id=self.run_id,
            pipeline=self.run.pipeline,
            task=task.name,
            attempt=attempt,
            fn=task.fn,
            kwargs=kwargs,
            params=self.params,
            interval_start=self.run.interval_start,
            interval_end=self.run.interval_end,
            workspace=self.run.workspace,
            user=self.run.created_by,
            settings=self.service.settings if self.executor.capabilities.remote else None,
            wants_context=CONTEXT_ARG in task.args,
            from_upstream=tuple(a for a in task.args if a in upstream),
            principal=self.run.principal,
        )
        token = live.token
        if upstream:
            live.ahead, live.ahead_attempt = True, attempt
        else:
            self._set(live, state="running", attempts=attempt, started_at=datetime.now(UTC))
            if task.timeout:
                self._timer(time.monotonic() + task.timeout, "deadline", task.name, token)
            self._running += 1

        def done(outcome: Outcome) -> None:
            self._events.put((task.name, token, outcome))

        # The runner thread alone reads the events, so the handle is set before any answer.
        if upstream:
            live.handle = self.executor.submit(call, done, upstream)
        else:
            live.handle = self.executor.submit(call, done)
        if self.executor.capabilities.chains:
            self._submit_ahead(task.name)

    def _submit_ahead(self, name: str) -> None:
        """Hand the executor the children whose unfinished upstream is all in flight, so
        a chain runs on the cluster without a round trip to this process per task.

        A work list, not recursion: a chain of thousands of tasks must not overflow the
        stack (``_submit`` calls back here for every task it submits)."""
        if self._ahead is not None:
            self._ahead.append(name)
            return
        self._ahead = [name]
        try:
            while self._ahead:
                self._submit_children(self._ahead.pop())
        finally:
            self._ahead = None

    def _submit_children(self, name: str) -> None:
        for child_name in self.graph.downstream[name]:
            child = self._tasks[child_name]
            if child.state != "queued" or child.handle is not None:
                continue
            deps = [self._tasks[d] for d in child.task.deps]
            if not all(
                (d.state == "succeeded" and d.has_result) or d.handle is not None for d in deps
            ):
                continue
            upstream = {d.task.name: d.handle for d in deps if d.state != "succeeded"}
            if upstream:
                self._submit(child, upstream)

    def _start_ahead(self, live: _Task) -> None:
        """The upstream of a task submitted ahead has succeeded: it counts as running now."""
        live.ahead = False
        attempt = live.ahead_attempt
        self._set(live, state="running", attempts=attempt, started_at=datetime.now(UTC))
        if live.task.timeout:
            self._timer(
                time.monotonic() + live.task.timeout, "deadline", live.task.name, live.token
            )
        self._running += 1
        if live.early is not None:
            self._events.put((live.task.name, live.token, live.early))
            live.early = None

    def _discard_ahead(self, name: str) -> None:
        """Drop the attempts submitted ahead below a task whose attempt did not succeed."""
        below = [name]
        while below:
            for child_name in self.graph.downstream[below.pop()]:
                child = self._tasks[child_name]
                if child.ahead:
                    self.executor.cancel(child.handle)
                    child.token += 1
                    child.handle, child.ahead, child.early = None, False, None
                    below.append(child_name)

    def _on_event(self, name: str, token: int, outcome: Outcome | None) -> None:
        if outcome is None:
            return  # a wake-up (cancel)
        live = self._tasks[name]
        if token != live.token:
            return  # a late answer from an attempt that timed out or was cancelled
        if live.ahead:
            live.early = outcome  # kept until the upstream's own answer is handled
            return
        if live.state != "running":
            return
        self._running -= 1
        live.handle = None
        if outcome.state == "not_run":  # its upstream did not succeed after all
            self._set(live, state="queued", attempts=live.fields["attempts"] - 1)
            self._settle(live.task.name)
            return
        self._record(live, outcome)

    def _record(self, live: _Task, outcome: Outcome) -> None:
        metrics.TASK_DURATION.labels(*self._labels, outcome.state).observe(outcome.duration_s)
        log = outcome.log
        if live.fields["attempts"] > 1 and live.fields.get("log"):
            log = f"{live.fields['log']}--- attempt {live.fields['attempts']} ---\n{log}"
        fields = {
            "finished_at": outcome.finished_at,
            "duration_s": outcome.duration_s,
            "cpu_seconds": outcome.cpu_seconds,
            "peak_memory_bytes": outcome.peak_memory_bytes,
            "worker": outcome.worker,
            "traceback": outcome.traceback,
            "log": log,
            "reads": [{"table": r.table, "version": r.version} for r in outcome.reads],
            "writes": [{"table": w.table, "version": w.version} for w in outcome.writes],
        }
        if outcome.started_at is not None:
            fields["started_at"] = outcome.started_at
        self._meter(live, outcome)
        if outcome.state == "succeeded":
            live.result, live.has_result = outcome.result, True
            self._done(live, "succeeded", None, result=stored_result(outcome.result), **fields)
        elif outcome.state == "skipped":
            self._discard_ahead(live.task.name)
            self._done(live, "skipped", outcome.error, **fields)
        else:
            self._failed(live, outcome.error or "failed", **fields)

    def _meter(self, live: _Task, outcome: Outcome) -> None:
        """Tell the meter what the attempt used (its CPU time, its process's peak memory)."""
        meter, ctx = self.service.meter, Context(self.run.workspace, self.run.created_by)
        where = {"pipeline": self.run.pipeline, "obj": live.task.name}
        meter.record(ctx, TASK_CPU_SECONDS, outcome.cpu_seconds, **where)
        if outcome.peak_memory_bytes:
            meter.record(ctx, TASK_PEAK_MEMORY_BYTES, outcome.peak_memory_bytes, **where)

    def _failed(self, live: _Task, error: str, **fields: Any) -> None:
        self._discard_ahead(live.task.name)
        if live.fields["attempts"] < live.task.max_attempts and not self._cancel.is_set():
            delay = live.task.delay(live.fields["attempts"])
            self._timer(time.monotonic() + delay, "retry", live.task.name, live.token)
            self._retries_pending += 1
            self._set(live, state="retrying", error=error, **fields)
        else:
            self._done(live, "failed", error, **fields)

    def _done(self, live: _Task, state: str, error: str | None, **fields: Any) -> None:
        self._set(live, state=state, error=error, **fields)
        for child in self.graph.downstream[live.task.name]:
            self._settle(child)

    def _timer(self, when: float, kind: str, name: str, token: int) -> None:
        heapq.heappush(self._timers, (when, next(self._seq), kind, name, token))

    def _fire_timers(self) -> None:
        moment = time.monotonic()
        while self._timers and self._timers[0][0] <= moment:
            _, _, kind, name, token = heapq.heappop(self._timers)
            live = self._tasks[name]
            if kind == "retry":
                self._retries_pending -= 1
                if live.state == "retrying":
                    self._ready.append(name)
            elif live.token == token and live.state == "running":
                self._timed_out(live)

    def _timed_out(self, live: _Task) -> None:
        self.executor.cancel(live.handle)
        live.token += 1
        live.handle = None
        self._running -= 1
        self._failed(
            live,
            f"TimeoutError: task {live.task.name!r} exceeded its timeout of {live.task.timeout:g}s",
            finished_at=datetime.now(UTC),
        )
        self._publish()

    def _publish(self) -> None:
        """Write task states now, not behind: an attempt in another process asks the
        catalog before each write whether it is still current (see ``fencing``)."""
        try:
            self.journal.flush()
        except LakeworksError as exc:  # the catalog is down: the journal retries
            log.warning("run %s: cannot write task states now: %s", self.run_id, exc)

    def _wait_seconds(self) -> float:
        if self._ready:
            return 0.0
        if not self._timers:
            return POLL_SECONDS
        return min(POLL_SECONDS, max(0.0, self._timers[0][0] - time.monotonic()))

    # endings ----------------------------------------------------------------------
    def _cancelled(self) -> tuple[str, str]:
        self._abandon_running("cancelled", "the run was cancelled")
        for live in self._tasks.values():
            if live.state not in DONE:
                self._set(live, state="cancelled")
        return "cancelled", "cancelled by request"

    def _abandon_running(self, state: str, error: str) -> None:
        for live in self._tasks.values():
            if live.state == "running" or live.ahead:
                self.executor.cancel(live.handle)
                live.token += 1
                self._set(live, state=state, error=error, finished_at=datetime.now(UTC))
        self._publish()

    def _outcome(self) -> tuple[str, str | None]:
        failed = [t for t in self._tasks.values() if t.state == "failed"]
        if failed:
            first = failed[0]
            return "failed", f"task {first.task.name!r} failed: {first.fields.get('error')}"
        if any(t.state in ("upstream_failed", "cancelled") for t in self._tasks.values()):
            return "failed", "some tasks did not run"
        return "succeeded", None

    def _finish(self, state: str, error: str | None) -> None:
        self.journal.unwatch(self.run_id)
        self.journal.flush(finish=(self.run_id, state, error))
        if state == "succeeded":
            metrics.RUNS_SUCCEEDED.labels(*self._labels).inc()
        else:
            metrics.RUNS_FAILED.labels(*self._labels, state).inc()

    def _set(self, live: _Task, **changes: Any) -> None:
        live.fields.update(changes)
        self.journal.put(live.row_id, {f: live.fields.get(f) for f in TASK_FIELDS})
