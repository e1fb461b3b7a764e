"""The one cache type of the package: bounded, keyed by value, thread-safe.

Rules every user of it keeps (``tests/test_cache.py`` proves the ones this class enforces):

- **Keyed by value.** A key says what the content is made from: a table's URI and Delta
  version, a definition's name and version, a stored text. Never ``id()`` of an object:
  a rebuilt object may get the id of a dead one and be served its stale entry.
- **Bounded.** At most ``size`` entries; adding one more evicts the least recently used.
- **Immutable values.** Only values no caller can change are stored (frozen dataclasses,
  tuples, text); a value with anything mutable in it is rebuilt per caller instead.
- **Invalidation** is by key: a changed input is a new key, so a stale entry is never
  found again and ages out. ``discard`` drops the keys a caller knows are dead, and
  ``clear`` drops everything.

Example:
    >>> plans = BoundedCache(2)
    >>> plans.get_or_make(("orders", 3), lambda: "plan of v3")
    'plan of v3'
    >>> plans.get(("orders", 4)) is None
    True
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Generic, TypeVar

V = TypeVar("V")


class BoundedCache(Generic[V]):
    """A least-recently-used map of at most ``size`` entries."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"a cache holds at least one entry, not {size}")
        self.size = size
        self._entries: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()
        self._find, self._touch = self._entries.get, self._entries.move_to_end  # hot path

    def get(self, key: Hashable) -> V | None:
        """The value stored under ``key`` (now the most recently used), or None.

        Without the lock (a read is on the hot path of online lookups): each OrderedDict
        call is atomic under the GIL, and an entry evicted between the two is still a hit.
        """
        value = self._find(key)
        if value is not None:
            try:  # noqa: SIM105 - contextlib.suppress costs more, and this is a hot path
                self._touch(key)
            except KeyError:  # evicted by another thread just now
                pass
        return value

    def put(self, key: Hashable, value: V) -> V:
        """Store ``value`` under ``key``, evicting the least recently used beyond ``size``."""
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value

    def get_or_make(self, key: Hashable, make: Callable[[], V]) -> V:
        """The value under ``key``, made and stored first when absent (``make`` runs
        outside the lock: two threads may both make it; either result is the same)."""
        found = self.get(key)
        return found if found is not None else self.put(key, make())

    def discard(self, keys: Iterable[Hashable]) -> None:
        with self._lock:
            for key in keys:
                self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
