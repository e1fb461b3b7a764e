"""In-process threads (the default) and local processes."""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import threading
from collections import deque
from concurrent.futures import Future
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import cloudpickle

from lakeworks.pipelines.calls import Outcome, TaskCall, run_task
from lakeworks.pipelines.executors.base import Capabilities, Done, Executor, lost

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from lakeworks.pipelines.calls import TaskServices

CANCELLED = "cancelled before it finished"


class ThreadExecutor(Executor):
    """Tasks run in a pool of threads in this process and share its Platform.

    A thread cannot be killed: cancelling a running attempt sets its cancellation Event,
    which the attempt's table writes (and the platform's steps, and
    ``context.check_cancelled()``) honour, so it can no longer commit; its thread is
    busy until the task's code returns.
    """

    capabilities = Capabilities("local", remote=False, stops_running=False)

    def __init__(
        self, services: TaskServices | None = None, max_workers: int | None = None
    ) -> None:
        self.services = services
        self._pool = _DaemonPool(max_workers or max(8, 4 * (os.cpu_count() or 1)))

    def submit(self, call: TaskCall, done: Done, upstream: Any = None) -> Any:
        cancelled = threading.Event()
        try:
            future = self._pool.submit(run_task, call, self.services, None, cancelled)
        except RuntimeError as exc:  # the pool was shut down
            done(lost(f"the executor is closed: {exc}"))
            return None
        future.add_done_callback(lambda f: done(_outcome(f)))
        return _ThreadAttempt(future, cancelled)

    def cancel(self, handle: Any) -> None:
        if handle is not None:
            handle.cancelled.set()
            handle.future.cancel()

    def close(self) -> None:
        self._pool.shutdown()


class _DaemonPool:
    """Threads for task attempts that do not hold the process open at exit.

    ``ThreadPoolExecutor`` joins its threads when the interpreter exits, so an attempt
    abandoned past its timeout (``time.sleep(40)`` in user code) kept ``lakeworks
    pipelines run`` waiting for its body after the run had ended. Here an abandoned body
    dies with the process; its writes were fenced anyway.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._work: queue.SimpleQueue[tuple[Future, Any, tuple] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0
        self._closed = False

    def submit(self, fn: Any, *args: Any) -> Future:
        future: Future = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot schedule new attempts after close")
            self._work.put((future, fn, args))
            if self._idle == 0 and self._threads < self._size:
                self._threads += 1
                threading.Thread(target=self._serve, name="lw-task", daemon=True).start()
            else:
                self._idle -= 1  # this attempt takes an idle thread
        return future

    def _serve(self) -> None:
        while (item := self._work.get()) is not None:
            future, fn, args = item
            if future.set_running_or_notify_cancel():
                try:
                    result = fn(*args)
                except BaseException as exc:  # noqa: BLE001 - handed to the future
                    future.set_exception(exc)
                else:
                    future.set_result(result)
            with self._lock:
                self._idle += 1

    def shutdown(self) -> None:
        """Cancel queued attempts and let the threads end (running ones finish first)."""
        with self._lock:
            self._closed = True
            threads = self._threads
        while True:
            try:
                item = self._work.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                item[0].cancel()
        for _ in range(threads):
            self._work.put(None)


class _ThreadAttempt:
    __slots__ = ("cancelled", "future")

    def __init__(self, future: Future, cancelled: threading.Event) -> None:
        self.future, self.cancelled = future, cancelled


class ProcessExecutor(Executor):
    """Tasks run in local worker processes (spawned, so no inherited state), at most
    ``max_workers`` at a time; each worker process runs one attempt after another.

    Cancelling a running attempt (its timeout passed, the run was cancelled) kills its
    worker process and everything it started (the worker leads its own process group);
    the next attempt gets a fresh worker. A worker that dies fails its attempt only.
    Tasks and their arguments travel with cloudpickle.
    """

    capabilities = Capabilities("processes", remote=True, stops_running=True)

    def __init__(self, max_workers: int | None = None) -> None:
        self._max_workers = max_workers or os.cpu_count() or 1
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Condition()
        self._pending: deque[_Job] = deque()
        self._lanes: list[threading.Thread] = []
        self._idle = 0
        self._running: set[_Job] = set()
        self._closed = False

    def submit(self, call: TaskCall, done: Done, upstream: Any = None) -> _Job | None:
        try:
            payload = cloudpickle.dumps(call)
        except Exception as exc:
            done(lost(f"task {call.task!r} cannot be sent to a worker process: {exc}"))
            return None
        job = _Job(call.task, payload, done)
        with self._lock:
            if self._closed:
                closed = True
            else:
                closed = False
                self._pending.append(job)
                if self._idle == 0 and len(self._lanes) < self._max_workers:
                    self._start_lane()
                self._lock.notify()
        if closed:
            done(lost("the executor is closed"))
            return None
        return job

    def cancel(self, handle: Any) -> None:
        if handle is None:
            return
        with self._lock:
            handle.cancelled = True
            if handle in self._pending:
                self._pending.remove(handle)
                queued = True
            else:
                queued = False
                if handle in self._running and handle.worker is not None:
                    handle.worker.kill()  # its lane answers "cancelled" when the pipe breaks
        if queued:
            handle.done(Outcome(state="cancelled", error=CANCELLED))

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pending, self._pending = list(self._pending), deque()
            for job in self._running:
                job.cancelled = True
                if job.worker is not None:
                    job.worker.kill()
            self._lock.notify_all()
        for job in pending:
            job.done(Outcome(state="cancelled", error="the executor was closed"))

    # one lane: a thread feeding one worker process -------------------------------
    def _start_lane(self) -> None:
        lane = threading.Thread(target=self._lane, name="lw-process-lane", daemon=True)
        self._lanes.append(lane)
        lane.start()

    def _lane(self) -> None:
        worker: _Worker | None = None
        try:
            while (job := self._next()) is not None:
                if worker is None or not worker.alive():
                    try:
                        worker = _Worker(self._context)
                    except Exception as exc:  # no process could start (out of memory, ...)
                        self._finish(job, lost(f"cannot start a worker process: {exc}"))
                        continue
                with self._lock:
                    if not job.cancelled:
                        job.worker = worker
                if job.worker is None:  # cancelled while its worker was starting
                    self._finish(job, Outcome(state="cancelled", error=CANCELLED))
                    continue
                outcome = worker.run(job.payload)
                if outcome is None:  # the pipe broke: killed by cancel, or it died
                    worker.discard()
                    worker = None
                    outcome = (
                        Outcome(state="cancelled", error=CANCELLED)
                        if job.cancelled
                        else lost(f"the worker process running task {job.task!r} died")
                    )
                self._finish(job, outcome)
        finally:
            if worker is not None:
                worker.stop()
            with self._lock:
                self._lanes.remove(threading.current_thread())

    def _next(self) -> _Job | None:
        """The next queued attempt, now counted as running (None once closed)."""
        with self._lock:
            self._idle += 1
            while not self._pending and not self._closed:
                self._lock.wait()
            self._idle -= 1
            if self._closed:
                return None
            job = self._pending.popleft()
            self._running.add(job)
            return job

    def _finish(self, job: _Job, outcome: Outcome) -> None:
        with self._lock:
            self._running.discard(job)
        job.done(outcome)


class _Job:
    __slots__ = ("cancelled", "done", "payload", "task", "worker")

    def __init__(self, task: str, payload: bytes, done: Done) -> None:
        self.task, self.payload, self.done = task, payload, done
        self.worker: _Worker | None = None
        self.cancelled = False


class _Worker:
    """One spawned process running attempts sent over a pipe, one at a time."""

    def __init__(self, context: Any) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child,), daemon=True)
        self.process.start()
        child.close()

    def alive(self) -> bool:
        return self.process.is_alive()

    def run(self, payload: bytes) -> Outcome | None:
        """The attempt's Outcome, or None when the process died or was killed."""
        try:
            self.conn.send_bytes(payload)
            return cloudpickle.loads(self.conn.recv_bytes())
        except (EOFError, OSError):
            return None

    def kill(self) -> None:
        """Kill the process and its process group (what the task started)."""
        pid = self.process.pid
        if pid is not None and self.process.exitcode is None:
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError, AttributeError):
                self.process.kill()

    def discard(self) -> None:
        """After the pipe broke: make sure the process is gone, and reap it."""
        self.kill()
        self.process.join(5)
        self.conn.close()

    def stop(self) -> None:
        self.conn.close()  # the worker's recv ends: it exits
        self.process.join(5)
        if self.process.exitcode is None:
            self.kill()
            self.process.join(5)


def _serve(conn: Connection) -> None:
    """The worker process: run each attempt received, send its Outcome back."""
    if hasattr(os, "setpgrp"):
        os.setpgrp()  # lead a process group, so a kill reaches what the task starts
    while True:
        try:
            payload = conn.recv_bytes()
        except (EOFError, OSError):
            return
        outcome = run_task(cloudpickle.loads(payload))
        try:
            data = cloudpickle.dumps(outcome)
        except Exception as exc:
            data = cloudpickle.dumps(
                replace(
                    outcome,
                    state="failed",
                    result=None,
                    error=f"the task's result cannot be sent back from its process: {exc}",
                )
            )
        conn.send_bytes(data)


def _outcome(future: Future) -> Outcome:
    if future.cancelled():
        return Outcome(state="cancelled", error="cancelled before it started")
    exc = future.exception()
    if exc is None:
        return future.result()
    return lost(f"the executor failed: {type(exc).__name__}: {exc}")
