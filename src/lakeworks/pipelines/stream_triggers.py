"""Pipelines started by events on a stream, batched: at most one run per ``events``
events or per ``seconds`` seconds.

Each tick the scheduler asks the trigger's consumer group (``pipeline_<name>``, created
at the stream's end when the pipeline is first seen, so only later events count) how
many events wait. A run is created when ``events`` of them wait, or when the first of
them has waited ``seconds``; it covers every event waiting then, whose ids it names
(run key ``stream:<stream>@<first id>..<last id>``), and the events are acknowledged
only after the run exists. A scheduler that dies in between reads the same events again
and creates a run with the same key, which the catalog refuses as a duplicate: one run
per batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from lakeworks.context import Context, check_name
from lakeworks.errors import InvalidInputError
from lakeworks.pipelines.records import NewRun
from lakeworks.pipelines.schedule import utc

if TYPE_CHECKING:
    from lakeworks.streams.service import Streams

CONSUMER = "scheduler"
_READ = 10_000


@dataclass(frozen=True)
class StreamTrigger:
    """Start the pipeline when ``events`` events arrived on ``stream``, or ``seconds``
    after the first of them, whichever comes first.

    Example:
        >>> StreamTrigger("orders", events=1000, seconds=60).spec()
        {'stream': 'orders', 'events': 1000, 'seconds': 60.0}
    """

    stream: str
    events: int = 1
    seconds: float = 60.0

    def __post_init__(self) -> None:
        check_name("stream", self.stream)
        if self.events < 1 or self.seconds <= 0:
            raise InvalidInputError(
                f"the trigger on stream {self.stream!r} needs events >= 1 and seconds > 0, "
                f"not {self.events} and {self.seconds}",
                stream=self.stream,
            )

    def spec(self) -> dict[str, Any]:
        return {"stream": self.stream, "events": self.events, "seconds": float(self.seconds)}


def due_run(
    streams: Streams,
    ctx: Context,
    pipeline: str,
    trigger: StreamTrigger,
    state: dict[str, Any],
    moment: datetime,
) -> NewRun | None:
    """The run the trigger's waiting events call for now, if any; updates ``state``
    (when the first waiting event was seen). The caller acknowledges with ``done``."""
    group, slot = f"pipeline_{pipeline}", f"stream:{trigger.stream}"
    streams.consumer(ctx, trigger.stream, group, CONSUMER, start="$")
    info = streams.lag(ctx, trigger.stream, group)
    waiting = info.lag + info.pending
    if not waiting:
        state.pop(slot, None)
        return None
    first_seen = utc(state.setdefault(slot, moment.isoformat()))
    old = (moment - first_seen).total_seconds() >= trigger.seconds
    if waiting < trigger.events and not old:
        return None
    ids = _waiting_ids(streams, ctx, trigger.stream, group)
    if not ids:
        return None
    return NewRun(f"{slot}@{ids[0]}..{ids[-1]}", "stream", {}, first_seen, moment)


def done(
    streams: Streams, ctx: Context, pipeline: str, trigger: StreamTrigger, run: NewRun
) -> None:
    """Acknowledge the events ``run`` covers (through its last id)."""
    last = (run.run_key or "").rpartition("..")[2]
    group = f"pipeline_{pipeline}"
    worker = streams.consumer(ctx, trigger.stream, group, CONSUMER, start="$")
    ids = _waiting_ids(streams, ctx, trigger.stream, group)
    worker.ack([i for i in ids if _order(i) <= _order(last)])


def _waiting_ids(streams: Streams, ctx: Context, stream: str, group: str) -> list[str]:
    worker = streams.consumer(ctx, stream, group, CONSUMER, start="$")
    events = worker.pending(_READ)
    while True:
        got = worker.read(_READ)
        events += got
        if len(got) < _READ:
            break
    return [e.id for e in sorted(events, key=lambda e: e.offset)]


def _order(event_id: str) -> tuple[int, ...]:
    return tuple(int(part) for part in event_id.split("-"))
