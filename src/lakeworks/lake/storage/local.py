"""Tables in a folder on local disk (the embedded default)."""

from __future__ import annotations

from pathlib import Path

import pyarrow.fs as pafs

from lakeworks.errors import UnavailableError
from lakeworks.lake.storage.base import Storage, StorageCapabilities


class LocalStorage(Storage):
    capabilities = StorageCapabilities(native_scan=True)

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()

    def table_uri(self, workspace: str, name: str) -> str:
        return str(self.root / workspace / name)

    def options(self) -> dict[str, str]:
        return {}

    def filesystem(self) -> pafs.FileSystem:
        return pafs.LocalFileSystem()

    def fs_path(self, uri: str) -> str:
        return uri

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UnavailableError(
                f"cannot create the table folder {self.root}: {exc}",
                hint="set LAKEWORKS_STORAGE_URL to a writable folder",
            ) from exc
