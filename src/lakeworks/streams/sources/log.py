"""The workspace's own event log as a source: a consumer group of one stream."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta

from lakeworks.streams.log.base import Event, EventLog
from lakeworks.streams.sources.base import Source


class LogSource(Source):
    """Reads ``key`` through ``group`` as ``consumer``. One sink reads a group: it takes
    over the group's unacknowledged events when it starts, so they come first."""

    def __init__(self, log: EventLog, name: str, key: str, group: str, consumer: str) -> None:
        self.log, self.name, self.key = log, name, key
        self.group, self.consumer = group, consumer

    def start(self, position: int) -> None:
        self.log.create_group(self.key, self.group, "0")
        pending = self.log.group(self.key, self.group).pending
        if pending:
            self.log.claim(self.key, self.group, self.consumer, timedelta(0), pending)

    def read(self, count: int, wait: float) -> list[Event]:
        events = self.log.read(self.key, self.group, self.consumer, count, pending=True)
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
