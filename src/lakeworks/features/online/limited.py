"""An online store that asks the workspace's online-keys quota before it stores new keys.

The feature store wraps its online store in this for every materialization and push
(``Features``); reads go straight to the store. Only when the workspace has an
online-keys quota does a write cost more: one read of the keys it brings, to count those
the store does not hold yet. The check comes before anything is stored, so a refused
write stores no key at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from lakeworks.features.online.base import OnlineStore, Record
from lakeworks.limits import ONLINE_KEYS

if TYPE_CHECKING:
    from lakeworks.limits import Limits


class LimitedStore(OnlineStore):
    def __init__(self, store: OnlineStore, limits: Limits) -> None:
        self.store = store
        self.limits = limits
        self.capabilities = store.capabilities

    def admit(self, workspace: str, view: str, keys: Sequence[str]) -> None:
        self._admitted(workspace, view, keys)

    def write(self, workspace: str, view: str, rows: Sequence[tuple[str, int, str]]) -> int:
        new = self._admitted(workspace, view, [key for key, _, _ in rows])
        written = self.store.write(workspace, view, rows)
        if new:
            self.limits.taken(workspace, ONLINE_KEYS, new)
        return written

    def _admitted(self, workspace: str, view: str, keys: Sequence[str]) -> int:
        """How many of ``keys`` are new, once the quota admitted them (0: no quota)."""
        if self.limits.limit(workspace, ONLINE_KEYS) is None:
            return 0
        distinct = list(dict.fromkeys(keys))
        new = sum(record is None for record in self.store.read(workspace, view, distinct))
        self.limits.check(workspace, ONLINE_KEYS, adding=new)
        return new

    def read(self, workspace: str, view: str, keys: Sequence[str]) -> list[Record | None]:
        return self.store.read(workspace, view, keys)

    def usage(self, workspace: str) -> tuple[int, int]:
        return self.store.usage(workspace)

    def delete_view(self, workspace: str, view: str) -> None:
        self.store.delete_view(workspace, view)  # measured again within the cache seconds

    def check(self) -> None:
        self.store.check()
