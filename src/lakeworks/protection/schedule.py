"""The retention schedule: every workspace's rules applied every ``retention_interval``
seconds by a thread of the server (``lakeworks server``, with the scheduler on).

Several replicas may each run it: a vacuum or an expiry that another one just did finds
nothing left to remove. A failing round is logged and the next one runs on time.
"""

from __future__ import annotations

import logging
import threading

from lakeworks.protection.retention import Retention

log = logging.getLogger(__name__)


class RetentionSchedule:
    def __init__(self, retention: Retention, interval: float) -> None:
        self.retention = retention
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="lw-retention", daemon=True)
        self.rounds = 0

    def start(self) -> RetentionSchedule:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                done = self.retention.run_all()
            except Exception:  # the schedule outlives a bad round; the next one retries
                log.exception("retention round failed")
                continue
            self.rounds += 1
            freed = sum(r.bytes_freed for r in done)
            log.info("retention: %d actions, %d bytes freed", len(done), freed)
