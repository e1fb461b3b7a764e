"""The interface of rate counters: requests taken per workspace, quota and second.

A rate quota (``serving_requests_per_second``) is counted by a ``Rates``: ``take`` admits
one request or returns the use that refuses it; ``used`` reads this second's count. Two
backends: ``local.py`` counts in this process (each replica enforces the limit alone),
``redis.py`` counts in Redis, shared by every process of a deployment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class RateCapabilities:
    """What a backend offers: ``shared``: one count for every process using it."""

    shared: bool


class Rates(Protocol):
    capabilities: RateCapabilities

    def take(self, workspace: str, quota: str, limit: float) -> float | None:
        """Take one request of this second: None when admitted, else the use that
        refuses it (the requests already taken this second)."""

    def used(self, workspace: str, quota: str) -> float:
        """The requests taken this second (by every process sharing the count)."""

    def close(self) -> None:
        """Release connections."""
