"""/api/2.0/mlflow/registered-models/...: registered models, their tags and aliases."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter

from lakeworks.server.mlflow import pages
from lakeworks.server.mlflow.errors import MlflowRoute
from lakeworks.server.mlflow.messages import CallerDep, KeyValue, Message, message
from lakeworks.server.mlflow.registry_shapes import (
    RegistrySearch,
    model_version,
    registered_model,
)
from lakeworks.server.mlflow.services import RegistryDep

# MLflow 3 clients append this clause to every registered-model search to hide prompts.
# lakeworks registers no prompts, and a model without the tag must still match, so the
# clause the client added is dropped (a user's own tag filters are kept).
PROMPT_CLAUSE = re.compile(
    r"(?:^|\s+AND)\s+tags?\.`mlflow\.prompt\.is_prompt`\s*!=\s*'true'\s*$|"
    r"^\s*tags?\.`mlflow\.prompt\.is_prompt`\s*!=\s*'true'\s*$",
    re.IGNORECASE,
)
router = APIRouter(route_class=MlflowRoute, tags=["mlflow registered models"])


class Name(Message):
    name: str


class CreateModel(Message):
    name: str
    tags: list[KeyValue] = []
    description: str | None = None


class Rename(Message):
    name: str
    new_name: str


class Update(Message):
    name: str
    description: str | None = None


class Tag(KeyValue):
    name: str


class TagKey(Message):
    name: str
    key: str


class Alias(Message):
    name: str
    alias: str


class SetAlias(Alias):
    version: int


class LatestVersions(Message):
    name: str
    stages: list[str] = []


@router.post("/registered-models/create")
def create(ctx: CallerDep, registry: RegistryDep, body=message(CreateModel)) -> Any:
    tags = {t.key: t.value for t in body.tags}
    created = registry.create_model(ctx, body.name, body.description or None, tags)
    return {"registered_model": registered_model(created)}


@router.get("/registered-models/get")
def get(ctx: CallerDep, registry: RegistryDep, body=message(Name)) -> Any:
    return {"registered_model": registered_model(registry.get_model(ctx, body.name))}


@router.post("/registered-models/rename")
def rename(ctx: CallerDep, registry: RegistryDep, body=message(Rename)) -> Any:
    renamed = registry.rename_model(ctx, body.name, body.new_name)
    return {"registered_model": registered_model(renamed)}


@router.patch("/registered-models/update")
def update(ctx: CallerDep, registry: RegistryDep, body=message(Update)) -> Any:
    updated = registry.update_model(ctx, body.name, body.description)
    return {"registered_model": registered_model(updated)}


@router.delete("/registered-models/delete")
def delete(ctx: CallerDep, registry: RegistryDep, body=message(Name)) -> Any:
    registry.delete_model(ctx, body.name)
    return {}


@router.get("/registered-models/search")
def search(ctx: CallerDep, registry: RegistryDep, body=message(RegistrySearch)) -> Any:
    filter = PROMPT_CLAUSE.sub("", body.filter or "").strip()
    page = registry.search_models(ctx, *body.page(filter))
    return pages.answer(
        "registered_models", [registered_model(m) for m in page.items], page.next_page_token
    )


@router.post("/registered-models/set-tag")
def set_tag(ctx: CallerDep, registry: RegistryDep, body=message(Tag)) -> Any:
    registry.set_tag(ctx, body.name, body.key, body.value)
    return {}


@router.delete("/registered-models/delete-tag")
def delete_tag(ctx: CallerDep, registry: RegistryDep, body=message(TagKey)) -> Any:
    registry.delete_tag(ctx, body.name, body.key)
    return {}


@router.post("/registered-models/alias")
def set_alias(ctx: CallerDep, registry: RegistryDep, body=message(SetAlias)) -> Any:
    registry.set_alias(ctx, body.name, body.alias, body.version)
    return {}


@router.delete("/registered-models/alias")
def delete_alias(ctx: CallerDep, registry: RegistryDep, body=message(Alias)) -> Any:
    registry.delete_alias(ctx, body.name, body.alias)
    return {}


@router.get("/registered-models/alias")
def get_by_alias(ctx: CallerDep, registry: RegistryDep, body=message(Alias)) -> Any:
    found = registry.get_version_by_alias(ctx, body.name, body.alias)
    return {"model_version": model_version(found)}


@router.post("/registered-models/get-latest-versions")
def latest_versions(ctx: CallerDep, registry: RegistryDep, body=message(LatestVersions)) -> Any:
    """The newest version of each asked stage (every stage when none is asked)."""
    stages = {s.lower() for s in body.stages}
    newest: dict[str, Any] = {}
    for v in registry.list_versions(ctx, body.name):  # newest first
        stage = (v.stage or "None").lower()
        if not stages or stage in stages:
            newest.setdefault(stage, v)
    return {"model_versions": [model_version(v) for v in newest.values()]}
