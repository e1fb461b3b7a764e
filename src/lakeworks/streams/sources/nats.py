"""NATS JetStream as a source: a durable pull consumer with explicit acknowledgements.

Offsets are JetStream stream sequences, so the sink records them in its Delta commits
(exactly once). The Delta table is the truth about what was written: on start, and
after any disconnect (a restarted server, a dropped connection), the durable consumer
is created again to deliver from just after the last committed sequence. Messages that
were in flight when the connection broke are therefore read again in order, never
skipped because newer ones arrived first, and the events held in memory are dropped.

nats-py is asyncio; the source runs its client on an event loop in a thread of its own
so that the sink stays synchronous.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from lakeworks.errors import MissingDependencyError, NotFoundError, UnavailableError
from lakeworks.streams.log.base import Event
from lakeworks.streams.sources.base import Source

log = logging.getLogger("lakeworks.streams")
CALL_TIMEOUT = 10.0  # seconds one client call may take before the source gives up on it
PULL = 10_000  # most messages asked for in one pull request
ACK_WAIT = 60.0
# unacknowledged messages the server lets the consumer hold: a whole micro-batch (the
# server's default, 1,000, would cut every batch to 1,000 events)
MAX_ACK_PENDING = 1_000_000  # seconds JetStream waits for an ack before it redelivers a message


@dataclass(frozen=True)
class NatsAddress:
    server: str  # nats://host:port
    subject: str
    durable: str


class NatsSource(Source):
    """Reads ``address.subject`` through the durable consumer ``address.durable`` of the
    JetStream stream holding that subject (which must exist: other systems write it)."""

    def __init__(self, address: NatsAddress) -> None:
        try:
            import nats  # noqa: F401
        except ImportError as exc:
            raise MissingDependencyError("nats-py", "streams") from exc
        self.address = address
        self.name = f"nats:{address.subject}"
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._nc: Any = None
        self._js: Any = None
        self._sub: Any = None
        self._stream = ""
        self._position = -1  # the last committed (acknowledged) stream sequence
        self._held: list[tuple[Event, Any]] = []  # read, not acknowledged: (event, msg)
        self._broken = True  # the consumer must be (re)created before the next fetch

    # the sink's calls ---------------------------------------------------------------
    def start(self, position: int) -> None:
        self._position = position
        self._call(self._connect())
        self._reset()

    def read(self, count: int, wait: float) -> list[Event]:
        if self._broken:
            self._reset()
        if self._held:
            return [e for e, _ in self._held[:count]]
        try:
            msgs = self._call(self._fetch(count, wait))
        except UnavailableError:
            self._broken = True
            raise
        last = self._position
        for msg in msgs:
            seq = msg.metadata.sequence.stream
            if seq <= last:  # a redelivery of what was committed: acknowledge it again
                self._loop.call_soon_threadsafe(asyncio.ensure_future, msg.ack())
                continue
            self._held.append((Event(str(seq), seq, msg.data), msg))
            last = seq
        return [e for e, _ in self._held]

    def ack(self, events: Sequence[Event]) -> None:
        done = {e.offset for e in events}
        self._position = max(self._position, *done) if done else self._position
        acked = [m for e, m in self._held if e.offset in done]
        self._held = [(e, m) for e, m in self._held if e.offset not in done]
        try:
            self._call(_ack_all(acked))
        except UnavailableError:
            self._broken = True  # the position is committed; the consumer restarts after it

    def close(self) -> None:
        if self._nc is not None:
            with contextlib.suppress(UnavailableError):
                self._call(self._nc.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    # the client -----------------------------------------------------------------------
    def _call(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout=CALL_TIMEOUT + 5)
        except (NotFoundError, MissingDependencyError):
            raise
        except Exception as exc:
            future.cancel()
            raise UnavailableError(
                f"NATS at {self.address.server} ({self.address.subject}): "
                f"{type(exc).__name__}: {exc}",
                hint="is nats-server running with JetStream (nats-server -js)?",
                source=self.name,
            ) from exc

    def _reset(self) -> None:
        self._held = []
        self._call(self._consumer())
        self._broken = False

    async def _connect(self) -> None:
        import nats

        async def disconnected() -> None:
            self._broken = True

        async def failed(exc: Exception) -> None:  # the client reconnects on its own
            log.warning("NATS at %s: %s: %s", self.address.server, type(exc).__name__, exc)

        self._nc = await nats.connect(
            self.address.server,
            connect_timeout=2,
            reconnect_time_wait=0.2,
            max_reconnect_attempts=-1,
            disconnected_cb=disconnected,
            error_cb=failed,
            allow_reconnect=True,
        )
        self._js = self._nc.jetstream(timeout=CALL_TIMEOUT)

    async def _consumer(self) -> None:
        """The durable consumer, created anew to deliver after the committed position."""
        from nats.js import api
        from nats.js.errors import NotFoundError as NatsNotFound

        a = self.address
        try:
            self._stream = await self._js.find_stream_name_by_subject(a.subject)
        except NatsNotFound:
            raise NotFoundError(
                f"no JetStream stream holds subject {a.subject!r} on {a.server}",
                hint=f"create one: nats stream add --subjects {a.subject!r}",
                subject=a.subject,
            ) from None
        if self._sub is not None:
            await self._sub.unsubscribe()
        with contextlib.suppress(NatsNotFound):
            await self._js.delete_consumer(self._stream, a.durable)
        start = self._position + 1
        config = api.ConsumerConfig(
            durable_name=a.durable,
            ack_policy=api.AckPolicy.EXPLICIT,
            ack_wait=ACK_WAIT,
            max_ack_pending=MAX_ACK_PENDING,
            filter_subject=a.subject,
            deliver_policy=api.DeliverPolicy.BY_START_SEQUENCE
            if start > 0
            else api.DeliverPolicy.ALL,
            opt_start_seq=start if start > 0 else None,
        )
        await self._js.add_consumer(self._stream, config)
        self._sub = await self._js.pull_subscribe_bind(a.durable, self._stream)

    async def _fetch(self, count: int, wait: float) -> list[Any]:
        """Up to ``count`` messages: pulls until that many or ``wait`` seconds are over
        (one pull returns what the server has at hand, often fewer)."""
        import nats.errors

        loop = asyncio.get_running_loop()
        deadline, got = loop.time() + wait, []
        while len(got) < count:
            left = deadline - loop.time()
            try:
                got += await self._sub.fetch(
                    batch=min(count - len(got), PULL), timeout=max(left, 0.05)
                )
            except (TimeoutError, nats.errors.TimeoutError):  # none came in time
                break
            if left <= 0:
                break
        return got


async def _ack_all(msgs: Sequence[Any]) -> None:
    for msg in msgs:
        await msg.ack()
