"""Where table files live: one small interface, one file per backend."""

from __future__ import annotations

from lakeworks.config import Settings
from lakeworks.lake.storage.base import Storage
from lakeworks.lake.storage.local import LocalStorage
from lakeworks.lake.storage.s3 import S3Storage


def storage_from_settings(settings: Settings) -> Storage:
    """The storage backend named by ``settings.storage_url`` (a folder, or s3://bucket/prefix)."""
    url = settings.resolved_storage_url
    if url.startswith("s3://"):
        return S3Storage.from_settings(url, settings)
    return LocalStorage(url.removeprefix("file://"))


__all__ = ["LocalStorage", "S3Storage", "Storage", "storage_from_settings"]
