"""A consumer in a consumer group: read, process, acknowledge.

Each ``read`` first takes over events another consumer of the group was given and did
not acknowledge within the visibility timeout (that consumer is presumed dead), then
delivers new events. An event not acknowledged is delivered again: at-least-once, so
processing should be idempotent (the Delta sink, ``sink.py``, is exactly-once).

Example:
    >>> consumer = ws.streams.consumer("clicks", group="emails", name="worker-1")  # doctest: +SKIP
    >>> for event in consumer.read(100):  # doctest: +SKIP
    ...     send(event.data)
    >>> consumer.ack(events)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from lakeworks.streams.log.base import Event, EventLog


@dataclass(frozen=True)
class Consumer:
    log: EventLog
    stream: str
    key: str
    group: str
    name: str
    visibility: timedelta

    def read(self, count: int = 100, block: float | None = None) -> list[Event]:
        """Up to ``count`` events: those left by dead consumers first, then new ones
        (waiting up to ``block`` seconds for the first)."""
        claimed = self.log.claim(self.key, self.group, self.name, self.visibility, count)
        if len(claimed) >= count:
            return claimed
        wait = timedelta(seconds=block) if block else None
        return claimed + self.log.read(
            self.key, self.group, self.name, count - len(claimed), block=wait
        )

    def pending(self, count: int = 100) -> list[Event]:
        """This consumer's own unacknowledged events, delivered again (after a restart)."""
        return self.log.read(self.key, self.group, self.name, count, pending=True)

    def ack(self, events: Sequence[Event | str]) -> int:
        """Acknowledge events (or their ids); returns how many were pending."""
        ids = [e if isinstance(e, str) else e.id for e in events]
        return self.log.ack(self.key, self.group, ids)
