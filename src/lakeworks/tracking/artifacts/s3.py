"""Artifact objects on S3-compatible storage: staged on local disk, published in one put."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import IO

import pyarrow.fs as pafs

from lakeworks.errors import NotFoundError
from lakeworks.tracking.artifacts.base import CHUNK, ObjectStore, StoreCapabilities, object_key


class S3ObjectStore(ObjectStore):
    """Objects at ``<bucket>/<prefix>/.artifacts/sha256/..`` through a pyarrow S3 filesystem.

    S3 has no rename (a move is a copy), so a stream is staged in a local file while it is
    hashed and then uploaded to its final key: an S3 put is atomic, readers never see part
    of an object.
    """

    capabilities = StoreCapabilities(atomic_rename=False)

    def __init__(
        self,
        fs: pafs.FileSystem,
        root: str,
        staging: Path,
        upload: Callable[[Path, str], None] | None = None,
    ) -> None:
        self.fs = fs
        self._upload = upload  # puts with server-side encryption (S3Storage.uploader)
        self.root = root.removeprefix("s3://").rstrip("/")
        self._staging = staging

    @property
    def staging(self) -> Path:
        self._staging.mkdir(parents=True, exist_ok=True)
        return self._staging

    def _path(self, digest: str) -> str:
        return f"{self.root}/{object_key(digest)}"

    def exists(self, digest: str) -> bool:
        return self.fs.get_file_info(self._path(digest)).type == pafs.FileType.File

    def publish(self, digest: str, local: Path, *, move: bool) -> None:
        if self._upload is not None:
            self._upload(local, self._path(digest))
        else:
            with local.open("rb") as src, self.fs.open_output_stream(self._path(digest)) as dst:
                while chunk := src.read(CHUNK):
                    dst.write(chunk)
        if move:
            local.unlink(missing_ok=True)

    def open(self, digest: str) -> IO[bytes]:
        try:
            return self.fs.open_input_stream(self._path(digest))  # type: ignore[return-value]
        except FileNotFoundError:
            raise NotFoundError(
                f"artifact object {digest} is missing from s3://{self.root}", digest=digest
            ) from None

    def delete(self, digest: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.fs.delete_file(self._path(digest))
