"""The online store interface: latest feature values per entity key, one backend per file.

Values are stored per (workspace, view, entity key) as one record: the event time of the
value (microseconds since the epoch, UTC) and the features as a JSON object. A write
keeps the stored record when it is newer than the incoming one, so materializations and
pushes may arrive in any order.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple


@dataclass(frozen=True)
class OnlineCapabilities:
    """What a backend offers, as data.

    shared: several processes and hosts see the same values (Redis), or one host (SQLite).
    """

    shared: bool


class Record(NamedTuple):
    """One stored value: event time in microseconds and the features as a JSON text.

    A named tuple rather than a dataclass: a read of many keys builds one per key, and a
    tuple is the cheapest object to build.
    """

    event_us: int
    values: str


class OnlineStore(ABC):
    capabilities: OnlineCapabilities

    @abstractmethod
    def write(self, workspace: str, view: str, rows: Sequence[tuple[str, int, str]]) -> int:
        """Store (key, event_us, values JSON) rows unless a newer value is stored; returns
        how many rows were given."""

    @abstractmethod
    def read(self, workspace: str, view: str, keys: Sequence[str]) -> list[Record | None]:
        """The stored record of each key, None where there is none."""

    @abstractmethod
    def delete_view(self, workspace: str, view: str) -> None:
        """Forget every value of a view."""

    @abstractmethod
    def usage(self, workspace: str) -> tuple[int, int]:
        """The keys the workspace stores (every view), and their bytes (keys and values)."""

    def admit(self, workspace: str, view: str, keys: Sequence[str]) -> None:  # noqa: B027
        """Raise ``QuotaExceededError`` when storing ``keys`` is refused; a store takes
        any (``limited.LimitedStore`` asks the workspace's online-keys quota)."""

    @abstractmethod
    def check(self) -> None:
        """Raise UnavailableError when the store cannot be reached."""

    def close(self) -> None:  # noqa: B027 - optional for backends
        """Release connections."""


def encode_key(values: Sequence[Any]) -> str:
    """The stored form of an entity key: a compact JSON list (``[42]``, ``[7,"2026-01"]``)."""
    return json.dumps(list(values), separators=(",", ":"), ensure_ascii=False, default=_plain)


def key_texts(values: Sequence[Any]) -> list[str]:
    """The stored forms of one-column keys; the one place that writes them, for
    materialize, push and online reads alike. An integer is formatted without
    ``json.dumps`` (the common case, kept fast); anything else, a bool included (``[true]``,
    not ``[True]``: ``type`` is checked, not ``isinstance``), goes through ``encode_key``."""
    return [f"[{v}]" if type(v) is int else encode_key([v]) for v in values]


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"a key must be an integer or a string, not {type(value).__name__}")
