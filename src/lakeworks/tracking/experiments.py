"""Experiments in the catalog: rows in, frozen records out. Every function takes a session."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lakeworks.errors import AlreadyExistsError, InvalidInputError, NotFoundError
from lakeworks.meta.models import ExperimentRow, ExperimentTagRow, RunRow, WorkspaceRow
from lakeworks.tracking import names
from lakeworks.tracking.records import Experiment, now_ms
from lakeworks.tracking.upserts import upsert


def workspace_id(s: Session, workspace: str) -> int:
    found = s.scalar(select(WorkspaceRow.id).where(WorkspaceRow.name == workspace))
    if found is None:
        raise NotFoundError(f"workspace {workspace!r} does not exist", workspace=workspace)
    return found


def create(
    s: Session,
    workspace: str,
    name: str,
    user: str,
    artifact_location: str | None,
    tags: dict[str, str],
) -> Experiment:
    ws_id = workspace_id(s, workspace)
    check_free(s, ws_id, name, workspace)
    now = now_ms()
    row = ExperimentRow(
        workspace_id=ws_id,
        name=name,
        artifact_location=artifact_location,
        lifecycle_stage="active",
        created_at=now,
        updated_at=now,
        created_by=user,
    )
    s.add(row)
    s.flush()
    set_tags(s, row.id, tags)
    return record(s, row, workspace)


def check_free(s: Session, ws_id: int, name: str, workspace: str) -> None:
    """AlreadyExistsError when ``name`` is taken (by an active or a deleted experiment)."""
    names.check_name("experiment", name)
    taken = s.scalar(_by_name(ws_id, name))
    if taken is not None:
        hint = "restore it" if taken.lifecycle_stage == "deleted" else "pick another name"
        raise AlreadyExistsError(
            f"experiment {name!r} already exists in workspace {workspace!r} "
            f"({taken.lifecycle_stage})",
            hint=hint,
            experiment=name,
        )


def set_stage(
    s: Session, workspace: str, experiment_id: int | str, stage: str, deleted_time: int | None
) -> None:
    """Delete (``stage="deleted"``) or restore the experiment, with its runs in the other
    stage (restoring brings back the runs not purged by ``gc``)."""
    other = "active" if stage == "deleted" else "deleted"
    found = row(s, workspace, experiment_id)
    found.lifecycle_stage, found.updated_at = stage, now_ms()
    s.execute(
        update(RunRow)
        .where(RunRow.experiment_id == found.id, RunRow.lifecycle_stage == other)
        .values(lifecycle_stage=stage, deleted_time=deleted_time)
    )


def set_tags(s: Session, experiment_id: int, tags: dict[str, str]) -> None:
    rows = [
        {"experiment_id": experiment_id, "key": names.check_key("tag", k), "value": str(v)}
        for k, v in tags.items()
    ]
    upsert(s, ExperimentTagRow, rows, ["experiment_id", "key"])


def row(s: Session, workspace: str, experiment_id: int | str) -> ExperimentRow:
    """The experiment ``experiment_id`` of ``workspace`` (NotFoundError otherwise)."""
    ident = _as_id(experiment_id)
    found = s.scalar(
        select(ExperimentRow)
        .join(WorkspaceRow, WorkspaceRow.id == ExperimentRow.workspace_id)
        .where(ExperimentRow.id == ident, WorkspaceRow.name == workspace)
    )
    if found is None:
        raise NotFoundError(
            f"experiment {experiment_id} does not exist in workspace {workspace!r}",
            experiment=str(experiment_id),
        )
    return found


def active_row(s: Session, workspace: str, experiment_id: int | str) -> ExperimentRow:
    """The experiment, which must not be deleted (a deleted one takes no new runs)."""
    found = row(s, workspace, experiment_id)
    if found.lifecycle_stage != "active":
        raise InvalidInputError(
            f"experiment {found.name!r} is deleted; restore it to add runs",
            experiment=found.name,
        )
    return found


def row_by_name(s: Session, workspace: str, name: str) -> ExperimentRow:
    found = s.scalar(_by_name(workspace_id(s, workspace), name))
    if found is None:
        raise NotFoundError(
            f"experiment {name!r} does not exist in workspace {workspace!r}",
            hint="create it with ws.set_experiment(name) or lakeworks experiments create",
            experiment=name,
        )
    return found


def listed(s: Session, workspace: str, include_deleted: bool) -> list[Experiment]:
    query = select(ExperimentRow).where(ExperimentRow.workspace_id == workspace_id(s, workspace))
    if not include_deleted:
        query = query.where(ExperimentRow.lifecycle_stage == "active")
    return [record(s, r, workspace) for r in s.scalars(query.order_by(ExperimentRow.id))]


def record(s: Session, r: ExperimentRow, workspace: str) -> Experiment:
    tags = s.execute(
        select(ExperimentTagRow.key, ExperimentTagRow.value).where(
            ExperimentTagRow.experiment_id == r.id
        )
    )
    return Experiment(
        id=r.id,
        name=r.name,
        workspace=workspace,
        artifact_location=r.artifact_location,
        lifecycle_stage=r.lifecycle_stage,
        created_at=r.created_at,
        updated_at=r.updated_at,
        created_by=r.created_by,
        tags={k: v for k, v in tags},
    )


def _by_name(ws_id: int, name: str):  # noqa: ANN202 - a select
    return select(ExperimentRow).where(
        ExperimentRow.workspace_id == ws_id, ExperimentRow.name == name
    )


def _as_id(experiment_id: int | str) -> int:
    try:
        return int(experiment_id)
    except (TypeError, ValueError):
        raise InvalidInputError(
            f"experiment id must be an integer, got {experiment_id!r}",
            expected="integer",
            found=repr(experiment_id),
        ) from None
