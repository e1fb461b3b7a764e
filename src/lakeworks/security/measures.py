"""How much of each resource a workspace holds now: what quotas compare and usage samples.

Each measure asks the store that holds the resource, never a counter kept beside it, so
a measure is right after a crash, a drop in another process, or a restore:

- table storage: the bytes of every file under the workspace's folder of the table
  storage (current versions, the versions kept for time travel, quarantines);
- tables: the workspace's table entries in the catalog (counted there);
- artifacts: the bytes the workspace's tracking runs refer to;
- online store: the keys (and bytes) the workspace holds there;
- concurrent runs: the workspace's pipeline runs in state ``running``;
- task CPU-seconds today: those of task attempts finished since midnight UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time
from typing import TYPE_CHECKING, Protocol

from lakeworks import limits

if TYPE_CHECKING:
    import pyarrow.fs as pafs

    from lakeworks.meta.catalog import Catalog
    from lakeworks.security.ledger import Ledger


class Storage(Protocol):  # what is read of ``lake.storage.Storage`` (security is below lake)
    def table_uri(self, workspace: str, name: str) -> str: ...
    def filesystem(self) -> pafs.FileSystem: ...
    def fs_path(self, uri: str) -> str: ...


class OnlineStore(Protocol):  # and of ``features.online.OnlineStore``
    def usage(self, workspace: str) -> tuple[int, int]: ...


class Measures:
    """The current use of each quota of a workspace (``use``), and the bytes it stores."""

    def __init__(
        self,
        catalog: Catalog,
        storage: Callable[[], Storage],
        ledger: Ledger,
        online: Callable[[], OnlineStore],
    ) -> None:
        self.catalog = catalog
        self._storage = storage  # built on first use: a door listing quotas needs no S3
        self.ledger = ledger
        self._online = online
        self._measures: dict[str, Callable[[str], float]] = {
            limits.STORAGE_BYTES: self.table_bytes,
            limits.TABLES: self.ledger.table_count,
            limits.CONCURRENT_RUNS: self.ledger.running_runs,
            limits.TASK_CPU_SECONDS_PER_DAY: self.cpu_seconds_today,
            limits.ONLINE_KEYS: lambda ws: self._online().usage(ws)[0],
        }

    def use(self, workspace: str, quota: str) -> float:
        """The workspace's current use of ``quota`` (not for request rates: those are
        counted where the requests arrive, ``Quotas``)."""
        return float(self._measures[quota](workspace))

    def table_bytes(self, workspace: str) -> int:
        import pyarrow.fs as pafs  # here: a pipeline that never measures never imports it

        storage = self._storage()
        folder = storage.table_uri(workspace, "_").rsplit("/", 1)[0]
        selector = pafs.FileSelector(storage.fs_path(folder), recursive=True, allow_not_found=True)
        files = storage.filesystem().get_file_info(selector)
        return sum(f.size or 0 for f in files if f.type == pafs.FileType.File)

    def cpu_seconds_today(self, workspace: str) -> float:
        midnight = datetime.combine(datetime.now(UTC).date(), time(), UTC)
        return self.ledger.task_cpu_seconds(workspace, midnight)

    def stored_bytes(self, workspace: str) -> dict[str, int]:
        """Bytes the workspace holds in each store, by usage kind."""
        return {
            "storage_table_bytes": self.table_bytes(workspace),
            "storage_artifact_bytes": self.ledger.artifact_bytes(workspace),
            "storage_online_bytes": self._online().usage(workspace)[1],
        }
