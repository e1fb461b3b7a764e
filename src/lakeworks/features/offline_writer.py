"""The offline side of a stream feature view's processor, on a thread of its own.

A Delta commit takes tens to hundreds of milliseconds; made inline it held every online
write behind it (issue 19: the p99 freshness was the once-a-second commit). The
processor hands a batch to the ``OfflineWriter`` and goes on serving the stream; one
batch is in flight at a time, and the events of a batch are acknowledged by the
processor's own thread only after the writer says the batch is committed, so the
exactly-once rules of ``stream_processor.py`` hold as before: a batch is acknowledged
after both the online store and the Delta tables hold it, and a failed commit
acknowledges nothing.

Example:
    >>> writer = OfflineWriter("clicks")
    >>> writer.submit(lambda: None, ["e1", "e2"])
    >>> writer.wait()
    ['e1', 'e2']
    >>> writer.close()
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


class OfflineWriter:
    """Runs one commit at a time on a background thread; hands back what it committed."""

    def __init__(self, name: str) -> None:
        self._pool = ThreadPoolExecutor(1, thread_name_prefix=f"lakeworks-offline-{name}")
        self._job: tuple[Future[None], Sequence[Any]] | None = None

    @property
    def busy(self) -> bool:
        """A batch is handed off and not yet collected."""
        return self._job is not None

    def submit(self, commit: Callable[[], None], read: Sequence[Any]) -> None:
        """Run ``commit`` in the background; ``read`` comes back from ``collect`` once it
        succeeded. The caller's context variables (lineage inputs) travel with it."""
        if self._job is not None:
            raise RuntimeError("an offline commit is already in flight: collect it first")
        context = contextvars.copy_context()
        self._job = (self._pool.submit(context.run, commit), read)

    def collect(self) -> Sequence[Any] | None:
        """The events of the batch just committed, once; None while it runs (or when
        nothing was handed off). Re-raises the commit's error, and forgets the batch."""
        if self._job is None or not self._job[0].done():
            return None
        return self.wait()

    def wait(self) -> Sequence[Any] | None:
        """Wait for the batch in flight: its events, or its commit's error raised here."""
        if self._job is None:
            return None
        future, read = self._job
        self._job = None
        future.result()
        return read

    def settle(self) -> None:
        """Wait for the batch in flight and drop it, error or not (before a rebuild: the
        tables say what was committed, and what was not is read again)."""
        with contextlib.suppress(BaseException):  # the rebuild reads the tables' truth
            self.wait()

    def close(self) -> None:
        self.settle()
        self._pool.shutdown(wait=True)
