"""/api/2.0/mlflow/logged-models/...: MLflow 3's logged models, what ``log_model`` needs.

``mlflow.<flavor>.log_model`` creates a logged model, uploads its files to the model's
``mlflow-artifacts:`` location (artifacts.py), and registers ``models:/<model_id>``.
Search takes no filter but ``name = '...'`` and ``source_run_id = '...'`` joined by
``and`` (what the client itself sends); others are INVALID_PARAMETER_VALUE.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter
from pydantic import Field

from lakeworks.server.mlflow import pages, shapes
from lakeworks.server.mlflow.errors import MlflowRoute, invalid
from lakeworks.server.mlflow.messages import CallerDep, KeyValue, Message, message
from lakeworks.server.mlflow.services import LoggedModelsDep, TrackingDep, experiment_id

router = APIRouter(route_class=MlflowRoute, tags=["mlflow logged models"])
_TERM = re.compile(r"^\s*(name|source_run_id)\s*=\s*'([^']*)'\s*$")
STATUSES = {"LOGGED_MODEL_READY": "READY", "LOGGED_MODEL_UPLOAD_FAILED": "UPLOAD_FAILED"}


class CreateLoggedModel(Message):
    experiment_id: str = "0"
    name: str | None = None
    model_type: str | None = None
    source_run_id: str | None = None
    params: list[KeyValue] = []
    tags: list[KeyValue] = []


class Finalize(Message):
    status: str


class Tags(Message):
    tags: list[KeyValue] = []


class Params(Message):
    params: list[KeyValue] = []


class GetModel(Message):
    allow_deleted: bool = False


class SearchLoggedModels(Message):
    experiment_ids: list[str] = []
    filter: str | None = None
    max_results: int = Field(100, ge=1, le=10_000)
    page_token: str | None = None


class Directory(Message):
    artifact_directory_path: str = ""


@router.post("/logged-models")
def create(
    ctx: CallerDep, tracking: TrackingDep, models: LoggedModelsDep, body=message(CreateLoggedModel)
) -> Any:
    created = models.create(
        ctx,
        experiment_id(ctx, tracking, body.experiment_id),
        name=body.name or None,
        source_run_id=body.source_run_id or None,
        model_type=body.model_type or None,
        params={p.key: p.value for p in body.params},
        tags={t.key: t.value for t in body.tags},
    )
    return {"model": shapes.logged_model(created)}


@router.post("/logged-models/search")
def search(
    ctx: CallerDep, tracking: TrackingDep, models: LoggedModelsDep, body=message(SearchLoggedModels)
) -> Any:
    start = pages.start(body.page_token)
    found = models.search(
        ctx,
        [experiment_id(ctx, tracking, e) for e in body.experiment_ids],
        **_filter(body.filter),
        max_results=body.max_results + 1,  # one more tells whether a next page exists
        offset=start,
    )
    shown = [shapes.logged_model(m) for m in found[: body.max_results]]
    more = len(found) > body.max_results
    return pages.answer("models", shown, pages.token(start + body.max_results) if more else None)


@router.get("/logged-models/{model_id}")
def get(model_id: str, ctx: CallerDep, models: LoggedModelsDep, body=message(GetModel)) -> Any:
    found = models.get(ctx, model_id, allow_deleted=body.allow_deleted)
    return {"model": shapes.logged_model(found)}


@router.patch("/logged-models/{model_id}")
def finalize(model_id: str, ctx: CallerDep, models: LoggedModelsDep, body=message(Finalize)) -> Any:
    if body.status not in STATUSES:
        raise invalid(
            f"logged model {model_id}: status must be one of {sorted(STATUSES)}, "
            f"found {body.status!r}"
        )
    return {"model": shapes.logged_model(models.finalize(ctx, model_id, STATUSES[body.status]))}


@router.delete("/logged-models/{model_id}")
def delete(model_id: str, ctx: CallerDep, models: LoggedModelsDep) -> Any:
    models.delete(ctx, model_id)
    return {}


@router.patch("/logged-models/{model_id}/tags")
def set_tags(model_id: str, ctx: CallerDep, models: LoggedModelsDep, body=message(Tags)) -> Any:
    models.set_tags(ctx, model_id, {t.key: t.value for t in body.tags})
    return {}


@router.delete("/logged-models/{model_id}/tags/{key:path}")
def delete_tag(model_id: str, key: str, ctx: CallerDep, models: LoggedModelsDep) -> Any:
    models.delete_tag(ctx, model_id, key)
    return {}


@router.post("/logged-models/{model_id}/params")
def log_params(model_id: str, ctx: CallerDep, models: LoggedModelsDep, body=message(Params)) -> Any:
    models.log_params(ctx, model_id, {p.key: p.value for p in body.params})
    return {}


@router.get("/logged-models/{model_id}/artifacts/directories")
def list_files(
    model_id: str, ctx: CallerDep, models: LoggedModelsDep, body=message(Directory)
) -> Any:
    found = models.list_artifacts(ctx, model_id, body.artifact_directory_path.strip("/") or None)
    return {"files": [shapes.file_info(f.path, f.is_dir, f.size) for f in found]}


def _filter(text: str | None) -> dict[str, str]:
    """``name = 'x' and source_run_id = 'y'`` as keyword arguments of the search."""
    if not text or not text.strip():
        return {}
    terms = [_TERM.match(part) for part in re.split(r"\s+and\s+", text, flags=re.IGNORECASE)]
    if not all(terms):
        raise invalid(
            f"unsupported logged model filter {text!r}: use name = '...' and/or "
            "source_run_id = '...'"
        )
    return {m.group(1): m.group(2) for m in terms if m}
