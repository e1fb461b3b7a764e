"""Traffic policies: which slot answers a request, and which gets a shadow copy.

A request's bucket (0..99) is a hash of its key (a customer id, say), so the same key
always meets the same slot (A/B stickiness); requests without a key use their request id.

Example:
    >>> from lakeworks.serving.endpoints import EndpointConfig, Slot
    >>> ab = EndpointConfig("e", 2, "ab", (Slot("live", "m", 1), Slot("candidate", "m", 2)), 50)
    >>> route(ab, "customer-7") == route(ab, "customer-7")
    True
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from lakeworks.serving.endpoints import EndpointConfig, Slot


@dataclass(frozen=True)
class Route:
    answer: Slot
    shadow: Slot | None = None


def bucket(key: str) -> int:
    """A stable 0..99 bucket of ``key`` (the same in every process and replica)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big") % 100


def route(config: EndpointConfig, key: str) -> Route:
    candidate = config.candidate
    if candidate is None:
        return Route(config.live)
    if config.strategy == "shadow":
        return Route(config.live, shadow=candidate)
    if config.strategy in ("canary", "ab") and bucket(key) < config.share:
        return Route(candidate)
    return Route(config.live)
