"""/api/v1/workspaces/{ws}/features: definitions, training sets, online reads (the feature
server), push."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from fastapi import APIRouter

from lakeworks.server.dependencies import ContextDep, DefinitionName, PlatformDep
from lakeworks.server.encoding import jsonable
from lakeworks.server.errors import responses
from lakeworks.server.schemas.features import (
    CoverageOut,
    DefinitionOut,
    Kind,
    OnlineOut,
    OnlineRequest,
    PushOut,
    PushRequest,
    TrainingSetOut,
    TrainingSetRequest,
)

router = APIRouter(prefix="/api/v1/workspaces/{ws}/features", tags=["features"])


@router.get("")
def list_definitions(
    ctx: ContextDep, platform: PlatformDep, kind: Kind | None = None
) -> list[DefinitionOut]:
    """The current version of every entity, feature view and feature service."""
    return [DefinitionOut.model_validate(d) for d in platform.features.list(ctx, kind)]


@router.get("/{kind}/{name}/versions")
def definition_versions(
    kind: Kind, name: DefinitionName, ctx: ContextDep, platform: PlatformDep
) -> list[DefinitionOut]:
    """Every version of one definition, oldest first."""
    return [DefinitionOut.model_validate(d) for d in platform.features.versions(ctx, name, kind)]


@router.post("/online")
def online_features(body: OnlineRequest, ctx: ContextDep, platform: PlatformDep) -> OnlineOut:
    """The latest feature values for a batch of entity rows."""
    features: Any = body.service if body.service else (body.features or [])
    result = platform.features.online(ctx, features, body.entity_rows, full_names=body.full_names)
    out = result.to_dict()
    for item in out["results"]:
        item["values"] = {k: jsonable(v) for k, v in item["values"].items()}
    return OnlineOut(**out)


@router.post("/training-set", responses=responses(409))
def training_set(
    body: TrainingSetRequest, ctx: ContextDep, platform: PlatformDep
) -> TrainingSetOut:
    """Each feature's value as of each entity row's time, with the coverage report."""
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
    head = result.table.slice(0, body.limit).to_pylist()
    return TrainingSetOut(
        features=list(result.features),
        point_in_time=result.point_in_time,
        views=result.views,
        num_rows=result.table.num_rows,
        rows=[{k: jsonable(v) for k, v in row.items()} for row in head],
        coverage=[CoverageOut.model_validate(c) for c in result.coverage],
        warnings=list(result.warnings),
        saved_table=result.saved.table if result.saved else None,
        saved_version=result.saved.version if result.saved else None,
    )


@router.post("/push", status_code=201, responses=responses(409))
def push_features(body: PushRequest, ctx: ContextDep, platform: PlatformDep) -> PushOut:
    """Serve fresh rows online now and append them to the view's source table."""
    result = platform.features.push(ctx, body.view, _timestamps(body.rows))
    return PushOut.model_validate(result)


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
