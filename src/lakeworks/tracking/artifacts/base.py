"""Where artifact bytes live: a content-addressed object store, one file per backend.

Objects are named by the sha256 of their bytes and kept under ``<storage root>/.artifacts/``.
A workspace or table name is lower-case letters, digits and underscores
(``context.check_name``), so no workspace folder can ever be ``.artifacts``.

A store receives complete local files (already hashed, see ``refs.ArtifactRefs``) and hands
back binary streams; neither direction holds a whole object in memory.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import IO

RESERVED_FOLDER = ".artifacts"
CHUNK = 1 << 20  # bytes read or written at a time


@dataclass(frozen=True)
class StoreCapabilities:
    """What a backend allows, declared as data.

    atomic_rename: a staged file is published by renaming it (local disk); otherwise it is
        uploaded in one put, which object stores make atomic.
    """

    atomic_rename: bool


class ObjectStore(ABC):
    """Objects named by their sha256 digest (64 hex characters)."""

    capabilities: StoreCapabilities

    @property
    @abstractmethod
    def staging(self) -> Path:
        """A local folder for files being written and hashed before they are published."""

    @abstractmethod
    def exists(self, digest: str) -> bool:
        """Whether the object is stored."""

    @abstractmethod
    def publish(self, digest: str, local: Path, *, move: bool) -> None:
        """Store the bytes of ``local`` as ``digest`` (atomic: readers never see part of
        it). ``move``: ``local`` is a staged file the store may take over or delete."""

    @abstractmethod
    def open(self, digest: str) -> IO[bytes]:
        """A binary stream of the object (NotFoundError when absent)."""

    @abstractmethod
    def delete(self, digest: str) -> None:
        """Remove the object; removing an absent object is no error."""

    def uri(self, digest: str) -> str:
        """Where the object is, for messages."""
        return f"{RESERVED_FOLDER}/sha256/{digest[:2]}/{digest}"


def object_key(digest: str) -> str:
    """The object's path relative to the storage root."""
    return f"{RESERVED_FOLDER}/sha256/{digest[:2]}/{digest}"
