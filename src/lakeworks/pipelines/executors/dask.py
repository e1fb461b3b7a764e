"""Tasks on a Dask distributed cluster (``LAKEWORKS_EXECUTOR=tcp://host:8786``).

Each attempt is one Dask task. When a worker dies in the middle of a task, the Dask
scheduler reruns it on another worker (up to ``distributed.scheduler.allowed-failures``
times); past that the attempt fails with KilledWorker and the runner's retries apply.
Workers open their own Platform from the settings, so the catalog and storage must be
reachable from them (PostgreSQL and S3 in production).
"""

from __future__ import annotations

import functools
import itertools
import logging
import queue
import socket
import threading
import uuid
from dataclasses import replace
from typing import Any

import cloudpickle

from lakeworks.errors import MissingDependencyError, UnavailableError
from lakeworks.pipelines.calls import Outcome, TaskCall, run_task
from lakeworks.pipelines.executors.base import Capabilities, Done, Executor, lost

try:  # public API only: Client.get of a task_spec graph, futures' done callbacks
    from dask.task_spec import Task, TaskRef
    from distributed import Client
except ImportError as exc:  # pragma: no cover - a declared dependency
    raise MissingDependencyError("dask[distributed]>=2026.8") from exc

log = logging.getLogger("lakeworks.pipelines")


class DaskExecutor(Executor):
    capabilities = Capabilities("dask", remote=True, stops_running=False, chains=True)

    def __init__(self, address: str, timeout: float = 10.0) -> None:
        self.address = address
        try:
            _probe(address, timeout)  # a refused port fails now, not after the timeout
            self.client = Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise UnavailableError(
                f"cannot reach the Dask scheduler at {address}: {exc}",
                hint="start one with `dask scheduler` or fix LAKEWORKS_EXECUTOR "
                "(use 'local' to run tasks in this process)",
                address=address,
            ) from exc
        # Results of finished tasks are fetched in batches (one gather per batch) by one
        # thread, instead of one round trip per task from each done-callback.
        self._ready: queue.SimpleQueue[tuple[Any, _Attempt] | None] = queue.SimpleQueue()
        self._collector = threading.Thread(
            target=self._collect, name="lakeworks-dask-results", daemon=True
        )
        self._collector.start()
        # Submitted attempts wait here until flush() sends them as one graph.
        self._lock = threading.Lock()
        self._batch: list[tuple[_Attempt, tuple[Any, ...]]] = []
        self._pickles: dict[int, tuple[Any, bytes]] = {}
        self._prefix = uuid.uuid4().hex[:8]  # keys are unique across clients
        self._seq = itertools.count()

    def submit(self, call: TaskCall, done: Done, upstream: dict[str, Any] | None = None) -> Any:
        """Hold the attempt for the next ``flush``; returns its handle (an ``_Attempt``)."""
        key = f"lw-{call.run_id}-{call.task}-{call.attempt}-{self._prefix}-{next(self._seq)}"
        names = list(upstream or {})
        attempt = _Attempt(key, done, [upstream[n] for n in names])
        with self._lock:
            try:
                # cloudpickle here: Dask's own pickling would refer to pipeline files by a
                # module name the scheduler and workers cannot import. The function and
                # the settings are pickled once per batch and loaded once per worker.
                args = (
                    cloudpickle.dumps(replace(call, fn=None, settings=None)),
                    self._pickled(call.fn),
                    self._pickled(call.settings),
                    names,
                )
            except Exception as exc:
                done(lost(f"cannot submit task {call.task!r} to {self.address}: {exc}"))
                return None
            self._batch.append((attempt, args))
        return attempt

    def _pickled(self, value: Any) -> bytes:
        """``value`` pickled, the same bytes object for the same value within a batch (so
        the graph carries it once)."""
        held = self._pickles.get(id(value))
        if held is None:
            held = self._pickles[id(value)] = (value, cloudpickle.dumps(value))
        return held[1]

    def flush(self) -> None:
        """Send the held attempts to the scheduler as one graph."""
        with self._lock:
            batch, self._batch, self._pickles = self._batch, [], {}
            graph, sent = {}, []
            for attempt, args in batch:
                if any(up.future is None and up.key not in graph for up in attempt.upstream):
                    attempt.done(Outcome(state="not_run"))  # an upstream was never sent
                    continue
                refs = [TaskRef(up.key) for up in attempt.upstream]
                graph[attempt.key] = Task(attempt.key, _run_on_worker, *args, *refs)
                sent.append(attempt)
            if not graph:
                return
            try:
                futures = self.client.get(graph, list(graph), sync=False, fifo_timeout="100 ms")
            except Exception as exc:
                for attempt in sent:
                    attempt.done(lost(f"cannot submit tasks to {self.address}: {exc}"))
                return
            for attempt, future in zip(sent, futures, strict=True):
                attempt.future, attempt.upstream = future, []
        for attempt in sent:  # the collector fetches the results of ended futures
            attempt.future.add_done_callback(
                lambda f, attempt=attempt: self._ready.put((f, attempt))
            )

    def _collect(self) -> None:
        """The collector thread: never ends before ``close``, whatever fails in it; an
        attempt whose result could not be collected is answered as a failed one."""
        while (batch := self._next_batch()) is not None:
            try:
                self._deliver(batch)
            except BaseException as exc:  # noqa: BLE001 - a run must never hang on us
                log.exception("collecting finished Dask tasks failed")
                error = f"collecting the result from the Dask cluster failed: {exc!r}"
                for _, attempt in batch:
                    _answer(attempt, lost(error))

    def _next_batch(self) -> list[tuple[Any, _Attempt]] | None:
        """The ended futures queued now (waits for one); None once closed."""
        item = self._ready.get()
        if item is None:
            return None
        batch = [item]
        while True:
            try:
                more = self._ready.get_nowait()
            except queue.Empty:
                return batch
            if more is None:
                self._ready.put(None)  # let the loop end after this batch
                return batch
            batch.append(more)

    def _deliver(self, batch: list[tuple[Any, _Attempt]]) -> None:
        finished = [(f, a) for f, a in batch if f.status == "finished"]
        others = [(f, a) for f, a in batch if f.status != "finished"]
        try:
            results = self.client.gather([future for future, _ in finished])
        except Exception:  # one of them went away since: fetch each on its own
            results = [_outcome(future) for future, _ in finished]
        for (_, attempt), outcome in zip(finished, results, strict=True):
            _answer(attempt, outcome)
        for future, attempt in others:
            _answer(attempt, _outcome(future))

    def cancel(self, handle: Any) -> None:
        if handle is None:
            return
        if handle.future is None:  # still held: send it first, it may be upstream of others
            self.flush()
        if handle.future is not None:
            handle.future.cancel()

    def close(self) -> None:
        with self._lock:
            self._batch, self._pickles = [], {}
        self._ready.put(None)
        self._collector.join(timeout=10)
        self.client.close()


def _probe(address: str, timeout: float) -> None:
    host, _, port = address.split("://", 1)[-1].rpartition(":")
    socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()


class _Attempt:
    """The handle of one attempt: its Dask future once flushed."""

    __slots__ = ("answered", "done", "future", "key", "upstream")

    def __init__(self, key: str, done: Done, upstream: list[_Attempt]) -> None:
        self.key, self.done, self.upstream = key, done, upstream
        self.future: Any = None
        self.answered = False


def _answer(attempt: _Attempt, outcome: Outcome) -> None:
    """Call the attempt's ``done`` once (a second answer, after a failed collection that
    answered part of a batch, is dropped)."""
    if attempt.answered:
        return
    attempt.answered = True
    try:
        attempt.done(outcome)
    except Exception:  # the runner's callback failed: never stop collecting
        log.exception("handling a finished Dask task failed")


@functools.lru_cache(maxsize=256)
def _loaded(payload: bytes) -> Any:
    """A task function or settings, unpickled once per worker process."""
    return cloudpickle.loads(payload)


def _run_on_worker(
    payload: bytes, fn: bytes, settings: bytes, names: list[str], *upstream: Outcome
) -> Outcome:
    from distributed import get_worker

    call: TaskCall = cloudpickle.loads(payload)
    kwargs = dict(call.kwargs)
    for name, outcome in zip(names, upstream, strict=True):
        if outcome.state != "succeeded":
            return Outcome(state="not_run")
        if name in call.from_upstream:
            kwargs[name] = outcome.result
    call = replace(call, fn=_loaded(fn), settings=_loaded(settings), kwargs=kwargs)
    return run_task(call, worker=get_worker().address)


def _outcome(future: Any) -> Outcome:
    if future.status == "finished":
        return future.result()
    if future.status == "cancelled":
        return Outcome(state="cancelled", error="cancelled on the cluster")
    try:
        exc = future.exception()
    except Exception as error:  # the future's own failure
        exc = error
    return lost(f"the Dask cluster failed the task: {type(exc).__name__}: {exc}")
