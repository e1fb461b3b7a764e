"""MLflow 3's logged models: a model's files and metadata, logged before (or without) a
registered version. ``platform.logged_models``; the MLflow door is its only caller today.

A logged model lives in an experiment of a workspace, optionally names the run that made
it, and holds params and tags (whole JSON objects) and files (artifact refs of kind
``model``, stored by content like run artifacts). It is created PENDING and finalized
READY (or UPLOAD_FAILED) once its files are up; deleting marks it deleted, keeping files.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING

from sqlalchemy import select

from lakeworks.context import Context
from lakeworks.errors import InvalidInputError, NotFoundError
from lakeworks.meta.models import LoggedModelRow, WorkspaceRow
from lakeworks.tracking import experiments, names, runs
from lakeworks.tracking.records import ArtifactInfo, now_ms

if TYPE_CHECKING:
    from lakeworks.meta.catalog import Catalog
    from lakeworks.tracking.artifacts.refs import ArtifactRefs

STATUSES = ("PENDING", "READY", "UPLOAD_FAILED")
KIND = "model"  # the artifact refs' owner kind


@dataclass(frozen=True)
class LoggedModel:
    id: str
    experiment_id: int
    workspace: str
    name: str
    source_run_id: str | None
    model_type: str | None
    status: str
    status_message: str | None
    lifecycle_stage: str
    created_at: int
    updated_at: int
    created_by: str
    tags: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)


class LoggedModels:
    """Create, read, finalize, tag, search and delete logged models, and hold their files."""

    def __init__(self, catalog: Catalog, artifacts: ArtifactRefs) -> None:
        self.catalog = catalog
        self.artifacts = artifacts

    def create(
        self,
        ctx: Context,
        experiment_id: int | str,
        *,
        name: str | None = None,
        source_run_id: str | None = None,
        model_type: str | None = None,
        params: dict[str, str] | None = None,
        tags: dict[str, str] | None = None,
    ) -> LoggedModel:
        model_id = f"m-{uuid.uuid4().hex}"
        with self.catalog.session() as s:
            exp = experiments.row(s, ctx.workspace, experiment_id)
            if source_run_id:
                runs.row(s, ctx.workspace, source_run_id)
            now = now_ms()
            row = LoggedModelRow(
                id=model_id,
                workspace_id=exp.workspace_id,
                experiment_id=exp.id,
                name=names.check_name("logged model", name or f"model-{model_id[2:10]}"),
                source_run_id=source_run_id or None,
                model_type=model_type or None,
                status="PENDING",
                lifecycle_stage="active",
                created_at=now,
                updated_at=now,
                created_by=ctx.user,
                tags=_checked("tag", tags),
                params=_checked("param", params),
            )
            s.add(row)
            s.flush()
            return _record(row, ctx.workspace)

    def get(self, ctx: Context, model_id: str, *, allow_deleted: bool = False) -> LoggedModel:
        with self.catalog.session() as s:
            return _record(_row(s, ctx, model_id, allow_deleted), ctx.workspace)

    def finalize(self, ctx: Context, model_id: str, status: str) -> LoggedModel:
        if status not in STATUSES[1:]:
            raise InvalidInputError(
                f"logged model {model_id}: cannot finalize with status {status!r}",
                expected=" or ".join(STATUSES[1:]),
                found=status,
            )
        with self.catalog.session() as s:
            row = _row(s, ctx, model_id)
            row.status, row.updated_at = status, now_ms()
            return _record(row, ctx.workspace)

    def set_tags(self, ctx: Context, model_id: str, tags: dict[str, str]) -> None:
        with self.catalog.session() as s:
            row = _row(s, ctx, model_id)
            row.tags = {**row.tags, **_checked("tag", tags)}
            row.updated_at = now_ms()

    def delete_tag(self, ctx: Context, model_id: str, key: str) -> None:
        with self.catalog.session() as s:
            row = _row(s, ctx, model_id)
            if key not in row.tags:
                raise NotFoundError(f"logged model {model_id} has no tag {key!r}", key=key)
            row.tags = {k: v for k, v in row.tags.items() if k != key}

    def log_params(self, ctx: Context, model_id: str, params: dict[str, str]) -> None:
        """Add params; one already logged with another value is an error naming both."""
        with self.catalog.session() as s:
            row = _row(s, ctx, model_id)
            new = _checked("param", params)
            for key, value in new.items():
                if row.params.get(key, value) != value:
                    raise InvalidInputError(
                        f"logged model {model_id}: param {key!r} is {row.params[key]!r}, "
                        f"cannot change it to {value!r}",
                        key=key,
                    )
            row.params = {**row.params, **new}

    def delete(self, ctx: Context, model_id: str) -> None:
        with self.catalog.session() as s:
            row = _row(s, ctx, model_id)
            row.lifecycle_stage, row.updated_at = "deleted", now_ms()

    def search(
        self,
        ctx: Context,
        experiment_ids: Sequence[int | str],
        *,
        name: str | None = None,
        source_run_id: str | None = None,
        max_results: int = 100,
        offset: int = 0,
    ) -> list[LoggedModel]:
        """Active models of the experiments (of one name, of one run), newest first."""
        with self.catalog.session() as s:
            ids = [experiments.row(s, ctx.workspace, e).id for e in experiment_ids]
            query = select(LoggedModelRow).where(
                LoggedModelRow.experiment_id.in_(ids), LoggedModelRow.lifecycle_stage == "active"
            )
            if name is not None:
                query = query.where(LoggedModelRow.name == name)
            if source_run_id is not None:
                query = query.where(LoggedModelRow.source_run_id == source_run_id)
            query = query.order_by(LoggedModelRow.created_at.desc(), LoggedModelRow.id)
            rows = s.scalars(query.offset(offset).limit(max_results))
            return [_record(r, ctx.workspace) for r in rows]

    # files -------------------------------------------------------------------------------
    def log_artifact_stream(
        self, ctx: Context, model_id: str, path: str, stream: IO[bytes]
    ) -> ArtifactInfo:
        self.get(ctx, model_id)
        return self.artifacts.put_stream(KIND, model_id, path, stream)

    def list_artifacts(self, ctx: Context, model_id: str, path: str | None) -> list[ArtifactInfo]:
        self.get(ctx, model_id, allow_deleted=True)
        return self.artifacts.list(KIND, model_id, path)

    def open_artifact(self, ctx: Context, model_id: str, path: str) -> IO[bytes]:
        self.get(ctx, model_id, allow_deleted=True)
        return self.artifacts.open(KIND, model_id, path)


def _row(s, ctx: Context, model_id: str, allow_deleted: bool = False) -> LoggedModelRow:  # noqa: ANN001
    row = s.scalar(
        select(LoggedModelRow)
        .join(WorkspaceRow, WorkspaceRow.id == LoggedModelRow.workspace_id)
        .where(LoggedModelRow.id == model_id, WorkspaceRow.name == ctx.workspace)
    )
    if row is None or (row.lifecycle_stage == "deleted" and not allow_deleted):
        raise NotFoundError(
            f"logged model {model_id!r} does not exist in workspace {ctx.workspace!r}",
            model=model_id,
        )
    return row


def _checked(kind: str, pairs: dict[str, str] | None) -> dict[str, str]:
    return {names.check_key(kind, key): str(value) for key, value in (pairs or {}).items()}


def _record(r: LoggedModelRow, workspace: str) -> LoggedModel:
    return LoggedModel(
        id=r.id,
        experiment_id=r.experiment_id,
        workspace=workspace,
        name=r.name,
        source_run_id=r.source_run_id,
        model_type=r.model_type,
        status=r.status,
        status_message=r.status_message,
        lifecycle_stage=r.lifecycle_stage,
        created_at=r.created_at,
        updated_at=r.updated_at,
        created_by=r.created_by,
        tags=dict(r.tags),
        params=dict(r.params),
    )
