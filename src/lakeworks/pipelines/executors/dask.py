"""Tasks on a Dask distributed cluster (``LAKEWORKS_EXECUTOR=tcp://host:8786``).

Each attempt is one Dask task. When a worker dies in the middle of a task, the Dask
scheduler reruns it on another worker (up to ``distributed.scheduler.allowed-failures``
times); past that the attempt fails with KilledWorker and the runner's retries apply.
Workers open their own Platform from the settings, so the catalog and storage must be
reachable from them (PostgreSQL and S3 in production).
"""

from __future__ import annotations

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

log = logging.getLogger("lakeworks.pipelines")


class DaskExecutor(Executor):
    capabilities = Capabilities("dask", remote=True, stops_running=False, chains=True)

    def __init__(self, address: str, timeout: float = 10.0) -> None:
        try:
            from distributed import Client
        except ImportError as exc:  # pragma: no cover - a declared dependency
            raise MissingDependencyError("distributed") from exc
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
        self._ready: queue.SimpleQueue[tuple[Any, Done] | None] = queue.SimpleQueue()
        self._collector = threading.Thread(
            target=self._collect, name="lakeworks-dask-results", daemon=True
        )
        self._collector.start()

    def submit(self, call: TaskCall, done: Done, upstream: dict[str, Any] | None = None) -> Any:
        key = f"lw-{call.run_id}-{call.task}-{call.attempt}-{uuid.uuid4().hex[:8]}"
        try:
            # cloudpickle here: Dask's own pickling would refer to pipeline files by a
            # module name the scheduler and workers cannot import.
            payload = cloudpickle.dumps(call)
            names = list(upstream or {})
            futures = [upstream[n] for n in names]
            future = self.client.submit(
                _run_on_worker, payload, names, *futures, key=key, pure=False
            )
        except Exception as exc:
            done(lost(f"cannot submit task {call.task!r} to {self.address}: {exc}"))
            return None
        future.add_done_callback(lambda f: self._finished(f, done))
        return future

    def _finished(self, future: Any, done: Done) -> None:
        if future.status == "finished":
            self._ready.put((future, done))
        else:
            done(_outcome(future))

    def _collect(self) -> None:
        while (item := self._ready.get()) is not None:
            batch = [item]
            while True:
                try:
                    more = self._ready.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._ready.put(None)  # let the loop end after this batch
                    break
                batch.append(more)
            self._deliver(batch)

    def _deliver(self, batch: list[tuple[Any, Done]]) -> None:
        try:
            results = self.client.gather([future for future, _ in batch])
        except Exception:  # one of them went away since: fetch each on its own
            for future, done in batch:
                done(_outcome(future))
            return
        for (_, done), result in zip(batch, results, strict=True):
            try:
                done(result)
            except Exception:  # the runner's callback failed: never stop collecting
                log.exception("handling a finished Dask task failed")

    def cancel(self, handle: Any) -> None:
        if handle is not None:
            handle.cancel()

    def close(self) -> None:
        self._ready.put(None)
        self._collector.join(timeout=10)
        self.client.close()


def _probe(address: str, timeout: float) -> None:
    host, _, port = address.split("://", 1)[-1].rpartition(":")
    socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()


def _run_on_worker(payload: bytes, names: list[str], *upstream: Outcome) -> Outcome:
    from distributed import get_worker

    call: TaskCall = cloudpickle.loads(payload)
    kwargs = dict(call.kwargs)
    for name, outcome in zip(names, upstream, strict=True):
        if outcome.state != "succeeded":
            return Outcome(state="not_run")
        if name in call.from_upstream:
            kwargs[name] = outcome.result
    return run_task(replace(call, kwargs=kwargs), worker=get_worker().address)


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
