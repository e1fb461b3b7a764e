"""Usage metering: what each workspace, user and pipeline used, in a catalog table.

The services tell their ``lakeworks.limits.Meter`` (this class implements it) as they go:
the pipeline runner each task attempt's CPU-seconds and peak memory, the SQL engine the
bytes of the Delta files a statement reads, serving each prediction and its CPU time.
Recording is cheap: amounts are added up in memory per (workspace, user, pipeline, kind,
object) and written as one INSERT of a few rows when ``usage_flush_seconds`` have passed
or ``usage_flush_size`` groups are waiting (and at ``flush``/``close``). A process killed
between flushes loses at most that interval of metering, never a table write.

Storage is sampled, not metered: ``sample`` records the bytes each workspace holds in
the table storage, the artifact store and the online store; the cost report turns the
samples into byte-hours (each sample holds until the next). The server samples every
``usage_sample_seconds``; ``lakeworks costs`` samples before it reports.

Example:
    >>> from lakeworks.context import Context
    >>> buffer = Buffer()
    >>> buffer.add(Context("ws", "ann"), "serving_requests", 1, None, "churn")
    >>> buffer.add(Context("ws", "ann"), "serving_requests", 1, None, "churn")
    >>> [r.amount for r in buffer.take()]
    [2.0]
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lakeworks import limits
from lakeworks.security.ledger import UsageRecord

if TYPE_CHECKING:
    from lakeworks.config import Settings
    from lakeworks.context import Context
    from lakeworks.security.ledger import Ledger
    from lakeworks.security.measures import Measures

STORAGE_KINDS = ("storage_table_bytes", "storage_artifact_bytes", "storage_online_bytes")
PEAK_KINDS = frozenset({limits.TASK_PEAK_MEMORY_BYTES})  # kept as the largest, not summed
SAMPLER = "-"  # the user of storage samples: bytes belong to the workspace, not a caller

_Key = tuple[str, str, str | None, str, str | None]
log = logging.getLogger("lakeworks.security")


class Buffer:
    """Amounts waiting to be written, added up per group (thread-safe)."""

    def __init__(self) -> None:
        self._amounts: dict[_Key, float] = {}
        self._lock = threading.Lock()

    def add(
        self, ctx: Context, kind: str, amount: float, pipeline: str | None, obj: str | None
    ) -> int:
        """Add ``amount`` to its group; returns how many groups are waiting."""
        key = (ctx.workspace, ctx.user, pipeline, kind, obj)
        with self._lock:
            old = self._amounts.get(key, 0.0)
            self._amounts[key] = max(old, amount) if kind in PEAK_KINDS else old + amount
            return len(self._amounts)

    def take(self) -> list[UsageRecord]:
        """Every waiting group as a record stamped now; the buffer is empty after."""
        with self._lock:
            amounts, self._amounts = self._amounts, {}
        moment = datetime.now(UTC)
        return [UsageRecord(*key[:4], key[4], float(a), moment) for key, a in amounts.items()]

    def restore(self, records: list[UsageRecord]) -> None:
        """Put back records that could not be written (they are added up again)."""
        with self._lock:
            for r in records:
                key = (r.workspace, r.user, r.pipeline, r.kind, r.obj)
                old = self._amounts.get(key, 0.0)
                peak = r.kind in PEAK_KINDS
                self._amounts[key] = max(old, r.amount) if peak else old + r.amount


class Usage:
    """The platform's meter, and the storage samples costs are made from."""

    def __init__(self, ledger: Ledger, measures: Measures, settings: Settings) -> None:
        self.ledger = ledger
        self.measures = measures
        self.flush_seconds = settings.usage_flush_seconds
        self.flush_size = settings.usage_flush_size
        self._buffer = Buffer()
        self._flushed = time.monotonic()
        self._flushing = threading.Lock()

    def record(
        self,
        ctx: Context,
        kind: str,
        amount: float,
        *,
        pipeline: str | None = None,
        obj: str | None = None,
    ) -> None:
        waiting = self._buffer.add(ctx, kind, amount, pipeline, obj)
        due = time.monotonic() - self._flushed >= self.flush_seconds
        if (due or waiting >= self.flush_size) and self._flushing.acquire(blocking=False):
            try:  # one caller writes the batch; the others go on without waiting
                self._write()
            except Exception:  # metering never fails the work it meters: kept for later
                log.exception("writing metered usage failed; it is kept for the next flush")
            finally:
                self._flushing.release()

    def flush(self) -> None:
        """Write every waiting amount now."""
        with self._flushing:
            self._write()

    def sample(self, workspaces: Iterable[str] | None = None) -> list[UsageRecord]:
        """Record the bytes each workspace (default: every one) holds now, per store."""
        names = workspaces or [w.name for w in self.ledger.catalog.workspaces()]
        moment = datetime.now(UTC)
        records = [
            UsageRecord(ws, SAMPLER, None, kind, None, float(size), moment)
            for ws in names
            for kind, size in self.measures.stored_bytes(ws).items()
        ]
        self.ledger.add_usage(records)
        return records

    def close(self) -> None:
        self.flush()

    def _write(self) -> None:
        self._flushed = time.monotonic()
        records = self._buffer.take()
        try:
            self.ledger.add_usage(records)
        except BaseException:
            self._buffer.restore(records)
            raise


class Sampler:
    """A daemon thread that samples storage every ``seconds`` (0: never) and writes the
    meter's buffer, for a long-running server. ``stop`` ends it and flushes."""

    def __init__(self, usage: Usage, seconds: float) -> None:
        self.usage = usage
        self.seconds = seconds
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Sampler:
        if self.seconds > 0:
            self._thread = threading.Thread(target=self._loop, name="lw-usage", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(10)
        self.usage.flush()

    def _loop(self) -> None:
        while not self._stopped.is_set():
            try:
                self.usage.sample()
                self.usage.flush()
            except Exception:  # a failed sample is retried at the next; never kills the server
                log.exception("sampling storage usage failed")
            self._stopped.wait(self.seconds)


__all__ = ["STORAGE_KINDS", "Buffer", "Sampler", "Usage"]
