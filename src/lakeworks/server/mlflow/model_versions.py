"""/api/2.0/mlflow/model-versions/...: versions of registered models.

A version the MLflow client creates is registered by its ``source`` (``models:/<model_id>``
for MLflow 3, ``runs:/<run>/<path>`` or an ``mlflow-artifacts:`` URI before): its files
stay in the tracking store where the client uploaded them, and ``get-download-uri``
answers where they are, so ``mlflow.<flavor>.load_model("models:/name/1")`` reads them.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from lakeworks.server.mlflow import pages, shapes
from lakeworks.server.mlflow.errors import MlflowRoute
from lakeworks.server.mlflow.messages import CallerDep, KeyValue, Message, message
from lakeworks.server.mlflow.registry_shapes import RegistrySearch, model_id, model_version
from lakeworks.server.mlflow.services import LoggedModelsDep, RegistryDep, TrackingDep

router = APIRouter(route_class=MlflowRoute, tags=["mlflow model versions"])


class CreateVersion(Message):
    name: str
    source: str
    run_id: str | None = None
    tags: list[KeyValue] = []
    description: str | None = None
    model_id: str | None = None


class Version(Message):
    name: str
    version: int


class UpdateVersion(Version):
    description: str | None = None


class Tag(Version):
    key: str
    value: str = ""


class TagKey(Version):
    key: str


@router.post("/model-versions/create")
def create(
    ctx: CallerDep, registry: RegistryDep, models: LoggedModelsDep, body=message(CreateVersion)
) -> Any:
    """MLflow 3 names the logged model (``model_id``); its run is the version's run."""
    run_id, source = body.run_id or None, body.source
    if body.model_id:
        source = f"models:/{body.model_id}"
        run_id = run_id or models.get(ctx, body.model_id).source_run_id
    created = registry.register(
        ctx,
        body.name,
        source=source,
        run_id=run_id,
        description=body.description or None,
        tags={t.key: t.value for t in body.tags},
    )
    return {"model_version": model_version(created)}


@router.get("/model-versions/get")
def get(ctx: CallerDep, registry: RegistryDep, body=message(Version)) -> Any:
    return {"model_version": model_version(registry.get_version(ctx, body.name, body.version))}


@router.patch("/model-versions/update")
def update(ctx: CallerDep, registry: RegistryDep, body=message(UpdateVersion)) -> Any:
    updated = registry.update_version(ctx, body.name, body.version, body.description)
    return {"model_version": model_version(updated)}


@router.delete("/model-versions/delete")
def delete(ctx: CallerDep, registry: RegistryDep, body=message(Version)) -> Any:
    registry.delete_version(ctx, body.name, body.version)
    return {}


@router.get("/model-versions/search")
def search(ctx: CallerDep, registry: RegistryDep, body=message(RegistrySearch)) -> Any:
    page = registry.search_versions(ctx, *body.page(body.filter))
    return pages.answer(
        "model_versions", [model_version(v) for v in page.items], page.next_page_token
    )


@router.post("/model-versions/set-tag")
def set_tag(ctx: CallerDep, registry: RegistryDep, body=message(Tag)) -> Any:
    registry.set_tag(ctx, body.name, body.key, body.value, version=body.version)
    return {}


@router.delete("/model-versions/delete-tag")
def delete_tag(ctx: CallerDep, registry: RegistryDep, body=message(TagKey)) -> Any:
    registry.delete_tag(ctx, body.name, body.key, version=body.version)
    return {}


@router.get("/model-versions/get-download-uri")
def download_uri(
    ctx: CallerDep,
    registry: RegistryDep,
    tracking: TrackingDep,
    models: LoggedModelsDep,
    body=message(Version),
) -> Any:
    found = registry.get_version(ctx, body.name, body.version)
    return {"artifact_uri": _location(ctx, tracking, models, found)}


def _location(ctx: Any, tracking: Any, models: Any, version: Any) -> str:
    """Where a version's files are, as an ``mlflow-artifacts:`` URI the client reads."""
    logged = model_id(version)
    source = version.source or ""
    if logged:
        found = models.get(ctx, logged, allow_deleted=True)
        return shapes.model_location(found.experiment_id, logged)
    if source.startswith("runs:/"):
        run_id, _, path = source.removeprefix("runs:/").partition("/")
        run = tracking.get_run(ctx, run_id)
        return f"{shapes.run_location(run.info.experiment_id, run_id)}/{path}".rstrip("/")
    return source
