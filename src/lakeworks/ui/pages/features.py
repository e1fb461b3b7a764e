"""``/w/<ws>/features``: entities, views and services; a definition's versions with the
diff between two, its freshness, an online lookup form and a training-set preview (both
answered by the REST API from the page)."""

from __future__ import annotations

import difflib
import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from lakeworks.context import Context
from lakeworks.errors import NotFoundError
from lakeworks.features.store import DefinitionVersion
from lakeworks.platform import Platform
from lakeworks.server.dependencies import ID_MAX, ContextDep, DefinitionName, PlatformDep
from lakeworks.ui.render import page

router = APIRouter()
Kind = Literal["entity", "view", "service"]
VersionNumber = Annotated[int | None, Query(ge=1, le=ID_MAX)]


@router.get("/w/{ws}/features")
def feature_index(ctx: ContextDep, platform: PlatformDep, request: Request) -> HTMLResponse:
    found = platform.features.list(ctx)
    views = [d for d in found if d.kind == "view"]
    fresh = {v.name: freshness(platform, ctx, v) for v in views}
    return page(request, "features/index.html", ctx, section="features", title="Features",
                entities=[d for d in found if d.kind == "entity"], views=views,
                services=[d for d in found if d.kind == "service"], fresh=fresh)  # fmt: skip


@router.get("/w/{ws}/features/{kind}/{name}")
def definition(
    kind: Kind,
    name: DefinitionName,
    ctx: ContextDep,
    platform: PlatformDep,
    request: Request,
    a: VersionNumber = None,
    b: VersionNumber = None,
) -> HTMLResponse:
    """A definition's versions; ``a`` and ``b`` choose the two to compare (default: the
    two newest)."""
    versions = platform.features.versions(ctx, name, kind)
    if not versions:
        raise NotFoundError(f"{kind} {name!r} is not registered", name=name, kind=kind)
    newest = max(versions, key=lambda v: v.version)
    by_number = {v.version: v for v in versions}
    b = b or newest.version
    a = a or max([n for n in by_number if n < b], default=b)
    for n in (a, b):
        if n not in by_number:
            raise NotFoundError(f"{kind} {name!r} has no version {n}", name=name, version=n)
    values: dict[str, Any] = {"kind": kind, "name": name, "versions": versions, "spec": newest.spec,
                              "a": a, "b": b, "diff": diff(by_number[a], by_number[b])}  # fmt: skip
    if kind == "view":
        values.update(view_forms(platform, ctx, newest))
    return page(request, "features/definition.html", ctx, section="features",
                title=f"{kind} {name}", **values)  # fmt: skip


def diff(old: DefinitionVersion, new: DefinitionVersion) -> list[str]:
    """The unified diff of two versions' specs, as JSON lines."""
    before = json.dumps(old.spec, indent=2, sort_keys=True, default=str).splitlines()
    after = json.dumps(new.spec, indent=2, sort_keys=True, default=str).splitlines()
    names = (f"version {old.version}", f"version {new.version}")
    return list(difflib.unified_diff(before, after, *names, lineterm=""))


def freshness(platform: Platform, ctx: Context, view: DefinitionVersion) -> dict[str, Any]:
    """When the view was last materialized, how old that is, and whether past its TTL."""
    done = platform.features.materializations(ctx, view.name)
    if not done:
        return {"state": "never", "at": None, "rows": 0, "age_s": None}
    last = max(done, key=lambda m: m.finished_at)
    age = (datetime.now(UTC) - last.finished_at).total_seconds()
    ttl = view.spec.get("ttl_seconds")
    state = "stale" if ttl is not None and age > ttl else "fresh"
    return {"state": state, "at": last.finished_at, "rows": last.rows, "age_s": round(age)}


def view_forms(platform: Platform, ctx: Context, view: DefinitionVersion) -> dict[str, Any]:
    """What the lookup and training-set forms need: the entity's keys, the timestamp."""
    entity = next(
        (d for d in platform.features.list(ctx, "entity") if d.name == view.spec["entity"]), None
    )
    keys = entity.spec.get("join_keys", []) if entity else []
    return {
        "keys": keys,
        "fresh": freshness(platform, ctx, view),
        "now_iso": datetime.now(UTC).isoformat(timespec="seconds"),
        "materializations": platform.features.materializations(ctx, view.name)[-20:],
    }
