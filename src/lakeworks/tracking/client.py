"""The SDK's run: ``ws.start_run()`` returns an ActiveRun whose metrics are logged
asynchronously, in batches, by one background thread per run.

Guarantees:
- ``log_metric`` validates its arguments and appends to a buffer: it returns in about a
  microsecond and never waits for the database.
- The thread writes the buffer through ``Tracking.log_batch`` every
  ``tracking_flush_interval`` seconds, or at once when ``tracking_flush_size`` points wait.
  A write that fails (the database unreachable) is retried at the next interval; metric
  points are idempotent, so a retry never duplicates one.
- Everything is written when the run ends, when ``flush()`` is called, after an exception
  inside ``with ws.start_run():`` (the run is then FAILED and the exception re-raised) and
  at interpreter exit (``atexit``).
- Params and tags are written at once (they are few, and a param logged again with another
  value must fail where it was logged).
- The thread also heartbeats every ``tracking_heartbeat_interval`` seconds; a run whose
  process died is marked FAILED by ``Tracking.reap_stale_runs`` once its heartbeat is older
  than ``tracking_heartbeat_timeout``.
"""

from __future__ import annotations

import atexit
import itertools
import logging
import sys
import threading
import time
import weakref
from collections import deque
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakeworks.errors import AlreadyExistsError, InvalidInputError, NotFoundError
from lakeworks.tracking.batches import number as _number
from lakeworks.tracking.names import check_key
from lakeworks.tracking.records import TAG_NOTE, RunInfo, RunInput

if TYPE_CHECKING:
    from lakeworks.context import Context
    from lakeworks.tracking.records import ArtifactInfo, Experiment, Metric, Run
    from lakeworks.tracking.service import Tracking

log = logging.getLogger("lakeworks.tracking")

# The run open in this thread or task: nested runs and input recording read it.
current_run: ContextVar[ActiveRun | None] = ContextVar("lakeworks_active_run", default=None)
_open_runs: weakref.WeakSet[ActiveRun] = weakref.WeakSet()


def start_run(
    tracking: Tracking,
    ctx: Context,
    experiment_id: int,
    *,
    name: str | None = None,
    nested: bool = False,
    tags: dict[str, Any] | None = None,
) -> ActiveRun:
    """Create a run and open it in this context (see ``Workspace.start_run``)."""
    parent = current_run.get()
    if parent is not None and not nested:
        raise InvalidInputError(
            f"run {parent.id} is already active in this context",
            hint="end it first, or pass nested=True to start a child run",
            run=parent.id,
        )
    run = tracking.create_run(
        ctx,
        experiment_id,
        name=name,
        tags={k: str(v) for k, v in (tags or {}).items()},
        parent_run_id=parent.id if parent is not None else None,
        heartbeat=True,
    )
    return ActiveRun(tracking, ctx, run.info)


class ActiveRun:
    """A run open in this process. Use it as a context manager, or call ``end()``.

    Example:
        >>> with ws.start_run(experiment="churn") as run:  # doctest: +SKIP
        ...     run.log_param("depth", 6)
        ...     for step in range(100):
        ...         run.log_metric("loss", 1 / (step + 1), step=step)
    """

    def __init__(self, tracking: Tracking, ctx: Context, info: RunInfo) -> None:
        self.tracking = tracking
        self.ctx = ctx
        self.id = info.id
        self._info = info
        settings = tracking.settings
        self._interval = settings.tracking_flush_interval
        self._batch = settings.tracking_flush_size
        self._heartbeat_every = settings.tracking_heartbeat_interval
        self._points: deque[tuple[str, float, int, int]] = deque()
        self._keys: set[str] = set()
        self._inputs: set[tuple[Any, ...]] = set()
        self._write_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._ended = False
        self._token = current_run.set(self)
        _open_runs.add(self)
        self._thread = threading.Thread(target=self._loop, name=f"lakeworks-run-{self.id[:8]}")
        self._thread.daemon = True
        self._thread.start()

    # logging ----------------------------------------------------------------------------
    def log_metric(
        self, key: str, value: float, step: int | None = None, timestamp: int | None = None
    ) -> None:
        """Buffer one point (``timestamp``: ms since the epoch, now by default)."""
        if key not in self._keys:
            self._keys.add(check_key("metric", key))
        if type(value) is not float:
            value = _number(key, value)
        ts = time.time_ns() // 1_000_000 if timestamp is None else int(timestamp)
        self._points.append((key, value, int(step or 0), ts))
        if len(self._points) >= self._batch:
            self._wake.set()

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        ts = time.time_ns() // 1_000_000
        for key, value in metrics.items():
            self.log_metric(key, value, step, ts)

    def log_param(self, key: str, value: Any) -> None:
        self.tracking.log_batch(self.ctx, self.id, params=[(key, value)])

    def log_params(self, params: dict[str, Any]) -> None:
        self.tracking.log_batch(self.ctx, self.id, params=params)

    def set_tag(self, key: str, value: Any) -> None:
        self.tracking.log_batch(self.ctx, self.id, tags=[(key, value)])

    def set_tags(self, tags: dict[str, Any]) -> None:
        self.tracking.log_batch(self.ctx, self.id, tags=tags)

    def set_note(self, note: str) -> None:
        """The run's note (MLflow's ``mlflow.note.content`` tag)."""
        self.set_tag(TAG_NOTE, note)

    def log_artifact(
        self, path: str | Path, artifact_path: str | None = None
    ) -> list[ArtifactInfo]:
        return self.tracking.log_artifact(self.ctx, self.id, path, artifact_path)

    def log_artifacts(
        self, local_dir: str | Path, artifact_path: str | None = None
    ) -> list[ArtifactInfo]:
        return self.tracking.log_artifacts(self.ctx, self.id, local_dir, artifact_path)

    def log_input(self, run_input: RunInput) -> None:
        """Record something this run read, once per run (tables are recorded by themselves)."""
        key = (run_input.kind, run_input.workspace, run_input.name, run_input.version)
        if key not in self._inputs:
            self._inputs.add(key)
            self.tracking.log_input(self.ctx, self.id, run_input)

    # state ----------------------------------------------------------------------------------
    @property
    def info(self) -> RunInfo:
        """The run's info as stored now."""
        return self.tracking.get_run(self.ctx, self.id).info

    def flush(self) -> None:
        """Write every buffered point now; raises when the database refuses them."""
        self._drain()

    def end(self, status: str = "FINISHED") -> None:
        """Flush, stop the background thread and set the final status (once)."""
        if self._ended:
            return
        self._ended = True
        self._stopped.set()
        self._wake.set()
        self._thread.join()
        _open_runs.discard(self)
        try:
            current_run.reset(self._token)
        except ValueError:  # ended from another context than the one that started it
            if current_run.get() is self:
                current_run.set(None)
        try:
            self.flush()
        finally:
            self.tracking.update_run(self.ctx, self.id, status=status)

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.end("FINISHED" if exc_type is None else "FAILED")

    def __repr__(self) -> str:
        return f"<ActiveRun {self.id} in experiment {self._info.experiment_id}>"

    # the background thread -------------------------------------------------------------
    def _loop(self) -> None:
        beat_at = time.monotonic() + self._heartbeat_every
        while not self._stopped.is_set():
            self._wake.wait(self._interval)
            self._wake.clear()
            self._flush_quietly()
            if time.monotonic() >= beat_at:
                beat_at = time.monotonic() + self._heartbeat_every
                self._heartbeat_quietly()

    def _flush_quietly(self) -> None:
        try:
            self._drain()
        except Exception:  # kept in the buffer; retried at the next interval
            log.warning("writing metrics of run %s failed; will retry", self.id, exc_info=True)

    def _heartbeat_quietly(self) -> None:
        try:
            self.tracking.heartbeat(self.ctx, self.id)
        except Exception:
            log.warning("heartbeat of run %s failed", self.id, exc_info=True)

    def _drain(self) -> None:
        """Write the points buffered now, a batch at a time. Points leave the buffer only
        once written, so a failed write keeps them for the next try."""
        with self._write_lock:
            waiting = len(self._points)
            while waiting > 0:
                batch = list(itertools.islice(self._points, min(self._batch, waiting)))
                self.tracking.log_points(self.ctx, self.id, batch)
                for _ in batch:
                    self._points.popleft()
                waiting -= len(batch)


def open_runs(tracking: Tracking) -> list[ActiveRun]:
    """The runs open in this process on ``tracking``."""
    return [run for run in list(_open_runs) if run.tracking is tracking]


@atexit.register
def _end_open_runs() -> None:
    """At interpreter exit: write what is buffered and end the runs still open, FAILED when
    the program is exiting because of an uncaught exception."""
    status = "FAILED" if getattr(sys, "last_value", None) is not None else "FINISHED"
    for run in list(_open_runs):
        try:
            run.end(status)
        except Exception:
            log.exception("could not end run %s at exit", run.id)


def experiment_named(tracking: Tracking, ctx: Context, name: str) -> Experiment:
    """The experiment ``name``, created when it does not exist yet."""
    try:
        return tracking.get_experiment_by_name(ctx, name)
    except NotFoundError:
        try:
            return tracking.create_experiment(ctx, name)
        except AlreadyExistsError:  # created meanwhile by another process
            return tracking.get_experiment_by_name(ctx, name)


class WorkspaceRuns:
    """Runs of one workspace.

    Example:
        >>> best = ws.runs.search("churn", order_by=["metrics.auc DESC"])  # doctest: +SKIP
        >>> ws.runs.to_frame(experiments="churn")[["run_id", "metrics.auc"]]  # doctest: +SKIP
    """

    def __init__(self, service: Tracking, ctx: Context) -> None:
        self.service = service
        self.ctx = ctx

    def get(self, run_id: str) -> Run:
        return self.service.get_run(self.ctx, run_id)

    def search(
        self,
        experiments: str | list[str] | None = None,
        *,
        filter: str | None = None,
        order_by: list[str] | None = None,
        max_results: int = 1000,
        run_view: str = "active",
    ) -> list[Run]:
        """Runs of the named experiments (all of the workspace by default), in one list."""
        ids = self._experiment_ids(experiments)
        found, token = [], None
        while len(found) < max_results:
            page, token = self.service.search_runs(
                self.ctx,
                ids,
                filter=filter,
                order_by=order_by or (),
                max_results=min(1000, max_results - len(found)),
                page_token=token,
                run_view=run_view,
            )
            found.extend(page)
            if token is None:
                break
        return found

    def to_frame(self, experiments: str | list[str] | None = None, **search: Any) -> Any:
        """A pandas frame, one row a run, with ``params.x``, ``metrics.y`` and ``tags.z``
        columns as MLflow's ``search_runs`` gives."""
        from lakeworks.tracking.frames import runs_frame

        return runs_frame(self.search(experiments, **search))

    def delete(self, run_id: str) -> None:
        self.service.delete_run(self.ctx, run_id)

    def restore(self, run_id: str) -> None:
        self.service.restore_run(self.ctx, run_id)

    def metric_history(self, run_id: str, key: str) -> list[Metric]:
        return self.service.get_metric_history(self.ctx, run_id, key)

    def _experiment_ids(self, experiments: str | list[str] | None) -> list[int]:
        if experiments is None:
            return [e.id for e in self.service.list_experiments(self.ctx)]
        names = [experiments] if isinstance(experiments, str) else experiments
        return [self.service.get_experiment_by_name(self.ctx, n).id for n in names]
