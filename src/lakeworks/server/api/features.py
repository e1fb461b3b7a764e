"""/api/v1/workspaces/{ws}/features: definitions, online reads (the feature server), push."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, model_validator

from lakeworks.features.store import DefinitionVersion
from lakeworks.server.dependencies import (
    NAME_MAX,
    NAME_PATTERN,
    ContextDep,
    DefinitionName,
    PlatformDep,
    name_rule,
)
from lakeworks.server.encoding import jsonable
from lakeworks.server.errors import responses
from lakeworks.server.schemas import Row

router = APIRouter(prefix="/api/v1/workspaces/{ws}/features", tags=["features"])
Kind = Literal["entity", "view", "service"]
_WORD = NAME_PATTERN.strip("^$")
FeatureRef = Annotated[str, Field(pattern=f"^{_WORD}(:{_WORD})?$", max_length=2 * NAME_MAX + 1)]
ViewName = name_rule("feature view", Field, "rider_stats")
ServiceName = name_rule("feature service", Field, "rider_model")
ROWS_MAX = 10_000


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
    """Either ``features`` (``view:feature`` or a whole ``view``) or a ``service``."""

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {"required": ["features"], "properties": {"features": {"type": "array"}}},
                {"required": ["service"], "properties": {"service": {"type": "string"}}},
            ]
        }
    )

    features: list[FeatureRef] | None = Field(
        default=None, min_length=1, max_length=1000, examples=[["rider_stats:trips"]]
    )
    service: ServiceName | None = Field(default=None, description="a feature service instead")
    entity_rows: list[Row] = Field(min_length=1, max_length=ROWS_MAX, examples=[[{"rider_id": 7}]])
    full_names: bool = False

    @model_validator(mode="after")
    def _one_source(self) -> OnlineRequest:
        if (self.features is None) == (self.service is None):
            raise ValueError("give either features or service, not both and not neither")
        return self


class OnlineOut(BaseModel):
    features: list[str]
    results: list[dict[str, Any]] = Field(
        description="per entity row: values (feature -> value) and status (feature -> "
        "present | unknown_entity | expired)"
    )


class PushRequest(BaseModel):
    view: ViewName
    rows: list[Row] = Field(min_length=1, max_length=ROWS_MAX)


class PushOut(BaseModel):
    view: str
    rows: int
    table: str
    table_version: int
    online_keys: int
    ingested_at: datetime


@router.get("")
def list_definitions(
    ctx: ContextDep, platform: PlatformDep, kind: Kind | None = None
) -> list[DefinitionOut]:
    """The current version of every entity, feature view and feature service."""
    return [DefinitionOut.of(d) for d in platform.features.list(ctx, kind)]


@router.get("/{kind}/{name}/versions")
def definition_versions(
    kind: Kind, name: DefinitionName, ctx: ContextDep, platform: PlatformDep
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


@router.post("/push", status_code=201, responses=responses(409))
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
