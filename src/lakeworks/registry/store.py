"""The registry's rows: registered models, versions and their tags (``meta.models``).

Everything returned is a frozen record (``records.py``); ORM rows never leave this module
and ``audit.py``. A version number is the model's highest plus one, taken in the inserting
transaction; two registrations racing for one number meet the unique constraint and the
loser retries with the next.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lakeworks.errors import AlreadyExistsError, ConflictError, InvalidInputError, NotFoundError
from lakeworks.meta.catalog import Catalog
from lakeworks.meta.models import (
    ModelAliasRow,
    ModelVersionRow,
    ModelVersionTagRow,
    RegisteredModelRow,
    RegisteredModelTagRow,
)
from lakeworks.registry.records import ModelVersion, RegisteredModel, now_ms
from lakeworks.registry.signature import Signature

RETRIES = 20


class RegistryStore:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    # registered models ------------------------------------------------------------
    def create_model(
        self,
        workspace: str,
        name: str,
        user: str,
        description: str | None = None,
        tags: dict[str, str] | None = None,
        exist_ok: bool = False,
    ) -> RegisteredModel:
        ws = self.catalog.workspace(workspace)
        try:
            with self.catalog.session() as s:
                at = now_ms()
                row = RegisteredModelRow(
                    workspace_id=ws.id,
                    name=name,
                    description=description,
                    created_ms=at,
                    updated_ms=at,
                    created_by=user,
                )
                s.add(row)
                s.flush()
                _put_tags(s, RegisteredModelTagRow, "model_id", row.id, tags or {})
        except IntegrityError as exc:
            if not exist_ok:
                raise AlreadyExistsError(
                    f"registered model {name!r} already exists in workspace {workspace!r}",
                    hint="register a new version of it instead",
                    model=name,
                ) from exc
        return self.model(workspace, name)

    def model(self, workspace: str, name: str) -> RegisteredModel:
        with self.catalog.session() as s:
            return _model(s, self.model_row(s, workspace, name))

    def models(
        self,
        workspace: str,
        where: Iterable[ColumnElement[bool]] = (),
        order: list[Any] | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[RegisteredModel]:
        ws = self.catalog.workspace(workspace)
        query = select(RegisteredModelRow).where(RegisteredModelRow.workspace_id == ws.id, *where)
        query = query.order_by(*(order or [RegisteredModelRow.name])).offset(offset).limit(limit)
        with self.catalog.session() as s:
            return [_model(s, r) for r in s.scalars(query).all()]

    def update_model(self, workspace: str, name: str, **values: Any) -> RegisteredModel:
        with self.catalog.session() as s:
            row = self.model_row(s, workspace, name, lock=True)
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_ms = now_ms()
            s.flush()
            return _model(s, row)

    def delete_model(self, workspace: str, name: str) -> list[int]:
        """Delete a model and its versions; returns the ids of the versions deleted."""
        with self.catalog.session() as s:
            row = self.model_row(s, workspace, name, lock=True)
            ids = list(
                s.scalars(select(ModelVersionRow.id).where(ModelVersionRow.model_id == row.id))
            )
            s.delete(row)
            return ids

    def model_row(
        self, s: Session, workspace: str, name: str, *, lock: bool = False
    ) -> RegisteredModelRow:
        """The model's row. ``lock`` writes it first (its ``updated_ms``), which takes the
        write lock before anything is read: a row lock on PostgreSQL, the database's write
        lock on SQLite (whose WAL mode would refuse a transaction that read, then wrote
        after another writer, with "database is locked")."""
        ws = self.catalog.workspace(workspace)
        match = (RegisteredModelRow.workspace_id == ws.id, RegisteredModelRow.name == name)
        if lock:
            s.execute(update(RegisteredModelRow).where(*match).values(updated_ms=now_ms()))
        row = s.scalar(select(RegisteredModelRow).where(*match))
        if row is None:
            raise NotFoundError(
                f"registered model {name!r} does not exist in workspace {workspace!r}",
                hint="list models with `lakeworks models list`",
                model=name,
            )
        return row

    # versions ---------------------------------------------------------------------
    def add_version(self, workspace: str, name: str, user: str, **values: Any) -> ModelVersion:
        """A new version numbered after the model's highest (retried on a race)."""
        tags = values.pop("tags", None) or {}
        for _ in range(RETRIES):
            try:
                with self.catalog.session() as s:
                    model = self.model_row(s, workspace, name, lock=True)
                    last = s.scalar(
                        select(func.max(ModelVersionRow.version)).where(
                            ModelVersionRow.model_id == model.id
                        )
                    )
                    at = now_ms()
                    row = ModelVersionRow(
                        model_id=model.id,
                        version=(last or 0) + 1,
                        created_ms=at,
                        updated_ms=at,
                        created_by=user,
                        **values,
                    )
                    s.add(row)
                    s.flush()
                    _put_tags(s, ModelVersionTagRow, "version_id", row.id, tags)
                    model.updated_ms = at
                    return _version(s, row, name)
            except IntegrityError:
                continue  # another registration took this number
        raise ConflictError(f"could not number a new version of {name!r}; retry", model=name)

    def version(self, workspace: str, name: str, version: int) -> ModelVersion:
        with self.catalog.session() as s:
            return _version(s, self.version_row(s, workspace, name, version), name)

    def versions(
        self,
        workspace: str,
        name: str | None = None,
        where: Iterable[ColumnElement[bool]] = (),
        order: list[Any] | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[ModelVersion]:
        """Versions of one model (newest first), or of every model matching ``where``."""
        ws = self.catalog.workspace(workspace)
        query = (
            select(ModelVersionRow, RegisteredModelRow.name)
            .join(RegisteredModelRow)
            .where(RegisteredModelRow.workspace_id == ws.id, *where)
        )
        order = order or [RegisteredModelRow.name, ModelVersionRow.version.desc()]
        with self.catalog.session() as s:
            if name is not None:
                model = self.model_row(s, workspace, name)
                query = query.where(ModelVersionRow.model_id == model.id)
            rows = s.execute(query.order_by(*order).offset(offset).limit(limit)).all()
            return [_version(s, row, model_name) for row, model_name in rows]

    def update_version(
        self, workspace: str, name: str, version: int, **values: Any
    ) -> ModelVersion:
        with self.catalog.session() as s:
            self.model_row(s, workspace, name, lock=True)
            row = self.version_row(s, workspace, name, version)
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_ms = now_ms()
            s.flush()
            return _version(s, row, name)

    def delete_version(self, workspace: str, name: str, version: int) -> int:
        """Delete a version and the aliases that point at it; returns its id."""
        with self.catalog.session() as s:
            self.model_row(s, workspace, name, lock=True)
            row = self.version_row(s, workspace, name, version)
            s.execute(
                delete(ModelAliasRow).where(
                    ModelAliasRow.model_id == row.model_id, ModelAliasRow.version == version
                )
            )
            s.delete(row)
            return row.id

    def version_row(self, s: Session, workspace: str, name: str, version: int) -> ModelVersionRow:
        model = self.model_row(s, workspace, name)
        row = s.scalar(
            select(ModelVersionRow).where(
                ModelVersionRow.model_id == model.id, ModelVersionRow.version == version
            )
        )
        if row is None:
            have = sorted(
                s.scalars(
                    select(ModelVersionRow.version).where(ModelVersionRow.model_id == model.id)
                )
            )
            raise NotFoundError(
                f"model {name!r} has no version {version}",
                hint=f"its versions are {', '.join(map(str, have)) or 'none yet'}",
                model=name,
                version=version,
            )
        return row

    # tags -------------------------------------------------------------------------
    def set_tag(self, workspace: str, name: str, version: int | None, key: str, value: str) -> None:
        with self.catalog.session() as s:
            owner, table, column = self._tag_owner(s, workspace, name, version)
            s.execute(delete(table).where(getattr(table, column) == owner, table.key == key))
            _put_tags(s, table, column, owner, {key: value})

    def delete_tag(self, workspace: str, name: str, version: int | None, key: str) -> None:
        with self.catalog.session() as s:
            owner, table, column = self._tag_owner(s, workspace, name, version)
            done = s.execute(delete(table).where(getattr(table, column) == owner, table.key == key))
            if not done.rowcount:
                where = f"{name!r}" + (f" version {version}" if version else "")
                raise NotFoundError(f"model {where} has no tag {key!r}", model=name, tag=key)

    def _tag_owner(self, s: Session, workspace: str, name: str, version: int | None) -> tuple:
        self.model_row(s, workspace, name, lock=True)
        if version is None:
            return self.model_row(s, workspace, name).id, RegisteredModelTagRow, "model_id"
        return self.version_row(s, workspace, name, version).id, ModelVersionTagRow, "version_id"


TAG_KEY_MAX = 250


def check_tags(tags: dict[str, Any] | None) -> dict[str, str]:
    """Tags as text; a key must be 1 to 250 characters (MLflow's limit)."""
    for key in tags or {}:
        if not isinstance(key, str) or not 1 <= len(key) <= TAG_KEY_MAX:
            raise InvalidInputError(
                f"invalid tag key {str(key)[:60]!r}: it must be 1 to {TAG_KEY_MAX} characters",
                found=str(key)[:60],
            )
    return {k: str(v) for k, v in (tags or {}).items()}


def _put_tags(s: Session, table: type, column: str, owner: int, tags: dict[str, str]) -> None:
    s.add_all(table(**{column: owner}, key=k, value=str(v)) for k, v in tags.items())
    s.flush()


def _model(s: Session, row: RegisteredModelRow) -> RegisteredModel:
    tags = s.execute(
        select(RegisteredModelTagRow.key, RegisteredModelTagRow.value).where(
            RegisteredModelTagRow.model_id == row.id
        )
    )
    aliases = s.execute(
        select(ModelAliasRow.alias, ModelAliasRow.version).where(ModelAliasRow.model_id == row.id)
    )
    latest = s.scalar(
        select(func.max(ModelVersionRow.version)).where(ModelVersionRow.model_id == row.id)
    )
    return RegisteredModel(
        row.name,
        row.description,
        row.created_ms,
        row.updated_ms,
        row.created_by,
        {k: v for k, v in tags},
        {a: v for a, v in aliases},
        latest,
    )


def _version(s: Session, row: ModelVersionRow, name: str) -> ModelVersion:
    tags = s.execute(
        select(ModelVersionTagRow.key, ModelVersionTagRow.value).where(
            ModelVersionTagRow.version_id == row.id
        )
    )
    aliases = s.scalars(
        select(ModelAliasRow.alias).where(
            ModelAliasRow.model_id == row.model_id, ModelAliasRow.version == row.version
        )
    )
    return ModelVersion(
        id=row.id,
        name=name,
        version=row.version,
        run_id=row.run_id,
        source=row.source,
        format=row.format,
        status=row.status,
        description=row.description,
        stage=row.stage,
        created_ms=row.created_ms,
        updated_ms=row.updated_ms,
        created_by=row.created_by,
        signature=Signature.from_dict(row.signature) if row.signature else None,
        info=row.info,
        tags={k: v for k, v in tags},
        aliases=tuple(sorted(aliases)),
    )
