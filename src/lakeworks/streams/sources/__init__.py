"""External stream sources (NATS JetStream, MQTT) and the workspace's own log, behind
one small interface (``base.Source``); ``open_source`` opens one from its URL."""

from __future__ import annotations

from urllib.parse import urlsplit

from lakeworks.errors import InvalidInputError
from lakeworks.streams.sources.base import Source, SourceCapabilities

__all__ = ["Source", "SourceCapabilities", "open_source"]

DEFAULT_PORTS = {"nats": 4222, "mqtt": 1883}


def open_source(url: str, consumer: str) -> Source:
    """The source at ``url`` (``nats://host:port/subject``, ``mqtt://host:port/topic``);
    ``consumer`` names its durable consumer (NATS) or persistent session (MQTT)."""
    parts = urlsplit(url)
    path = parts.path.lstrip("/")
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or not path:
        raise InvalidInputError(
            f"source {url!r} is not a source URL: expected nats://host:port/subject "
            "or mqtt://host:port/topic",
            source=url,
        )
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError as exc:
        raise InvalidInputError(f"source {url!r}: {exc}", source=url) from exc
    if parts.scheme == "nats":
        from lakeworks.streams.sources.nats import NatsAddress, NatsSource

        subject = path.replace("/", ".")
        return NatsSource(NatsAddress(f"nats://{parts.hostname}:{port}", subject, consumer))
    from lakeworks.streams.sources.mqtt import MqttAddress, MqttSource

    return MqttSource(MqttAddress(parts.hostname, port, path, consumer))
