"""One thread per process that calls functions at their deadlines: statement timeouts.

A statement's time limit used to start a ``threading.Timer`` (a new thread) per statement
run, ~0.2-0.3 ms of a tiny query. Here every deadline of the process waits in one heap,
watched by one daemon thread that is started on first use (and again in a forked child,
which inherits no threads). Setting and clearing a deadline costs a lock and a heap push.

A call runs on the watchdog thread, so it must be quick and must not block (interrupting a
DuckDB connection is); an exception it raises is logged and the watchdog carries on.

Example:
    >>> import threading
    >>> fired = threading.Event()
    >>> deadline = watchdog().schedule(0.01, fired.set)
    >>> fired.wait(5)
    True
    >>> watchdog().clear(deadline)  # a fired or cleared deadline may be cleared again
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

# Cleared deadlines stay in the heap until it is rebuilt; it is rebuilt once they outnumber
# the live ones (and there are more than this many), so the heap stays O(live deadlines).
_REBUILD_ABOVE = 64


class Watchdog:
    """Deadlines, each a function called once at its time unless cleared first."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._heap: list[tuple[float, int]] = []  # (when, deadline id), earliest first
        self._calls: dict[int, Callable[[], object]] = {}  # live deadlines only
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None

    @property
    def pending(self) -> int:
        """How many deadlines wait (set, neither fired nor cleared)."""
        return len(self._calls)

    def schedule(self, delay: float, call: Callable[[], object]) -> int:
        """Call ``call`` on the watchdog thread in ``delay`` seconds; returns the deadline's id."""
        when = time.monotonic() + delay
        with self._cond:
            deadline = next(self._ids)
            self._calls[deadline] = call
            heapq.heappush(self._heap, (when, deadline))
            if self._thread is None:
                self._start()
            elif self._heap[0][1] == deadline:  # the earliest now: the thread sleeps too long
                self._cond.notify()
        return deadline

    def clear(self, deadline: int) -> None:
        """Forget ``deadline``: its call will not run (unless it is running already)."""
        with self._cond:
            if self._calls.pop(deadline, None) is None:
                return
            if len(self._heap) > _REBUILD_ABOVE and len(self._heap) > 2 * len(self._calls):
                self._heap = [entry for entry in self._heap if entry[1] in self._calls]
                heapq.heapify(self._heap)

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._watch, name="lakeworks-watchdog", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while True:
            call = self._next_due()
            try:
                call()
            except Exception:  # a failed call must not stop the deadlines after it
                log.exception("a call of the statement watchdog failed")

    def _next_due(self) -> Callable[[], object]:
        """Wait until the earliest live deadline is due; remove it and return its call."""
        with self._cond:
            while True:
                heap = self._heap
                while heap and heap[0][1] not in self._calls:
                    heapq.heappop(heap)  # cleared
                if not heap:
                    self._cond.wait()
                    continue
                wait = heap[0][0] - time.monotonic()
                if wait <= 0:
                    _, deadline = heapq.heappop(heap)
                    return self._calls.pop(deadline)
                self._cond.wait(wait)


_watchdog: Watchdog | None = None
_watchdog_lock = threading.Lock()


def watchdog() -> Watchdog:
    """The process's watchdog (made on first use; its thread starts with the first deadline)."""
    global _watchdog
    found = _watchdog
    if found is not None:
        return found
    with _watchdog_lock:
        if _watchdog is None:
            _watchdog = Watchdog()
        return _watchdog


def _forget_in_child() -> None:
    """A forked child has no watchdog thread and maybe a held lock: it makes its own."""
    global _watchdog, _watchdog_lock
    _watchdog, _watchdog_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_in_child)
