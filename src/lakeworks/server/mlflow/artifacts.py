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

import io
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
from lakeworks.server.mlflow.services import OwnersDep, TrackingDep

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
    run_id = body.run_id or body.run_uuid
    if not run_id:
        raise invalid("artifacts/list needs run_id, found none")
    run = tracking.get_run(ctx, run_id)
    found = tracking.list_artifacts(ctx, run_id, body.path.strip("/") or None)
    return {
        "root_uri": shapes.run_location(run.info.experiment_id, run_id),
        "files": [shapes.file_info(f.path, f.is_dir, f.size) for f in found],
    }


@proxy.get("/artifacts")
def list_folder(ctx: CallerDep, owners: OwnersDep, body=message(ListFolder)) -> Any:
    where = Location.parse(body.path)
    found = owners[where.owner].list_artifacts(ctx, where.owner_id, where.path or None)
    return {"files": [shapes.file_info(_name(f.path), f.is_dir, f.size) for f in found]}


@proxy.put("/artifacts/{path:path}")
async def upload(path: str, request: Request, ctx: CallerDep, owners: OwnersDep) -> Any:
    where = Location.parse(path)
    body = BodyReader(request.stream())
    put = owners[where.owner].log_artifact_stream
    await anyio.to_thread.run_sync(lambda: put(ctx, where.owner_id, where.path, body))
    return {}


@proxy.get("/artifacts/{path:path}")
def download(path: str, ctx: CallerDep, owners: OwnersDep) -> Any:
    where = Location.parse(path)
    stream = owners[where.owner].open_artifact(ctx, where.owner_id, where.path)
    return StreamingResponse(_chunks(stream), media_type="application/octet-stream")


def _name(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


class BodyReader(io.RawIOBase):
    """A request body as a binary file for a worker thread: each chunk is awaited on the
    event loop when the reader needs it, so the body is never held whole."""

    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self._chunks = chunks
        self._left = b""
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._left and not self._done:
            try:
                self._left = anyio.from_thread.run(self._chunks.__anext__)
            except StopAsyncIteration:
                self._done = True
        size = min(len(buffer), len(self._left))
        buffer[:size], self._left = self._left[:size], self._left[size:]
        return size


def _chunks(stream: Any, size: int = 1 << 20) -> Iterator[bytes]:
    with stream:
        while chunk := stream.read(size):
            yield chunk
