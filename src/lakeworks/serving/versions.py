"""Which configuration version an endpoint serves, read from the catalog at most once per
``ttl`` seconds per endpoint and process.

Every prediction asks for the endpoint's current version (a replica picks up a promote or
a rollback made elsewhere without a restart). Asking the catalog each time costs a query
per request; here the answer is kept ``ttl`` seconds, so a change made by another process
is seen within ``ttl`` (the staleness bound, setting ``serving_version_ttl_ms``). A change
made through this process is seen at once: ``Serving`` calls ``seen`` after each write and
``forget`` after a delete. An unknown endpoint is never remembered (each request asks).

Example:
    >>> poll = VersionPoll(lambda ws, name: 3, ttl=1.0)
    >>> poll.current("default", "churn")
    3
"""

from __future__ import annotations

import time
from collections.abc import Callable

Read = Callable[[str, str], int]  # (workspace, endpoint) -> current version, or raise


class VersionPoll:
    """The current version of each endpoint, at most ``ttl`` seconds old (0: always read).

    Holds one small tuple per endpoint ever asked for in this process (endpoints are few);
    entries are replaced, never mutated, so readers need no lock.
    """

    def __init__(self, read: Read, ttl: float, clock: Callable[[], float] = time.monotonic):
        self.read = read
        self.ttl = ttl
        self.clock = clock
        self._known: dict[tuple[str, str], tuple[int, float]] = {}

    def current(self, workspace: str, name: str) -> int:
        key = (workspace, name)
        now = self.clock()
        known = self._known.get(key)
        if known is not None and now - known[1] < self.ttl:
            return known[0]
        version = self.read(workspace, name)
        self._known[key] = (version, now)
        return version

    def seen(self, workspace: str, name: str, version: int) -> None:
        """``version`` was just written here: serve it from now on."""
        self._known[(workspace, name)] = (version, self.clock())

    def forget(self, workspace: str, name: str) -> None:
        self._known.pop((workspace, name), None)
