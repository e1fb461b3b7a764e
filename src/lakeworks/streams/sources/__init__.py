"""External stream sources (NATS JetStream, MQTT, Redis Streams) and the workspace's own log, behind
one small interface (``base.Source``); ``open_source`` opens one from its URL."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from lakeworks.errors import InvalidInputError
from lakeworks.streams.sources.base import Source, SourceCapabilities

__all__ = ["Source", "SourceCapabilities", "open_source"]

DEFAULT_PORTS = {"nats": 4222, "mqtt": 1883, "redis": 6379}


def open_source(url: str, consumer: str) -> Source:
    """The source at ``url`` (``nats://host:port/subject``, ``mqtt://host:port/topic``,
    ``redis://host:port/key?db=0&field=data``); ``consumer`` names its durable consumer
    (NATS), persistent session (MQTT) or consumer group (Redis)."""
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
    if parts.scheme == "redis":
        return _redis(url, parts.netloc, path, parts.query, consumer)
    from lakeworks.streams.sources.mqtt import MqttAddress, MqttSource

    return MqttSource(MqttAddress(parts.hostname, port, path, consumer))


def _redis(url: str, netloc: str, key: str, query: str, group: str) -> Source:
    from lakeworks.streams.sources.redis import RedisAddress, RedisSource

    options = {k: v[-1] for k, v in parse_qs(query).items()}
    unknown = set(options) - {"db", "field"}
    if unknown or not options.get("db", "0").isdigit():
        raise InvalidInputError(
            f"source {url!r}: the options are db (a number) and field, not {sorted(options)}",
            hint="redis://host:6379/orders?db=0&field=data",
            source=url,
        )
    address = f"redis://{netloc}/{options.get('db', '0')}"
    return RedisSource(RedisAddress(address, key, group, options.get("field")))
