"""Artifact storage: content-addressed objects (``base``, ``local``, ``s3``) and the
catalog's refs from runs and model versions to them (``refs``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lakeworks.tracking.artifacts.base import ObjectStore
from lakeworks.tracking.artifacts.local import LocalObjectStore
from lakeworks.tracking.artifacts.s3 import S3ObjectStore

if TYPE_CHECKING:
    from lakeworks.config import Settings
    from lakeworks.lake.storage import Storage


def object_store(storage: Storage, settings: Settings) -> ObjectStore:
    """The object store under the workspace storage's root (local folder or S3 bucket)."""
    from lakeworks.lake.storage import LocalStorage, S3Storage

    if isinstance(storage, S3Storage):
        staging = settings.scratch_dir / "artifacts"
        return S3ObjectStore(storage.filesystem(), storage.root, staging, storage.uploader())
    if isinstance(storage, LocalStorage):
        return LocalObjectStore(storage.root)
    raise NotImplementedError(f"no artifact store for {type(storage).__name__}")


__all__ = ["LocalObjectStore", "ObjectStore", "S3ObjectStore", "object_store"]
