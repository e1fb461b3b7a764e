"""MLflow's artifact routes: the proxied artifact service and the run artifact listing.

- ``/api/2.0/mlflow-artifacts/artifacts/<path>``: PUT uploads one file, GET downloads it,
  both streamed in chunks (a file larger than memory passes through); GET without a path
  (``?path=``) lists a folder. ``<path>`` is what an ``mlflow-artifacts:`` URI of
  ``shapes.py`` names: ``<experiment>/<run>/artifacts/<file>``, or
  ``<experiment>/models/<model>/artifacts/<file>`` for a logged model (logged_models.py).
- ``/api/2.0/mlflow/artifacts/list?run_id=&path=``: a run's folder, paths from its root.

Files land in the tracking service's content-addressed store (one copy per content).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.from_thread
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from lakeworks.server.mlflow import shapes
from lakeworks.server.mlflow.errors import MlflowRoute, invalid
from lakeworks.server.mlflow.messages import CallerDep, Message, message
from lakeworks.server.mlflow.services import TrackingDep

router = APIRouter(route_class=MlflowRoute, tags=["mlflow artifacts"])
proxy = APIRouter(route_class=MlflowRoute, tags=["mlflow artifacts"])


@dataclass(frozen=True)
class Location:
    """Where an ``mlflow-artifacts:`` path points: an owner (``run`` or ``model``) and a
    path inside its artifacts ("" for the root)."""

    owner: str
    owner_id: str
    path: str

    @classmethod
    def parse(cls, path: str) -> Location:
        parts = [p for p in path.strip("/").split("/") if p]
        if len(parts) >= 3 and parts[2] == "artifacts":
            return cls("run", parts[1], "/".join(parts[3:]))
        if len(parts) >= 4 and parts[1] == "models" and parts[3] == "artifacts":
            return cls("model", parts[2], "/".join(parts[4:]))
        raise invalid(
            f"artifact path {path!r} is not in a run's or a logged model's artifacts: "
            "expected <experiment>/<run>/artifacts/... or <experiment>/models/<model>/artifacts/..."
        )


class ListFolder(Message):
    path: str = ""


class ListRunFolder(Message):
    run_id: str | None = None
    run_uuid: str | None = None
    path: str = ""
    page_token: str | None = None


@router.get("/artifacts/list")
def list_run_artifacts(ctx: CallerDep, tracking: TrackingDep, body=message(ListRunFolder)) -> Any:
    run_id = body.run_id or body.run_uuid or ""
    run = tracking.get_run(ctx, run_id)
    found = tracking.list_artifacts(ctx, run_id, body.path or None)
    return {
        "root_uri": shapes.run_location(run.info.experiment_id, run_id),
        "files": [shapes.file_info(f.path, f.is_dir, f.size) for f in found],
    }


@proxy.get("/artifacts")
def list_folder(ctx: CallerDep, tracking: TrackingDep, body=message(ListFolder)) -> Any:
    where = Location.parse(body.path)
    found = tracking.list_artifacts(ctx, where.owner_id, where.path or None, owner=where.owner)
    return {"files": [shapes.file_info(_name(f.path), f.is_dir, f.size) for f in found]}


@proxy.put("/artifacts/{path:path}")
async def upload(path: str, request: Request, ctx: CallerDep, tracking: TrackingDep) -> Any:
    where = Location.parse(path)
    chunks = _blocking(request.stream())
    await anyio.to_thread.run_sync(
        lambda: tracking.log_artifact_stream(
            ctx, where.owner_id, where.path, chunks, owner=where.owner
        )
    )
    return {}


@proxy.get("/artifacts/{path:path}")
def download(path: str, ctx: CallerDep, tracking: TrackingDep) -> Any:
    where = Location.parse(path)
    stream = tracking.open_artifact(ctx, where.owner_id, where.path, owner=where.owner)
    return StreamingResponse(_chunks(stream), media_type="application/octet-stream")


def _name(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def _blocking(stream: AsyncIterator[bytes]) -> Iterator[bytes]:
    """The request body's chunks for a worker thread: each is awaited on the event loop."""
    while True:
        try:
            chunk = anyio.from_thread.run(stream.__anext__)
        except StopAsyncIteration:
            return
        if chunk:
            yield chunk


def _chunks(stream: Any, size: int = 1 << 20) -> Iterator[bytes]:
    with stream:
        while chunk := stream.read(size):
            yield chunk
