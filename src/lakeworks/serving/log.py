"""The prediction log: every answered request written to the workspace's ``_predictions``
table by one background thread, in batches, off the request path.

- **Bounded buffer, back-pressure.** ``record`` puts an entry in a queue of
  ``serving_log_buffer`` requests; the writer takes up to as many into the batch it
  writes (so at most twice the setting is held in memory). While the table write is
  slow or failing the queue fills; a request then waits up to ``serving_log_wait``
  seconds for room. Past that it is answered anyway and its entry is counted
  (``lakeworks_prediction_log_unwritten_total``) and logged as an error with its request
  id: nothing is dropped silently.
- **Retries, nothing lost.** A failed write keeps its batch and is retried with a growing
  pause (up to ``MAX_PAUSE`` seconds) until the table takes it, while new entries wait in
  the queue. So a table unavailable for a while fails no request and, once it is back,
  holds every entry the buffer kept.
- **Never twice.** Each commit carries a Delta transaction identifier (app id
  ``lakeworks.predictions:<log id>``, version the batch's sequence number). Before a retry
  the log reads that version back: a write that committed and then reported an error (a
  lost answer from the object store) is not written again.
- **A killed process loses nothing** (``serving_log_spool``, on by default). Each entry
  is also appended to a local write-ahead spool (``serving.spool``) before the request is
  answered; each batch is planned in the spool before its commit, and spool segments are
  deleted once committed. A spool left by a dead process is written by the next start
  (``serving.replay``) under the dead log's transaction id, so nothing is written twice.
  The spool is fsynced every ``serving_log_fsync`` seconds (0: before each answer): the
  loss bound on power failure; a killed process loses nothing the OS was given.
- ``flush`` waits until everything buffered is written; ``close`` flushes (bounded) and
  stops the thread, counting what it could not write (with the spool on, that stays in
  the spool for the next start). An ``atexit`` hook closes a log still open when the
  interpreter exits.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.exposition import generate_latest

from lakeworks.context import Context
from lakeworks.serving.records import (
    PREDICTIONS,
    WRITER,
    LogEntry,
    app_id_of,
    table_of_entries,
)
from lakeworks.serving.replay import replay_all
from lakeworks.serving.spool import Spool
from lakeworks.serving.spooled import EntryWriter

if TYPE_CHECKING:
    from lakeworks.config import Settings
    from lakeworks.lake.tables import Tables

log = logging.getLogger("lakeworks.serving.log")
MAX_PAUSE = 5.0  # seconds between retries of a failing write, at most
CLOSE_TIMEOUT = 10.0  # seconds close() keeps trying to write what is buffered


class LogMetrics:
    """The log's Prometheus counters, in their own registry (one per log)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.written = Counter(
            "lakeworks_prediction_log_rows",
            "prediction rows written to _predictions tables",
            registry=self.registry,
        )
        self.failures = Counter(
            "lakeworks_prediction_log_write_failures",
            "writes of the prediction log that failed (each retried)",
            registry=self.registry,
        )
        self.unwritten = Counter(
            "lakeworks_prediction_log_unwritten",
            "requests the prediction log could not write (buffer full past the wait, or "
            "left at close)",
            registry=self.registry,
        )
        self.replayed = Counter(
            "lakeworks_prediction_log_replayed_rows",
            "prediction rows written at start from spools left by dead processes",
            registry=self.registry,
        )
        self.torn = Counter(
            "lakeworks_prediction_log_spool_torn",
            "spool segments whose last record was torn (cut short by a kill); ignored",
            registry=self.registry,
        )
        self.buffered = Gauge(
            "lakeworks_prediction_log_buffered",
            "requests waiting to be written",
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)


def spool_root(settings: Settings) -> Path:
    """The folder holding the prediction log spools of processes on this home."""
    return (settings.home / "spool" / "predictions").resolve()


@dataclass(slots=True)
class _Item:
    """An entry in the buffer, with its place in the spool when the spool is on."""

    entry: LogEntry
    number: int = 0
    segment: int = 0


class PredictionLog:
    """The background writer of one platform's prediction log (see the module docstring)."""

    def __init__(self, tables: Tables, settings: Settings) -> None:
        self.tables = tables
        self.wait = settings.serving_log_wait
        self.interval = settings.serving_log_flush_interval
        self.metrics = LogMetrics()
        self.log_id = uuid.uuid4().hex
        self.app_id = app_id_of(self.log_id)
        self.spool_root = spool_root(settings) if settings.serving_log_spool else None
        self.fsync = settings.serving_log_fsync
        self.spool: Spool | None = None  # made with the writer thread
        self._encoder = EntryWriter()
        self._queue: queue.Queue[_Item] = queue.Queue(settings.serving_log_buffer)
        self._batch: list[_Item] = []  # taken from the queue, not yet written
        self._sequence: dict[str, int] = {}  # per workspace: the last committed batch
        self._tried: dict[str, set[int]] = {}  # per workspace: ids of a failed try's entries
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._hurry = threading.Event()
        self._limit = settings.serving_log_buffer
        self._thread: threading.Thread | None = None
        self.metrics.buffered.set_function(lambda: self._queue.qsize() + len(self._batch))
        self._replay()

    # the request side -------------------------------------------------------------
    def record(self, entry: LogEntry) -> None:
        """Buffer ``entry``; waits (bounded) for room when the buffer is full."""
        self._start()
        item, spool = _Item(entry), self.spool
        if spool is not None:
            item.number, item.segment = spool.append(self._encoder.bytes_of(entry))
        try:
            self._queue.put(item, timeout=self.wait)
        except queue.Full:
            if spool is not None:
                spool.give_up(item.number, item.segment)
            self.metrics.unwritten.inc()
            log.error(
                "prediction log full for %.1f s: request %s of endpoint %s not logged",
                self.wait,
                entry.request_id,
                entry.prediction.endpoint,
            )

    def pending(self) -> list[LogEntry]:
        """The entries buffered or being written (not yet in the table)."""
        # both at once (in ``_take``'s order: lock, then the queue's mutex): an entry moved
        # from the queue to the batch between two looks would be listed twice
        with self._lock, self._queue.mutex:
            return [i.entry for i in self._batch] + [i.entry for i in self._queue.queue]

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every entry recorded so far is written; False on timeout."""
        deadline = time.monotonic() + timeout
        self._hurry.set()
        with self._idle:
            while self._queue.qsize() or self._batch:
                left = deadline - time.monotonic()
                if left <= 0 or self._thread is None:
                    return False
                self._idle.wait(min(left, 0.05))
        return True

    def close(self, timeout: float = CLOSE_TIMEOUT) -> None:
        """Write what is buffered (for up to ``timeout`` seconds), then stop."""
        if self._thread is None:
            return
        self.flush(timeout)
        self._stop.set()
        self._hurry.set()
        self._thread.join(timeout=MAX_PAUSE + 1)
        self._thread = None
        atexit.unregister(self.close)
        lost = self.pending()
        if lost:
            self.metrics.unwritten.inc(len(lost))
            log.error(
                "prediction log closed with %d requests unwritten (first: %s)%s",
                len(lost),
                lost[0].request_id,
                f"; kept in the spool {self.spool.folder} for the next start to write"
                if self.spool is not None
                else "",
            )
        if self.spool is not None:
            with self._lock, self._queue.mutex:  # in the spool now: never written from here
                self._batch, self._tried = [], {}
                self._queue.queue.clear()
            self.spool.close()
            self.spool = None

    # the writer thread ------------------------------------------------------------
    def _start(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                if self.spool_root is not None:
                    self.spool = self._spool()
                self._stop.clear()
                self._thread = threading.Thread(
                    target=self._run, name="lw-prediction-log", daemon=True
                )
                self._thread.start()
                atexit.register(self.close)

    def _run(self) -> None:
        """Write at most once per ``interval``; retry a failed batch after a growing pause
        (the queue meanwhile fills up to its bound, then requests wait for room)."""
        pause = self.interval
        while not self._stop.is_set():
            started = time.monotonic()
            if self.spool is not None:
                self.spool.rotate()  # and delete the segments already committed
            if not self._batch:
                self._take()
            if not self._batch:
                self._rest(self.interval)
            elif self._write_batch():
                pause = self.interval
                self._rest(started + self.interval - time.monotonic())
            else:
                self._rest(pause)
                pause = min(pause * 2, MAX_PAUSE)

    def _rest(self, seconds: float) -> None:
        """Sleep up to ``seconds``, syncing the spool every ``fsync`` seconds meanwhile;
        ``flush`` and ``close`` wake the thread early."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            spool = self.spool
            step = min(left, self.fsync) if spool is not None and self.fsync > 0 else left
            if self._hurry.wait(step):
                break
            if spool is not None:
                spool.sync()
        self._hurry.clear()

    def _take(self) -> None:
        """Move what is queued into the batch (at most one buffer's worth)."""
        with self._lock:  # under the lock: ``flush`` never sees an entry in neither place
            try:
                while len(self._batch) < self._limit:
                    self._batch.append(self._queue.get_nowait())
            except queue.Empty:
                pass

    def _write_batch(self) -> bool:
        """Write the batch, one commit per workspace; True when all of it is written."""
        by_workspace: dict[str, list[_Item]] = {}
        for item in self._batch:
            by_workspace.setdefault(item.entry.workspace, []).append(item)
        written: set[int] = set()
        for workspace, items in by_workspace.items():
            try:
                written |= {id(i) for i in self._commit(workspace, items)}
            except Exception as exc:
                self.metrics.failures.inc()
                log.warning("prediction log write to %s failed, will retry: %s", workspace, exc)
        with self._idle:
            self._batch = [e for e in self._batch if id(e) not in written]
            self._idle.notify_all()
        return not self._batch

    def _commit(self, workspace: str, items: list[_Item]) -> list[_Item]:
        """Commit ``items`` as the workspace's next batch; the items now written.

        After a failed try, the try's own commit may have landed (its answer was lost):
        then its items are written already and the others wait for the next round.
        """
        ctx = Context(workspace=workspace, user=WRITER)
        sequence = self._sequence.get(workspace, 0) + 1
        tried = self._tried.get(workspace)
        if tried is not None and self._committed(ctx, sequence):
            del self._tried[workspace]
            return self._written(workspace, sequence, [i for i in items if id(i) in tried])
        self._tried[workspace] = {id(i) for i in items}
        if self.spool is not None:
            self.spool.plan(workspace, sequence, [i.number for i in items if i.number])
        data = table_of_entries([i.entry for i in items])  # scored where the model can
        self.tables.write(ctx, PREDICTIONS, data, system=True, transaction=(self.app_id, sequence))
        del self._tried[workspace]
        self.metrics.written.inc(data.num_rows)
        return self._written(workspace, sequence, items)

    def _written(self, workspace: str, sequence: int, items: list[_Item]) -> list[_Item]:
        self._sequence[workspace] = sequence
        if self.spool is not None:
            self.spool.done([i.segment for i in items])
        return items

    def _spool(self) -> Spool | None:
        """This log's spool; None (in memory only, said once) when its folder cannot be
        made: a request is never failed for it."""
        try:
            return Spool.create(self.spool_root, self.fsync, self.log_id)
        except OSError as exc:
            log.error(
                "prediction log spool cannot be made under %s (%s): entries wait in memory "
                "only, and a killed process loses them; fix the folder or set "
                "serving_log_spool=false",
                self.spool_root,
                exc,
            )
            self.spool_root = None
            return None

    def _replay(self) -> None:
        """Write the spools that dead processes left on this home (see ``serving.replay``)."""
        if self.spool_root is None:
            return
        try:
            done = replay_all(self.tables, self.spool_root)
        except OSError as exc:  # the spool folder unreadable: serving goes on
            log.error("prediction log spools under %s not replayed: %s", self.spool_root, exc)
            return
        self.metrics.replayed.inc(done.rows)
        self.metrics.torn.inc(done.torn)

    def _committed(self, ctx: Context, sequence: int) -> bool:
        """Whether batch ``sequence`` of this log is in the workspace's table."""
        if not self.tables.exists(ctx, PREDICTIONS):
            return False
        found = self.tables.open(ctx, PREDICTIONS).transaction_version(self.app_id)
        return found is not None and found >= sequence
