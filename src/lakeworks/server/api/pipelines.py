"""/api/v1/workspaces/{ws}/pipelines and /pipeline-runs: register, run, backfill, inspect."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from lakeworks.server.dependencies import ContextDep, PipelineName, PlatformDep, RecordId, TaskName
from lakeworks.server.errors import responses
from lakeworks.server.schemas.pipelines import (
    BackfillOut,
    BackfillRequest,
    PipelineOut,
    PipelineRegister,
    RunOut,
    RunRequest,
    TaskLogOut,
)

router = APIRouter(prefix="/api/v1/workspaces/{ws}", tags=["pipelines"])


@router.get("/pipelines")
def list_pipelines(ctx: ContextDep, platform: PlatformDep) -> list[PipelineOut]:
    return [PipelineOut.model_validate(p) for p in platform.pipelines.list(ctx)]


@router.post("/pipelines", status_code=201, responses=responses(409))
def register(body: PipelineRegister, ctx: ContextDep, platform: PlatformDep) -> list[PipelineOut]:
    """Register every pipeline a file of the workspace's code folder defines (uploaded
    with ``code``, or already there); a bad DAG is a 422 naming it."""
    found = platform.pipelines.register_code(ctx, body.source, body.code)
    return [PipelineOut.model_validate(p) for p in found]


@router.get("/pipelines/{name}")
def get_pipeline(name: PipelineName, ctx: ContextDep, platform: PlatformDep) -> PipelineOut:
    return PipelineOut.model_validate(platform.pipelines.get(ctx, name))


@router.post("/pipelines/{name}/pause")
def pause(name: PipelineName, ctx: ContextDep, platform: PlatformDep) -> PipelineOut:
    return PipelineOut.model_validate(platform.pipelines.pause(ctx, name, True))


@router.post("/pipelines/{name}/unpause")
def unpause(name: PipelineName, ctx: ContextDep, platform: PlatformDep) -> PipelineOut:
    return PipelineOut.model_validate(platform.pipelines.pause(ctx, name, False))


@router.post("/pipelines/{name}/runs", status_code=201, responses=responses(409))
def run(name: PipelineName, body: RunRequest, ctx: ContextDep, platform: PlatformDep) -> RunOut:
    """Run now; with ``wait`` the answer is the ended run, else the started one."""
    return RunOut.model_validate(platform.pipelines.run(ctx, name, body.params, wait=body.wait))


@router.post("/pipelines/{name}/backfills", status_code=201, responses=responses(409))
def backfill(
    name: PipelineName, body: BackfillRequest, ctx: ContextDep, platform: PlatformDep
) -> BackfillOut:
    """A run per schedule interval in ``[start, end)`` not yet succeeded."""
    done = platform.pipelines.backfill(
        ctx,
        name,
        body.start,
        body.end,
        params=body.params,
        rerun_succeeded=body.rerun_succeeded,
        wait=body.wait,
    )
    return BackfillOut.model_validate(done)


@router.get("/pipelines/{name}/runs")
def runs(
    name: PipelineName,
    ctx: ContextDep,
    platform: PlatformDep,
    state: str | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> list[RunOut]:
    """Runs of a pipeline, newest first, without their tasks."""
    platform.pipelines.get(ctx, name)  # an unknown pipeline is a 404, not an empty list
    return [RunOut.model_validate(r) for r in platform.pipelines.runs(ctx, name, state, limit)]


@router.get("/pipeline-runs/{run_id}")
def run_info(run_id: RecordId, ctx: ContextDep, platform: PlatformDep) -> RunOut:
    return RunOut.model_validate(platform.pipelines.run_info(ctx, run_id))


@router.get("/pipeline-runs/{run_id}/tasks/{task}/log")
def task_log(
    run_id: RecordId, task: TaskName, ctx: ContextDep, platform: PlatformDep
) -> TaskLogOut:
    log = platform.pipelines.task_logs(ctx, run_id, task)
    return TaskLogOut(run_id=run_id, task=task, log=log)


@router.post("/pipeline-runs/{run_id}/cancel", responses=responses(409))
def cancel(run_id: RecordId, ctx: ContextDep, platform: PlatformDep) -> RunOut:
    return RunOut.model_validate(platform.pipelines.cancel(ctx, run_id))


@router.post("/pipeline-runs/{run_id}/resume", responses=responses(409))
def resume(run_id: RecordId, ctx: ContextDep, platform: PlatformDep, wait: bool = True) -> RunOut:
    """Run a failed or cancelled run again, keeping its succeeded tasks (409 otherwise)."""
    return RunOut.model_validate(platform.pipelines.resume(ctx, run_id, wait=wait))
