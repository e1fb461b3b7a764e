"""Garbage collection of tracking data: purge deleted runs, then unreferenced objects.

An object is deleted only when no ref points to it and it was last written more than
``tracking_gc_grace`` seconds ago. Each object's row is deleted and its file removed in
one transaction, and a writer touches the row before it checks whether the file exists
(``refs.ArtifactRefs._store``), so a file logged again while gc runs is never lost: the
writer either touched the row first (gc then skips it) or waits for gc's transaction and
finds the file gone (it then stores it again).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import delete, exists, select

from lakeworks.meta.models import ArtifactObjectRow, ArtifactRefRow, RunRow
from lakeworks.tracking import experiments
from lakeworks.tracking.records import GcResult, now_ms

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from lakeworks.context import Context
    from lakeworks.meta.catalog import Catalog
    from lakeworks.tracking.artifacts.base import ObjectStore

_BATCH = 500


def collect(
    catalog: Catalog, objects: ObjectStore, ctx: Context | None, *, grace_s: float, dry_run: bool
) -> GcResult:
    cutoff = now_ms() - int(grace_s * 1000)
    with catalog.session() as s:
        run_ids = _deleted_runs(s, ctx)
        if dry_run:
            freed = s.execute(_garbage(cutoff, ignoring=run_ids)).all()
            return GcResult(len(run_ids), len(freed), sum(size for _, size in freed), True)
        for i in range(0, len(run_ids), _BATCH):
            chunk = run_ids[i : i + _BATCH]
            s.execute(
                delete(ArtifactRefRow).where(
                    ArtifactRefRow.owner_kind == "run", ArtifactRefRow.owner_id.in_(chunk)
                )
            )
            s.execute(delete(RunRow).where(RunRow.id.in_(chunk)))  # its rows cascade
    count = size = 0
    with catalog.session() as s:
        candidates = s.execute(_garbage(cutoff, ignoring=[])).all()
    for digest, _ in candidates:
        with catalog.session() as s:
            gone = s.execute(
                delete(ArtifactObjectRow)
                .where(ArtifactObjectRow.digest == digest, _collectable(cutoff))
                .returning(ArtifactObjectRow.size)
            ).scalar()
            if gone is not None:
                objects.delete(digest)  # inside the transaction, see the module docstring
                count, size = count + 1, size + gone
    return GcResult(len(run_ids), count, size, False)


def _deleted_runs(s: Session, ctx: Context | None) -> list[str]:
    query = select(RunRow.id).where(RunRow.lifecycle_stage == "deleted")
    if ctx is not None:
        query = query.where(RunRow.workspace_id == experiments.workspace_id(s, ctx.workspace))
    return list(s.scalars(query))


def _collectable(cutoff: int, ignoring: list[str] | None = None):  # noqa: ANN202
    refs = select(ArtifactRefRow.digest).where(ArtifactRefRow.digest == ArtifactObjectRow.digest)
    if ignoring:
        refs = refs.where(
            ~((ArtifactRefRow.owner_kind == "run") & ArtifactRefRow.owner_id.in_(ignoring))
        )
    return ~exists(refs) & (ArtifactObjectRow.created_at < cutoff)


def _garbage(cutoff: int, ignoring: list[str]):  # noqa: ANN202
    return select(ArtifactObjectRow.digest, ArtifactObjectRow.size).where(
        _collectable(cutoff, ignoring)
    )


__all__ = ["collect"]
