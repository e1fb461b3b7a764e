"""In-process threads (the default) and local processes."""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

import cloudpickle

from lakeworks.pipelines.calls import Outcome, TaskCall, run_task
from lakeworks.pipelines.executors.base import Capabilities, Done, Executor, lost

if TYPE_CHECKING:
    from lakeworks.platform import Platform


class ThreadExecutor(Executor):
    """Tasks run in a pool of threads in this process and share its Platform.

    A thread cannot be stopped: an attempt past its timeout is abandoned (its result is
    ignored) and keeps its thread until it returns.
    """

    capabilities = Capabilities("local", remote=False, stops_running=False)

    def __init__(self, platform: Platform | None = None, max_workers: int | None = None) -> None:
        self.platform = platform
        self._pool = ThreadPoolExecutor(
            max_workers or max(8, 4 * (os.cpu_count() or 1)), thread_name_prefix="lw-task"
        )

    def submit(self, call: TaskCall, done: Done, upstream: Any = None) -> Future | None:
        try:
            future = self._pool.submit(run_task, call, self.platform)
        except RuntimeError as exc:  # the pool was shut down
            done(lost(f"the executor is closed: {exc}"))
            return None
        future.add_done_callback(lambda f: done(_outcome(f)))
        return future

    def cancel(self, handle: Any) -> None:
        if handle is not None:
            handle.cancel()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class ProcessExecutor(Executor):
    """Tasks run in a pool of local worker processes (spawned, so no inherited state).

    Tasks and their arguments travel with cloudpickle. A worker process that dies fails
    its attempt; the pool is rebuilt for the next one.
    """

    capabilities = Capabilities("processes", remote=True, stops_running=False)

    def __init__(self, max_workers: int | None = None) -> None:
        self._max_workers = max_workers or os.cpu_count() or 1
        self._lock = threading.Lock()
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self._max_workers, mp_context=multiprocessing.get_context("spawn")
        )

    def submit(self, call: TaskCall, done: Done, upstream: Any = None) -> Future | None:
        try:
            payload = cloudpickle.dumps(call)
        except Exception as exc:
            done(lost(f"task {call.task!r} cannot be sent to a worker process: {exc}"))
            return None
        with self._lock:
            try:
                future = self._pool.submit(_run_payload, payload)
            except BrokenProcessPool:
                self._pool = self._new_pool()
                future = self._pool.submit(_run_payload, payload)
            except RuntimeError as exc:  # the pool was shut down
                done(lost(f"the executor is closed: {exc}"))
                return None
        future.add_done_callback(lambda f: done(self._outcome(f)))
        return future

    def _outcome(self, future: Future) -> Outcome:
        outcome = _outcome(future)
        if isinstance(future.exception() if not future.cancelled() else None, BrokenProcessPool):
            with self._lock:
                self._pool = self._new_pool()
        return outcome

    def cancel(self, handle: Any) -> None:
        if handle is not None:
            handle.cancel()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _run_payload(payload: bytes) -> Outcome:
    return run_task(cloudpickle.loads(payload))


def _outcome(future: Future) -> Outcome:
    if future.cancelled():
        return Outcome(state="cancelled", error="cancelled before it started")
    exc = future.exception()
    if exc is None:
        return future.result()
    if isinstance(exc, BrokenProcessPool):
        return lost("the worker process running the task died")
    return lost(f"the executor failed: {type(exc).__name__}: {exc}")
