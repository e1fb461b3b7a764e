"""Where a version's files live: ``ModelFiles``, one small interface, and its backend.

The registry writes a version's folder once, reads it to load the model, and drops it when
the version is deleted; ``TrackingFiles`` keeps them in tracking's artifact store (a test
or another deployment may pass its own). ``lakeworks.json`` in every folder records the
format and the signature, so a folder taken out of lakeworks says how to read it.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete

from lakeworks.context import Context
from lakeworks.meta.models import ArtifactRefRow

if TYPE_CHECKING:
    from lakeworks.tracking.service import Tracking

RECORD = "lakeworks.json"
OWNER = "model_version"


class ModelFiles(ABC):
    @abstractmethod
    def put(self, ctx: Context, version_id: int, folder: Path) -> None:
        """Store every file under ``folder`` as the version's files."""

    @abstractmethod
    def get(self, ctx: Context, version_id: int, dest: Path) -> None:
        """Write the version's files into the empty folder ``dest``."""

    @abstractmethod
    def drop(self, ctx: Context, version_id: int) -> None:
        """Forget the version's files (their storage is freed by ``lakeworks gc``)."""

    @abstractmethod
    def run_folder(self, ctx: Context, run_id: str, path: str, dest: Path) -> None:
        """Write the files a run logged under ``path`` into ``dest``."""


class TrackingFiles(ModelFiles):
    """Files in tracking's content-addressed artifact store, as refs owned by
    ``("model_version", id)``: a file logged by a run and registered is stored once, and
    dropping the refs lets ``lakeworks gc`` free what nothing else references."""

    def __init__(self, tracking: Tracking) -> None:
        self.tracking = tracking

    def put(self, ctx: Context, version_id: int, folder: Path) -> None:
        self.tracking.artifacts.put_path(OWNER, str(version_id), folder, None, contents=True)

    def get(self, ctx: Context, version_id: int, dest: Path) -> None:
        self.tracking.artifacts.download(OWNER, str(version_id), None, dest)

    def drop(self, ctx: Context, version_id: int) -> None:
        with self.tracking.catalog.session() as s:
            s.execute(
                delete(ArtifactRefRow).where(
                    ArtifactRefRow.owner_kind == OWNER, ArtifactRefRow.owner_id == str(version_id)
                )
            )

    def run_folder(self, ctx: Context, run_id: str, path: str, dest: Path) -> None:
        with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
            got = self.tracking.download_artifacts(ctx, run_id, path, tmp)
            if got.is_file():
                shutil.move(got, dest / got.name)
                return
            for item in got.iterdir():
                shutil.move(item, dest / item.name)


def write_record(folder: Path, record: dict[str, Any]) -> None:
    (folder / RECORD).write_text(json.dumps(record, indent=2, sort_keys=True))


def read_record(folder: Path) -> dict[str, Any] | None:
    path = folder / RECORD
    return json.loads(path.read_text()) if path.is_file() else None
