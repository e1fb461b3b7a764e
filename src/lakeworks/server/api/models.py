"""/api/v1/workspaces/{ws}/models: registered models, versions, aliases, approvals, reports.

Registering happens through the SDK, the CLI or the MLflow-compatible routes (a model's
files come with it); this router reads the registry and moves aliases and approvals.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from lakeworks.server.dependencies import ContextDep, PlatformDep
from lakeworks.server.errors import responses
from lakeworks.server.schemas.models import (
    AliasEventOut,
    AliasRequest,
    ApprovalOut,
    ApprovalRequest,
    ModelName,
    ModelOut,
    ReportOut,
    Version,
    VersionOut,
)

router = APIRouter(prefix="/api/v1/workspaces/{ws}/models", tags=["models"])
Name = Annotated[ModelName, Path(description="registered model name", examples=["churn"])]
Number = Annotated[Version, Path(description="version number, from 1")]
Alias = Annotated[ModelName, Path(description="alias name", examples=["champion"])]


def _version(v) -> VersionOut:  # noqa: ANN001 - a registry ModelVersion
    data = {**v.__dict__, "signature": v.signature.to_dict() if v.signature else None}
    return VersionOut.model_validate(data)


@router.get("")
def list_models(ctx: ContextDep, platform: PlatformDep) -> list[ModelOut]:
    return [ModelOut.model_validate(m) for m in platform.registry.list_models(ctx)]


@router.get("/{name}")
def get_model(name: Name, ctx: ContextDep, platform: PlatformDep) -> ModelOut:
    return ModelOut.model_validate(platform.registry.get_model(ctx, name))


@router.get("/{name}/versions")
def list_versions(name: Name, ctx: ContextDep, platform: PlatformDep) -> list[VersionOut]:
    """The model's versions, newest first."""
    return [_version(v) for v in platform.registry.list_versions(ctx, name)]


@router.get("/{name}/versions/{version}")
def get_version(name: Name, version: Number, ctx: ContextDep, platform: PlatformDep) -> VersionOut:
    return _version(platform.registry.get_version(ctx, name, version))


@router.put("/{name}/aliases/{alias}", responses=responses(409))
def set_alias(
    name: Name, alias: Alias, body: AliasRequest, ctx: ContextDep, platform: PlatformDep
) -> AliasEventOut:
    """Point the alias at a version; a version with a failing fairness or evaluation
    report is refused (422) unless ``force`` (the forced move is recorded)."""
    event = platform.registry.set_alias(ctx, name, alias, body.version, force=body.force)
    return AliasEventOut.model_validate(event)


@router.delete("/{name}/aliases/{alias}")
def delete_alias(name: Name, alias: Alias, ctx: ContextDep, platform: PlatformDep) -> AliasEventOut:
    return AliasEventOut.model_validate(platform.registry.delete_alias(ctx, name, alias))


@router.get("/{name}/alias-events")
def alias_events(name: Name, ctx: ContextDep, platform: PlatformDep) -> list[AliasEventOut]:
    """Every set, move and deletion of the model's aliases: who, when, forced or not."""
    return [AliasEventOut.model_validate(e) for e in platform.registry.alias_events(ctx, name)]


@router.post("/{name}/versions/{version}/approvals", status_code=201)
def approve(
    name: Name, version: Number, body: ApprovalRequest, ctx: ContextDep, platform: PlatformDep
) -> ApprovalOut:
    """Record a stage of approval (the caller and the time are recorded)."""
    done = platform.registry.approve(ctx, name, version, body.stage, body.comment)
    return ApprovalOut.model_validate(done)


@router.get("/{name}/versions/{version}/approvals")
def approvals(
    name: Name, version: Number, ctx: ContextDep, platform: PlatformDep
) -> list[ApprovalOut]:
    return [ApprovalOut.model_validate(a) for a in platform.registry.approvals(ctx, name, version)]


@router.get("/{name}/versions/{version}/reports")
def reports(name: Name, version: Number, ctx: ContextDep, platform: PlatformDep) -> list[ReportOut]:
    """The version's card, evaluation, fairness and explanation reports."""
    return [ReportOut.model_validate(r) for r in platform.registry.reports(ctx, name, version)]
