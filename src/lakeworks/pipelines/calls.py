"""One call of a task: what an executor runs, what the task sees, and what comes back.

``TaskCall`` and ``Outcome`` are plain picklable values, so the same ``run_task`` runs in
a thread, a local process or on a Dask worker. User code raising never escapes
``run_task``: it becomes a failed Outcome with the error and its traceback.

A run carries the principal of whoever triggered it (for a scheduled or event run: who
registered or last changed the pipeline) as plain data, ``TaskCall.principal``; the
task's ``context.ctx`` carries it, so the security guard checks every service the task
uses as that principal, in whichever process it runs. None: embedded, never checked.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import traceback
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from lakeworks.context import Context, Principal
from lakeworks.lake.fence import fenced
from lakeworks.lineage.jobs import running
from lakeworks.pipelines import capture
from lakeworks.pipelines.fencing import AttemptFence
from lakeworks.secret_refs import Revealed, SecretResolver, reveal

if TYPE_CHECKING:
    import pyarrow as pa

    from lakeworks.config import Settings
    from lakeworks.ingest.loads import Loader
    from lakeworks.lake.sql import SqlEngine
    from lakeworks.lake.tables import Tables
    from lakeworks.meta.catalog import Catalog

try:
    import resource
except ImportError:  # pragma: no cover - not on Windows
    resource = None


class TaskServices(Protocol):
    """What a task's context reaches: the services its reads, writes, SQL and load steps
    use (``TaskContext.platform``). The platform hands them to ``Pipelines``; a task in
    another process builds a platform from the run's settings (``_platform_for``)."""

    catalog: Catalog
    tables: Tables
    sql: SqlEngine
    ingest: Loader
    secrets: SecretResolver  # secret://name in task parameters


_platforms: dict[str, TaskServices] = {}  # one Platform per settings in a worker process
_platforms_lock = threading.Lock()


class Skip(Exception):  # noqa: N818 - a signal, not an error
    """Raise inside a task to mark it (and the tasks that need it) skipped."""


@dataclass(frozen=True)
class TableVersion:
    """A table version a task read or wrote (the lineage record)."""

    table: str
    version: int | None


@dataclass(frozen=True)
class TaskCall:
    """Everything needed to run one attempt of a task, anywhere."""

    run_id: int
    pipeline: str
    task: str
    attempt: int
    fn: Any
    kwargs: dict[str, Any]
    params: dict[str, Any]
    interval_start: datetime | None
    interval_end: datetime | None
    workspace: str
    user: str
    settings: Settings | None = None
    wants_context: bool = False
    from_upstream: tuple[str, ...] = ()  # arguments an executor fills from upstream outcomes
    principal: dict[str, Any] | None = None  # Principal.data of whom the task acts as


@dataclass(frozen=True)
class Outcome:
    """What one attempt did."""

    state: str  # succeeded | failed | skipped | cancelled | not_run (its upstream failed)
    result: Any = None
    error: str | None = None
    traceback: str | None = None
    log: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_s: float = 0.0
    cpu_seconds: float = 0.0
    peak_memory_bytes: int | None = None
    worker: str | None = None
    reads: tuple[TableVersion, ...] = ()
    writes: tuple[TableVersion, ...] = ()


@dataclass
class TaskContext:
    """What a task sees as its ``context`` argument.

    ``read``/``write``/``sql`` go through the platform and record the table versions for
    lineage; ``record_read``/``record_write`` record what a task touched another way.
    """

    run_id: int
    pipeline: str
    task: str
    attempt: int
    params: dict[str, Any]
    interval_start: datetime | None
    interval_end: datetime | None
    workspace: str
    user: str
    settings: Settings | None = None
    reads: list[TableVersion] = field(default_factory=list)
    writes: list[TableVersion] = field(default_factory=list)
    principal: dict[str, Any] | None = None  # Principal.data; None: embedded
    _platform: TaskServices | None = None
    _fence: AttemptFence | None = None

    @property
    def cancelled(self) -> bool:
        """Whether the runner has given up on this attempt (as far as this process was
        told: threads are told at once; ``check_cancelled`` also asks the catalog)."""
        return self._fence is not None and self._fence.cancelled.is_set()

    def check_cancelled(self) -> None:
        """Raise ``FencedError`` when this attempt was timed out or cancelled.

        A long task calls it between its stages to stop early; table writes check it
        anyway before they commit, so an abandoned attempt never writes.
        """
        if self._fence is not None:
            self._fence.check()

    @property
    def log(self) -> Any:
        """A logger whose records land in this task's captured log."""
        return capture.TASK_LOGGER

    @property
    def ctx(self) -> Context:
        """The Context of the task's service calls: the run's principal, in its workspace."""
        if self.principal is None:
            return Context(workspace=self.workspace, user=self.user)
        principal = Principal.from_data(self.principal)
        return Context(self.workspace, principal.name, principal, request_id=f"run-{self.run_id}")

    @property
    def platform(self) -> TaskServices:
        if self._platform is None:
            self._platform = _platform_for(self.settings)
        return self._platform

    def record_read(self, table: str, version: int | None) -> None:
        self.reads.append(TableVersion(table, version))

    def record_write(self, table: str, version: int | None) -> None:
        self.writes.append(TableVersion(table, version))

    def read(self, table: str, version: int | None = None, **options: Any) -> pa.Table:
        """Read a table of this workspace and record the version read."""
        dt = self.platform.tables.open(self.ctx, table, version=version)
        data = self.platform.tables.read(self.ctx, table, version=dt.version(), **options)
        self.record_read(table, dt.version())
        return data

    def write(self, table: str, data: Any, mode: str = "append") -> Any:
        """Write a table version and record it."""
        result = self.platform.tables.write(self.ctx, table, data, mode=mode)
        self.record_write(table, result.version)
        return result


def run_task(
    call: TaskCall,
    platform: TaskServices | None = None,
    worker: str | None = None,
    cancelled: threading.Event | None = None,
) -> Outcome:
    """Run one attempt; never raises for an error in user code.

    ``cancelled`` is set by the executor when the runner gives up on the attempt; an
    attempt running with settings (in another process) also asks the catalog before
    each write whether it is still the current attempt (see ``fencing``).
    """
    context = TaskContext(
        call.run_id,
        call.pipeline,
        call.task,
        call.attempt,
        call.params,
        call.interval_start,
        call.interval_end,
        call.workspace,
        call.user,
        call.settings,
        principal=call.principal,
        _platform=platform,
    )
    context._fence = _fence_of(call, context, cancelled)
    kwargs = dict(call.kwargs)
    if call.wants_context:
        kwargs["context"] = context
    started, t0, cpu0 = datetime.now(UTC), time.perf_counter(), time.thread_time()
    capture.start()
    state, result, error, trace = "succeeded", None, None, None
    revealed = Revealed()
    try:
        # writes inside are recorded in lineage as this task's; reads join its inputs
        with (
            running(pipeline=call.pipeline, run_id=call.run_id, task=call.task) as job,
            fenced(context._fence),
        ):
            kwargs, revealed = _revealed(context, kwargs)
            with revealed:  # what the task's libraries log is redacted too
                result = call.fn(**kwargs)
    except Skip as exc:
        state, error = "skipped", str(exc) or None
    except Exception as exc:
        state, error = "failed", f"{type(exc).__name__}: {exc}"
        trace = traceback.format_exc()
    finally:
        log = capture.stop()
    # a secret's value never reaches the run's record, whatever the task printed or raised
    error, trace, log = (revealed.redact(t) if t else t for t in (error, trace, log))
    seen = {(r.table, r.version) for r in context.reads}
    context.reads.extend(TableVersion(t, v) for t, v in job.reads if (t, v) not in seen)
    return Outcome(
        state=state,
        result=result,
        error=error,
        traceback=trace,
        log=log,
        started_at=started,
        finished_at=datetime.now(UTC),
        duration_s=time.perf_counter() - t0,
        cpu_seconds=time.thread_time() - cpu0,
        peak_memory_bytes=_peak_memory(),
        worker=worker or _worker_name(),
        reads=tuple(context.reads),
        writes=tuple(context.writes),
    )


def _revealed(context: TaskContext, kwargs: dict[str, Any]) -> tuple[dict[str, Any], Revealed]:
    """The arguments with ``secret://name`` replaced by the workspace's secrets."""
    if "secret://" not in repr(kwargs):  # no platform is built for a task without one
        return kwargs, Revealed()
    return reveal(context.platform.secrets, context.ctx, kwargs)


def _fence_of(
    call: TaskCall, context: TaskContext, cancelled: threading.Event | None
) -> AttemptFence:
    ask = None
    if call.settings is not None:  # another process: only the catalog knows

        def ask() -> bool:
            from lakeworks.pipelines.store import PipelineStore

            store = PipelineStore(context.platform.catalog)
            return store.attempt_current(call.run_id, call.task, call.attempt)

    return AttemptFence(call.run_id, call.task, call.attempt, cancelled, ask)


def stored_result(value: Any) -> dict[str, Any]:
    """How a task's result is kept in the catalog: the JSON value, or its repr."""
    try:
        return {"value": json.loads(json.dumps(value, default=_encode_json)), "stored": True}
    except (TypeError, ValueError):
        return {"repr": repr(value)[:1000], "stored": False}


def _encode_json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "__dataclass_fields__"):
        return {k: getattr(value, k) for k in value.__dataclass_fields__}
    raise TypeError(type(value).__name__)


def _peak_memory() -> int | None:
    """The process's peak resident memory so far (threads share one process)."""
    if resource is None:
        return None
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"


def _platform_for(settings: Settings | None) -> TaskServices:
    from lakeworks.config import Settings
    from lakeworks.platform import Platform  # a worker process is an entry point of its own

    settings = settings or Settings.load()
    key = settings.model_dump_json()
    with _platforms_lock:
        if key not in _platforms:
            _platforms[key] = Platform.open(settings)
        return _platforms[key]
