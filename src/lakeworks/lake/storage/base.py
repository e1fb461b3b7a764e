"""The storage interface every backend implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import pyarrow.fs as pafs


@dataclass(frozen=True)
class StorageCapabilities:
    """What a backend allows, declared as data.

    native_scan: DuckDB can read the table's Parquet files by path (local disk), which is
        faster than scanning through an Arrow dataset.
    """

    native_scan: bool


class Storage(ABC):
    """A root under which each workspace keeps its tables (one Delta table per folder)."""

    capabilities: StorageCapabilities

    @abstractmethod
    def table_uri(self, workspace: str, name: str) -> str:
        """The URI of a table's folder."""

    @abstractmethod
    def options(self) -> dict[str, str]:
        """``storage_options`` for deltalake."""

    @abstractmethod
    def filesystem(self) -> pafs.FileSystem:
        """A pyarrow filesystem that reads and deletes under this root."""

    @abstractmethod
    def fs_path(self, uri: str) -> str:
        """The path of ``uri`` as the pyarrow filesystem names it."""

    @abstractmethod
    def check(self) -> None:
        """Raise UnavailableError when the storage cannot be reached."""

    def remove(self, uri: str) -> None:
        """Delete a table's folder and everything under it."""
        fs, path = self.filesystem(), self.fs_path(uri)
        if fs.get_file_info(path).type != pafs.FileType.NotFound:
            fs.delete_dir(path)
