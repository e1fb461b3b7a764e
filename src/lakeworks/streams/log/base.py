"""The event log interface: append-only streams read through consumer groups.

A stream is an ordered list of events; each event has an id (a string the backend
chooses), an ``offset`` (an integer that orders events of one stream) and a payload
(bytes). A consumer group reads a stream once between its consumers: ``read`` delivers
events no consumer of the group has seen and records them as *pending* for the consumer
that got them, until ``ack``. ``read(pending=True)`` delivers a consumer's own pending
events again (after a crash or a failed batch), and ``claim`` moves events pending longer
than a visibility timeout from a dead consumer to a live one. Both count deliveries.

The backends (``sqlite.py``, embedded default; ``redis.py``, Redis Streams) pass one
contract suite, ``tests/contracts/test_event_log_contract.py``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import NamedTuple


class Event(NamedTuple):
    """One event: ``deliveries`` counts how often it was delivered to the reading group
    (0 when it was read without a group: ``tail``).

    A NamedTuple rather than a frozen dataclass: a sink builds 100,000 of these per
    micro-batch, and a tuple is built several times faster (no ``object.__setattr__``).
    """

    id: str
    offset: int
    data: bytes
    deliveries: int = 0


@dataclass(frozen=True)
class GroupInfo:
    """A consumer group: ``lag`` events not delivered yet, ``pending`` delivered and not
    acknowledged; ``last_delivered`` is the id of the newest delivered event."""

    stream: str
    name: str
    consumers: int
    pending: int
    lag: int
    last_delivered: str | None


@dataclass(frozen=True)
class StreamInfo:
    name: str
    length: int
    first_id: str | None
    last_id: str | None
    groups: int


@dataclass(frozen=True)
class LogCapabilities:
    """What a backend offers beyond the contract: ``shared`` when processes on other
    machines reach the same log (Redis), not only this machine's (the SQLite file)."""

    shared: bool = False


class EventLog(ABC):
    """Streams of events with consumer groups. Stream, group and consumer names are
    checked by the service before they reach a backend."""

    capabilities = LogCapabilities()

    @abstractmethod
    def publish(
        self, stream: str, payloads: Sequence[bytes], maxlen: int | None = None
    ) -> list[str]:
        """Append ``payloads`` in order (creating the stream); returns their ids.
        ``maxlen`` trims the stream to about that many newest events (at least that many
        are kept)."""

    @abstractmethod
    def create_group(self, stream: str, group: str, start: str = "0") -> bool:
        """Create ``group`` (and the stream, empty) reading from the start (``"0"``) or
        only events published later (``"$"``); False when it existed already."""

    @abstractmethod
    def read(
        self,
        stream: str,
        group: str,
        consumer: str,
        count: int,
        *,
        block: timedelta | None = None,
        pending: bool = False,
    ) -> list[Event]:
        """Deliver up to ``count`` new events to ``consumer`` (waiting up to ``block`` for
        the first), or with ``pending=True`` its own unacknowledged ones again.
        Raises NotFoundError when the group does not exist."""

    @abstractmethod
    def ack(self, stream: str, group: str, ids: Sequence[str]) -> int:
        """Acknowledge events; returns how many were pending."""

    @abstractmethod
    def claim(
        self, stream: str, group: str, consumer: str, min_idle: timedelta, count: int
    ) -> list[Event]:
        """Move to ``consumer`` up to ``count`` events pending (in any consumer) for at
        least ``min_idle``, oldest first, and deliver them to it."""

    def group(self, stream: str, group: str) -> GroupInfo:
        """Lag and pending counts; NotFoundError for an unknown stream or group."""
        for info in self.groups(stream):
            if info.name == group:
                return info
        raise missing_group(stream, group)

    @abstractmethod
    def groups(self, stream: str) -> list[GroupInfo]:
        """Every group of ``stream`` ([] for an unknown stream)."""

    @abstractmethod
    def tail(self, stream: str, count: int) -> list[Event]:
        """The newest ``count`` events, oldest first ([] for an unknown stream)."""

    @abstractmethod
    def trim(
        self, stream: str, *, maxlen: int | None = None, older_than: timedelta | None = None
    ) -> int:
        """Delete events beyond the newest ``maxlen`` and events published more than
        ``older_than`` ago (exactly); returns how many were deleted."""

    @abstractmethod
    def streams(self, prefix: str = "") -> list[StreamInfo]:
        """The streams whose names start with ``prefix``, by name."""

    @abstractmethod
    def delete(self, stream: str) -> bool:
        """Delete a stream with its events and groups; False when it did not exist."""

    def close(self) -> None:  # noqa: B027 - backends without connections need nothing
        """Release connections."""


def missing_group(stream: str, group: str) -> Exception:
    from lakeworks.errors import NotFoundError

    return NotFoundError(
        f"consumer group {group!r} of stream {stream!r} does not exist",
        hint="a group is created by its first reader (lakeworks streams ingest)",
        stream=stream,
        group=group,
    )


def missing_stream(stream: str) -> Exception:
    from lakeworks.errors import NotFoundError

    return NotFoundError(
        f"stream {stream!r} does not exist",
        hint="publish to it first (lakeworks streams publish)",
        stream=stream,
    )
