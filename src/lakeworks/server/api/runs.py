"""/api/v1/workspaces/{ws}/runs: search, get, delete, metric history, artifacts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Annotated

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import StreamingResponse

from lakeworks.context import Context
from lakeworks.platform import Platform
from lakeworks.server.dependencies import ContextDep, PlatformDep
from lakeworks.server.schemas.runs import (
    ArtifactOut,
    MetricOut,
    RunOut,
    RunSearch,
    RunsPage,
    RunView,
)
from lakeworks.tracking.artifacts.base import CHUNK

router = APIRouter(prefix="/api/v1/workspaces/{ws}/runs", tags=["tracking"])
RunId = Annotated[str, Path(description="a run id (32 hex digits)", pattern=r"^[0-9a-f]{32}$")]
MetricKey = Annotated[str, Path(description="a metric key", min_length=1, max_length=250)]


@router.get("")
def search_runs_by_query(
    ctx: ContextDep,
    platform: PlatformDep,
    experiment_id: Annotated[list[int] | None, Query(max_length=1000)] = None,
    filter: Annotated[str | None, Query(max_length=10_000)] = None,
    order_by: Annotated[list[str] | None, Query(max_length=20)] = None,
    max_results: Annotated[int, Query(ge=1, le=50_000)] = 1000,
    page_token: Annotated[str | None, Query(max_length=1000)] = None,
    run_view: RunView = "active",
) -> RunsPage:
    """Runs of the experiments (all of the workspace unless ``experiment_id`` is given),
    newest first unless ``order_by``; a page at a time."""
    search = RunSearch(
        experiment_ids=experiment_id,
        filter=filter,
        order_by=order_by or [],
        max_results=max_results,
        page_token=page_token,
        run_view=run_view,
    )
    return _search(ctx, platform, search)


@router.post("/search")
def search_runs(body: RunSearch, ctx: ContextDep, platform: PlatformDep) -> RunsPage:
    """The same search with a JSON body."""
    return _search(ctx, platform, body)


def _search(ctx: Context, platform: Platform, body: RunSearch) -> RunsPage:
    ids = body.experiment_ids
    if ids is None:
        ids = [e.id for e in platform.tracking.list_experiments(ctx)]
    found, token = platform.tracking.search_runs(
        ctx,
        ids,
        filter=body.filter,
        order_by=body.order_by,
        max_results=body.max_results,
        page_token=body.page_token,
        run_view=body.run_view,
    )
    return RunsPage(runs=[RunOut.model_validate(r) for r in found], next_page_token=token)


@router.get("/{run_id}")
def get_run(run_id: RunId, ctx: ContextDep, platform: PlatformDep) -> RunOut:
    return RunOut.model_validate(platform.tracking.get_run(ctx, run_id))


@router.delete("/{run_id}", status_code=204)
def delete_run(run_id: RunId, ctx: ContextDep, platform: PlatformDep) -> Response:
    """Mark the run deleted; ``lakeworks gc`` purges it."""
    platform.tracking.delete_run(ctx, run_id)
    return Response(status_code=204)


@router.get("/{run_id}/metrics/{key:path}")
def metric_history(
    run_id: RunId, key: MetricKey, ctx: ContextDep, platform: PlatformDep
) -> list[MetricOut]:
    """Every point of the metric, by step then timestamp."""
    history = platform.tracking.get_metric_history(ctx, run_id, key)
    return [MetricOut.model_validate(m) for m in history]


@router.get("/{run_id}/artifacts")
def list_artifacts(
    run_id: RunId,
    ctx: ContextDep,
    platform: PlatformDep,
    path: Annotated[str | None, Query(max_length=4096)] = None,
) -> list[ArtifactOut]:
    """The files and folders directly under ``path`` (the root by default)."""
    found = platform.tracking.list_artifacts(ctx, run_id, path)
    return [ArtifactOut.model_validate(a) for a in found]


@router.get(
    "/{run_id}/artifacts/{path:path}",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def download_artifact(
    run_id: RunId, path: str, ctx: ContextDep, platform: PlatformDep
) -> StreamingResponse:
    """The bytes of an artifact file, streamed."""
    stream = platform.tracking.open_artifact(ctx, run_id, path)
    name = path.rsplit("/", 1)[-1].replace('"', "")
    return StreamingResponse(
        _chunks(stream),
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _chunks(stream: IO[bytes]) -> Iterator[bytes]:
    with stream:
        while chunk := stream.read(CHUNK):
            yield chunk
