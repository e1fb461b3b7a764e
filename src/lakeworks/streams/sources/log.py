"""The workspace's own event log as a source: a consumer group of one stream."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta

from lakeworks.streams.log.base import Event, EventLog
from lakeworks.streams.sources.base import Source


class LogSource(Source):
    """Reads ``key`` through ``group`` as ``consumer``. One sink reads a group: it takes
    over the group's unacknowledged events when it starts, so they come first.

    With ``redeliver=False``, events read and not acknowledged come again only after the
    next ``start``, not on every read: for a reader that holds events unacknowledged over
    many reads (a stream feature processor commits every second, not every read)."""

    def __init__(
        self,
        log: EventLog,
        name: str,
        key: str,
        group: str,
        consumer: str,
        redeliver: bool = True,
    ) -> None:
        self.log, self.name, self.key = log, name, key
        self.group, self.consumer = group, consumer
        self.redeliver = redeliver
        self._replayed = False  # the pending events were read since the last start

    def start(self, position: int) -> None:
        self._replayed = False
        self.log.create_group(self.key, self.group, "0")
        pending = self.log.group(self.key, self.group).pending
        if pending:
            self.log.claim(self.key, self.group, self.consumer, timedelta(0), pending)

    def read(self, count: int, wait: float) -> list[Event]:
        events: list[Event] = []
        if self.redeliver or not self._replayed:
            events = self.log.read(self.key, self.group, self.consumer, count, pending=True)
            self._replayed = len(events) < count  # all of them were read
        deadline = time.monotonic() + wait
        while len(events) < count:
            left = deadline - time.monotonic()
            block = timedelta(seconds=left) if left > 0 else None
            got = self.log.read(
                self.key, self.group, self.consumer, count - len(events), block=block
            )
            events += got
            if not got or left <= 0:
                break
        return events

    def ack(self, events: Sequence[Event]) -> None:
        self.log.ack(self.key, self.group, [e.id for e in events])
