"""A run's (or model version's) artifact paths, each a ref to a content-addressed object.

Writing: the bytes are hashed while they are copied in chunks to a staged file, then the
object row is touched (``created_at`` = now, which keeps ``gc`` away from it for the grace
period), the object published unless already stored, and the ref written. A file logged by
many runs is stored once. Reading streams the object back in chunks.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path
from typing import IO, TYPE_CHECKING

from sqlalchemy import func, or_, select

from lakeworks.errors import InvalidInputError, NotFoundError
from lakeworks.meta.models import ArtifactObjectRow, ArtifactRefRow
from lakeworks.tracking.artifacts.base import CHUNK, ObjectStore
from lakeworks.tracking.names import check_artifact_path
from lakeworks.tracking.records import ArtifactInfo, now_ms
from lakeworks.tracking.upserts import upsert

if TYPE_CHECKING:
    from lakeworks.meta.catalog import Catalog


class ArtifactRefs:
    def __init__(self, catalog: Catalog, objects: ObjectStore) -> None:
        self.catalog = catalog
        self.objects = objects

    # writing -----------------------------------------------------------------------
    def put_stream(self, kind: str, owner: str, path: str, stream: IO[bytes]) -> ArtifactInfo:
        path = check_artifact_path(path)
        staged = self.objects.staging / f"{uuid.uuid4().hex}.part"
        try:
            digest, size = _copy_hashing(stream, staged)
            return self._store(kind, owner, path, staged, digest, size, move=True)
        finally:
            staged.unlink(missing_ok=True)

    def put_file(self, kind: str, owner: str, path: str, local: Path) -> ArtifactInfo:
        path = check_artifact_path(path)
        with local.open("rb") as f:
            digest, size = _hash(f)
        return self._store(kind, owner, path, local, digest, size, move=False)

    def put_path(
        self,
        kind: str,
        owner: str,
        local: Path,
        artifact_path: str | None,
        *,
        contents: bool = False,
    ) -> list[ArtifactInfo]:
        """Store a file as ``artifact_path/<name>``; a folder as ``artifact_path/<name>/...``,
        or with ``contents`` its files directly under ``artifact_path``."""
        if not local.exists():
            raise NotFoundError(f"no file or folder {str(local)!r} to log", path=str(local))
        prefix = f"{artifact_path.strip('/')}/" if artifact_path else ""
        if local.is_file():
            return [self.put_file(kind, owner, prefix + local.name, local)]
        base = prefix if contents else f"{prefix}{local.name}/"
        files = sorted(p for p in local.rglob("*") if p.is_file())
        return [
            self.put_file(kind, owner, base + p.relative_to(local).as_posix(), p) for p in files
        ]

    def _store(
        self, kind: str, owner: str, path: str, local: Path, digest: str, size: int, *, move: bool
    ) -> ArtifactInfo:
        with self.catalog.session() as s:  # waits for a gc deleting this object to finish
            self._check_no_clash(s, kind, owner, path)
            row = {"digest": digest, "size": size, "created_at": now_ms()}
            upsert(s, ArtifactObjectRow, [row], ["digest"])
        if not self.objects.exists(digest):  # stored once, however many refs
            self.objects.publish(digest, local, move=move)
        with self.catalog.session() as s:
            ref = {
                "owner_kind": kind,
                "owner_id": owner,
                "path": path,
                "digest": digest,
                "size": size,
            }
            upsert(s, ArtifactRefRow, [ref], ["owner_kind", "owner_id", "path"])
        return ArtifactInfo(path, False, size, digest)

    def _check_no_clash(self, s, kind: str, owner: str, path: str) -> None:  # noqa: ANN001
        parents = ["/".join(path.split("/")[:i]) for i in range(1, path.count("/") + 1)]
        clash = s.scalar(
            _refs(kind, owner).where(or_(ArtifactRefRow.path.in_(parents), _under(path))).limit(1)
        )
        if clash is not None:
            raise InvalidInputError(
                f"artifact {path!r} clashes with {clash.path!r}: a path is a file or a folder",
                path=path,
                found=clash.path,
            )

    # reading -----------------------------------------------------------------------
    def list(self, kind: str, owner: str, path: str | None = None) -> list[ArtifactInfo]:
        """The files and folders directly under ``path`` (the root when None)."""
        prefix = f"{check_artifact_path(path)}/" if path else ""
        with self.catalog.session() as s:
            query = _refs(kind, owner)
            refs = s.scalars(query.where(_under(prefix[:-1])) if prefix else query).all()
        found: dict[str, ArtifactInfo] = {}
        for ref in refs:
            rest = ref.path[len(prefix) :]
            head, _, tail = rest.partition("/")
            if tail:
                found.setdefault(prefix + head, ArtifactInfo(prefix + head, True))
            else:
                found[ref.path] = ArtifactInfo(ref.path, False, ref.size, ref.digest)
        return sorted(found.values(), key=lambda a: a.path)

    def files(self, kind: str, owner: str, path: str | None = None) -> list[ArtifactInfo]:
        """Every file at or under ``path``."""
        with self.catalog.session() as s:
            query = _refs(kind, owner)
            if path:
                path = check_artifact_path(path)
                query = query.where(or_(ArtifactRefRow.path == path, _under(path)))
            refs = s.scalars(query.order_by(ArtifactRefRow.path)).all()
        return [ArtifactInfo(r.path, False, r.size, r.digest) for r in refs]

    def open(self, kind: str, owner: str, path: str) -> IO[bytes]:
        path = check_artifact_path(path)
        with self.catalog.session() as s:
            ref = s.get(ArtifactRefRow, (kind, owner, path))
        if ref is None:
            raise NotFoundError(f"{kind} {owner} has no artifact file {path!r}", path=path)
        return self.objects.open(ref.digest)

    def download(self, kind: str, owner: str, path: str | None, dst: Path) -> Path:
        """Copy the file ``path`` to ``dst/<name>``, or a folder's files under ``dst``."""
        files = self.files(kind, owner, path)
        if not files:
            raise NotFoundError(
                f"{kind} {owner} has no artifact {path or '(root)'!r}", path=str(path)
            )
        cut = path.rsplit("/", 1)[0] + "/" if path and "/" in path else ""  # keep the name
        for info in files:
            target = dst / info.path[len(cut) :]
            target.parent.mkdir(parents=True, exist_ok=True)
            part = target.with_name(f".{target.name}.{os.getpid()}.part")
            with self.objects.open(info.digest) as src, part.open("wb") as out:
                while chunk := src.read(CHUNK):
                    out.write(chunk)
            os.replace(part, target)
        return dst / (path[len(cut) :] if path else "")

    def total(self, kind: str, owner: str) -> int:
        with self.catalog.session() as s:
            return s.scalar(select(func.count()).select_from(_refs(kind, owner).subquery())) or 0


def _refs(kind: str, owner: str):  # noqa: ANN202 - a select
    return select(ArtifactRefRow).where(
        ArtifactRefRow.owner_kind == kind, ArtifactRefRow.owner_id == owner
    )


def _under(path: str):  # noqa: ANN202 - a condition: paths strictly under the folder path
    escaped = path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return ArtifactRefRow.path.like(f"{escaped}/%", escape="\\")


def _hash(stream: IO[bytes]) -> tuple[str, int]:
    sha, size = hashlib.sha256(), 0
    while chunk := stream.read(CHUNK):
        sha.update(chunk)
        size += len(chunk)
    return sha.hexdigest(), size


def _copy_hashing(stream: IO[bytes], staged: Path) -> tuple[str, int]:
    sha, size = hashlib.sha256(), 0
    with staged.open("wb") as out:
        while chunk := stream.read(CHUNK):
            if not isinstance(chunk, bytes | bytearray | memoryview):
                raise InvalidInputError(
                    "an artifact stream must be opened in binary mode",
                    expected="bytes",
                    found=type(chunk).__name__,
                )
            sha.update(chunk)
            out.write(chunk)
            size += len(chunk)
    return sha.hexdigest(), size
