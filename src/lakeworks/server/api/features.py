"""/api/v1/workspaces/{ws}/features: definitions, training sets, online reads (the feature
server), push."""

from __future__ import annotations

import contextlib
from dataclasses import asdict
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from lakeworks.errors import InvalidInputError
from lakeworks.features.offline import TrainingSet
from lakeworks.features.store import DefinitionVersion
from lakeworks.server.dependencies import ContextDep, PlatformDep
from lakeworks.server.encoding import jsonable

router = APIRouter(prefix="/api/v1/workspaces/{ws}/features", tags=["features"])


class DefinitionOut(BaseModel):
    kind: str = Field(description="entity, view or service")
    name: str
    version: int
    spec: dict[str, Any]
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, d: DefinitionVersion) -> DefinitionOut:
        return cls(
            kind=d.kind,
            name=d.name,
            version=d.version,
            spec=d.spec,
            created_at=d.created_at,
            created_by=d.created_by,
        )


class OnlineRequest(BaseModel):
    features: list[str] | None = Field(default=None, examples=[["rider_stats:trips"]])
    service: str | None = Field(default=None, description="a feature service instead")
    entity_rows: list[dict[str, Any]] = Field(min_length=1, examples=[[{"rider_id": 7}]])
    full_names: bool = False


class OnlineOut(BaseModel):
    features: list[str]
    results: list[dict[str, Any]] = Field(
        description="per entity row: values (feature -> value) and status (feature -> "
        "present | unknown_entity | expired)"
    )


class PushRequest(BaseModel):
    view: str
    rows: list[dict[str, Any]] = Field(min_length=1)


class PushOut(BaseModel):
    view: str
    rows: int
    table: str
    table_version: int
    online_keys: int
    ingested_at: datetime


class TrainingSetRequest(BaseModel):
    features: list[str] | None = Field(default=None, examples=[["rider_stats:trips"]])
    service: str | None = Field(default=None, description="a feature service instead")
    entity_rows: list[dict[str, Any]] | None = Field(
        default=None, examples=[[{"rider_id": 7, "at": "2026-11-27T10:00:00Z"}]]
    )
    table: str | None = Field(default=None, description="a table of entity rows instead")
    point_in_time: Literal["known", "event"] = "known"
    timestamp: str | None = None
    full_names: bool = False
    save_as: str | None = Field(default=None, description="also write it as this table")
    limit: int = Field(default=1000, ge=0, description="at most this many rows returned")


class CoverageOut(BaseModel):
    view: str
    rows: int
    with_value: int
    not_yet_known: int = Field(description="an earlier event exists, learned after the row")
    no_earlier_event: int
    ttl_expired: int


class TrainingSetOut(BaseModel):
    features: list[str]
    point_in_time: str
    views: dict[str, int] = Field(description="feature view -> version used")
    num_rows: int
    rows: list[dict[str, Any]] = Field(description="the first `limit` rows")
    coverage: list[CoverageOut] = Field(description="per view: rows with a value, and why not")
    warnings: list[str]
    saved_table: str | None = None
    saved_version: int | None = None

    @classmethod
    def of(cls, result: TrainingSet, limit: int) -> TrainingSetOut:
        head = result.table.slice(0, limit).to_pylist()
        return cls(
            features=list(result.features),
            point_in_time=result.point_in_time,
            views=result.views,
            num_rows=result.table.num_rows,
            rows=[{k: jsonable(v) for k, v in row.items()} for row in head],
            coverage=[CoverageOut(**asdict(c)) for c in result.coverage],
            warnings=list(result.warnings),
            saved_table=result.saved.table if result.saved else None,
            saved_version=result.saved.version if result.saved else None,
        )


@router.get("")
def list_definitions(
    ctx: ContextDep, platform: PlatformDep, kind: str | None = None
) -> list[DefinitionOut]:
    """The current version of every entity, feature view and feature service."""
    return [DefinitionOut.of(d) for d in platform.features.list(ctx, kind)]


@router.get("/{kind}/{name}/versions")
def definition_versions(
    kind: str, name: str, ctx: ContextDep, platform: PlatformDep
) -> list[DefinitionOut]:
    """Every version of one definition, oldest first."""
    return [DefinitionOut.of(d) for d in platform.features.versions(ctx, name, kind)]


@router.post("/online")
def online_features(body: OnlineRequest, ctx: ContextDep, platform: PlatformDep) -> OnlineOut:
    """The latest feature values for a batch of entity rows."""
    features: Any = body.service if body.service else (body.features or [])
    result = platform.features.online(ctx, features, body.entity_rows, full_names=body.full_names)
    out = result.to_dict()
    for item in out["results"]:
        item["values"] = {k: jsonable(v) for k, v in item["values"].items()}
    return OnlineOut(**out)


@router.post("/training-set")
def training_set(
    body: TrainingSetRequest, ctx: ContextDep, platform: PlatformDep
) -> TrainingSetOut:
    """Each feature's value as of each entity row's time, with the coverage report."""
    if (body.entity_rows is None) == (body.table is None):
        raise InvalidInputError("give entity_rows or table (one of them)")
    features: Any = body.service if body.service else (body.features or [])
    result = platform.features.training_set(
        ctx,
        body.table or _timestamps(body.entity_rows),
        features,
        point_in_time=body.point_in_time,
        timestamp=body.timestamp,
        full_names=body.full_names,
        save_as=body.save_as,
        warn=False,  # the response carries them
    )
    return TrainingSetOut.of(result, body.limit)


@router.post("/push", status_code=201)
def push_features(body: PushRequest, ctx: ContextDep, platform: PlatformDep) -> PushOut:
    """Serve fresh rows online now and append them to the view's source table."""
    result = platform.features.push(ctx, body.view, _timestamps(body.rows))
    return PushOut(**{name: getattr(result, name) for name in PushOut.model_fields})


def _timestamps(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """JSON has no timestamps: ISO 8601 strings become datetimes (naive ones are UTC)."""
    out = []
    for row in rows:
        converted = {}
        for key, value in row.items():
            if (
                isinstance(value, str)
                and len(value) >= 10
                and value[4:5] == "-"
                and value[7:8] == "-"
            ):
                with contextlib.suppress(ValueError):
                    value = datetime.fromisoformat(value.replace("Z", "+00:00"))
            converted[key] = value
        out.append(converted)
    return out
