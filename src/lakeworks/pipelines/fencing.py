"""The fence of one task attempt: once the runner gives up on an attempt (its timeout
passed, the run was cancelled, a later attempt started), the attempt can no longer
commit a table write.

Two signals, checked by ``lakeworks.lake.fence`` before every Delta commit the attempt
makes, and by ``TaskContext.check_cancelled`` (which the platform's steps call between
their stages):
- ``cancelled``, an Event the executor sets when the runner cancels the attempt (threads
  in this process: the only way to stop one that is running);
- for attempts in other processes (local processes, Dask workers), the catalog, asked
  inside each write (``PipelineStore.attempt_current``): the runner in another process
  cannot reach an Event here, and a Dask task cannot be stopped once it runs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from lakeworks.errors import FencedError


class AttemptFence:
    """Implements ``lakeworks.lake.fence.WriteFence`` for attempt ``attempt`` of ``task``."""

    def __init__(
        self,
        run_id: int,
        task: str,
        attempt: int,
        cancelled: threading.Event | None = None,
        ask: Callable[[], bool] | None = None,
    ) -> None:
        """``ask``: whether the catalog still holds this attempt current (remote attempts)."""
        self.run_id, self.task, self.attempt = run_id, task, attempt
        self.cancelled = cancelled or threading.Event()
        self.ask = ask

    def check(self) -> None:
        if not self.cancelled.is_set() and self.ask is not None and not self.ask():
            self.cancelled.set()
        if self.cancelled.is_set():
            raise FencedError(
                f"attempt {self.attempt} of task {self.task!r} (run {self.run_id}) was timed "
                "out or cancelled; its write was refused before it committed",
                hint="nothing was written by this attempt; raise the task's timeout if it "
                "needs more time",
                run_id=self.run_id,
                task=self.task,
                attempt=self.attempt,
            )
