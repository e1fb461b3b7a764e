"""Artifact objects in a folder on local disk: staged beside the objects, published by rename."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from typing import IO

from lakeworks.errors import NotFoundError
from lakeworks.tracking.artifacts.base import (
    RESERVED_FOLDER,
    ObjectStore,
    StoreCapabilities,
    object_key,
)


class LocalObjectStore(ObjectStore):
    capabilities = StoreCapabilities(atomic_rename=True)

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self._staging = self.root / RESERVED_FOLDER / "staging"

    @property
    def staging(self) -> Path:
        self._staging.mkdir(parents=True, exist_ok=True)
        return self._staging

    def _path(self, digest: str) -> Path:
        return self.root / object_key(digest)

    def exists(self, digest: str) -> bool:
        return self._path(digest).is_file()

    def publish(self, digest: str, local: Path, *, move: bool) -> None:
        target = self._path(digest)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not move:  # copy to a staged file on this disk first, so the rename is atomic
            # unique per call: two threads of one process may publish the same digest
            staged = self.staging / f"{digest}.{os.getpid()}.{threading.get_ident()}.copy"
            shutil.copyfile(local, staged)
            local = staged
        os.replace(local, target)

    def open(self, digest: str) -> IO[bytes]:
        try:
            return self._path(digest).open("rb")
        except FileNotFoundError:
            raise NotFoundError(
                f"artifact object {digest} is missing from {self.root / RESERVED_FOLDER}",
                digest=digest,
            ) from None

    def delete(self, digest: str) -> None:
        self._path(digest).unlink(missing_ok=True)
