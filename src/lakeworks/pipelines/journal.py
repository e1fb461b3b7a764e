"""The write-behind journal: task state changes of every run in this process, batched.

Runners ``put`` the latest fields of a task row; a background thread writes whatever is
pending every ``interval`` seconds in one transaction, so a thousand quick tasks cost a
handful of catalog writes, not thousands. The same thread heartbeats the runs this
process owns and notices cancel requests made by other processes.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Protocol

from lakeworks.errors import LakeworksError
from lakeworks.pipelines.store import PipelineStore

log = logging.getLogger(__name__)


class Watched(Protocol):
    run_id: int

    def request_cancel(self) -> None: ...


class Journal:
    def __init__(
        self,
        store: PipelineStore,
        owner: str,
        interval: float = 0.05,
        heartbeat_every: float = 2.0,
        cancel_poll_every: float = 0.5,
    ) -> None:
        self.store = store
        self.owner = owner
        self.interval = interval
        self.heartbeat_every = heartbeat_every
        self.cancel_poll_every = cancel_poll_every
        self._pending: dict[int, dict[str, Any]] = {}
        self._watched: dict[int, Watched] = {}
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None

    def put(self, row_id: int, fields: dict[str, Any]) -> None:
        """Queue the full new fields of task row ``row_id`` (later puts replace earlier)."""
        with self._lock:
            self._pending[row_id] = {**fields, "_id": row_id}

    def flush(self, finish: tuple[int, str, str | None] | None = None) -> None:
        """Write everything pending now (blocks until written); ``finish`` = (run id,
        state, error) also ends that run, in the same transaction."""
        with self._flush_lock:
            with self._lock:
                batch, self._pending = self._pending, {}
            if not batch and finish is None:
                return
            try:
                self.store.write_tasks(list(batch.values()), finish)
            except Exception:
                with self._lock:  # keep them for the next flush, unless newer fields came
                    self._pending = {**batch, **self._pending}
                raise

    def watch(self, run: Watched) -> None:
        """Heartbeat ``run`` and pass on cancel requests for it until ``unwatch``."""
        with self._lock:
            self._watched[run.run_id] = run
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="lw-pipelines-journal", daemon=True
                )
                self._thread.start()

    def unwatch(self, run_id: int) -> None:
        with self._lock:
            self._watched.pop(run_id, None)

    def close(self) -> None:
        self._closed.set()
        if self._thread is not None:
            self._thread.join(5)
        self.flush()

    def _loop(self) -> None:
        last_beat = last_poll = time.monotonic()
        while not self._closed.wait(self.interval):
            try:
                self.flush()
                moment = time.monotonic()
                with self._lock:
                    watched = dict(self._watched)
                if watched and moment - last_beat >= self.heartbeat_every:
                    self.store.heartbeat(self.owner)
                    last_beat = moment
                if watched and moment - last_poll >= self.cancel_poll_every:
                    for run_id in self.store.cancel_requested(list(watched)):
                        watched[run_id].request_cancel()
                    last_poll = moment
            except LakeworksError as exc:  # the catalog is down: keep trying
                log.warning("pipelines journal: %s", exc)
