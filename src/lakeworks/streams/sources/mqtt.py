"""MQTT as a source: a QoS 1 subscriber with a persistent session (MQTT 5, clean start
off, a session expiry), acknowledging each message only after its batch is committed.

MQTT has no position to resume from, so the guarantee is *at least once*: the broker
keeps the session (subscription and unacknowledged messages) while the sink is down, up
to ``SESSION_EXPIRY``, and delivers it on reconnect, including messages the sink had
read but not committed. The sink drops the duplicates this creates when the ingest names
a message key (``key="id"``); without one a message can land twice.

Acknowledgements name a packet id of one connection: after a reconnect the events read
on the old connection are dropped (the broker delivers them again) and never acked.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lakeworks.errors import MissingDependencyError, UnavailableError
from lakeworks.streams.log.base import Event
from lakeworks.streams.sources.base import Source, SourceCapabilities

SESSION_EXPIRY = 7 * 24 * 3600  # seconds the broker keeps the session of a stopped sink
CONNECT_TIMEOUT = 10.0


@dataclass(frozen=True)
class MqttAddress:
    host: str
    port: int
    topic: str
    client_id: str  # stable across runs: the broker finds the session by it


class MqttSource(Source):
    capabilities = SourceCapabilities(positioned=False)

    def __init__(self, address: MqttAddress) -> None:
        try:
            import paho.mqtt.client  # noqa: F401
        except ImportError as exc:
            raise MissingDependencyError("paho-mqtt", "streams") from exc
        self.address = address
        self.name = f"mqtt:{address.topic}"
        self._inbox: queue.Queue[tuple[int, Event]] = queue.Queue()
        self._held: list[Event] = []
        self._offsets = itertools.count()  # orders the events of this process
        self._session = 0  # counts connections; event ids are "<session>:<packet id>"
        self._connected = threading.Event()
        self._client: Any = None

    def start(self, position: int) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        a = self.address
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=a.client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.reconnect_delay_set(min_delay=1, max_delay=5)
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = SESSION_EXPIRY
        self._client = client
        try:
            client.connect(a.host, a.port, clean_start=False, properties=properties)
        except OSError as exc:
            raise self._unavailable(exc) from exc
        client.loop_start()
        if not self._connected.wait(CONNECT_TIMEOUT):
            self.close()
            raise self._unavailable(TimeoutError("no CONNACK"))

    def read(self, count: int, wait: float) -> list[Event]:
        session = self._session
        self._held = [e for e in self._held if _session(e) == session]
        deadline = time.monotonic() + wait
        while len(self._held) < count:
            try:
                got_session, event = self._inbox.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if got_session == self._session:
                self._held.append(event)
        return self._held[:count]

    def ack(self, events: Sequence[Event]) -> None:
        done = {e.id for e in events}
        for event in events:
            if _session(event) == self._session:
                self._client.ack(int(event.id.split(":")[1]), 1)
        self._held = [e for e in self._held if e.id not in done]

    def close(self) -> None:
        """Disconnect once the acknowledgements are written (else the broker delivers
        those messages again)."""
        if self._client is not None:
            deadline = time.monotonic() + CONNECT_TIMEOUT
            while self._client.want_write() and time.monotonic() < deadline:
                time.sleep(0.01)
            self._client.disconnect()
            self._client.loop_stop()

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            return
        self._session += 1
        client.subscribe(self.address.topic, qos=1)
        self._connected.set()

    def _on_disconnect(
        self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        self._session += 1  # what was read on that connection can no longer be acked

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        event = Event(f"{self._session}:{msg.mid}", next(self._offsets), msg.payload)
        self._inbox.put((self._session, event))

    def _unavailable(self, exc: BaseException) -> UnavailableError:
        a = self.address
        return UnavailableError(
            f"MQTT broker at {a.host}:{a.port} ({a.topic}): {type(exc).__name__}: {exc}",
            hint="is the broker (mosquitto) running?",
            source=self.name,
        )


def _session(event: Event) -> int:
    return int(event.id.split(":")[0])
