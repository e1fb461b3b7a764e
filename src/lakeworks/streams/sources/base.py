"""The source interface: where a Delta sink reads its events from.

A source delivers events (``Event``: id, offset, payload) in micro-batches and takes
them back as acknowledged once the sink has committed them. Whether an event's
``offset`` is a *position* the source can resume from is a capability:

- positioned (the built-in log, NATS JetStream): offsets are the source's own ordering
  (log offset, JetStream stream sequence). The sink records the batch's last offset in
  the Delta commit and, on start, hands it back to ``start`` so the source resumes just
  after it: exactly once.
- unpositioned (MQTT): offsets only order the events of one process. The sink records
  nothing and the source redelivers what was not acknowledged: at least once, with
  duplicates dropped by a message key when the ingest names one.

Backends: ``log.py`` (the workspace's event log), ``nats.py``, ``mqtt.py``; a source URL
is opened by ``lakeworks.streams.sources.open_source``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from lakeworks.streams.log.base import Event


@dataclass(frozen=True)
class SourceCapabilities:
    """``positioned``: offsets survive a restart and ``start(position)`` resumes after
    one (exactly once); otherwise the source delivers at least once."""

    positioned: bool = True


class Source(ABC):
    """Events for one sink. ``name`` identifies the source in the sink's transaction
    identifier and in lineage (``stream:<name>``)."""

    capabilities = SourceCapabilities()
    name: str

    @abstractmethod
    def start(self, position: int) -> None:
        """Connect and resume after ``position`` (the last committed offset, -1 when
        none). Unacknowledged events of an earlier run are delivered first."""

    @abstractmethod
    def read(self, count: int, wait: float) -> list[Event]:
        """Up to ``count`` events, waiting up to ``wait`` seconds for them, in offset
        order; events read earlier and not acknowledged come first."""

    @abstractmethod
    def ack(self, events: Sequence[Event]) -> None:
        """Acknowledge committed events: the source will not deliver them again."""

    def close(self) -> None:  # noqa: B027 - sources without connections need nothing
        """Release connections."""
